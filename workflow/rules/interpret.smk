# Interpret stage: the dashboard's views of every TF × architecture on its top-scoring test positives.
# saliency.npz: saliency maps (and which sequences); interpret.npz: the other methods of interpret.methods
# (temporal scores, class optimisation, ISM, conv activation windows, filter PWMs, DeepLIFT-SHAP, IG).
# One job per model (loaded once); the rule keeps its name `saliency`, which the cluster profile sends to
# the GPU partition.


rule saliency:
    input:
        data="results/{tf}/data.npz",
        model="results/{tf}/{arch}/best.pt",
    output:
        saliency="results/{tf}/{arch}/saliency.npz",
        methods="results/{tf}/{arch}/interpret.npz",
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
        " --out {output.saliency} --methods-out {output.methods} --threads {threads} 2> {log}"
