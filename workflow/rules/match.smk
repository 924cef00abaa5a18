# Match stage: each TF's motifs (and filter motifs) against JASPAR with Tomtom → results/<tf>/motif_matches.tsv
# (one job per TF: adding a TF matches only its motifs), collected into results/tables/motif_matches.tsv.


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
        motifs=expand("results/{{tf}}/{arch}/motifs.meme", arch=ARCHS),
        filters=expand("results/{{tf}}/{arch}/filters.meme", arch=FILTER_ARCHS),
        windows=expand("results/{{tf}}/{arch}/windows.npz", arch=ARCHS),
        data="results/{tf}/data.npz",
        jaspar=JASPAR_DB,
    output:
        hits="results/{tf}/tomtom_hits.tsv",
        table="results/{tf}/motif_matches.tsv",
    log:
        "logs/match/{tf}.log",
    conda:
        "../../envs/deepmotif.yaml"
    params:
        settings=settings("jaspar", "match"),
        row=tf_row,
    shell:
        "deepmotif match --set {params.settings:q} --motifs {input.motifs} {input.filters}"
        " --windows {input.windows} --data {input.data} --jaspar {input.jaspar}"
        " --hits {output.hits} --out {output.table} 2> {log}"


rule motif_table:
    input:
        tables=expand("results/{tf}/motif_matches.tsv", tf=TFS),
        hits=expand("results/{tf}/tomtom_hits.tsv", tf=TFS),
    output:
        hits="results/tables/tomtom_hits.tsv",
        table=report(
            "results/tables/motif_matches.tsv",
            caption="../report/motif_matches.rst",
            category="Motifs",
        ),
    log:
        "logs/motif_table.log",
    conda:
        "../../envs/deepmotif.yaml"
    shell:
        "(deepmotif concat-tables --tables {input.tables} --out {output.table}"
        " && deepmotif concat-tables --tables {input.hits} --out {output.hits}) 2> {log}"
