"""Scoring: model predictions, AUROC/AUPR, and the JASPAR PWM max-log-odds scan baseline."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score


def predict(model, X: np.ndarray, batch_size: int = 512, device="cpu", tasks: bool = False) -> np.ndarray:
    """Positive-class logits of the torch ``model`` for (N, 4, L) ``X``, as a (N,) float64 array; with
    ``tasks``, the (N, tasks) logits of a multi-task model's outputs (:meth:`task_logits`)."""
    import torch  # here, not at the top: the PWM baseline's job needs no torch

    model.eval()
    score = model.task_logits if tasks else model
    out = []
    with torch.no_grad():
        for i in range(0, len(X), batch_size):
            xb = torch.as_tensor(X[i:i + batch_size], dtype=torch.float32, device=device)
            out.append(score(xb).float().cpu().numpy())
    return np.concatenate(out).astype(np.float64) if out else np.zeros(0)


def mean_task_auroc(Y: np.ndarray, logits: np.ndarray) -> float:
    """Mean over the tasks with both classes of the AUROC of each task's logits for its (N, tasks) labels."""
    Y = np.asarray(Y)
    values = [roc_auc_score(Y[:, k], logits[:, k]) for k in range(Y.shape[1]) if len(np.unique(Y[:, k])) == 2]
    if not values:
        raise ValueError("no task has both classes 0 and 1")
    return float(np.mean(values))


def auroc_aupr(y: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """AUROC and AUPR (average precision) of ``scores`` for binary labels ``y``."""
    y = np.asarray(y)
    if len(np.unique(y)) != 2:
        raise ValueError(f"labels must contain both classes 0 and 1, got {np.unique(y).tolist()}")
    return {"auroc": float(roc_auc_score(y, scores)), "aupr": float(average_precision_score(y, scores))}


def log_odds(pwm: np.ndarray, pseudocount: float = 0.01, background: float = 0.25) -> np.ndarray:
    """(4, w) probability matrix → (4, w) log2-odds against a uniform background, with a pseudocount per base."""
    p = np.asarray(pwm, dtype=np.float64) + pseudocount
    p /= p.sum(axis=0, keepdims=True)
    return np.log2(p / background)


def pwm_scan(X: np.ndarray, pwm: np.ndarray, pseudocount: float = 0.01, batch_size: int = 4096) -> np.ndarray:
    """Maximum log-odds score of ``pwm`` over all windows of both strands of each sequence.

    Parameters
    ----------
    X : numpy.ndarray
        (N, 4, L) one-hot sequences.
    pwm : numpy.ndarray
        (4, w) letter-probability matrix, w <= L.

    Returns
    -------
    numpy.ndarray
        (N,) best score per sequence.
    """
    lo = log_odds(pwm, pseudocount)
    if X.ndim != 3 or X.shape[1] != 4 or lo.shape[1] > X.shape[2]:
        raise ValueError(f"need X (N, 4, L) with L >= motif width {lo.shape[1]}, got {X.shape}")
    weight = np.stack([lo, lo[::-1, ::-1]]).astype(np.float32)  # forward, reverse complement
    out = [np.einsum("ncpw,scw->nsp", np.lib.stride_tricks.sliding_window_view(
        np.asarray(X[i:i + batch_size], dtype=np.float32), lo.shape[1], axis=2), weight).max(axis=(1, 2))
        for i in range(0, len(X), batch_size)]
    return np.concatenate(out).astype(np.float64) if out else np.zeros(0)


def pwm_baseline(data_file, row: dict, release: str) -> dict:
    """The evaluate stage of one TF: AUROC / AUPR on its test set of a scan with its JASPAR matrix (the
    metrics written to ``results/<tf>/pwm/metrics.json``). Several planted motifs: each sequence's best over
    motifs of its scan score below that motif's best possible log-odds score (one scale for motifs of
    different lengths and information). A row without a known motif gets no baseline: ``jaspar_name`` "no
    known motif", AUROC / AUPR None and ``note`` "no known motif" (:data:`deepmotif.jaspar.NO_KNOWN_MOTIF`),
    never a wrong number."""
    from deepmotif.data.prepare import load_split
    from deepmotif.jaspar import NO_KNOWN_MOTIF, row_motifs

    X, y = load_split(data_file, "test")
    motifs = row_motifs(release, row)
    if not motifs:
        return {"architecture": "pwm", "jaspar_id": "", "jaspar_name": NO_KNOWN_MOTIF, "test_auroc": None,
                "test_aupr": None, "note": NO_KNOWN_MOTIF}
    if len(motifs) > 1:
        scores = np.max([pwm_scan(X, m.pwm) - log_odds(m.pwm).max(axis=0).sum() for m in motifs], axis=0)
    else:
        scores = pwm_scan(X, motifs[0].pwm)
    return {"architecture": "pwm", "jaspar_id": ",".join(m.id for m in motifs),
            "jaspar_name": ",".join(m.name for m in motifs),
            **{f"test_{k}": v for k, v in auroc_aupr(y, scores).items()}}
