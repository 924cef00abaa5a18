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
    list(SHEET.loc[SHEET["source"].isin(PLANTED_SOURCES), "name"])
    if config["groundtruth"]["enabled"]
    else []
)
if config["groundtruth"]["enabled"] and not TRUTH_TFS:
    raise ValueError(
        f"{config['tfs']}: groundtruth.enabled needs a TF with planted motifs (source "
        f"{', '.join(PLANTED_SOURCES)})"
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


# DeepResolve (config deepresolve.enabled) of every convolutional model: gradient ascent on the map leaving its
# first convolution block, per task; channels named by their first-layer filters' JASPAR matches (motifs.tsv).
RESOLVE_ARCHS = CONV_ARCHS if config["deepresolve"]["enabled"] else []
DEEPRESOLVE_TABLES = (
    expand("results/tables/deepresolve_{table}.tsv", table=("fiv", "similarity"))
    if RESOLVE_ARCHS
    else []
)


rule resolve:
    input:
        data="results/{tf}/data.npz",
        model="results/{tf}/{arch}/best.pt",
        motifs="results/{tf}/motifs.tsv",
    output:
        fiv="results/{tf}/{arch}/deepresolve_fiv.tsv",
        similarity="results/{tf}/{arch}/deepresolve_similarity.tsv",
        png=report(
            "results/{tf}/{arch}/deepresolve.png",
            caption="../report/deepresolve.rst",
            category="DeepResolve",
            labels={"TF": "{tf}", "architecture": "{arch}"},
        ),
    log:
        "logs/resolve/{tf}_{arch}.log",
    wildcard_constraints:
        arch=name_pattern(RESOLVE_ARCHS),
    conda:
        "../../envs/deepmotif.yaml"
    threads: config["interpret"]["threads"]
    resources:
        **gpu_resources("interpret"),
    params:
        settings=settings("deepresolve", train={"device": config["train"]["device"]}),
    shell:
        "deepmotif resolve --set {params.settings:q} --tf {wildcards.tf:q} --arch {wildcards.arch}"
        " --data {input.data} --model {input.model} --motif-table {input.motifs}"
        " --fiv {output.fiv} --similarity {output.similarity} --png {output.png} --threads {threads}"
        " 2> {log}"


rule deepresolve_table:
    input:
        fiv=expand(
            "results/{tf}/{arch}/deepresolve_fiv.tsv", tf=TFS, arch=RESOLVE_ARCHS
        ),
        similarity=expand(
            "results/{tf}/{arch}/deepresolve_similarity.tsv",
            tf=TFS,
            arch=RESOLVE_ARCHS,
        ),
    output:
        fiv=report(
            "results/tables/deepresolve_fiv.tsv",
            caption="../report/deepresolve.rst",
            category="DeepResolve",
        ),
        similarity=report(
            "results/tables/deepresolve_similarity.tsv",
            caption="../report/deepresolve.rst",
            category="DeepResolve",
        ),
    log:
        "logs/deepresolve_table.log",
    conda:
        "../../envs/deepmotif.yaml"
    shell:
        "(deepmotif concat-tables --tables {input.fiv} --out {output.fiv}"
        " && deepmotif concat-tables --tables {input.similarity} --out {output.similarity}) 2> {log}"
