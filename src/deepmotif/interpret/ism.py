"""In-silico mutagenesis: the change of the positive-class logit when one position is set to another base."""

from __future__ import annotations

import numpy as np
import torch
from deepmotif.interpret.inputs import check_one_hot, model_device


def ism(model: torch.nn.Module, X: np.ndarray, batch_size: int = 1024, center: bool = False,
        device: str | torch.device | None = None) -> np.ndarray:
    """Saturation mutagenesis of every position to every base.

    Every sequence gives one mutant per (base, position) whose base differs from the observed one (3 L
    mutants per fully one-hot sequence, 4 at an ``N`` column); the mutants of all sequences are put in one
    flat list and scored ``batch_size`` at a time.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (N, 4, L) to (N,) logits.
    X : numpy.ndarray
        (N, 4, L) one-hot sequences (an all-zero column is an N).
    batch_size : int
        Mutant sequences per forward pass, >= 1.
    center : bool
        Subtract the mean over the 4 bases at every position (the observed base then no longer reads 0).
    device : str or torch.device, optional
        Default: the model's device.

    Returns
    -------
    numpy.ndarray
        (N, 4, L) float32: ``logit(mutant with base b at position j) - logit(X)``; 0 at the observed base.
    """
    X = check_one_hot(X, batch_size)
    device = model_device(model, device)
    model.eval()
    n = len(X)
    out = np.zeros_like(X)
    seq, base, pos = np.nonzero(X != 1)  # every (sequence, base, position) that is a mutation
    Xt = torch.from_numpy(X).to(device)
    with torch.no_grad():
        ref = torch.cat([model(Xt[i:i + batch_size]) for i in range(0, n, batch_size)]) if n else Xt.new_zeros(0)
        delta = np.empty(len(seq), dtype=np.float32)
        for i in range(0, len(seq), batch_size):
            s = torch.as_tensor(seq[i:i + batch_size], device=device)
            b = torch.as_tensor(base[i:i + batch_size], device=device)
            j = torch.as_tensor(pos[i:i + batch_size], device=device)
            mut = Xt.index_select(0, s)
            rows = torch.arange(len(s), device=device)
            mut[rows, :, j] = 0.0
            mut[rows, b, j] = 1.0
            delta[i:i + len(s)] = (model(mut) - ref[s]).cpu().numpy()
    out[seq, base, pos] = delta
    if center:
        out -= out.mean(axis=1, keepdims=True)
    return out
