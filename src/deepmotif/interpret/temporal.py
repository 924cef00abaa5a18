"""Temporal output scores (Lanchantin et al. 2017, section 3.3): the model's positive-class probability on
every prefix (``forward``) and every suffix (``backward``) of each sequence.

Definitions, for X of shape (N, 4, L)::

    forward[:, j]  = sigmoid(model(X[:, :, :j + 1]))    # prefix of length j + 1
    backward[:, j] = sigmoid(model(X[:, :, j:]))        # suffix starting at position j (length L - j)

so ``forward[:, -1] == backward[:, 0]`` is the score of the whole sequence.

A model that scores both strands (``strands`` mean / max) scores each prefix together with its reverse
complement, which is a suffix of the reverse-complemented sequence: ``forward[:, j]`` is then the combined
score of the two strands of the first j + 1 bases — the curve still rises where the sequence read left to
right completes a site, now whichever strand the site is on (``backward`` likewise for suffixes).

:func:`temporal_scores_naive` is the reference: one forward pass per prefix length, batched over sequences
(the original code did one pass per prefix of one sequence, which is ``batch_size=1`` here). :func:`temporal_scores` gives the same numbers (float32 rounding apart) with far less work, because a
prefix shares almost everything with the whole sequence:

* Convolutions, pointwise layers and max-pools: a prefix's feature map equals the whole sequence's map
  except in a short *tail* near its right end, where the zero padding of the convolutions and the
  truncated last pooling window reach (a suffix: a *head* at its left end, against the map of
  ``X[:, :, p:]`` for the pooling phase ``p = j mod (product of pool widths)``). The dirty width ``D`` of
  every layer follows from the kernel, padding and pool widths; only those ``D`` columns are recomputed,
  for all prefixes at once, from windows gathered out of the whole-sequence maps. The CNN's global max is
  the running maximum of the whole-sequence map up to the tail, maxed with the recomputed tail.
* Bidirectional LSTM (one layer): over a prefix, the LSTM running *towards* the cut (forward direction)
  has the whole sequence's running states up to the tail; only the ``D`` tail steps are continued from the
  stored state (``h``, ``c``). The LSTM running *away* from the cut (reverse direction over a prefix)
  starts at the cut, so its states differ for every prefix: it is run for all prefixes at once, as one
  batch of reversed prefixes padded at their end (padding after the last real step cannot change earlier
  outputs), in a few length buckets. Pooling (max or mean over time) of the running direction is a
  running max / cumulative sum. Suffixes are the mirror image (the roles of the two directions swap).

Work per sequence: CNN ``O(L * D)`` columns instead of ``O(L**2 / 2)``; LSTMs one direction over
``L**2 / 2`` steps instead of both directions, in large batches. Models outside this structure (more than
one LSTM layer, other layer types) fall back to :func:`temporal_scores_naive`.

What exactness costs: the LSTM running away from the cut starts from a zero state at every cut, so its
``L**2 / 2`` cell updates per sequence cannot be shared between prefixes; the naive pass does ``L**2``
(both directions). On a CPU, where the naive pass is already batched over sequences, the LSTM models
therefore gain about 2x (the bound), the default CNN 2-3x (its 5 + 4 recomputed columns of the 128 x 128
layers per cut are ~5x fewer multiply-adds than the naive pass; gathers take the rest). Against the
original's one pass per prefix of one sequence the gain is 7-19x on one CPU thread (1,000 x 101 bp; see
``benchmarks/bench_temporal.py``), and larger where small calls are latency-bound (e.g. on a GPU).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from deepmotif.data.onehot import reverse_complement
from deepmotif.interpret.inputs import check_one_hot, model_device
from deepmotif.models import CNN, RNN, _Exp, combine_strands, one_strand

DIRECTIONS = ("forward", "backward")
_POINTWISE = (nn.BatchNorm1d, nn.ReLU, _Exp, nn.Identity, nn.Dropout)
#: cuts (prefix lengths) per call of the LSTM over reversed prefixes; rows per call = batch_size x this
_CUTS_PER_CALL = 16


def _check(model, X, direction, batch_size):
    X = check_one_hot(X, batch_size)
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return X


def temporal_scores_naive(model: nn.Module, X: np.ndarray, direction: str = "forward", batch_size: int = 256,
                          device: str | torch.device | None = None) -> np.ndarray:
    """Temporal output scores by one forward pass per prefix (or suffix) length: the reference.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (N, 4, L') to (N,) positive-class logits for any L' >= 1.
    X : numpy.ndarray
        (N, 4, L) one-hot sequences, L >= 1.
    direction : {"forward", "backward"}
        ``forward``: scores of the prefixes ``X[:, :, :j + 1]``; ``backward``: of the suffixes ``X[:, :, j:]``.
    batch_size : int
        Sequences per forward pass.
    device : str or torch.device, optional
        Default: the model's device.

    Returns
    -------
    numpy.ndarray
        (N, L) float32 probabilities; column j as defined in the module docstring.
    """
    X = _check(model, X, direction, batch_size)
    device = model_device(model, device)
    model.eval()
    n, _, length = X.shape
    out = np.empty((n, length), dtype=np.float32)
    with torch.no_grad():
        for i in range(0, n, batch_size):
            xb = torch.from_numpy(X[i:i + batch_size]).to(device)
            for size in range(1, length + 1):
                j = size - 1 if direction == "forward" else length - size
                part = xb[:, :, :size] if direction == "forward" else xb[:, :, length - size:]
                out[i:i + batch_size, j] = torch.sigmoid(model(part)).cpu().numpy()
    return out


def temporal_scores(model: nn.Module, X: np.ndarray, direction: str = "forward", batch_size: int = 128,
                    device: str | torch.device | None = None) -> np.ndarray:
    """Temporal output scores of every prefix or suffix, computed by reusing the whole-sequence pass.

    Same result as :func:`temporal_scores_naive` (to float32 rounding, max abs difference ~1e-6) for the
    :class:`~deepmotif.models.CNN`, :class:`~deepmotif.models.RNN` and :class:`~deepmotif.models.CNNRNN`
    of this package with one LSTM layer; other models fall back to the naive computation.

    Parameters
    ----------
    model : torch.nn.Module
        CNN, RNN or CNNRNN (any sizes, eval-mode dropout and batch norm).
    X : numpy.ndarray
        (N, 4, L) one-hot sequences, L >= 1.
    direction : {"forward", "backward"}
        ``forward``: ``out[:, j]`` scores ``X[:, :, :j + 1]``; ``backward``: ``out[:, j]`` scores ``X[:, :, j:]``.
    batch_size : int
        Sequences per chunk; memory grows with ``batch_size * L * filters * D``.
    device : str or torch.device, optional
        Default: the model's device.

    Returns
    -------
    numpy.ndarray
        (N, L) float32 probabilities.
    """
    X = _check(model, X, direction, batch_size)
    device = model_device(model, device)
    model.eval()
    if isinstance(model, RNN):  # RNN and CNNRNN: optional convolutional front, one biLSTM layer
        layers = getattr(model, "conv", nn.Sequential())
        lstm = model.lstm
        fast = (_supported(layers) and lstm.num_layers == 1 and lstm.bidirectional and lstm.batch_first
                and lstm.proj_size == 0 and lstm.bias)
    elif isinstance(model, CNN):
        layers = model.features
        fast = _supported(layers)
    else:
        fast = False
    if not fast:
        return temporal_scores_naive(model, X, direction, batch_size, device)
    with one_strand(model) as strands:
        logits = _fast_logits(model, layers, X, direction, batch_size, device)
        if strands != "single":
            # the reverse complement of a prefix is a suffix of the reverse complement (and vice versa)
            mirror = "backward" if direction == "forward" else "forward"
            reverse = _fast_logits(model, layers, reverse_complement(X), mirror, batch_size,
                                   device).flip(1)
            logits = combine_strands(logits, reverse, strands)
    return torch.sigmoid(logits).numpy()


def _fast_logits(model: nn.Module, layers: nn.Module, X: np.ndarray, direction: str, batch_size: int,
                 device) -> torch.Tensor:
    """(N, L) logits of every prefix / suffix of one strand (the model's single-strand score), on the CPU."""
    n, _, length = X.shape
    out = torch.empty((n, length), dtype=torch.float32)
    forward = direction == "forward"
    with torch.no_grad():
        plan = _Plan(layer_ops(layers), length, forward)
        if isinstance(model, RNN):
            along, against = _unidirectional(model.lstm, device, forward)
        for i in range(0, n, batch_size):
            refs, edge = _edge_pass(layers, plan, torch.from_numpy(X[i:i + batch_size]).to(device))
            if isinstance(model, RNN):
                logits = _lstm_head(model, plan, refs, edge, along, against, forward)
            else:
                logits = _cnn_head(model, plan, refs, edge)
            out[i:i + batch_size] = logits.float().cpu()
    return out


# --------------------------------------------------------------------------------------- layer analysis


def _supported(seq: nn.Module) -> bool:
    try:
        layer_ops(seq)
    except ValueError:
        return False
    return True


def layer_ops(seq: nn.Module) -> list[tuple]:
    """Describe a Sequential of Conv1d / MaxPool1d / pointwise layers as ("conv", k, pad), ("pool", s, ceil)
    or ("pointwise",); anything else raises ValueError. Shared by the prefix computation here and the
    windowed ISM (:mod:`deepmotif.interpret.ism`), which both follow a base's reach through these layers."""
    ops = []
    for m in seq.children() if isinstance(seq, nn.Sequential) else [seq]:
        if isinstance(m, nn.Conv1d):
            if (m.stride != (1,) or m.dilation != (1,) or m.groups != 1 or isinstance(m.padding, str)
                    or m.padding_mode != "zeros"):
                raise ValueError(f"unsupported convolution {m}")
            ops.append(("conv", m.kernel_size[0], m.padding[0]))
        elif isinstance(m, nn.MaxPool1d):
            k = m.kernel_size if isinstance(m.kernel_size, int) else m.kernel_size[0]
            s = m.stride if isinstance(m.stride, int) else m.stride[0]
            pad = m.padding if isinstance(m.padding, int) else m.padding[0]
            dil = m.dilation if isinstance(m.dilation, int) else m.dilation[0]
            if k != s or pad != 0 or dil != 1 or m.return_indices:
                raise ValueError(f"unsupported pooling {m}")
            ops.append(("pool", s, bool(m.ceil_mode)))
        elif isinstance(m, _POINTWISE):
            ops.append(("pointwise",))
        else:
            raise ValueError(f"unsupported layer {m}")
    return ops


class _Plan:
    """Index bookkeeping of the edge recomputation, shared by all chunks of sequences.

    Per cut c (prefix length c + 1, or suffix start c) and stage k (before op k): map length ``T[k][c]``,
    reference phase ``phase[c]`` (suffixes: which ``X[:, :, p:]`` the map is a shifted copy of), offset
    ``off[k][c]`` of cut positions in the phase map, dirty width ``D[k]`` (the maximum over cuts) and, for
    every non-pointwise op, the gather index of its input windows into [phase maps | edges | pad].
    """

    def __init__(self, ops, length, forward):
        self.ops, self.length, self.forward = ops, length, forward
        cuts = np.arange(length)
        pools = [op[1] for op in ops if op[0] == "pool"]
        self.P = 1 if forward else int(min(np.prod(pools, dtype=np.int64), length))
        stride_all = int(np.prod(pools, dtype=np.int64))
        if forward:
            T = cuts + 1
            phase = np.zeros(length, dtype=np.int64)
            off = np.zeros(length, dtype=np.int64)
        else:
            T = length - cuts
            phase = cuts % stride_all if stride_all <= length else cuts.copy()
            off = cuts - phase
        t_ref = np.array([length - p for p in range(self.P)], dtype=np.int64)
        d = np.zeros(length, dtype=np.int64)
        self.phase = phase
        self.T, self.D, self.off, self.t_ref = [T], [0], [off], [t_ref]
        self.index = []
        for op in ops:
            if op[0] == "pointwise":
                self.T.append(T); self.D.append(self.D[-1]); self.off.append(off); self.t_ref.append(t_ref)
                self.index.append(None)
                continue
            if op[0] == "conv":
                k, p = op[1], op[2]
                T2, t_ref2, off2 = T + 2 * p - k + 1, t_ref + 2 * p - k + 1, off
                if np.any(T2 < 1):
                    raise ValueError("convolution shortens a prefix to nothing")
                if forward:
                    a = np.maximum(0, T - d + p - k + 1)
                    d2 = T2 - np.minimum(a, T2)
                else:
                    d2 = np.minimum(T2, d + p)
            else:
                s, ceil = op[1], op[2]
                T2 = -(-T // s) if ceil else T // s
                t_ref2 = -(-t_ref // s) if ceil else t_ref // s
                if np.any(T2 < 1):
                    raise ValueError("pooling shortens a prefix to nothing")
                if np.any(off % s):
                    raise ValueError("internal: suffix offset not divisible by the pool width")
                off2 = off // s
                if forward:
                    d2 = T2 - np.minimum(T2, (T - d) // s)
                else:
                    d2 = np.minimum(T2, -(-d // s))
            D_in, D_out = self.D[-1], int(d2.max())
            self.index.append(self._window_index(op, T, T2, D_in, D_out, off, t_ref))
            T, d, off, t_ref = T2, d2, off2, t_ref2
            self.T.append(T); self.D.append(D_out); self.off.append(off); self.t_ref.append(t_ref)

    def _window_index(self, op, T_in, T_out, D_in, D_out, off, t_ref):
        n_cut = self.length
        if self.forward:
            first = T_out - D_out
        else:
            first = np.zeros(n_cut, dtype=np.int64)
        if op[0] == "conv":
            k, p = op[1], op[2]
            w = first[:, None] - p + np.arange(D_out + k - 1)[None, :]
        else:
            s = op[1]
            w = s * first[:, None] + np.arange(s * D_out)[None, :]
        t_max = int(t_ref.max())
        valid = (w >= 0) & (w < T_in[:, None])
        if self.forward:
            edge_start = (T_in - D_in)[:, None]
            in_edge = w >= edge_start
            e_idx = w - edge_start
        else:
            in_edge = w < D_in
            e_idx = w
        ref_idx = self.phase[:, None] * t_max + np.clip(w + off[:, None], 0, t_max - 1)
        edge_idx = self.P * t_max + np.arange(n_cut)[:, None] * D_in + np.clip(e_idx, 0, max(D_in - 1, 0))
        pad = self.P * t_max + n_cut * D_in
        win = np.where(~valid, pad, np.where(in_edge, edge_idx, ref_idx)).astype(np.int64)
        if op[0] == "conv":  # im2col: (n_cut, D_out, k) rows of [phase maps | edges | pad]
            return win[:, np.arange(D_out)[:, None] + np.arange(op[1])[None, :]]
        return win.reshape(n_cut, D_out, op[1])  # pooling windows (n_cut, D_out, s)


def _pad_stack(maps: list[torch.Tensor], t_max: int, value: float) -> torch.Tensor:
    """list of P (B, C, T_p) → (B, C, P * t_max), each padded at its end with ``value``."""
    return torch.cat([F.pad(m, (0, t_max - m.shape[2]), value=value) for m in maps], dim=2)


def _edge_pass(seq: nn.Module, plan: _Plan, xb: torch.Tensor):
    """Run the layers on the P phase maps and recompute the dirty columns of every cut.

    The recomputed columns are kept channels-last; a convolution is one gather of its im2col rows out of
    [phase maps | edge columns | zero] and one matrix product, a max-pool one gather and a max.

    Returns
    -------
    refs : list of torch.Tensor
        P maps (B, C, T_p) of ``xb[:, :, p:]`` after the last layer, *oriented*: flipped for suffixes so
        that in both directions a cut's clean columns are the first ``T - D`` of its phase map.
    edge : torch.Tensor
        (B, n_cut, D, C) recomputed columns, oriented the same way (the last D columns of each cut's map).
    """
    B = xb.shape[0]
    n_cut = plan.length
    refs = [xb[:, :, p:] for p in range(plan.P)]
    edge = xb.new_zeros((B, n_cut, 0, xb.shape[1]))
    modules = list(seq.children()) if isinstance(seq, nn.Sequential) else [seq]
    for k, (op, m) in enumerate(zip(plan.ops, modules)):
        if op[0] == "pointwise":
            refs = [m(r) for r in refs]
            if edge.shape[2]:
                edge = m(edge.reshape(-1, edge.shape[3])).reshape(edge.shape)
            continue
        C, D_out = edge.shape[3], plan.D[k + 1]
        if D_out == 0:  # e.g. a width-1 convolution of a clean map: nothing to recompute
            refs = [m(r) for r in refs]
            edge = xb.new_zeros((B, n_cut, 0, refs[0].shape[1]))
            continue
        t_max = int(plan.t_ref[k].max())
        fill = 0.0 if op[0] == "conv" else float("-inf")
        src = torch.cat([_pad_stack(refs, t_max, fill).transpose(1, 2), edge.reshape(B, -1, C),
                         xb.new_full((B, 1, C), fill)], dim=1)
        idx = torch.as_tensor(plan.index[k], device=xb.device)
        win = src.index_select(1, idx.reshape(-1))  # (B, n_cut * D_out * width, C)
        if op[0] == "conv":
            w = m.weight.permute(0, 2, 1).reshape(m.out_channels, -1)  # (C_out, k * C_in), tap-major
            edge = F.linear(win.reshape(B * n_cut * D_out, -1), w, m.bias).reshape(B, n_cut, D_out, -1)
        else:
            edge = win.reshape(B, n_cut, D_out, op[1], C).amax(dim=3)
        refs = [m(r) for r in refs]
    if not plan.forward:
        refs = [r.flip(2) for r in refs]
        edge = edge.flip(2)
    return refs, edge


# ------------------------------------------------------------------------------------------------- CNN


def _cnn_head(model: CNN, plan: _Plan, refs, edge) -> torch.Tensor:
    """Global max over (clean columns from the running max of the phase map, recomputed edge) → linear."""
    T, D = plan.T[-1], plan.D[-1]
    B = edge.shape[0]
    dev = edge.device
    t_max = max(r.shape[2] for r in refs)
    cm = _pad_stack([torch.cummax(r, dim=2).values for r in refs], t_max, float("-inf"))
    cm = torch.cat([cm, cm.new_full((B, cm.shape[1], 1), float("-inf"))], dim=2)
    clean = T - D - 1  # last clean column
    idx = np.where(clean >= 0, plan.phase * t_max + np.maximum(clean, 0), cm.shape[2] - 1)
    h = cm.index_select(2, torch.as_tensor(idx, device=dev)).transpose(1, 2)  # (B, n_cut, C)
    if D:
        valid = torch.as_tensor(np.arange(D)[None, :] >= (D - T)[:, None], device=dev)  # (n_cut, D)
        h = torch.maximum(h, edge.masked_fill(~valid[None, :, :, None], float("-inf")).amax(dim=2))
    return model.head(h)


# ------------------------------------------------------------------------------------------------ LSTMs


def _unidirectional(lstm: nn.LSTM, device, forward: bool):
    """Two one-direction LSTMs with the weights of ``lstm``: (along, against) the cut.

    For prefixes the forward direction runs towards the cut, for suffixes (oriented, i.e. flipped) the
    reverse direction does.
    """
    mods = []
    for suffix in ("", "_reverse"):
        m = nn.LSTM(lstm.input_size, lstm.hidden_size, batch_first=True).to(device)
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(m, f"{name}_l0").data.copy_(getattr(lstm, f"{name}_l0{suffix}").data)
        m.eval()
        mods.append(m)
    return (mods[0], mods[1]) if forward else (mods[1], mods[0])


def _lstm_states(m: nn.LSTM, x: torch.Tensor):
    """Run a one-direction LSTM over (B, T, C), returning every step's h and c as (B, T, H) each."""
    H = m.hidden_size
    pre = F.linear(x, m.weight_ih_l0, m.bias_ih_l0 + m.bias_hh_l0)  # (B, T, 4H)
    B, T = x.shape[0], x.shape[1]
    h = x.new_zeros(B, H)
    c = x.new_zeros(B, H)
    hs, cs = x.new_empty(B, T, H), x.new_empty(B, T, H)
    w = m.weight_hh_l0.t()
    for t in range(T):  # the recurrence itself; B rows per step
        g = torch.addmm(pre[:, t], h, w)
        i, f, gg, o = g.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(gg)
        h = torch.sigmoid(o) * torch.tanh(c)
        hs[:, t], cs[:, t] = h, c
    return hs, cs


def _lstm_head(model: RNN, plan: _Plan, refs, edge, along: nn.LSTM, against: nn.LSTM, forward: bool):
    T, D = plan.T[-1], plan.D[-1]
    B, n_cut = edge.shape[0], edge.shape[1]
    C = refs[0].shape[1]
    H = along.hidden_size
    edge = edge.reshape(B, n_cut * D, C)
    dev = edge.device
    use_max = model.pool == "max"
    if model.pool not in ("max", "mean"):
        raise ValueError(f"pool must be 'mean' or 'max', got {model.pool!r}")
    neutral = float("-inf") if use_max else 0.0
    t_max = max(r.shape[2] for r in refs)
    P = len(refs)
    xs = [r.transpose(1, 2) for r in refs]  # (B, T_p, C)

    # 1. direction along the cut: whole-sequence running states up to the last clean column
    states = [_lstm_states(along, x) for x in xs]
    run = [torch.cummax(h, dim=1).values if use_max else torch.cumsum(h, dim=1) for h, _ in states]

    def stack(ts, value):  # list of (B, T_p, H) -> (B, P * t_max + 1, H), last row = value
        out = torch.cat([F.pad(t, (0, 0, 0, t_max - t.shape[1]), value=value) for t in ts], dim=1)
        return torch.cat([out, out.new_full((B, 1, out.shape[2]), value)], dim=1)

    pad_row = P * t_max
    clean = T - D  # clean columns 0 .. clean - 1
    row = np.where(clean >= 1, plan.phase * t_max + np.maximum(clean - 1, 0), pad_row)
    row_t = torch.as_tensor(row, device=dev)
    pooled_along = stack(run, neutral).index_select(1, row_t)  # (B, n_cut, H)
    if D:
        # continue from the last clean state through the recomputed tail
        start = np.maximum(0, clean)
        count = T - start
        h0 = stack([h for h, _ in states], 0.0).index_select(1, row_t)
        c0 = stack([c for _, c in states], 0.0).index_select(1, row_t)
        src = torch.cat([edge, edge.new_zeros(B, 1, C)], dim=1)
        s = np.arange(D)[None, :]
        e_idx = (start - clean)[:, None] + s  # column in the edge
        idx = np.where(s < count[:, None], np.arange(n_cut)[:, None] * D + np.clip(e_idx, 0, D - 1), n_cut * D)
        tail_in = src.index_select(1, torch.as_tensor(idx.reshape(-1), device=dev)).reshape(B * n_cut, D, C)
        out, _ = along(tail_in, (h0.reshape(1, B * n_cut, H), c0.reshape(1, B * n_cut, H)))
        mask = torch.as_tensor(s < count[:, None], device=dev)[None, :, :, None]
        out = out.reshape(B, n_cut, D, H).masked_fill(~mask, neutral)
        tail = out.amax(dim=2) if use_max else out.sum(dim=2)
        pooled_along = torch.maximum(pooled_along, tail) if use_max else pooled_along + tail

    # 2. direction against the cut: starts at the cut, so every cut is its own sequence
    pooled_against = edge.new_empty(B, n_cut, H)
    src = torch.cat([_pad_stack(refs, t_max, 0.0).transpose(1, 2),
                     edge, edge.new_zeros(B, 1, C)], dim=1)
    for lo in range(0, n_cut, _CUTS_PER_CALL):
        cuts = np.arange(lo, min(n_cut, lo + _CUTS_PER_CALL))
        Tc = T[cuts]
        t_b = int(Tc.max())
        s = np.arange(t_b)[None, :]
        pos = Tc[:, None] - 1 - s  # oriented column read at step s
        in_edge = pos >= (Tc - D)[:, None]
        e_idx = P * t_max + cuts[:, None] * D + np.clip(pos - (Tc - D)[:, None], 0, max(D - 1, 0))
        r_idx = plan.phase[cuts][:, None] * t_max + np.clip(pos, 0, t_max - 1)
        idx = np.where(s >= Tc[:, None], P * t_max + n_cut * D, np.where(in_edge, e_idx, r_idx))
        seq = src.index_select(1, torch.as_tensor(idx.reshape(-1), device=dev)).reshape(B * len(cuts), t_b, C)
        out, _ = against(seq)
        mask = torch.as_tensor(s < Tc[:, None], device=dev)[None, :, :, None]
        out = out.reshape(B, len(cuts), t_b, H).masked_fill(~mask, neutral)
        pooled_against[:, cuts] = out.amax(dim=2) if use_max else out.sum(dim=2)

    if not use_max:
        length = torch.as_tensor(T, device=dev, dtype=edge.dtype)[None, :, None]
        pooled_along, pooled_against = pooled_along / length, pooled_against / length
    h = torch.cat([pooled_along, pooled_against] if forward else [pooled_against, pooled_along], dim=2)
    return model.head(h)
