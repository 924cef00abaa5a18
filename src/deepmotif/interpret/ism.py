"""In-silico mutagenesis: the change of the positive-class logit when one position is set to another base.

For the CNN (convolutions, pointwise layers and max-pools, then a global max) a mutation at position j
changes each layer's map only in a short window around j; :func:`ism` recomputes just those windows from
the whole sequence's maps (as "Fast ISM", Sasse et al. 2023, does), and takes the global max as the max of
the recomputed window and of the unchanged columns on either side (running maxima of the whole-sequence
map). The numbers are those of scoring every mutant in full (float32 rounding apart); other models score
every mutant in full.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from deepmotif.data.onehot import reverse_complement
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
    fast = _window_plan(model)
    if fast is not None and len(X):
        out = _two_strand(model, X, lambda x: _windowed_ism(model, fast, x, batch_size, device), device)
    else:
        out = _full_ism(model, X, batch_size, device)
    if center:
        out -= out.mean(axis=1, keepdims=True)
    return out


def _full_ism(model, X, batch_size, device) -> np.ndarray:
    """Every mutant scored in full by ``model``, ``batch_size`` mutants per forward pass."""
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
    return out


def _window_plan(model):
    """The CNN's layers as (module, op) pairs when the windowed computation applies, else None."""
    from deepmotif.interpret.temporal import layer_ops
    from deepmotif.models import CNN

    if type(model) is not CNN:
        return None
    try:
        return list(zip(model.features.children(), layer_ops(model.features)))
    except ValueError:
        return None


def _two_strand(model, X, single, device) -> np.ndarray:
    """ISM of ``model``'s score from ``single`` (ISM of one strand's network): as it is for a one-strand
    model; for a model scoring both strands, the reverse strand's ISM (of the reverse complement, whose
    mutation at L-1-j to the complement base is this sequence's mutation at j) is mapped back and the two
    scores combined as the model combines them."""
    from deepmotif.evaluate import predict
    from deepmotif.models import combine_strands, one_strand

    with one_strand(model) as strands:
        forward = single(X)
        if strands == "single":
            return forward
        rc = reverse_complement(X)
        reverse = reverse_complement(single(rc))  # back onto this sequence's positions and bases
        ref_f = predict(model, X, device=device).astype(np.float32)[:, None, None]
        ref_r = predict(model, rc, device=device).astype(np.float32)[:, None, None]
    both = combine_strands(torch.from_numpy(ref_f + forward), torch.from_numpy(ref_r + reverse), strands)
    out = (both - combine_strands(torch.from_numpy(ref_f), torch.from_numpy(ref_r), strands)).numpy()
    out[X == 1] = 0.0
    return out


def _windowed_ism(model, plan, X, batch_size, device) -> np.ndarray:
    """ISM of a single-strand CNN by recomputing, per mutated position, only the columns it changes."""
    n, _, length = X.shape
    out = np.zeros_like(X)
    chunk = max(1, batch_size // 4)  # sequences per pass: 4 mutants each (every base; the observed one is 0)
    bases = torch.eye(4, device=device)[:, :, None]  # (4, 4, 1) one column per base
    with torch.no_grad():
        for start in range(0, n, chunk):
            x = torch.from_numpy(X[start:start + chunk]).to(device)
            refs = [x]
            for module, _ in plan:
                refs.append(module(refs[-1]))
            last = refs[-1]
            before = torch.cummax(last, dim=2).values  # max over columns 0..t
            after = torch.cummax(last.flip(2), dim=2).values.flip(2)  # max over columns t..T-1
            score = model.head(last.max(dim=2).values)
            rows = torch.arange(len(x), device=device).repeat_interleave(4)
            for j in range(length):
                window, a, b = bases.repeat(len(x), 1, 1), j, j
                for (module, op), ref_in, ref_out in zip(plan, refs[:-1], refs[1:]):
                    window, a, b = _layer_window(module, op, window, a, b, ref_in, rows, ref_out.shape[2])
                pooled = window.amax(dim=2)
                if a > 0:
                    pooled = torch.maximum(pooled, before[rows, :, a - 1])
                if b < last.shape[2] - 1:
                    pooled = torch.maximum(pooled, after[rows, :, b + 1])
                delta = (model.head(pooled) - score[rows]).view(len(x), 4)
                out[start:start + len(x), :, j] = delta.cpu().numpy()
    out[X == 1] = 0.0
    return out


def _layer_window(module, op, window, a, b, ref_in, rows, t_out):
    """One layer over a window: ``window`` holds columns a..b of the layer's input for the mutants of
    sequences ``rows`` (the rest of their input is those rows of ``ref_in``); returns the columns of the
    output they change, and their range."""
    if op[0] == "pointwise":
        return module(window), a, b
    if op[0] == "conv":
        k, pad = op[1], op[2]
        lo_out, hi_out = max(0, a + pad - k + 1), min(t_out - 1, b + pad)
        lo, hi = lo_out - pad, hi_out - pad + k - 1
    else:  # max-pool of width = stride s
        s = op[1]
        lo_out, hi_out = a // s, min(b // s, t_out - 1)
        lo, hi = lo_out * s, min(hi_out * s + s - 1, ref_in.shape[2] - 1)
    span = ref_in.new_zeros(len(rows), ref_in.shape[1], hi - lo + 1)  # zeros = the convolution's padding
    first, last = max(lo, 0), min(hi, ref_in.shape[2] - 1)
    span[:, :, first - lo:last - lo + 1] = ref_in[:, :, first:last + 1][rows]
    span[:, :, a - lo:b - lo + 1] = window
    if op[0] == "conv":
        return F.conv1d(span, module.weight, module.bias), lo_out, hi_out
    return F.max_pool1d(span, op[1], op[1], ceil_mode=op[2]), lo_out, hi_out
