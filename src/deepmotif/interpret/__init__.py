"""The interpret stage: attribution maps of trained models, all shaped like their (N, 4, L) input, and the
other views of the Deep Motif Dashboard (temporal output scores, class optimisation, ISM, first-layer filters).

:func:`compute_methods` runs the configured methods (config ``interpret.methods``) on one model and its
top-scoring test positives; the workflow's interpret job saves the result as ``interpret.npz``.
"""

from __future__ import annotations

import numpy as np

from deepmotif.interpret.saliency import saliency

#: every method `interpret.methods` may list, in the order they are computed
METHODS = ("saliency", "temporal", "classopt", "ism", "convact", "filters", "deeplift", "ig")
#: methods that need a convolutional first layer (skipped for the rnn architecture)
CONV_METHODS = ("convact", "filters")

__all__ = ["saliency", "compute_methods", "has_conv", "METHODS", "CONV_METHODS"]


def has_conv(arch) -> bool:
    """Whether an architecture (a base name ``cnn``/``rnn``/``cnnrnn``, or a model, which also covers named
    variants such as ``cnn_exp``) has a convolutional first layer (filters / conv activation apply)."""
    from deepmotif.models import CNN, CNNRNN

    if isinstance(arch, str):
        return arch in ("cnn", "cnnrnn")
    return isinstance(arch, (CNN, CNNRNN))


def compute_methods(model, arch: str, X: np.ndarray, cfg: dict, device=None, log=None) -> dict[str, np.ndarray]:
    """Run the methods of ``cfg["methods"]`` (except saliency, saved on its own) on ``X``.

    Parameters
    ----------
    model : torch.nn.Module
        Trained model in eval mode.
    arch : str
        Its architecture's name (``cnn``, ``rnn``, ``cnnrnn`` or a named variant); the conv-only methods are
        skipped for models without a convolutional first layer (the ``rnn`` class).
    X : numpy.ndarray
        (N, 4, L) one-hot of the sequences to explain (the top-scoring test positives).
    cfg : dict
        The ``interpret`` config section; keys it leaves out take ``deepmotif.config.DEFAULTS["interpret"]``.
    device : torch.device, optional
        Default: the model's.
    log : callable, optional
        Called with one progress line per method.

    Returns
    -------
    dict of numpy.ndarray
        ``temporal_forward`` / ``temporal_backward`` (N, L) probabilities of every prefix / suffix;
        ``classopt_pwm`` (4, L), ``classopt_trace`` (restarts, steps + 1) and ``classopt_ism`` (1, 4, L), the ISM
        logit changes of the optimised input's consensus sequence; ``ism`` (N, 4, L) logit changes;
        ``convact_start`` (N,) start of each sequence's most activating first-layer window (width
        ``convact_kernel``, the filter width);
        ``filters_pwm`` (F, 4, k), ``filters_index`` (F,) and ``filters_nsites`` (F,); ``deeplift`` and ``ig``
        (N, 4, L) attribution x input. Only the keys of the methods that ran; ``methods`` lists them.
    """
    import time

    from deepmotif.config import DEFAULTS, merge

    cfg = merge(DEFAULTS["interpret"], cfg)  # settings left out: the defaults
    methods = [m for m in cfg["methods"] if m != "saliency"]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown interpret method(s) {', '.join(unknown)}; choose from {', '.join(METHODS)}")
    batch = int(cfg["batch_size"])
    ism_batch = int(cfg["ism"]["batch_size"])  # ISM of the explained sequences and of classopt
    out: dict[str, np.ndarray] = {}
    done = []
    for method in METHODS:
        if method not in methods:
            continue
        if method in CONV_METHODS and not has_conv(model):
            continue
        start = time.perf_counter()
        if method == "temporal":
            from deepmotif.interpret.temporal import temporal_scores

            out["temporal_forward"] = temporal_scores(model, X, "forward", batch_size=batch, device=device)
            out["temporal_backward"] = temporal_scores(model, X, "backward", batch_size=batch, device=device)
        elif method == "classopt":
            from deepmotif.interpret.class_optimization import class_optimize

            c = cfg["classopt"]
            pwm, trace = class_optimize(model, X.shape[2], n_restarts=int(c["restarts"]), steps=int(c["steps"]),
                                        lr=float(c["lr"]), l2=float(c["l2"]), mode=c["mode"], seed=int(c["seed"]),
                                        device=device)
            out["classopt_pwm"], out["classopt_trace"] = pwm, trace
            # which positions of the optimised input the model relies on: ISM of its consensus sequence (the
            # motifs stage keeps that part of the input as the class-optimised motif)
            from deepmotif.interpret.ism import ism

            consensus = np.eye(4, dtype=np.float32)[:, np.argmax(pwm, axis=0)][None]
            out["classopt_ism"] = ism(model, consensus, batch_size=ism_batch, device=device)
        elif method == "ism":
            from deepmotif.interpret.ism import ism

            out["ism"] = ism(model, X, batch_size=ism_batch, device=device)
        elif method == "convact":
            from deepmotif.interpret.filters import conv_activation_windows

            # windows of the filter's own width k; the motifs stage re-centres them to motifs.width
            k = model_first_kernel(model)
            out["convact_start"] = conv_activation_windows(model, X, k, batch_size=batch, device=device)
            out["convact_kernel"] = np.asarray(k)
        elif method == "filters":
            from deepmotif.interpret.filters import filter_motifs

            f = cfg["filters"]
            motifs = filter_motifs(model, X, threshold=float(f["threshold"]), min_sites=int(f["min_sites"]),
                                   batch_size=batch, device=device)
            k = model_first_kernel(model)
            out["filters_pwm"] = (np.stack([m.pwm for m in motifs]) if motifs else np.zeros((0, 4, k)))
            out["filters_index"] = np.array([int(m.id.rsplit("filter", 1)[1]) for m in motifs], dtype=np.int64)
            out["filters_nsites"] = np.array([m.nsites for m in motifs], dtype=np.int64)
        elif method == "deeplift":
            from deepmotif.interpret.attribution import deep_lift_shap

            d = cfg["deeplift"]
            out["deeplift"] = deep_lift_shap(model, X, n_shuffles=int(d["n_shuffles"]), batch_size=int(d["batch_size"]),
                                             device=device)
        elif method == "ig":
            from deepmotif.interpret.attribution import integrated_gradients

            g = cfg["ig"]
            out["ig"] = integrated_gradients(model, X, n_shuffles=int(g["n_shuffles"]), n_steps=int(g["n_steps"]),
                                             batch_size=int(g["batch_size"]), device=device)
        done.append(method)
        if log:
            log(f"{method}: {time.perf_counter() - start:.1f} s")
    out["methods"] = np.asarray(done, dtype=str)
    return out


def model_first_kernel(model) -> int:
    """Width of the first convolution of a CNN / CNN-RNN."""
    from deepmotif.interpret.filters import _first_layer

    return int(_first_layer(model)[0].kernel_size[0])
