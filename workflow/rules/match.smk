# Match stage: every extracted motif against JASPAR with Tomtom → results/tables/motif_matches.tsv.


rule jaspar_db:
    output:
        JASPAR_DB,
    log:
        "logs/jaspar_db.log",
    conda:
        "../../envs/deepmotif.yaml"
    params:
        release=config["jaspar"]["release"],
        tax=config["jaspar"]["tax_group"],
    shell:
        "deepmotif jaspar --release {params.release} --tax-group {params.tax} --out {output} 2> {log}"


rule match:
    input:
        motifs=expand("results/{tf}/{arch}/motifs.meme", tf=TFS, arch=ARCHS),
        jaspar=JASPAR_DB,
    output:
        hits="results/tables/tomtom_hits.tsv",
        table=report(
            "results/tables/motif_matches.tsv",
            caption="../report/motif_matches.rst",
            category="Motifs",
        ),
    log:
        "logs/match.log",
    conda:
        "../../envs/deepmotif.yaml"
    params:
        settings=settings("jaspar", "match"),
    shell:
        "deepmotif match --set {params.settings:q} --motifs {input.motifs} --jaspar {input.jaspar}"
        " --hits {output.hits} --out {output.table} 2> {log}"


rule motif_table:
    default_target: False
    input:
        "results/tables/motif_matches.tsv",
