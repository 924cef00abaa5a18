# Evaluate stage: JASPAR PWM scan baseline per TF, and the AUROC/AUPR table of every TF × architecture.


rule pwm_baseline:
    input:
        "results/{tf}/data.npz",
    output:
        "results/{tf}/pwm/metrics.json",
    log:
        "logs/pwm_baseline/{tf}.log",
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
