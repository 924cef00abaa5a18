# Evaluate stage: JASPAR PWM scan baseline per TF, the AUROC/AUPR table of every TF × architecture, and
# paired tests of every pair of architectures over the TFs.


rule pwm_baseline:
    input:
        "results/{tf}/data.npz",
    output:
        "results/{tf}/pwm/metrics.json",
    log:
        "logs/pwm_baseline/{tf}.log",
    group:
        "data"
    conda:
        "../../envs/deepmotif.yaml"
    params:
        settings=settings("jaspar"),
        row=tf_row,
    shell:
        "deepmotif evaluate --set {params.settings:q} --tf {wildcards.tf:q} --data {input} --out {output} 2> {log}"


rule auroc_table:
    input:
        expand("results/{tf}/{arch}/metrics.json", tf=TFS, arch=ARCHS + ["pwm"]),
    output:
        report(
            "results/tables/auroc.tsv",
            caption="../report/auroc.rst",
            category="Performance",
        ),
    log:
        "logs/auroc_table.log",
    conda:
        "../../envs/deepmotif.yaml"
    shell:
        "deepmotif auroc-table --metrics {input} --out {output} 2> {log}"


rule model_comparison:
    input:
        "results/tables/auroc.tsv",
    output:
        table=report(
            "results/tables/model_comparison.tsv",
            caption="../report/model_comparison.rst",
            category="Performance",
        ),
        png=report(
            "results/figures/test_auroc.png",
            caption="../report/test_auroc.rst",
            category="Performance",
            subcategory="Figures",
            labels={"figure": "test AUROC per architecture", "format": "PNG"},
        ),
        svg=report(
            "results/figures/test_auroc.svg",
            caption="../report/test_auroc.rst",
            category="Performance",
            subcategory="Figures",
            labels={"figure": "test AUROC per architecture", "format": "SVG"},
        ),
    log:
        "logs/model_comparison.log",
    conda:
        "../../envs/deepmotif.yaml"
    params:
        models=ARCHS + ["pwm"],
    shell:
        "deepmotif compare --auroc {input} --models {params.models} --out {output.table}"
        " --png {output.png} --svg {output.svg} 2> {log}"
