# Match stage: each TF's motifs (and filter motifs), trimmed to their informative cores, against JASPAR with
# Tomtom (uninformative cores are "no motif", never matched; a long target cannot win on a partial overlap)
# → results/<tf>/motifs.tsv (one row per motif, its top 3 hits and verdicts) and motif_matches.tsv (one row
# per TF × architecture × method); one job per TF, collected into results/tables/.


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
        info=expand("results/{{tf}}/{arch}/motifs.tsv", arch=ARCHS),
        data="results/{tf}/data.npz",
        jaspar=JASPAR_DB,
    output:
        hits="results/{tf}/tomtom_hits.tsv",
        motifs="results/{tf}/motifs.tsv",
        table="results/{tf}/motif_matches.tsv",
    log:
        "logs/match/{tf}.log",
    group:
        "motifs"
    conda:
        "../../envs/deepmotif.yaml"
    params:
        settings=settings("jaspar", "match", "motifs"),
        row=tf_row,
    shell:
        "deepmotif match --set {params.settings:q} --motifs {input.motifs} {input.filters}"
        " --windows {input.windows} --info {input.info} --data {input.data} --jaspar {input.jaspar}"
        " --hits {output.hits} --motif-table {output.motifs} --out {output.table} 2> {log}"


rule motif_table:
    input:
        tables=expand("results/{tf}/motif_matches.tsv", tf=TFS),
        motifs=expand("results/{tf}/motifs.tsv", tf=TFS),
        hits=expand("results/{tf}/tomtom_hits.tsv", tf=TFS),
    output:
        hits="results/tables/tomtom_hits.tsv",
        motifs=report(
            "results/tables/motifs.tsv",
            caption="../report/motifs.rst",
            category="Motifs",
        ),
        table=report(
            "results/tables/motif_matches.tsv",
            caption="../report/motif_matches.rst",
            category="Motifs",
        ),
    log:
        "logs/motif_table.log",
    conda:
        "../../envs/deepmotif.yaml"
    params:
        settings=settings("match"),
    shell:
        "(deepmotif motif-summary --set {params.settings:q} --tables {input.tables} --out {output.table}"
        " && deepmotif concat-tables --tables {input.motifs} --out {output.motifs}"
        " && deepmotif concat-tables --tables {input.hits} --out {output.hits}) 2> {log}"
