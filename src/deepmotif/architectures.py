"""The one table of model architectures: the names config ``architectures`` (and a variant's ``arch``) may
take, their labels in tables and figures, the class in :mod:`deepmotif.models` that builds each, and
whether its first layer is a convolution (first-layer filters and conv activations apply). No torch at
import: the config checks, the workflow and the report read it too; the schema's enum is held to it by a
test. A named variant (``models: {cnn_exp: {arch: cnn, ...}}``) is no entry here: it is one of these with
other settings.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Architecture:
    """One model architecture: ``name`` (config), ``label`` (figures, report), ``model_class`` (its class in
    :mod:`deepmotif.models`) and ``conv_first`` (a convolutional first layer)."""

    name: str
    label: str
    model_class: str
    conv_first: bool


REGISTRY: dict[str, Architecture] = {a.name: a for a in (
    Architecture("cnn", "CNN", "CNN", conv_first=True),
    Architecture("rnn", "RNN", "RNN", conv_first=False),
    Architecture("cnnrnn", "CNN-RNN", "CNNRNN", conv_first=True),
)}

#: every architecture name, in the order tables and figures list them
ARCHITECTURES = tuple(REGISTRY)
#: the architectures with a convolutional first layer
CONV_ARCHITECTURES = tuple(name for name, a in REGISTRY.items() if a.conv_first)
#: name → label
ARCH_LABELS = {name: a.label for name, a in REGISTRY.items()}
