"""The interpret stage: attribution maps of trained models, all shaped like their (N, 4, L) input, and the
other views of the Deep Motif Dashboard (temporal output scores, class optimisation, ISM, first-layer filters).

:func:`compute_methods` runs the configured methods (config ``interpret.methods``) on one model and its
top-scoring test positives; the workflow's interpret job saves the result as ``interpret.npz``.
"""

from __future__ import annotations

import numpy as np

from deepmotif.architectures import CONV_ARCHITECTURES
from deepmotif.methods import CONV_METHODS, METHODS, REGISTRY, TASK_METHODS
from deepmotif.interpret.saliency import saliency

__all__ = ["saliency", "compute_methods", "task_maps", "has_conv", "METHODS", "CONV_METHODS"]


def has_conv(arch) -> bool:
    """Whether an architecture (a base name ``cnn``/``rnn``/``cnnrnn``, or a model, which also covers named
    variants such as ``cnn_exp``) has a convolutional first layer (filters / conv activation apply)."""
    from deepmotif.models import model_classes

    if isinstance(arch, str):
        return arch in CONV_ARCHITECTURES
    return isinstance(arch, tuple(cls for name, cls in model_classes().items() if name in CONV_ARCHITECTURES))


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
        ``classopt_pwm`` (4, L) of the best restart, ``classopt_trace`` (restarts, steps + 1), ``classopt_optima``
        (restarts, 4, L) one-hot optimised sequences (best first) and ``classopt_ism`` (restarts, 4, L) their ISM
        logit changes; ``ism`` (N, 4, L) logit changes;
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
    out: dict[str, np.ndarray] = {}
    done = []
    for name, method in REGISTRY.items():
        if name not in methods or (method.needs_conv and not has_conv(model)):
            continue
        start = time.perf_counter()
        out.update(method.compute(model, X, cfg, device))
        done.append(name)
        if log:
            log(f"{name}: {time.perf_counter() - start:.1f} s")
    out["methods"] = np.asarray(done, dtype=str)
    return out


def task_maps(model, X: np.ndarray, task_labels: np.ndarray, cfg: dict, device=None, log=None
              ) -> dict[str, np.ndarray]:
    """Per-task attribution maps of a multi-task model (config ``interpret.per_task``): for every task, the
    maps of that task's own logit (:func:`deepmotif.models.explaining_task`) on the ``per_task.n_top``
    positives labelled for it that score highest on it. The any-task score explains every motif of a
    sequence in one map, where motifs that share a core (MAFK's MARE and FOSL1's TGASTCA) fall into one
    cluster; each task's own logit shows what tells that task's sites from the others (Koo & Ploenzke
    explain each class of their multi-task models).

    Parameters
    ----------
    model : torch.nn.Module
        Trained multi-task model (``tasks`` > 1) in eval mode.
    X : numpy.ndarray
        (N, 4, L) one-hot of the sequences to choose from (the interpret split).
    task_labels : numpy.ndarray
        (N, tasks) 0/1 labels of ``X`` (:func:`deepmotif.data.prepare.load_task_labels`).
    cfg : dict
        The ``interpret`` section (keys left out: the defaults); of ``methods`` the per-task ones
        (:data:`deepmotif.methods.TASK_METHODS`) run, saliency always.

    Returns
    -------
    dict of numpy.ndarray
        ``task_index`` (M,) rows of ``X`` explained, task after task; ``task_task`` (M,) the task each row
        explains; ``task_logits`` (M,) that task's logit; ``task_{method}`` (M, 4, L) per method (saliency:
        |gradient| x input; the others as :func:`compute_methods` stores them). Empty arrays when no task
        has a positive.
    """
    import time

    from deepmotif.config import DEFAULTS, merge
    from deepmotif.evaluate import predict
    from deepmotif.models import explaining_task

    cfg = merge(DEFAULTS["interpret"], cfg)
    n_top = int(cfg["per_task"]["n_top"])
    labels = np.asarray(task_labels) > 0
    if labels.ndim != 2 or labels.shape[0] != len(X):
        raise ValueError(f"task labels must be (N, tasks) for the {len(X)} sequences, got {labels.shape}")
    logits = predict(model, X, device=device, tasks=True)
    rows, tasks = [], []
    for k in range(labels.shape[1]):
        pos = np.flatnonzero(labels[:, k])
        pos = pos[np.argsort(-logits[pos, k], kind="stable")[:n_top]]
        rows.append(pos)
        tasks.append(np.full(len(pos), k, dtype=np.int64))
    index, task = np.concatenate(rows).astype(np.int64), np.concatenate(tasks)
    methods = [m for m in TASK_METHODS if m == "saliency" or m in cfg["methods"]]
    out = {"task_index": index, "task_task": task, "task_logits": logits[index, task].astype(np.float32)}
    parts: dict[str, list] = {m: [] for m in methods}
    for k in range(labels.shape[1]):
        Xk = X[index[task == k]]
        start = time.perf_counter()
        with explaining_task(model, k):
            for name in methods:
                if name == "saliency":
                    parts[name].append(saliency(model, Xk, batch_size=int(cfg["batch_size"]), device=device))
                else:
                    parts[name].append(REGISTRY[name].compute(model, Xk, cfg, device)[name])
        if log:
            log(f"task {k}: {len(Xk)} sequences, {', '.join(methods)}: {time.perf_counter() - start:.1f} s")
    for name in methods:
        out[f"task_{name}"] = (np.concatenate(parts[name]).astype(np.float32) if len(index)
                               else np.zeros((0, *X.shape[1:]), dtype=np.float32))
    return out


