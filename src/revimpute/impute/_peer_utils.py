"""Helpers shared by the generative peer imputers (GAIN, MIWAE, Sinkhorn).

The algorithms live in ``_gain.py``, ``_miwae.py`` and ``_sinkhorn.py``; this
module holds what they do alike: turning ``random_state`` into local
generators, building linear layers without touching PyTorch's global random
state, and standardising columns.
"""

from __future__ import annotations

import numpy as np
import torch

from revimpute.impute._base import check_generator


def torch_generator(seed: int) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with ``seed`` (the global generator is left alone)."""
    return torch.Generator().manual_seed(int(seed))


def draw_seeds(random_state: object, count: int) -> list[int]:
    """Draw ``count`` independent 63-bit seeds from ``random_state``.

    As :func:`revimpute.impute._base.check_generator`: None gives fresh
    entropy, an int a fixed stream, and an instance is drawn from (and so
    advanced).
    """
    rng = check_generator(random_state)
    return [int(s) for s in rng.integers(0, 2**63 - 1, size=count)]


def make_linear(n_in: int, n_out: int) -> torch.nn.Linear:
    """An uninitialised ``nn.Linear`` built without drawing from the global generator.

    PyTorch initialises a new layer from its global random state; building it
    on the ``meta`` device and materialising it empty avoids that. The caller
    initialises the weights from its own generator.
    """
    return torch.nn.Linear(n_in, n_out, device="meta").to_empty(device="cpu")


def default_bias_init_(layer: torch.nn.Linear, generator: torch.Generator) -> None:
    """Draw ``layer.bias`` as PyTorch's default init does, U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1.0 / np.sqrt(layer.in_features)
    with torch.no_grad():
        layer.bias.uniform_(-bound, bound, generator=generator)


def column_scale(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of the observed values of each column.

    A column whose observed values are all equal gets a scale of 1, so
    standardising it gives zeros instead of NaN.
    """
    mean = np.nanmean(X, axis=0)
    std = np.nanstd(X, axis=0)
    std = np.where(std > 0, std, 1.0)
    return mean, std
