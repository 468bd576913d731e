"""Random draws of multiple imputation that belong to a row, not to a batch.

Imputation ``k`` of a row is a deterministic function of ``(seed, k, the
row's own content)``: the uniforms come from the counter-based generator of
:mod:`revimpute.reverse.row_noise`, keyed by the row's observed values and
missingness pattern, so a row's draws never depend on the other rows.

A number cell of imputation ``k`` is

    network ``e(k)``'s imputation  +  cell_scale * shrink * r,

where ``r`` is drawn from the column's held-out normalised residuals and
``shrink = sqrt(max(0, 1 - (spread / cell_scale)**2 / mean(r**2)))``: the
networks' disagreement is a shared (across rows) part of the imputation
uncertainty, and the residual draw adds what remains of the held-out error
variance, so that the draws' variance around the ensemble's estimate is the
calibrated one. A boolean or categorical cell is drawn from network ``e(k)``'s
probabilities.
"""

from __future__ import annotations

import numpy as np

from revimpute.reverse.row_noise import row_keys, splitmix64, uniform_for_step

_DRAW_SALT = np.uint64(0xA0761D6478BD642F)


def draw_keys(X: np.ndarray, missing: np.ndarray, seed: int) -> np.ndarray:
    """One key per row from the draw seed and the row's content (:func:`row_keys`)."""
    with np.errstate(over="ignore"):
        return splitmix64(row_keys(X, missing, seed) ^ _DRAW_SALT)


def uniforms(keys: np.ndarray, imputation: int, n_columns: int, stream: int = 0) -> np.ndarray:
    """Uniform [0, 1) numbers of shape (rows, n_columns) for imputation ``imputation``.

    ``stream`` separates independent uses (0: residual draws, 1: class draws).
    """
    return uniform_for_step(keys, 2 * int(imputation) + int(stream), n_columns)


def pick(pool: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``pool[floor(u * len(pool))]`` for each uniform ``u``: a draw from the empirical distribution."""
    index = np.minimum((u * pool.size).astype(np.int64), pool.size - 1)
    return pool[index]


def shrink(spread: np.ndarray, scale: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Factor on the residual draw so that the draw's variance matches the held-out one.

    The networks' spread already moves the centre of imputation ``k``; the
    residual adds ``1 - (spread / scale)**2 / mean(pool**2)`` of the held-out
    variance (in units of ``scale``), never less than 0.
    """
    second_moment = float(np.mean(pool**2)) if pool.size else 1.0
    if second_moment <= 0:
        return np.zeros_like(scale)
    return np.sqrt(np.clip(1.0 - (spread / scale) ** 2 / second_moment, 0.0, 1.0))


def draw_class(probabilities: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index of the class drawn from each row of ``probabilities`` (inverse CDF at ``u``)."""
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 0.0, None)
    total = p.sum(axis=1, keepdims=True)
    p = np.where(total > 0, p / np.where(total > 0, total, 1.0), 1.0 / p.shape[1])
    cumulative = np.cumsum(p, axis=1)
    return np.minimum((cumulative < u[:, None]).sum(axis=1), p.shape[1] - 1)
