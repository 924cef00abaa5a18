# Report stage: one self-contained HTML page with tables and motif logos.


rule html_report:
    input:
        auroc="results/tables/auroc.tsv",
        matches="results/tables/motif_matches.tsv",
        motifs=expand("results/{tf}/{arch}/motifs.meme", tf=TFS, arch=ARCHS),
        jaspar=JASPAR_DB,
    output:
        report("results/report.html", caption="../report/report.rst", category="Report"),
    log:
        "logs/html_report.log",
    conda:
        "../../envs/deepmotif.yaml"
    params:
        settings=settings(
            "jaspar", "match", "data", "models", "train", "interpret", "motifs"
        ),
    shell:
        "deepmotif report --set {params.settings:q} --auroc {input.auroc} --matches {input.matches}"
        " --motifs {input.motifs} --jaspar {input.jaspar} --out {output} 2> {log}"
