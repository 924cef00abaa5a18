"""deepmotif: what sequence patterns does a trained network use to call TF binding?

A re-creation of the Deep Motif Dashboard (Lanchantin et al., PSB 2017) as a library plus a Snakemake
workflow. Sequences are one-hot tensors shaped (N, 4, L) in A/C/G/T order everywhere.
"""

__version__ = "0.1.0"
ALPHABET = "ACGT"
