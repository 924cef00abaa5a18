# Train stage: every configured width variant (train.sizes, scales of models.sizes) of one architecture on
# one TF, each selected on the validation set; select_size then keeps the size with the best validation AUROC.
# One job per size (rule train), or with resources.train_sizes_in_one_job one job per TF × architecture
# training all its sizes together, one process each on the job's device (rule train_sizes: a cluster GPU
# holds several small models).
if config["resources"]["train_sizes_in_one_job"]:

    rule train_sizes:
        input:
            "results/{tf}/data.npz",
        output:
            model=expand("results/{{tf}}/{{arch}}/sizes/{size}/best.pt", size=SIZES),
            metrics=expand(
                "results/{{tf}}/{{arch}}/sizes/{size}/metrics.json", size=SIZES
            ),
        log:
            "logs/train/{tf}_{arch}.log",
        benchmark:
            "logs/train/{tf}_{arch}.benchmark.tsv"
        conda:
            "../../envs/deepmotif.yaml"
        threads: config["train"]["threads"] * len(SIZES)
        resources:
            **TRAIN_SIZES_RESOURCES,
        params:
            settings=train_settings,
            sizes=" ".join(SIZES),
            sizes_dir=lambda wildcards: f"results/{wildcards.tf}/{wildcards.arch}/sizes",
            threads=config["train"]["threads"],
        shell:
            "deepmotif train-sizes --set {params.settings:q} --data {input} --arch {wildcards.arch}"
            " --sizes {params.sizes} --sizes-dir {params.sizes_dir} --threads {params.threads} 2> {log}"

else:

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
