"""Saliency maps (Simonyan et al. 2013, as in the Deep Motif Dashboard): |∂ score / ∂ x| × x."""

from __future__ import annotations

import contextlib
import functools

import numpy as np
import torch
import torch.nn.functional as F
from deepmotif.interpret.inputs import check_one_hot, model_device


def _no_cudnn_rnn(device: torch.device):
    # cuDNN's LSTM refuses a backward pass in eval mode; the native kernel does not.
    return torch.backends.cudnn.flags(enabled=False) if device.type == "cuda" else contextlib.nullcontext()


def pool2(x: torch.Tensor, ceil_mode: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Max-pool of width and stride 2 over the last axis, and a mask (x's dtype) of the windows whose second
    column won (ties go to the first, as in ``max_pool1d``): two strided views, cheaper on a CPU than
    ``max_pool1d``'s indices (a fifth of a CNN's input-gradient time)."""
    if x.shape[-1] % 2:
        x = F.pad(x, (0, 1), value=-float("inf")) if ceil_mode else x[..., :-1]
    first, second = x[..., 0::2], x[..., 1::2]
    return torch.maximum(first, second), (second > first).to(x.dtype)


def unpool2(grad: torch.Tensor, won: torch.Tensor, length: int) -> torch.Tensor:
    """``grad`` (one value per window of :func:`pool2`) at the column that won each window, 0 elsewhere, on
    an axis of ``length``: ``max_pool1d``'s gradient."""
    out = grad.new_empty(*grad.shape, 2)  # written in place: torch.stack on the last axis is slow
    torch.mul(grad, won, out=out[..., 1])
    torch.sub(grad, out[..., 1], out=out[..., 0])
    out = out.flatten(-2)
    return out[..., :length] if out.shape[-1] >= length else F.pad(out, (0, length - out.shape[-1]))


def is_pool2(module: torch.nn.Module) -> bool:
    """Whether ``module`` is an ``nn.MaxPool1d`` that :func:`pool2` computes (width = stride = 2, no
    padding, no dilation, no indices returned)."""
    return (type(module) is torch.nn.MaxPool1d and module.kernel_size in (2, (2,)) and module.stride in (2, (2,))
            and module.padding in (0, (0,)) and module.dilation in (1, (1,)) and not module.return_indices)


class _Pool2(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, ceil_mode):
        y, won = pool2(x, ceil_mode)
        ctx.save_for_backward(won)
        ctx.length = x.shape[-1]
        return y

    @staticmethod
    def backward(ctx, grad):
        return unpool2(grad, ctx.saved_tensors[0], ctx.length), None


@contextlib.contextmanager
def replaced_forward(modules, forward):
    """Within the block each module of ``modules`` computes ``forward(module, x)`` instead of its own
    ``forward`` (an instance attribute over the class's method, removed afterwards)."""
    for m in modules:
        m.forward = functools.partial(forward, m)
    try:
        yield
    finally:
        for m in modules:
            del m.forward


def _fast_pools(model: torch.nn.Module):
    """Within the block the model's width-2 max-pools (:func:`is_pool2`) run as :func:`pool2`: the same
    values and gradients."""
    return replaced_forward([m for m in model.modules() if is_pool2(m)],
                            lambda m, x: _Pool2.apply(x, m.ceil_mode))


def input_gradients(model: torch.nn.Module, X: np.ndarray, batch_size: int = 32,
                    device: str | torch.device | None = None) -> np.ndarray:
    """Gradient of the positive-class logit with respect to the one-hot input.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (N, 4, L) to (N,) logits.
    X : numpy.ndarray
        (N, 4, L) one-hot sequences.
    batch_size : int
        Sequences per backward pass. On a CPU a few dozen keep the activations in cache: for 200 sequences
        through the default CNN, 32 at a time took half the time of 256 (one thread).
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
    with _no_cudnn_rnn(device), _fast_pools(model):
        for i in range(0, len(X), batch_size):
            xb = torch.from_numpy(X[i:i + batch_size]).to(device).requires_grad_(True)
            # the gradient of the input only: .backward() would also compute every weight's gradient (as
            # much work again for a convolution) and leave it in the model's .grad
            out[i:i + batch_size] = torch.autograd.grad(model(xb).sum(), xb)[0].cpu().numpy()
    return out


def saliency(model: torch.nn.Module, X: np.ndarray, batch_size: int = 32,
             device: str | torch.device | None = None) -> np.ndarray:
    """Saliency map |∂ logit / ∂ x| × x: the gradient's magnitude at the observed base, zero elsewhere.

    Returns
    -------
    numpy.ndarray
        (N, 4, L) float32, non-negative.
    """
    return np.abs(input_gradients(model, X, batch_size, device)) * np.asarray(X, dtype=np.float32)
