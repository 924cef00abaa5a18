# Interpret stage: saliency maps of the top-scoring test positives.


rule saliency:
    input:
        data="results/{tf}/data.npz",
        model="results/{tf}/{arch}/best.pt",
    output:
        "results/{tf}/{arch}/saliency.npz",
    log:
        "logs/saliency/{tf}_{arch}.log",
    conda:
        "../../envs/deepmotif.yaml"
    threads: config["interpret"]["threads"]
    resources:
        **gpu_resources("interpret"),
    params:
        settings=settings("interpret", "train"),
    shell:
        "deepmotif interpret --set {params.settings:q} --data {input.data} --model {input.model}"
        " --out {output} --threads {threads} 2> {log}"
