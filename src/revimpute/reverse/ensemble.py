"""An ensemble of frozen networks as the reverse search sees it.

A fitted :class:`~revimpute.ReverseImputer` holds one or more networks; each
is searched with its code radius (the spherical penalty's target) and its own
dropout seed, and the networks' fills are averaged by :func:`ensemble_mean`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch


class Network(NamedTuple):
    """One frozen network of an ensemble, with what its search needs."""

    model: torch.nn.Module
    """The trained autoencoder (its weights are not changed by the search)."""
    radius: float
    """Mean norm of the network's codes on the training rows."""
    seed: int
    """Seed of the network's row-keyed dropout streams."""


def ensemble_mean(arrays: list[np.ndarray]) -> np.ndarray:
    """Average the networks' float32 outputs, summed in float64.

    Parameters
    ----------
    arrays : list of ndarray of float32
        One array per network, all of the same shape.

    Returns
    -------
    ndarray of float32
        Their mean; a single network's array is returned as is.

    Examples
    --------
    >>> import numpy as np
    >>> ensemble_mean([np.float32([1.0, 2.0]), np.float32([2.0, 4.0])])
    array([1.5, 3. ], dtype=float32)
    """
    if len(arrays) == 1:
        return arrays[0]
    return (np.sum([a.astype(np.float64) for a in arrays], axis=0) / len(arrays)).astype(np.float32)
