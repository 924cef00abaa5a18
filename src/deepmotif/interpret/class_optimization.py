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

All restarts are optimised together as one batch (Adam); every restart's PWM is returned, best final score
first, with its score at every step. The motifs stage discovers the motif the restarts' optimised sequences
share (:func:`deepmotif.motifs.extract_motifs`); the dashboard shows the best restart's PWM.
"""

from __future__ import annotations

import numpy as np
import torch

from deepmotif.config import DEFAULTS
from deepmotif.interpret.saliency import _no_cudnn_rnn
from deepmotif.interpret.inputs import model_device

MODES = ("onehot", "softmax", "l2")
_DEFAULT = DEFAULTS["interpret"]["classopt"]  # config interpret.classopt: the one place of these defaults


def class_optimize(model: torch.nn.Module, length: int, n_restarts: int = _DEFAULT["restarts"],
                   steps: int = _DEFAULT["steps"], lr: float = _DEFAULT["lr"], l2: float = _DEFAULT["l2"],
                   mode: str = _DEFAULT["mode"], seed: int = 0,
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
    pwms : numpy.ndarray
        (n_restarts, 4, L) float64 letter-probability matrices, one per restart, in decreasing order of the
        final score (``pwms[0]`` is the best restart's); every column sums to 1.
    trace : numpy.ndarray
        (n_restarts, steps + 1) float64: the logit ``S`` of each restart's current input before every step
        and after the last, rows in the order of ``pwms``.
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
    order = np.argsort(-trace[:, steps], kind="stable")
    x = free.detach()[torch.from_numpy(order).to(free.device)].cpu().double()
    if mode != "l2":
        return torch.softmax(x, dim=1).numpy(), trace[order]
    pos = x.clamp(min=0).numpy()
    total = pos.sum(axis=1, keepdims=True)
    return np.where(total > 0, pos / np.where(total > 0, total, 1), 0.25), trace[order]


def optimised_sequences(pwms: np.ndarray) -> np.ndarray:
    """(R, 4, L) PWMs of :func:`class_optimize` → (R, 4, L) float32 one-hot of each column's most likely base
    (in ``onehot`` mode: the sequences the restarts optimised)."""
    pwms = np.asarray(pwms)
    return np.eye(4, dtype=np.float32)[pwms.argmax(axis=1)].transpose(0, 2, 1).copy()
