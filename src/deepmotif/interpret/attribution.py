"""Reference-based attributions (integrated gradients, DeepLIFT-SHAP) and corrected gradients.

Library choice: Captum (``captum==0.9.0``, PyTorch's own interpretability library) rather than tangermeme.
Captum is architecture-agnostic: its integrated gradients works through the LSTMs of the RNN and CNN-RNN
(any differentiable model), its DeepLift takes one reference per input (so per-sequence dinucleotide
shuffles are just a batch of baselines), it installs without pulling other packages into this environment
and it works with torch 2.13. tangermeme's ``deep_lift_shap`` is built for exactly our (N, 4, L) one-hot
layout with shuffled references, but it supports only the nonlinear modules it knows (our exponential
activation would need registering) and no LSTMs, and it brings an extra dependency (figwig). The genomics
conventions tangermeme bakes in (dinucleotide-shuffled references, averaging over references, projecting
onto the observed base) are applied here around Captum.

Every attribution returned here is "attribution x input" shaped (N, 4, L): the per-position total of the
method's attributions, placed at the observed base and zero at the other three bases (so a map sums to
``f(x) - mean_r f(r)``, up to the method's approximation error).

DeepLIFT's rescale rule applies to modules Captum knows (ReLU, max-pool, ...); the CNN's global max, the
exponential activation and the LSTM's gates are passed through with their plain gradients, so for those
models DeepLIFT's summation-to-delta holds only approximately; integrated gradients converges for any
model as ``n_steps`` grows.

Where a model's only nonlinear modules of Captum's list are ``nn.ReLU`` and ``nn.MaxPool1d`` with windows
that do not overlap (all three architectures), :func:`deep_lift_shap` applies Captum's rules itself
(:class:`_RescaleReLU`, :class:`_RescaleMaxPool1d`), Captum's way of chaining them included (:class:`_Link`):
it differentiates the input only, keeps no copies of the activations, computes each module once and passes
a few sequences' references at a time (activations that stay in a CPU's cache), about half Captum's time.
One departure: Captum's max-pool rule falls back, where a pooled input does not change, to the gradient of
the *first* sequence of its batch (it indexes ``grad_input[0]`` of a tensor), so its maps depend on the
batching; here each sequence and reference gets its own, the rule's intent. The two differ only where a
sequence and a reference agree exactly at a pooled unit (200 GATA1 sequences x 10 shuffles through the
CNN: 2e-9 at most; 1e-4 in one pair of 2000 random ones). tangermeme's DeepLIFT rules differ from Captum's at
max-pool layers (its fallback there, and the chaining), so its maps of a CNN with max-pool differ from these;
without max-pool they agree (``benchmarks/bench_attribution.py`` prints the difference).

Models that score both strands (``strands`` mean / max): integrated gradients differentiates the combined
score directly; DeepLIFT explains each strand's network on its own and combines the maps
(:func:`_attribute`), as its hooks cannot follow a module used twice in one pass.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
import torch.nn.functional as F

from deepmotif.data.onehot import reverse_complement
from deepmotif.data.shuffle import dinucleotide_shuffle
from deepmotif.interpret.saliency import _no_cudnn_rnn, input_gradients, pool2, replaced_forward, unpool2
from deepmotif.interpret.inputs import check_one_hot, model_device


def correct_gradients(grads: np.ndarray) -> np.ndarray:
    """Gradient correction of Majdandzic et al. (2023): subtract the mean over the 4 bases per position.

    Removes the off-simplex component of input gradients of one-hot data (the direction no one-hot input
    can move in), which is noise.

    Parameters
    ----------
    grads : numpy.ndarray
        (N, 4, L) input gradients.

    Returns
    -------
    numpy.ndarray
        (N, 4, L), same dtype; every column sums to 0.
    """
    grads = np.asarray(grads)
    if grads.ndim != 3 or grads.shape[1] != 4:
        raise ValueError(f"grads must be (N, 4, L), got shape {grads.shape}")
    return grads - grads.mean(axis=1, keepdims=True)


def corrected_saliency(model: torch.nn.Module, X: np.ndarray, absolute: bool = True, batch_size: int = 32,
                       device: str | torch.device | None = None) -> np.ndarray:
    """Saliency map from corrected gradients: ``|g - mean_b g| x X`` (or signed with ``absolute=False``).

    Parameters
    ----------
    model : torch.nn.Module
        Maps (N, 4, L) to (N,) logits.
    X : numpy.ndarray
        (N, 4, L) one-hot sequences.
    absolute : bool
        Magnitude (as :func:`deepmotif.interpret.saliency.saliency`) or signed corrected gradient x input.
    batch_size : int
        Sequences per backward pass.
    device : str or torch.device, optional
        Default: the model's device.

    Returns
    -------
    numpy.ndarray
        (N, 4, L) float32, nonzero only at the observed bases.
    """
    g = correct_gradients(input_gradients(model, X, batch_size, device))
    return (np.abs(g) if absolute else g) * np.asarray(X, dtype=np.float32)


def _check(X, n_shuffles, batch_size):
    X = check_one_hot(X, batch_size)
    if n_shuffles < 1:
        raise ValueError(f"n_shuffles must be >= 1, got {n_shuffles}")
    return X


def _references(X, baseline, n_shuffles, random_state):
    """(N * S, 4, L) inputs (each sequence repeated S times) and their references."""
    rep = np.repeat(X, n_shuffles, axis=0)
    if isinstance(baseline, str):
        if baseline == "shuffle":
            return rep, dinucleotide_shuffle(rep, random_state=random_state).astype(np.float32)
        if baseline == "zeros":
            return rep, np.zeros_like(rep)
        if baseline == "uniform":
            return rep, np.full_like(rep, 0.25)
        raise ValueError(f"baseline must be 'shuffle', 'zeros', 'uniform' or an (N, 4, L) array, got {baseline!r}")
    ref = np.asarray(baseline, dtype=np.float32)
    if ref.shape != X.shape:
        raise ValueError(f"baseline array must have the shape of X {X.shape}, got {ref.shape}")
    return rep, np.repeat(ref, n_shuffles, axis=0)


def _totals(explainer, rep, ref, step, device, **kwargs) -> np.ndarray:
    """(N * S, L) per-position totals of ``explainer``'s attributions of ``rep`` against ``ref``."""
    out = np.empty(rep.shape[0:1] + rep.shape[2:], dtype=np.float32)
    with _no_cudnn_rnn(device), warnings.catch_warnings():
        # Captum's DeepLift announces that it hooks the nonlinear modules; that is the method, not a problem
        warnings.filterwarnings("ignore", message="Setting forward, backward hooks")
        for i in range(0, len(rep), step):
            x = torch.from_numpy(rep[i:i + step]).to(device).requires_grad_(True)
            r = torch.from_numpy(ref[i:i + step]).to(device)
            attr = explainer.attribute(x, baselines=r, **kwargs)
            out[i:i + step] = attr.detach().sum(dim=1).cpu().numpy()
    return out


