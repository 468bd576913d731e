"""Randomness that belongs to a row, not to a batch.

The reverse engine's dropout masks must be a deterministic function of
``(seed, the row's own content, the step)`` so that a row's result never
depends on which rows share its batch or their order. Each row gets a 64-bit
key hashed from its bytes and missingness pattern; the masks are drawn from a
counter-based generator (SplitMix64) keyed by it, all vectorised in NumPy.
"""

from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def splitmix64(values: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser applied elementwise to a uint64 array."""
    with np.errstate(over="ignore"):
        z = values + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
        return z ^ (z >> np.uint64(31))


def row_keys(X: np.ndarray, missing: np.ndarray, seed: int) -> np.ndarray:
    """One uint64 key per row from ``seed``, the observed values and the pattern.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Values; entries where ``missing`` is True are ignored.
    missing : ndarray of bool, same shape
    seed : int

    Returns
    -------
    ndarray of uint64, shape (n,)
    """
    values = np.where(missing, 0.0, np.asarray(X, dtype=np.float64))
    values = np.where(values == 0.0, 0.0, values)  # -0.0 and 0.0 hash alike
    bits = np.ascontiguousarray(values).view(np.uint64)
    pattern = missing.astype(np.uint64)
    key = np.full(X.shape[0], np.uint64(seed & 0xFFFFFFFFFFFFFFFF), dtype=np.uint64)
    key = splitmix64(key)
    with np.errstate(over="ignore"):
        for j in range(X.shape[1]):  # loop over columns, vectorised over rows
            key = splitmix64(key ^ bits[:, j] ^ (pattern[:, j] << np.uint64(63 - (j % 64))))
            key = key + np.uint64(j + 1) * _MIX1
    return key


def uniform_for_step(keys: np.ndarray, step: int, n_columns: int) -> np.ndarray:
    """Uniform [0, 1) numbers of shape (len(keys), n_columns) for a given step."""
    with np.errstate(over="ignore"):
        base = splitmix64(keys ^ (np.uint64(step + 1) * _MIX2))
        cols = np.arange(1, n_columns + 1, dtype=np.uint64) * _GOLDEN
        bits = splitmix64(base[:, None] + cols[None, :])
    return (bits >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def dropout_keep(keys: np.ndarray, step: int, n_columns: int, rate: float) -> np.ndarray:
    """Boolean keep-mask (True = kept) for input dropout at ``step``."""
    if rate <= 0:
        return np.ones((len(keys), n_columns), dtype=bool)
    return uniform_for_step(keys, step, n_columns) >= rate
