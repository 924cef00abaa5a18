"""The data sources a TF sheet row can name, and the kinds they fall into: one registry that the config
check, the data stage, the JASPAR lookup and the workflow read (none of them imports another for it)."""

from __future__ import annotations

#: every source of the sheet's ``source`` column (config/README.md, "Sources")
SOURCES = ("synthetic", "synthetic_multi", "synthetic_logic", "deepbind", "deepmotif_fasta", "zeng", "fasta", "encode",
           "encode_multi")
#: sources read from the sheet's ``train`` / ``test`` files
FILE_SOURCES = ("deepbind", "deepmotif_fasta", "zeng", "fasta")
#: sources that plant JASPAR motifs at recorded positions (the truth is known base by base)
PLANTED_SOURCES = ("synthetic", "synthetic_multi", "synthetic_logic")
#: of them, those whose sheet row lists several motifs
MULTI_MOTIF_SOURCES = ("synthetic_multi", "synthetic_logic")
#: sources cut from the genome: one TF's peaks (encode) or the union of several encode rows' (encode_multi: its
#: `tasks` column names them; one output per TF for a multi-task model, DeepResolve's setting)
GENOME_SOURCES = ("encode", "encode_multi")
