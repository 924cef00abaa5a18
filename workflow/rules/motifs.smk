# Motifs stage: attribution maps → PWMs in MEME format.


rule motifs:
    input:
        data="results/{tf}/data.npz",
        saliency="results/{tf}/{arch}/saliency.npz",
    output:
        "results/{tf}/{arch}/motifs.meme",
    log:
        "logs/motifs/{tf}_{arch}.log",
    conda:
        "../../envs/deepmotif.yaml"
    params:
        settings=settings("motifs"),
    shell:
        "deepmotif motifs --set {params.settings:q} --tf {wildcards.tf:q} --arch {wildcards.arch}"
        " --data {input.data} --saliency {input.saliency} --out {output} 2> {log}"
