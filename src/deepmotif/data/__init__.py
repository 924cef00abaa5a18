"""The data stage: reading, synthesising, shuffling and splitting sequences into (N, 4, L) one-hot sets.

Modules: ``onehot`` (encoding), ``readers`` (file formats), ``synthetic`` (planted motifs), ``shuffle``
(dinucleotide shuffle), ``split`` (leak-free splits), ``prepare`` (one TF row → one dataset file); for the
``encode`` source ``fetch`` (robust downloads), ``genome`` (indexed FASTA from a downloaded genome), ``peaks``
(narrowPeak reading), ``windows`` (summit windows, filters, extraction) and ``background`` (GC-matched
negatives).
"""