def write_interpretation(model_file, data_file, settings: dict, out, methods_out=None, device=None,
                         log=None) -> None:
    """The interpret stage of one trained model: its saliency maps, and (with ``methods_out``) every other
    configured method, of the ``settings["n_top"]`` best-scoring positives of ``settings["split"]``.

    ``out`` (``saliency.npz``) holds ``index`` (rows of the split), ``logits``, ``saliency`` (|gradient| x
    input) and ``saliency_corrected`` (|gradient - its mean over bases| x input, Majdandzic et al. 2023, which
    the ground-truth benchmark scores), ``arch`` and ``split``; ``methods_out`` (``interpret.npz``) the same
    index, logits, arch and split plus :func:`compute_methods`' arrays, and for a multi-task model with
    ``per_task.enabled`` the per-task maps of :func:`task_maps` (rows of the split, ``task_index``).
    ``settings`` is the ``interpret`` section (keys left out: the defaults); both files are written atomically.
    """
    from deepmotif.config import DEFAULTS, merge
    from deepmotif.data.prepare import load_explained_set
    from deepmotif.evaluate import predict
    from deepmotif.interpret.attribution import correct_gradients
    from deepmotif.interpret.saliency import input_gradients
    from deepmotif.io_utils import atomic_path
    from deepmotif.motifs import top_positives
    from deepmotif.train import load_model

    settings = merge(DEFAULTS["interpret"], settings)
    model, arch = load_model(model_file, device)
    split = settings["split"]
    X, y = load_explained_set(data_file, split)
    logits = predict(model, X, device=device)
    idx = top_positives(logits, y, int(settings["n_top"]))
    # one backward pass gives both maps
    grads = input_gradients(model, X[idx], batch_size=int(settings["batch_size"]), device=device)
    where = {"index": idx, "logits": logits[idx], "arch": np.asarray(arch), "split": np.asarray(split)}
    with atomic_path(out, suffix=".npz") as tmp:
        np.savez_compressed(tmp, **where, saliency=np.abs(grads) * X[idx],
                            saliency_corrected=np.abs(correct_gradients(grads)) * X[idx])
    if methods_out:
        arrays = compute_methods(model, arch, X[idx], settings, device=device,
                                 log=(lambda line: log(f"{arch} {line}")) if log else None)
        if settings["per_task"]["enabled"] and model.linear.out_features > 1:
            from deepmotif.data.prepare import EXPLAINED, load_task_labels

            labels = np.concatenate([load_task_labels(data_file, s) for s in EXPLAINED[split]])
            arrays.update(task_maps(model, X, labels, settings, device=device,
                                    log=(lambda line: log(f"{arch} {line}")) if log else None))
        with atomic_path(methods_out, suffix=".npz") as tmp:
            np.savez_compressed(tmp, **where, **arrays)
