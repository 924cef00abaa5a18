# Train stage: every configured width variant (train.sizes, scales of models.sizes) of one architecture on
# one TF, each selected on the validation set; select_size then keeps the size with the best validation AUROC.
rule train:
    input:
        "results/{tf}/data.npz",
    output:
        model="results/{tf}/{arch}/sizes/{size}/best.pt",
        metrics="results/{tf}/{arch}/sizes/{size}/metrics.json",
    log:
        "logs/train/{tf}_{arch}_{size}.log",
    benchmark:
        "logs/train/{tf}_{arch}_{size}.benchmark.tsv"
    wildcard_constraints:
        size=name_pattern(SIZES),
    conda:
        "../../envs/deepmotif.yaml"
    threads: config["train"]["threads"]
    resources:
        **gpu_resources("train"),
    params:
        settings=train_settings,
        out_dir=lambda wildcards, output: os.path.dirname(output.model),
    shell:
        "deepmotif train --set {params.settings:q} --data {input} --arch {wildcards.arch}"
        " --size {wildcards.size} --out-dir {params.out_dir} --threads {threads} 2> {log}"


rule select_size:
    input:
        models=expand("results/{{tf}}/{{arch}}/sizes/{size}/best.pt", size=SIZES),
        metrics=expand("results/{{tf}}/{{arch}}/sizes/{size}/metrics.json", size=SIZES),
    output:
        model="results/{tf}/{arch}/best.pt",
        metrics="results/{tf}/{arch}/metrics.json",
    log:
        "logs/select_size/{tf}_{arch}.log",
    conda:
        "../../envs/deepmotif.yaml"
    shell:
        "deepmotif select-size --metrics {input.metrics} --out-model {output.model}"
        " --out-metrics {output.metrics} 2> {log}"
