"""The interpret stage: attribution maps of trained models, all shaped like their (N, 4, L) input."""

from deepmotif.interpret.saliency import saliency

__all__ = ["saliency"]
