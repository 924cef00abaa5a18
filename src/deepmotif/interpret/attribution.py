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

Models that score both strands (``strands`` mean / max): integrated gradients differentiates the combined
score directly; DeepLIFT explains each strand's network on its own and combines the maps
(:func:`_attribute`), as its hooks cannot follow a module used twice in one pass.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from deepmotif.data.onehot import reverse_complement
from deepmotif.data.shuffle import dinucleotide_shuffle
from deepmotif.interpret.saliency import _no_cudnn_rnn, input_gradients
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


def corrected_saliency(model: torch.nn.Module, X: np.ndarray, absolute: bool = True, batch_size: int = 256,
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
    explainer = method(model)
    step = batch_size * n_shuffles
    strands = strands_of(model) if per_strand else "single"
    if strands == "single":
        out = _totals(explainer, rep, ref, step, device, **kwargs)
    else:
        with one_strand(model):
            out = _totals(explainer, rep, ref, step, device, **kwargs)
            rev = _totals(explainer, reverse_complement(rep), reverse_complement(ref), step, device,
                          **kwargs)[:, ::-1]
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


def deep_lift_shap(model: torch.nn.Module, X: np.ndarray, n_shuffles: int = 10, batch_size: int = 64,
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
        Sequences per call.
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
    from captum.attr import DeepLift

    X = _check(X, n_shuffles, batch_size)
    return _attribute(DeepLift, model, X, baseline, n_shuffles, batch_size, device, random_state,
                      per_strand=True)
