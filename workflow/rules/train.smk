# Train stage: one architecture on one TF, model selection on the validation set.


rule train:
    input:
        "results/{tf}/data.npz",
    output:
        model="results/{tf}/{arch}/best.pt",
        metrics="results/{tf}/{arch}/metrics.json",
    log:
        "logs/train/{tf}_{arch}.log",
    benchmark:
        "logs/train/{tf}_{arch}.benchmark.tsv"
    conda:
        "../../envs/deepmotif.yaml"
    threads: config["train"]["threads"]
    resources:
        **gpu_resources("train"),
    params:
        settings=lambda wildcards: settings("train", "models"),
        out_dir=lambda wildcards, output: os.path.dirname(output.model),
    shell:
        "deepmotif train --set {params.settings:q} --data {input} --arch {wildcards.arch}"
        " --out-dir {params.out_dir} --threads {threads} 2> {log}"
