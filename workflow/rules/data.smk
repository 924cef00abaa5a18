# Data stage: one TF row → results/<tf>/data.npz (train/valid/test one-hot sets).
# encode rows: the genome (fetch_genome → genome_fasta) and the TF's narrowPeak file (fetch_peaks) are
# downloaded first, then prepare_encode cuts summit windows and writes results/<tf>/qc.json as well;
# encode_multi rows (prepare_encode too) unite the windows of the encode rows their `tasks` column names.


rule prepare:
    input:
        tf_inputs,
    output:
        "results/{tf}/data.npz",
    log:
        "logs/prepare/{tf}.log",
    wildcard_constraints:
        tf=name_pattern(OTHER_TFS),
    group:
        "data"
    conda:
        "../../envs/deepmotif.yaml"
    params:
        settings=data_settings(encode=False),
        row=tf_row,
    shell:
        "deepmotif prepare --set {params.settings:q} --tf {wildcards.tf:q} --row {params.row:q}"
        " --out {output} 2> {log}"


rule prepare_encode:
    input:
        unpack(encode_inputs),
    output:
        data="results/{tf}/data.npz",
        qc="results/{tf}/qc.json",
    log:
        "logs/prepare/{tf}.log",
    wildcard_constraints:
        tf=name_pattern(ENCODE_TFS + MULTI_TFS),
    group:
        "data"
    conda:
        "../../envs/deepmotif.yaml"
    params:
        settings=data_settings(encode=True),
        row=tf_row,
        blacklist=lambda wildcards, input: (
            f"--blacklist {input.blacklist}" if BLACKLIST else ""
        ),
    shell:
        "deepmotif prepare --set {params.settings:q} --tf {wildcards.tf:q} --row {params.row:q}"
        " --genome {input.genome}"
        " --sizes {input.sizes} --peaks {input.peaks} {params.blacklist} --out {output.data}"
        " --qc {output.qc} 2> {log}"


rule fetch_genome:
    output:
        gz=GENOME["fa.gz"],
        checksum=GENOME["fa.gz.sha256"],
    log:
        "logs/fetch/genome.log",
    conda:
        "../../envs/deepmotif.yaml"
    resources:
        download=DOWNLOAD_OPTIONS,
    params:
        args=fetch_args(config["genome"]["url"], config["genome"]["checksum"]),
    shell:
        "deepmotif fetch {params.args} {resources.download} --gzip --out {output.gz} 2> {log}"


rule genome_fasta:
    input:
        GENOME["fa.gz"],
    output:
        fa=GENOME["fa"],
        fai=GENOME["fa.fai"],
        sizes=GENOME["chrom.sizes"],
    log:
        "logs/fetch/genome_fasta.log",
    conda:
        "../../envs/deepmotif.yaml"
    params:
        chromosomes=genome_chromosome_args(),
    shell:
        "deepmotif genome --in {input} --out {output.fa} --sizes {output.sizes} {params.chromosomes}"
        " 2> {log}"


rule fetch_peaks:
    output:
        gz="resources/peaks/{tf}.narrowPeak.gz",
        checksum="resources/peaks/{tf}.narrowPeak.gz.sha256",
    log:
        "logs/fetch/peaks_{tf}.log",
    wildcard_constraints:
        tf=name_pattern(ENCODE_TFS),
    conda:
        "../../envs/deepmotif.yaml"
    resources:
        download=DOWNLOAD_OPTIONS,
    params:
        args=peaks_fetch_args,
    shell:
        "deepmotif fetch {params.args} {resources.download} --gzip --out {output.gz} 2> {log}"


rule fetch_blacklist:
    output:
        gz=GENOME["blacklist.bed.gz"],
        checksum=GENOME["blacklist.bed.gz.sha256"],
    log:
        "logs/fetch/blacklist.log",
    conda:
        "../../envs/deepmotif.yaml"
    resources:
        download=DOWNLOAD_OPTIONS,
    params:
        args=fetch_args(
            config["data"]["windows"]["blacklist"] or [],
            config["data"]["windows"]["blacklist_checksum"],
        ),
    shell:
        "deepmotif fetch {params.args} {resources.download} --gzip --out {output.gz} 2> {log}"
