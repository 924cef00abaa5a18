"""Class optimisation (Simonyan et al. 2013; Deep Motif Dashboard section 3.2): the input that maximises the
positive-class score, found by gradient ascent on a free input, turned into a PWM.

Three parametrisations:

``mode="l2"`` (the paper's)
    The input ``x`` (4, L) is free; ascend ``S(x) - l2 * ||x||^2`` with ``S`` the positive-class logit.
    The optimised ``x`` is turned into a PWM by normalising its positive part per position
    (``max(x, 0) / sum_b max(x_b, 0)``; a column without a positive entry becomes uniform): the bases that
    raise the score, weighted by how much.
``mode="softmax"``
    Free logits ``z`` (4, L); the network sees ``softmax(z)`` over the 4 bases at every position, i.e. an
    input on the simplex that one-hot sequences live on. Ascend ``S(softmax(z)) - l2 * ||z||^2``; the PWM is
    ``softmax(z)`` itself.
``mode="onehot"`` (the default)
    Free logits ``z`` as for ``softmax``, but the network sees the one-hot sequence of each column's most
    likely base, ``argmax softmax(z)``; the gradient passes through ``softmax(z)`` (straight-through
    estimator, Bengio et al. 2013). The optimised input is therefore always a DNA sequence, the kind of input
    the network was trained on; a soft input in the simplex's interior is not, and on recurrent models the
    ascent on it stalls. On the demo's nine models (restarts of seed 1-3, 8 and 32 restarts) the best
    ``softmax`` optimum of MAFK's RNN and CNN-RNN scored logit -0.9 and -3.1, below their top test positive
    (6.3, 5.1), and 7 of 8 restarts of NFYB's RNN stalled at -0.9; every ``onehot`` optimum scored above the
    top test positive, and the motifs stage found the planted family in 6-7 of the 9 models against 3-4.
    The PWM is ``softmax(z)``, whose argmax is the optimised sequence; its score in the trace is that of
    the sequence.

All restarts are optimised together as one batch (Adam); the PWM of the restart with the highest final
score is returned, together with every restart's score at every step.
"""

from __future__ import annotations

import numpy as np
import torch

from deepmotif.interpret.saliency import _no_cudnn_rnn
from deepmotif.memeio import Motif
from deepmotif.interpret.inputs import model_device

MODES = ("onehot", "softmax", "l2")


def class_optimize(model: torch.nn.Module, length: int, n_restarts: int = 8, steps: int = 200, lr: float = 0.1,
                   l2: float = 1e-3, mode: str = "onehot", seed: int = 0,
                   device: str | torch.device | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Gradient ascent on a free input of width ``length`` to maximise the positive-class logit.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (N, 4, L) to (N,) logits.
    length : int
        Width L of the optimised input, >= 1.
    n_restarts : int
        Random starting points, optimised together, >= 1.
    steps : int
        Adam steps, >= 1.
    lr : float
        Adam learning rate, > 0.
    l2 : float
        Weight of the L2 penalty on the free parameters (``x`` or ``z``), >= 0.
    mode : {"onehot", "softmax", "l2"}
        Parametrisation, see the module docstring.
    seed : int
        Seed of the random starting points (normal, standard deviation 0.01 for ``l2``, 0.1 otherwise).
    device : str or torch.device, optional
        Default: the model's device.

    Returns
    -------
    pwm : numpy.ndarray
        (4, L) float64 letter-probability matrix of the best restart; every column sums to 1.
    trace : numpy.ndarray
        (n_restarts, steps + 1) float64: the logit ``S`` of each restart's current input before every step
        and after the last.
    """
    if not isinstance(length, (int, np.integer)) or length < 1:
        raise ValueError(f"length must be an integer >= 1, got {length!r}")
    if n_restarts < 1:
        raise ValueError(f"n_restarts must be >= 1, got {n_restarts}")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if not l2 >= 0:
        raise ValueError(f"l2 must be >= 0, got {l2}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    device = model_device(model, device)
    model.eval()
    flags = [p.requires_grad for p in model.parameters()]
    for p in model.parameters():
        p.requires_grad_(False)  # gradients only for the input
    gen = torch.Generator().manual_seed(int(seed))
    scale = 0.01 if mode == "l2" else 0.1
    free = (scale * torch.randn(n_restarts, 4, int(length), generator=gen)).to(device).requires_grad_(True)
    opt = torch.optim.Adam([free], lr=lr)
    trace = np.empty((n_restarts, steps + 1))

    def inputs():
        if mode == "l2":
            return free
        soft = torch.softmax(free, dim=1)
        if mode == "softmax":
            return soft
        hard = torch.nn.functional.one_hot(soft.argmax(dim=1), 4).transpose(1, 2).to(soft.dtype)
        return hard + soft - soft.detach()  # forward: the sequence; backward: the softmax's gradient

    try:
        with _no_cudnn_rnn(device):
            for step in range(steps):
                opt.zero_grad()
                score = model(inputs())
                trace[:, step] = score.detach().cpu().numpy()
                loss = -score.sum() + l2 * (free ** 2).sum()
                loss.backward()
                opt.step()
            with torch.no_grad():
                trace[:, steps] = model(inputs()).cpu().numpy()
    finally:
        for p, flag in zip(model.parameters(), flags):
            p.requires_grad_(flag)
    best = int(np.argmax(trace[:, steps]))
    x = free.detach()[best].cpu().double()
    if mode != "l2":
        pwm = torch.softmax(x, dim=0).numpy()
    else:
        pos = x.clamp(min=0).numpy()
        total = pos.sum(axis=0, keepdims=True)
        pwm = np.where(total > 0, pos / np.where(total > 0, total, 1), 0.25)
    return pwm, trace


def optimized_motif(pwm: np.ndarray, width: int, motif_id: str = "class_optimization", name: str = "") -> Motif:
    """The most informative width-``width`` window of a class-optimised PWM, as a motif.

    Parameters
    ----------
    pwm : numpy.ndarray
        (4, L) letter-probability matrix (columns sum to 1).
    width : int
        Window width k, 1 <= k <= L.
    motif_id, name : str
        Identifier and alternate name of the returned motif.

    Returns
    -------
    Motif
        Columns ``start .. start + k - 1`` of ``pwm``, where the window maximises the summed information
        content ``2 + sum_b p log2 p`` (first such window on ties); ``nsites`` None.
    """
    pwm = np.asarray(pwm, dtype=np.float64)
    if pwm.ndim != 2 or pwm.shape[0] != 4 or pwm.shape[1] < 1:
        raise ValueError(f"pwm must have shape (4, L) with L >= 1, got {pwm.shape}")
    if not np.allclose(pwm.sum(axis=0), 1, atol=1e-5) or np.any(pwm < 0):
        raise ValueError("pwm columns must be probabilities summing to 1")
    if not 1 <= width <= pwm.shape[1]:
        raise ValueError(f"width must be in [1, {pwm.shape[1]}], got {width}")
    with np.errstate(divide="ignore", invalid="ignore"):
        ic = 2 + np.where(pwm > 0, pwm * np.log2(np.where(pwm > 0, pwm, 1)), 0).sum(axis=0)
    window = np.convolve(ic, np.ones(width), mode="valid")
    start = int(np.argmax(window))
    return Motif(id=motif_id, name=name, pwm=pwm[:, start:start + width].copy(), nsites=None)