#: Captum's eps: where |input - reference| is below it a rule falls back to the plain gradient
_EPS = 1e-10


def _halves(t):
    """(2 n, ...) → (2, n, ...): the sequences' half and the references' half of a DeepLIFT batch."""
    return t.reshape(2, t.shape[0] // 2, *t.shape[1:])


class _Link:
    """What one hooked module's backward pass leaves for the hooked module whose output is its input.

    Captum hooks a module's input tensor to apply its rule, and the module before reads the gradient of
    its output from a hook registered earlier on that same tensor: where one hooked module feeds another
    (the CNN's ReLU → max-pool), the first one's rule sees the second one's *plain* gradient, and its
    fallback the second one's rule. ``plain`` carries that plain gradient back.
    """

    plain = None


class _RescaleReLU(torch.autograd.Function):
    """ReLU whose backward pass is DeepLIFT's rescale rule (Captum's ``nonlinear``) on a batch of sequences
    followed by their references: the output's gradient times (f(x) - f(r)) / (x - r) for both halves, the
    plain gradient where x - r is below ``_EPS``."""

    @staticmethod
    def forward(ctx, x, link, upstream):
        y = torch.relu(x)
        ctx.save_for_backward(x, y)
        ctx.link, ctx.upstream = link, upstream
        return y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        xs, ys = _halves(x), _halves(y)
        d_in = xs[0] - xs[1]
        out_grad = grad if ctx.link.plain is None else ctx.link.plain
        result = _halves(out_grad) * ((ys[0] - ys[1]) / d_in)
        small = d_in.abs() < _EPS  # x = r before the ReLU: rare (the same receptive field), so checked first
        if ctx.upstream is not None or small.any():
            plain = torch.ops.aten.threshold_backward(grad, x, 0)  # the ReLU's own gradient, as autograd's
            if ctx.upstream is not None:
                ctx.upstream.plain = plain
            result = torch.where(small, _halves(plain), result)
        return result.reshape(x.shape), None, None


class _RescaleMaxPool1d(torch.autograd.Function):
    """Max-pool (windows that do not overlap) whose backward pass is Captum's DeepLIFT rule ``maxpool``:
    the change of each window's max, split between sequence and reference as Captum splits it, routed to
    the positions that won the max and divided by their change; the plain gradient where an input does not
    change (each sample's own: Captum takes its batch's first sample's, see the module docstring)."""

    @staticmethod
    def forward(ctx, x, kernel, ceil_mode, link, upstream):
        ctx.kernel, ctx.link, ctx.upstream, ctx.length = kernel, link, upstream, x.shape[-1]
        if kernel == 2:  # the default: strided views, cheaper than max_pool1d's indices and max_unpool1d
            y, won = pool2(x, ceil_mode)
        else:
            y, won = F.max_pool1d(x, kernel, kernel, 0, 1, ceil_mode, True)
        ctx.save_for_backward(x, y, won)
        return y

    @staticmethod
    def _unpool(ctx, grad, won):
        """``grad`` (per window) at the input column that won each window, 0 elsewhere."""
        if ctx.kernel == 2:
            return unpool2(grad, won, ctx.length)
        return F.max_unpool1d(grad, won, ctx.kernel, ctx.kernel, 0, (ctx.length,))

    @staticmethod
    def backward(ctx, grad):
        x, y, won = ctx.saved_tensors
        plain = _RescaleMaxPool1d._unpool(ctx, grad, won)
        out_grad = grad if ctx.link.plain is None else ctx.link.plain
        if ctx.upstream is not None:
            ctx.upstream.plain = plain
        o, o_ref = _halves(y)
        top = torch.maximum(o, o_ref)
        delta_out = torch.cat([top - o_ref, o - top])
        routed = _halves(_RescaleMaxPool1d._unpool(ctx, out_grad * delta_out, won)).sum(dim=0)
        xs = _halves(x)
        d_in = xs[0] - xs[1]
        return torch.where(d_in.abs() < _EPS, _halves(plain), routed / d_in).reshape(x.shape), None, None, None, None


def _rescale_modules(model):
    """The model's ``nn.ReLU`` and ``nn.MaxPool1d`` modules for the fast DeepLIFT, or None where it has a
    nonlinear module of Captum's list that is neither (or a max-pool whose windows overlap): Captum's
    DeepLift then runs."""
    from captum.attr._core.deep_lift import SUPPORTED_NON_LINEAR

    modules = []
    for module in model.modules():
        if type(module) is torch.nn.MaxPool1d:
            k = module.kernel_size
            if not (isinstance(k, int) and module.stride in (k, (k,)) and module.padding in (0, (0,))
                    and module.dilation in (1, (1,))):
                return None
        elif type(module) is not torch.nn.ReLU:
            if type(module) in SUPPORTED_NON_LINEAR:
                return None
            continue
        modules.append(module)
    return modules


def _rescale_totals(model, modules, rep, ref, step, device) -> np.ndarray:
    """(N * S, L) per-position totals of DeepLIFT (Captum's rules, :func:`_rescale_modules`): one pass over
    ``step`` sequences followed by their references, the gradient of the sum of all scores with respect to
    the sequences (as Captum takes it), times (x - r)."""
    made = {}  # id(output of a hooked module) -> (output, its _Link), for the module it feeds

    def rule(module, x):
        upstream = made.get(id(x), (None, None))[1]
        link = _Link()
        if type(module) is torch.nn.ReLU:
            y = _RescaleReLU.apply(x, link, upstream)
        else:
            y = _RescaleMaxPool1d.apply(x, module.kernel_size, module.ceil_mode, link, upstream)
        made[id(y)] = (y, link)  # the tensor is kept so that its id is not reused in this pass
        return y

    out = np.empty(rep.shape[0:1] + rep.shape[2:], dtype=np.float32)
    # the rule computes the module's output: no second forward pass through it
    try:
        with _no_cudnn_rnn(device), replaced_forward(modules, rule):
            for i in range(0, len(rep), step):
                made.clear()
                x = torch.from_numpy(rep[i:i + step]).to(device).requires_grad_(True)
                r = torch.from_numpy(ref[i:i + step]).to(device)
                grad = torch.autograd.grad(model(torch.cat([x, r])).sum(), x)[0]
                out[i:i + step] = ((x.detach() - r) * grad).sum(dim=1).cpu().numpy()
    finally:
        made.clear()
    return out


def _attribute(method, model, X, baseline, n_shuffles, batch_size, device, random_state, per_strand=False,
               **kwargs):
    """Attribution x input of ``method`` averaged over the references. ``per_strand`` (DeepLIFT, whose hooks
    cannot follow a network used twice in one pass): a model scoring both strands (``strands`` mean / max)
    is explained one strand at a time, the reverse strand's map (of the reverse complement against the
    reverse-complemented references) mapped back onto the forward sequence, and the two combined as the
    score combines them: averaged (mean), or the map of the strand that scores higher (max)."""
    from deepmotif.models import one_strand, strands_of

    device = model_device(model, device)
    model.eval()
    if len(X) == 0:
        return np.zeros_like(X)
    rep, ref = _references(X, baseline, n_shuffles, random_state)
    step = batch_size * n_shuffles
    modules = _rescale_modules(model) if method == "deeplift" else None
    if modules is not None:
        def totals(rep, ref):
            return _rescale_totals(model, modules, rep, ref, step, device)
    else:
        from captum.attr import DeepLift

        explainer = (DeepLift if method == "deeplift" else method)(model)

        def totals(rep, ref):
            return _totals(explainer, rep, ref, step, device, **kwargs)
    strands = strands_of(model) if per_strand else "single"
    if strands == "single":
        out = totals(rep, ref)
    else:
        with one_strand(model):
            out = totals(rep, ref)
            rev = totals(reverse_complement(rep), reverse_complement(ref))[:, ::-1]
            if strands == "mean":
                out = (out + rev) / 2
            else:
                from deepmotif.evaluate import predict

                rc_wins = predict(model, reverse_complement(X), device=device) > predict(model, X, device=device)
                wins = np.repeat(rc_wins, n_shuffles)
                out[wins] = rev[wins]
    totals = out.reshape(len(X), n_shuffles, -1).mean(axis=1)  # average over references
    return totals[:, None, :] * X


def integrated_gradients(model: torch.nn.Module, X: np.ndarray, baseline="shuffle", n_shuffles: int = 4,
                         n_steps: int = 32, batch_size: int = 64, random_state: int = 0,
                         device: str | torch.device | None = None) -> np.ndarray:
    """Integrated gradients (Sundararajan et al. 2017, Captum) x input, averaged over references.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (N, 4, L) to (N,) logits; any architecture (LSTMs included).
    X : numpy.ndarray
        (N, 4, L) one-hot sequences.
    baseline : {"shuffle", "zeros", "uniform"} or numpy.ndarray
        References: ``n_shuffles`` dinucleotide shuffles of each sequence (default), all-zero, 0.25
        everywhere, or one (N, 4, L) array (then every one of the ``n_shuffles`` copies uses it; use 1).
    n_shuffles : int
        References per sequence, >= 1; attributions are averaged over them.
    n_steps : int
        Riemann / Gauss-Legendre steps of the path integral, >= 1.
    batch_size : int
        Sequences per call (times ``n_shuffles`` x ``n_steps`` forward passes in Captum's internal batch).
    random_state : int
        Seed of the shuffles.
    device : str or torch.device, optional
        Default: the model's device.

    Returns
    -------
    numpy.ndarray
        (N, 4, L) float32; each column's total attribution at the observed base.
    """
    from captum.attr import IntegratedGradients

    X = _check(X, n_shuffles, batch_size)
    if n_steps < 1:
        raise ValueError(f"n_steps must be >= 1, got {n_steps}")
    return _attribute(IntegratedGradients, model, X, baseline, n_shuffles, batch_size, device, random_state,
                      n_steps=n_steps, internal_batch_size=batch_size * n_shuffles * 4)


def deep_lift_shap(model: torch.nn.Module, X: np.ndarray, n_shuffles: int = 10, batch_size: int = 4,
                   random_state: int = 0, baseline="shuffle",
                   device: str | torch.device | None = None) -> np.ndarray:
    """DeepLIFT-SHAP (Lundberg & Lee 2017) x input: DeepLIFT (Captum, rescale rule) against ``n_shuffles``
    dinucleotide shuffles of each sequence, averaged over the references.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (N, 4, L) to (N,) logits. Exact DeepLIFT rules for ReLU / max-pool layers; see the module
        docstring for the global max, exp activation and LSTMs.
    X : numpy.ndarray
        (N, 4, L) one-hot sequences.
    n_shuffles : int
        References per sequence, >= 1.
    batch_size : int
        Sequences per pass, each with its ``n_shuffles`` references: a few keep the activations in a CPU's
        cache (on the CNN, 4 took half the time of 64); a GPU wants more.
    random_state : int
        Seed of the shuffles.
    baseline : {"shuffle", "zeros", "uniform"} or numpy.ndarray
        As in :func:`integrated_gradients`.
    device : str or torch.device, optional
        Default: the model's device.

    Returns
    -------
    numpy.ndarray
        (N, 4, L) float32; each column's total attribution at the observed base.
    """
    X = _check(X, n_shuffles, batch_size)
    return _attribute("deeplift", model, X, baseline, n_shuffles, batch_size, device, random_state,
                      per_strand=True)
