"""Saliency maps (Simonyan et al. 2013, as in the Deep Motif Dashboard): |∂ score / ∂ x| × x."""

from __future__ import annotations

import contextlib

import numpy as np
import torch
from deepmotif.interpret.inputs import check_one_hot, model_device


def _no_cudnn_rnn(device: torch.device):
    # cuDNN's LSTM refuses a backward pass in eval mode; the native kernel does not.
    return torch.backends.cudnn.flags(enabled=False) if device.type == "cuda" else contextlib.nullcontext()


def input_gradients(model: torch.nn.Module, X: np.ndarray, batch_size: int = 256,
                    device: str | torch.device | None = None) -> np.ndarray:
    """Gradient of the positive-class logit with respect to the one-hot input.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (N, 4, L) to (N,) logits.
    X : numpy.ndarray
        (N, 4, L) one-hot sequences.
    batch_size : int
        Sequences per backward pass.
    device : str or torch.device, optional
        Default: the model's device.

    Returns
    -------
    numpy.ndarray
        (N, 4, L) float32 gradients.
    """
    X = check_one_hot(X, batch_size)
    device = model_device(model, device)
    model.eval()
    out = np.empty_like(X)
    with _no_cudnn_rnn(device):
        for i in range(0, len(X), batch_size):
            xb = torch.tensor(X[i:i + batch_size], device=device, requires_grad=True)
            model(xb).sum().backward()
            out[i:i + batch_size] = xb.grad.detach().cpu().numpy()
    return out


def saliency(model: torch.nn.Module, X: np.ndarray, batch_size: int = 256,
             device: str | torch.device | None = None) -> np.ndarray:
    """Saliency map |∂ logit / ∂ x| × x: the gradient's magnitude at the observed base, zero elsewhere.

    Returns
    -------
    numpy.ndarray
        (N, 4, L) float32, non-negative.
    """
    return np.abs(input_gradients(model, X, batch_size, device)) * np.asarray(X, dtype=np.float32)
