"""Scoring: model predictions, AUROC/AUPR, and the JASPAR PWM max-log-odds scan baseline."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.metrics import average_precision_score, roc_auc_score


def predict(model: torch.nn.Module, X: np.ndarray, batch_size: int = 512, device: str | torch.device = "cpu",
            tasks: bool = False) -> np.ndarray:
    """Positive-class logits of ``model`` for (N, 4, L) ``X``, as a (N,) float64 array; with ``tasks``, the
    (N, tasks) logits of a multi-task model's outputs (:meth:`task_logits`)."""
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
    weight = torch.as_tensor(np.stack([lo, lo[::-1, ::-1].copy()]), dtype=torch.float32)  # fwd, rev. comp.
    out = []
    with torch.no_grad():
        for i in range(0, len(X), batch_size):
            xb = torch.as_tensor(X[i:i + batch_size], dtype=torch.float32)
            out.append(torch.nn.functional.conv1d(xb, weight).amax(dim=(1, 2)).numpy())
    return np.concatenate(out).astype(np.float64)
