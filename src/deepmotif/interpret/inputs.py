"""Input checks shared by every attribution method: one-hot shape, batch size, and the device to use."""

from __future__ import annotations

import numpy as np
import torch


def check_one_hot(X, batch_size: int = 1) -> np.ndarray:
    """``X`` as float32 after checking it is (N, 4, L) with L >= 1, and that ``batch_size`` >= 1."""
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 3 or X.shape[1] != 4 or X.shape[2] < 1:
        raise ValueError(f"X must be (N, 4, L) one-hot with L >= 1, got shape {X.shape}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    return X


def model_device(model: torch.nn.Module, device=None) -> torch.device:
    """``device`` as given, else the device of the model's parameters."""
    return torch.device(device) if device is not None else next(model.parameters()).device
