# Motifs stage: every per-position view (saliency, temporal rise, ISM, DeepLIFT-SHAP, IG, conv activation) →
# its discovered motifs (seqlets clustered into 0…K motifs, ids TF.arch.method.mN, trimmed PFMs in MEME
# format; motifs.tsv: seqlets, support, mean attribution; cwm.npz: contribution-weighted matrices), the
# class-optimised input's core (TF.arch.classopt), and the paper's one aggregate window per view
# (windows.npz, for the match stage's window_match_fraction). First-layer filter PWMs of the
# convolutional architectures go to their own MEME file (ids TF.arch.filterN).


rule motifs:
    input:
        data="results/{tf}/data.npz",
        saliency="results/{tf}/{arch}/saliency.npz",
        methods="results/{tf}/{arch}/interpret.npz",
    output:
        meme="results/{tf}/{arch}/motifs.meme",
        windows="results/{tf}/{arch}/windows.npz",
        info="results/{tf}/{arch}/motifs.tsv",
        cwm="results/{tf}/{arch}/cwm.npz",
    log:
        "logs/motifs/{tf}_{arch}.log",
    group:
        "motifs"
    conda:
        "../../envs/deepmotif.yaml"
    params:
        settings=settings("motifs"),
    shell:
        "deepmotif motifs --set {params.settings:q} --tf {wildcards.tf:q} --arch {wildcards.arch}"
        " --data {input.data} --saliency {input.saliency} --interpret {input.methods}"
        " --out {output.meme} --windows {output.windows} --info {output.info} --cwm {output.cwm}"
        " 2> {log}"


rule filter_motifs:
    input:
        "results/{tf}/{arch}/interpret.npz",
    output:
        "results/{tf}/{arch}/filters.meme",
    log:
        "logs/filter_motifs/{tf}_{arch}.log",
    wildcard_constraints:
        arch=name_pattern(CONV_ARCHS),
    group:
        "motifs"
    conda:
        "../../envs/deepmotif.yaml"
    shell:
        "deepmotif filter-motifs --tf {wildcards.tf:q} --arch {wildcards.arch} --interpret {input}"
        " --out {output} 2> {log}"
