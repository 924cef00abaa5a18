# Motifs stage: every method's view → one PWM per method (ids TF.arch.method) in MEME format, plus each
# method's window starts (windows.npz, for the match stage's per-sequence measure); first-layer filter
# PWMs of the convolutional architectures go to their own MEME file (ids TF.arch.filterN).


rule motifs:
    input:
        data="results/{tf}/data.npz",
        saliency="results/{tf}/{arch}/saliency.npz",
        methods="results/{tf}/{arch}/interpret.npz",
    output:
        meme="results/{tf}/{arch}/motifs.meme",
        windows="results/{tf}/{arch}/windows.npz",
    log:
        "logs/motifs/{tf}_{arch}.log",
    conda:
        "../../envs/deepmotif.yaml"
    params:
        settings=settings("motifs"),
    shell:
        "deepmotif motifs --set {params.settings:q} --tf {wildcards.tf:q} --arch {wildcards.arch}"
        " --data {input.data} --saliency {input.saliency} --interpret {input.methods}"
        " --out {output.meme} --windows {output.windows} 2> {log}"


rule filter_motifs:
    input:
        "results/{tf}/{arch}/interpret.npz",
    output:
        "results/{tf}/{arch}/filters.meme",
    log:
        "logs/filter_motifs/{tf}_{arch}.log",
    wildcard_constraints:
        arch=name_pattern(CONV_ARCHS),
    conda:
        "../../envs/deepmotif.yaml"
    shell:
        "deepmotif filter-motifs --tf {wildcards.tf:q} --arch {wildcards.arch} --interpret {input}"
        " --out {output} 2> {log}"
