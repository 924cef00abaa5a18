"""The one table of interpretation methods: what config ``interpret.methods`` may name, what each computes
into ``interpret.npz``, the motif views it yields (with their labels in tables, dashboards and the report) and
which architectures it needs. Every other module reads this table.

No torch at import: the match and report stages read the table too. Adding a method: its module in
``deepmotif/interpret/`` (a function of a model and (N, 4, L) one-hot sequences), one :class:`Method`
entry below with a ``compute`` adapter, its settings in ``deepmotif.config.DEFAULTS["interpret"]`` and the
schema (whose method enum a test holds to this table), and, for a per-position map, how the motifs stage
reads its arrays (``deepmotif.motifs.method_maps``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Method:
    """One interpretation method.

    Attributes
    ----------
    name : str
        Its name in config ``interpret.methods``.
    views : tuple of (str, str)
        The motif views it yields (``method`` of the motif tables) and their labels, in table order.
    needs_conv : bool
        Only for models with a convolutional first layer (skipped for the ``rnn`` architecture).
    per_position : bool
        Its views are per-sequence, per-position maps that motif discovery reads (class optimisation's one
        optimised input and the first-layer filters are not).
    in_motifs_file : bool
        Its motifs are written by the motifs stage (``motifs.meme``); the first-layer filters' are the
        interpret job's own ``filters.meme``.
    per_task : bool
        An attribution map that ``interpret.per_task`` also computes of each task's own logit, on that
        task's positives, for multi-task models (:func:`deepmotif.interpret.task_maps`).
    compute : callable or None
        ``compute(model, X, settings, device)`` → the arrays it adds to ``interpret.npz``; ``settings`` is the
        whole ``interpret`` section (defaults filled in). None for saliency, which the interpret job saves in
        its own file.
    """

    name: str
    views: tuple[tuple[str, str], ...]
    needs_conv: bool = False
    per_position: bool = True
    in_motifs_file: bool = True
    per_task: bool = False
    compute: Callable[..., dict[str, np.ndarray]] | None = None


def _temporal(model, X, settings, device):
    from deepmotif.interpret.temporal import temporal_scores

    batch = int(settings["batch_size"])
    return {f"temporal_{d}": temporal_scores(model, X, d, batch_size=batch, device=device)
            for d in ("forward", "backward")}


def _ism(model, X, settings, device):
    from deepmotif.interpret.ism import ism

    return {"ism": ism(model, X, batch_size=int(settings["ism"]["batch_size"]), device=device)}


def _deeplift(model, X, settings, device):
    from deepmotif.interpret.attribution import deep_lift_shap

    d = settings["deeplift"]
    return {"deeplift": deep_lift_shap(model, X, n_shuffles=int(d["n_shuffles"]), batch_size=int(d["batch_size"]),
                                       device=device)}


def _ig(model, X, settings, device):
    from deepmotif.interpret.attribution import integrated_gradients

    g = settings["ig"]
    return {"ig": integrated_gradients(model, X, n_shuffles=int(g["n_shuffles"]), n_steps=int(g["n_steps"]),
                                       batch_size=int(g["batch_size"]), device=device)}


def _convact(model, X, settings, device):
    from deepmotif.interpret.filters import conv_activation_windows, first_kernel

    # windows of the filter's own width k; the motifs stage re-centres them to motifs.width
    k = first_kernel(model)
    return {"convact_start": conv_activation_windows(model, X, k, batch_size=int(settings["batch_size"]),
                                                     device=device),
            "convact_kernel": np.asarray(k)}


def _classopt(model, X, settings, device):
    from deepmotif.interpret.class_optimization import class_optimize, optimised_sequences
    from deepmotif.interpret.ism import ism

    c = settings["classopt"]
    pwms, trace = class_optimize(model, X.shape[2], n_restarts=int(c["restarts"]), steps=int(c["steps"]),
                                 lr=float(c["lr"]), l2=float(c["l2"]), mode=c["mode"], seed=int(c["seed"]),
                                 device=device)
    # the motif the optimised sequences share is discovered on their ISM (deepmotif.motifs.extract_motifs)
    optima = optimised_sequences(pwms)
    return {"classopt_pwm": pwms[0], "classopt_trace": trace, "classopt_optima": optima,
            "classopt_ism": ism(model, optima, batch_size=int(settings["ism"]["batch_size"]), device=device)}


def _filters(model, X, settings, device):
    from deepmotif.interpret.filters import filter_motifs, first_kernel

    f = settings["filters"]
    motifs = filter_motifs(model, X, threshold=float(f["threshold"]), min_sites=int(f["min_sites"]),
                           batch_size=int(settings["batch_size"]), device=device)
    return {"filters_pwm": np.stack([m.pwm for m in motifs]) if motifs else np.zeros((0, 4, first_kernel(model))),
            "filters_index": np.array([int(m.id.rsplit("filter", 1)[1]) for m in motifs], dtype=np.int64),
            "filters_nsites": np.array([m.nsites for m in motifs], dtype=np.int64)}


#: every method, in the order of the motif tables' rows (and of computing them)
REGISTRY: dict[str, Method] = {m.name: m for m in (
    Method("saliency", (("saliency", "saliency"),), per_task=True),
    Method("temporal", (("temporal_fwd", "temporal fwd"), ("temporal_bwd", "temporal bwd")), compute=_temporal),
    Method("ism", (("ism", "ISM"),), per_task=True, compute=_ism),
    Method("deeplift", (("deeplift", "DeepLIFT-SHAP"),), per_task=True, compute=_deeplift),
    Method("ig", (("ig", "integrated gradients"),), per_task=True, compute=_ig),
    Method("convact", (("convact", "conv. activation"),), needs_conv=True, compute=_convact),
    Method("classopt", (("classopt", "class optimisation"),), per_position=False, compute=_classopt),
    Method("filters", (("filters", "best filter"),), needs_conv=True, per_position=False, in_motifs_file=False,
           compute=_filters),
)}

#: every name `interpret.methods` may list
METHODS = tuple(REGISTRY)
#: methods that need a convolutional first layer
CONV_METHODS = tuple(name for name, m in REGISTRY.items() if m.needs_conv)
#: view → its label, in table order
VIEW_LABELS = {view: label for m in REGISTRY.values() for view, label in m.views}
#: the per-position views motif discovery reads, in table order
MAP_VIEWS = tuple(view for m in REGISTRY.values() if m.per_position for view, _ in m.views)
#: the methods whose maps `interpret.per_task` computes per task of a multi-task model, in table order
TASK_METHODS = tuple(name for name, m in REGISTRY.items() if m.per_task)
#: the views whose motifs the motifs stage writes, in table order
MOTIF_VIEWS = tuple(view for m in REGISTRY.values() if m.in_motifs_file for view, _ in m.views)
