# Data stage: one TF row → results/<tf>/data.npz (train/valid/test one-hot sets).


rule prepare:
    input:
        tf_inputs,
    output:
        "results/{tf}/data.npz",
    params:
        settings=settings("data", "jaspar"),
        row=tf_row,
    log:
        "logs/prepare/{tf}.log",
    conda:
        "../../envs/deepmotif.yaml"
    shell:
        "deepmotif prepare --set {params.settings:q} --tf {wildcards.tf:q} --out {output} 2> {log}"
