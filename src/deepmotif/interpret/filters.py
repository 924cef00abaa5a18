"""First-layer convolution filters as motifs (DeepBind, Alipanahi et al. 2015; Koo & Eddy 2019) and the
Deep Motif Dashboard's convolution-activation window baseline.

Activations are taken *after the first activation function* (convolution → batch norm, if any →
ReLU/exp). Only windows that lie entirely inside the sequence are used: an activation whose receptive field
reaches into the zero padding is skipped, so every counted window is a real k-mer.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from deepmotif.memeio import Motif
from deepmotif.models import CNN, CNNRNN, RNN, _Exp
from deepmotif.interpret.inputs import check_one_hot, model_device


def _first_layer(model: nn.Module) -> tuple[nn.Conv1d, nn.Sequential]:
    """The first convolution and the module chain from the input up to its activation."""
    if isinstance(model, CNNRNN):
        seq = model.conv
    elif isinstance(model, CNN):
        seq = model.features
    elif isinstance(model, RNN):
        raise ValueError("first-layer filter motifs need a convolutional first layer; the RNN architecture "
                         "reads the bases directly with an LSTM (use cnn or cnnrnn)")
    else:
        raise ValueError(f"model must be a deepmotif CNN or CNNRNN, got {type(model).__name__}")
    layers = list(seq.children())
    for i, m in enumerate(layers):
        if isinstance(m, (nn.ReLU, _Exp)):
            conv = layers[0]
            if not isinstance(conv, nn.Conv1d) or conv.stride != (1,) or conv.dilation != (1,):
                raise ValueError("the first layer must be a stride-1, undilated Conv1d")
            return conv, nn.Sequential(*layers[:i + 1])
    raise ValueError("no activation function after the first convolution")


def first_kernel(model: nn.Module) -> int:
    """Width of the first convolution of a CNN / CNN-RNN."""
    return int(_first_layer(model)[0].kernel_size[0])


def _activations(model, X, batch_size, device):
    """Yield (first row, (B, F, V) activations of the windows inside the sequence, (B, V, 4k) windows).

    Window v covers input columns v .. v + k - 1 (V = L - k + 1); its activation is the first layer's
    output at column v + padding.
    """
    conv, chain = _first_layer(model)
    k, pad = conv.kernel_size[0], conv.padding[0] if not isinstance(conv.padding, str) else None
    if pad is None:
        raise ValueError("the first convolution must have integer padding")
    length = X.shape[2]
    if length < k:
        raise ValueError(f"sequences (L = {length}) must be at least as long as the filters (k = {k})")
    device = model_device(model, device)
    model.eval()
    n_win = length - k + 1
    with torch.no_grad():
        for i in range(0, len(X), batch_size):
            xb = torch.from_numpy(X[i:i + batch_size]).to(device)
            act = chain(xb)[:, :, pad:pad + n_win]
            yield i, act, xb


def filter_motifs(model: nn.Module, X: np.ndarray, threshold: float = 0.5, min_sites: int = 10,
                  prefix: str = "filter", batch_size: int = 256,
                  device: str | torch.device | None = None) -> list[Motif]:
    """One PWM per first-layer filter from the windows that activate it strongly.

    For filter f, every length-k window whose activation exceeds ``threshold`` x (the filter's maximum
    activation over all windows of ``X``) is counted into a (4, k) matrix (N columns ignored), normalised
    per column.

    Parameters
    ----------
    model : torch.nn.Module
        A :class:`~deepmotif.models.CNN` or :class:`~deepmotif.models.CNNRNN`.
    X : numpy.ndarray
        (N, 4, L) one-hot sequences, L >= kernel width (e.g. the test positives).
    threshold : float
        Fraction of each filter's maximum, in [0, 1).
    min_sites : int
        Filters with fewer windows (dead or never strongly active filters; also a filter whose maximum is
        <= 0) are left out of the result, >= 1.
    prefix : str
        Motif ids are ``f"{prefix}.filter{f}"`` (f = filter index, so left-out filters leave gaps).
    batch_size : int
        Sequences per forward pass.
    device : str or torch.device, optional
        Default: the model's device.

    Returns
    -------
    list of Motif
        (4, k) PWMs with ``nsites`` = number of windows counted, in filter order.
    """
    X = check_one_hot(X, batch_size)
    if not 0 <= threshold < 1:
        raise ValueError(f"threshold must be in [0, 1), got {threshold}")
    if min_sites < 1:
        raise ValueError(f"min_sites must be >= 1, got {min_sites}")
    conv, _ = _first_layer(model)
    k, n_filt = conv.kernel_size[0], conv.out_channels
    best = None
    for _, act, _ in _activations(model, X, batch_size, device):
        m = act.amax(dim=(0, 2))
        best = m if best is None else torch.maximum(best, m)
    if best is None:
        return []
    cut = threshold * best  # (F,)
    counts = torch.zeros(n_filt, 4 * k, dtype=torch.float64, device=best.device)
    sites = torch.zeros(n_filt, dtype=torch.int64, device=best.device)
    for _, act, xb in _activations(model, X, batch_size, device):
        hit = (act > cut[None, :, None]) & (best[None, :, None] > 0)  # (B, F, V)
        wins = xb.unfold(2, k, 1).permute(0, 2, 1, 3).reshape(xb.shape[0], -1, 4 * k)  # (B, V, 4k), base-major
        counts += torch.einsum("bfv,bvc->fc", hit.double(), wins.double())
        sites += hit.sum(dim=(0, 2))
    counts = counts.reshape(n_filt, 4, k).cpu().numpy()
    sites = sites.cpu().numpy()
    motifs = []
    for f in range(n_filt):
        if sites[f] < min_sites:
            continue
        total = counts[f].sum(axis=0, keepdims=True)
        pwm = np.where(total > 0, counts[f] / np.where(total > 0, total, 1), 0.25)
        motifs.append(Motif(id=f"{prefix}.filter{f}", name="", pwm=pwm, nsites=int(sites[f])))
    return motifs


def conv_activation_windows(model: nn.Module, X: np.ndarray, width: int, batch_size: int = 256,
                            device: str | torch.device | None = None) -> np.ndarray:
    """Start of the length-``width`` window centred on each sequence's strongest first-layer activation.

    The paper's convolution-activation baseline: for each sequence the (filter, window) with the largest
    activation over all first-layer filters and all windows inside the sequence; the returned window has
    the same centre as that filter window (rounded down), clipped to the sequence. Feed the starts to
    :func:`deepmotif.motifs.align_windows` / :func:`deepmotif.motifs.windows_to_pwm` as for attribution maps.

    Parameters
    ----------
    model : torch.nn.Module
        A :class:`~deepmotif.models.CNN` or :class:`~deepmotif.models.CNNRNN`.
    X : numpy.ndarray
        (N, 4, L) one-hot sequences.
    width : int
        Window width, 1 <= width <= L.

    Returns
    -------
    numpy.ndarray
        (N,) int64 starts in [0, L - width].
    """
    X = check_one_hot(X, batch_size)
    length = X.shape[2]
    if not 1 <= width <= length:
        raise ValueError(f"width must be in [1, {length}], got {width}")
    conv, _ = _first_layer(model)
    k = conv.kernel_size[0]
    starts = np.empty(len(X), dtype=np.int64)
    for i, act, _ in _activations(model, X, batch_size, device):
        v = act.amax(dim=1).argmax(dim=1).cpu().numpy()  # best window start per sequence
        starts[i:i + len(v)] = v + (k - width) // 2
    return np.clip(starts, 0, length - width)
