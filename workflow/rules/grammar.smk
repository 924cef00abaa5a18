# Grammar stage (config grammar.enabled): what each model's motifs do. Per TF × architecture one job (rule
# grammar) reads the motifs/match outputs and the model: every instance of each distinct discovered motif in
# the test sequences, used or ignored by the model (instances.tsv, per motif instance_summary.tsv:
# enrichment in positives, centrality); each motif's effect by global importance analysis, the TF's own
# JASPAR matrix as reference (effects.tsv); motif pairs over spacing × orientation (pairs.tsv, verdicts in
# pair_verdicts.tsv, heat maps pairs.png). encode TFs also get instances.bed in genome coordinates.
GRAMMAR_TFS = TFS if config["grammar"]["enabled"] else []
GRAMMAR_ARCHS = [
    arch for arch in ARCHS if arch in (config["grammar"]["architectures"] or ARCHS)
]
GRAMMAR_OUTPUTS = ("instance_summary", "effects", "pair_verdicts")
GRAMMAR_TABLES = (
    expand("results/tables/{table}.tsv", table=GRAMMAR_OUTPUTS) if GRAMMAR_TFS else []
)
GRAMMAR_BEDS = expand(
    "results/{tf}/{arch}/instances.bed",
    tf=[tf for tf in GRAMMAR_TFS if tf in ENCODE_TFS + MULTI_TFS],
    arch=GRAMMAR_ARCHS,
)


rule grammar:
    input:
        data="results/{tf}/data.npz",
        model="results/{tf}/{arch}/best.pt",
        motifs="results/{tf}/{arch}/motifs.meme",
        table="results/{tf}/motifs.tsv",
        jaspar=JASPAR_DB,
    output:
        instances="results/{tf}/{arch}/instances.tsv",
        summary="results/{tf}/{arch}/instance_summary.tsv",
        effects="results/{tf}/{arch}/effects.tsv",
        pairs="results/{tf}/{arch}/pairs.tsv",
        verdicts="results/{tf}/{arch}/pair_verdicts.tsv",
        heat_map=report(
            "results/{tf}/{arch}/pairs.png",
            caption="../report/pairs.rst",
            category="Grammar",
            labels={"TF": "{tf}", "architecture": "{arch}"},
        ),
    log:
        "logs/grammar/{tf}_{arch}.log",
    wildcard_constraints:
        tf=name_pattern(GRAMMAR_TFS),
        arch=name_pattern(GRAMMAR_ARCHS),
    conda:
        "../../envs/deepmotif.yaml"
    threads: config["interpret"]["threads"]
    resources:
        **gpu_resources("interpret"),
    params:
        # of train, only the device; of match, the significance of a name (the motif table is an input)
        settings=settings(
            "grammar",
            train={"device": config["train"]["device"]},
            match={"significance": config["match"]["significance"]},
        ),
    shell:
        "deepmotif grammar --set {params.settings:q} --tf {wildcards.tf:q} --arch {wildcards.arch}"
        " --data {input.data} --model {input.model} --motifs {input.motifs} --motif-table {input.table}"
        " --jaspar {input.jaspar} --instances {output.instances} --summary {output.summary}"
        " --effects {output.effects} --pairs {output.pairs} --verdicts {output.verdicts}"
        " --heat-map {output.heat_map} --threads {threads} 2> {log}"


rule instances_bed:
    input:
        instances="results/{tf}/{arch}/instances.tsv",
        data="results/{tf}/data.npz",
    output:
        "results/{tf}/{arch}/instances.bed",
    log:
        "logs/instances_bed/{tf}_{arch}.log",
    group:
        "motifs"
    conda:
        "../../envs/deepmotif.yaml"
    params:
        split=config["grammar"]["split"],
    shell:
        "deepmotif instances-bed --instances {input.instances} --data {input.data} --split {params.split}"
        " --out {output} 2> {log}"


rule grammar_table:
    input:
        summary=expand(
            "results/{tf}/{arch}/instance_summary.tsv",
            tf=GRAMMAR_TFS,
            arch=GRAMMAR_ARCHS,
        ),
        effects=expand(
            "results/{tf}/{arch}/effects.tsv", tf=GRAMMAR_TFS, arch=GRAMMAR_ARCHS
        ),
        verdicts=expand(
            "results/{tf}/{arch}/pair_verdicts.tsv", tf=GRAMMAR_TFS, arch=GRAMMAR_ARCHS
        ),
    output:
        summary=report(
            "results/tables/instance_summary.tsv",
            caption="../report/grammar.rst",
            category="Grammar",
        ),
        effects=report(
            "results/tables/effects.tsv",
            caption="../report/grammar.rst",
            category="Grammar",
        ),
        verdicts=report(
            "results/tables/pair_verdicts.tsv",
            caption="../report/grammar.rst",
            category="Grammar",
        ),
    log:
        "logs/grammar_table.log",
    conda:
        "../../envs/deepmotif.yaml"
    shell:
        "(deepmotif concat-tables --tables {input.summary} --out {output.summary}"
        " && deepmotif concat-tables --tables {input.effects} --out {output.effects}"
        " && deepmotif concat-tables --tables {input.verdicts} --out {output.verdicts}) 2> {log}"
