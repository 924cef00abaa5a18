# Interpret stage: the dashboard's views of every TF × architecture on its top-scoring test positives.
# saliency.npz: saliency maps (and which sequences); interpret.npz: the other methods of interpret.methods
# (temporal scores, class optimisation, ISM, conv activation windows, filter PWMs, DeepLIFT-SHAP, IG).
# One job per model (loaded once), rule `interpret`, which the cluster profile sends to the GPU partition.
# saliency.npz also holds the corrected saliency map (same backward pass).
# With groundtruth.enabled, rule groundtruth scores these maps against the planted motifs (below).


rule interpret:
    input:
        data="results/{tf}/data.npz",
        model="results/{tf}/{arch}/best.pt",
    output:
        saliency="results/{tf}/{arch}/saliency.npz",
        methods="results/{tf}/{arch}/interpret.npz",
    log:
        "logs/interpret/{tf}_{arch}.log",
    conda:
        "../../envs/deepmotif.yaml"
    threads: config["interpret"]["threads"]
    resources:
        **gpu_resources("interpret"),
    params:
        # of train, only the device: retraining with other options reruns this job through best.pt
        settings=settings("interpret", train={"device": config["train"]["device"]}),
    shell:
        "deepmotif interpret --set {params.settings:q} --data {input.data} --model {input.model}"
        " --out {output.saliency} --methods-out {output.methods} --threads {threads} 2> {log}"


# Ground-truth benchmark (config groundtruth.enabled) of the TFs whose planted motifs are known base by base
# (synthetic sources): per TF one job reusing the stored maps, filters and motif matches, then the tables.
TRUTH_TFS = (
    list(SHEET.loc[SHEET["source"].isin(["synthetic", "synthetic_multi"]), "name"])
    if config["groundtruth"]["enabled"]
    else []
)
if config["groundtruth"]["enabled"] and not TRUTH_TFS:
    raise ValueError(
        f"{config['tfs']}: groundtruth.enabled needs a TF with planted motifs (source synthetic or "
        "synthetic_multi)"
    )
GROUNDTRUTH_TABLES = (
    expand(
        "results/tables/groundtruth_{table}.tsv",
        table=("attribution", "filters", "recovery"),
    )
    if TRUTH_TFS
    else []
)


rule groundtruth:
    input:
        data="results/{tf}/data.npz",
        saliency=expand("results/{{tf}}/{arch}/saliency.npz", arch=ARCHS),
        methods=expand("results/{{tf}}/{arch}/interpret.npz", arch=ARCHS),
        filters=expand("results/{{tf}}/{arch}/filters.meme", arch=FILTER_ARCHS),
        matches="results/{tf}/motifs.tsv",
        jaspar=JASPAR_DB,
    output:
        attribution="results/{tf}/groundtruth_attribution.tsv",
        filters="results/{tf}/groundtruth_filters.tsv",
        recovery="results/{tf}/groundtruth_recovery.tsv",
    log:
        "logs/groundtruth/{tf}.log",
    wildcard_constraints:
        tf=name_pattern(TRUTH_TFS),
    group:
        "motifs"
    conda:
        "../../envs/deepmotif.yaml"
    params:
        settings=settings("jaspar", "match", "motifs", "groundtruth"),
    shell:
        "deepmotif groundtruth --set {params.settings:q} --tf {wildcards.tf:q} --data {input.data}"
        " --saliency {input.saliency} --interpret {input.methods} --filters {input.filters}"
        " --matches {input.matches} --jaspar {input.jaspar} --attribution {output.attribution}"
        " --filter-table {output.filters} --recovery {output.recovery} 2> {log}"


rule groundtruth_table:
    input:
        attribution=expand("results/{tf}/groundtruth_attribution.tsv", tf=TRUTH_TFS),
        filters=expand("results/{tf}/groundtruth_filters.tsv", tf=TRUTH_TFS),
        recovery=expand("results/{tf}/groundtruth_recovery.tsv", tf=TRUTH_TFS),
    output:
        attribution=report(
            "results/tables/groundtruth_attribution.tsv",
            caption="../report/groundtruth.rst",
            category="Ground truth",
        ),
        filters=report(
            "results/tables/groundtruth_filters.tsv",
            caption="../report/groundtruth.rst",
            category="Ground truth",
        ),
        recovery=report(
            "results/tables/groundtruth_recovery.tsv",
            caption="../report/groundtruth.rst",
            category="Ground truth",
        ),
    log:
        "logs/groundtruth_table.log",
    conda:
        "../../envs/deepmotif.yaml"
    shell:
        "(deepmotif concat-tables --tables {input.attribution} --out {output.attribution}"
        " && deepmotif concat-tables --tables {input.filters} --out {output.filters}"
        " && deepmotif concat-tables --tables {input.recovery} --out {output.recovery}) 2> {log}"
