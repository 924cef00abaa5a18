# Report stage: one dashboard figure per TF, and the report folder: an index page with one sortable summary
# row per TF, one page per TF (tables, dashboard, each discovered motif's CWM logo beside its best JASPAR
# match), images as PNG files beside the pages.


rule dashboard:
    input:
        data="results/{tf}/data.npz",
        models=expand("results/{{tf}}/{arch}/best.pt", arch=ARCHS),
        methods=expand("results/{{tf}}/{arch}/interpret.npz", arch=ARCHS),
        motifs=expand("results/{{tf}}/{arch}/motifs.meme", arch=ARCHS),
        filters=expand("results/{{tf}}/{arch}/filters.meme", arch=FILTER_ARCHS),
        matches="results/{tf}/motif_matches.tsv",
        hits="results/{tf}/tomtom_hits.tsv",
        jaspar=JASPAR_DB,
    output:
        png=report(
            "results/{tf}/dashboard.png",
            caption="../report/dashboard.rst",
            category="Dashboards",
            labels={"TF": "{tf}", "format": "PNG"},
        ),
        svg=report(
            "results/{tf}/dashboard.svg",
            caption="../report/dashboard.rst",
            category="Dashboards",
            labels={"TF": "{tf}", "format": "SVG"},
        ),
    log:
        "logs/dashboard/{tf}.log",
    group:
        "motifs"
    conda:
        "../../envs/deepmotif.yaml"
    params:
        settings=settings("motifs"),
    shell:
        "deepmotif dashboard --set {params.settings:q} --tf {wildcards.tf:q} --data {input.data}"
        " --models {input.models} --interpret {input.methods} --motifs {input.motifs}"
        " --filters {input.filters} --matches {input.matches} --hits {input.hits} --jaspar {input.jaspar}"
        " --png {output.png} --svg {output.svg} 2> {log}"


rule html_report:
    input:
        auroc="results/tables/auroc.tsv",
        comparison="results/tables/model_comparison.tsv",
        performance="results/figures/test_auroc.png",
        matches="results/tables/motif_matches.tsv",
        motifs="results/tables/motifs.tsv",
        cwm=expand("results/{tf}/{arch}/cwm.npz", tf=TFS, arch=ARCHS),
        dashboards=expand("results/{tf}/dashboard.png", tf=TFS),
        jaspar=JASPAR_DB,
        groundtruth=GROUNDTRUTH_TABLES,
        deepresolve=DEEPRESOLVE_TABLES[:1],
        deepresolve_figures=expand(
            "results/{tf}/{arch}/deepresolve.png", tf=TFS, arch=RESOLVE_ARCHS
        ),
        grammar=GRAMMAR_TABLES,
        grammar_figures=expand(
            "results/{tf}/{arch}/pairs.png", tf=GRAMMAR_TFS, arch=GRAMMAR_ARCHS
        ),
        sheet=config["tfs"],
    output:
        report(
            directory("results/report"),
            caption="../report/report.rst",
            category="Report",
            htmlindex="index.html",
        ),
    log:
        "logs/html_report.log",
    conda:
        "../../envs/deepmotif.yaml"
    params:
        settings=settings(
            "jaspar", "match", "data", "models", "train", "interpret", "motifs"
        ),
        deepresolve=lambda wildcards, input: (
            f"--deepresolve-table {input.deepresolve} --deepresolve-figures"
            f" {input.deepresolve_figures}"
            if input.deepresolve
            else ""
        ),
    shell:
        "deepmotif report --set {params.settings:q} --auroc {input.auroc} --matches {input.matches}"
        " --motif-table {input.motifs} --cwm {input.cwm} --dashboards {input.dashboards} --jaspar {input.jaspar}"
        " --comparison {input.comparison} --performance-figure {input.performance}"
        " --groundtruth {input.groundtruth} {params.deepresolve} --grammar-tables {input.grammar}"
        " --grammar-figures {input.grammar_figures} --sheet {input.sheet} --out {output}"
        " 2> {log}"
