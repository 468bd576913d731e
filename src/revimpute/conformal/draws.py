"""Random draws of multiple imputation that belong to a row, not to a batch.

Imputation ``k`` of a row is a deterministic function of ``(seed, k, the
row's own content)``: the uniforms come from the counter-based generator of
:mod:`revimpute.reverse.row_noise`, keyed by the row's observed values and
missingness pattern, so a row's draws never depend on the other rows.

A number cell of imputation ``k`` is

    mean + (e_k - mean) / sqrt(n_networks)  +  r,

where ``mean`` is the ensemble's imputation (of that imputation's search
pass) and ``e_k`` network ``e(k)``'s: the ensemble's estimate is a mean over
networks trained from different random starts, and the shift is a draw of
that mean's uncertainty (its standard error is the networks' spread over
``sqrt(n_networks)``). ``r`` is drawn from an approximate Bayesian bootstrap (Rubin and
Schenker, 1986) of the column's held-out residuals ``truth - imputed`` (network
units): imputation ``k`` first resamples the column's residuals with
replacement (:func:`resample`, a function of ``(seed, k, column)`` alone, so
the same for every row), then each cell draws one residual from that
resample (:func:`pick`). The held-out residuals are the ensemble's own errors
on cells no network trained on, so the draws' variance around the ensemble's
estimate is the held-out one; the resampling makes the imputations differ
the way the residual distribution itself is uncertain (its mean, the
ensemble's bias on the column, and its variance, estimated from a few dozen
cells), which is what makes the imputations "proper" for Rubin's rules, as
``mice``'s ``norm`` draws ``sigma`` and ``beta`` from their posterior before
drawing the noise. A boolean or categorical cell is drawn from network
``e(k)``'s probabilities.
"""

from __future__ import annotations

import numpy as np

from revimpute.reverse.row_noise import row_keys, splitmix64, uniform_for_step

_DRAW_SALT = np.uint64(0xA0761D6478BD642F)
_RESAMPLE_SALT = 0xB007_5EED


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


def resample(pool: np.ndarray, seed: int, imputation: int, column: int) -> np.ndarray:
    """The first step of the approximate Bayesian bootstrap: ``pool`` resampled with replacement.

    A function of ``(seed, imputation, column)`` and the pool alone (the same
    for every row of every batch); the result has the pool's size.
    """
    pool = np.asarray(pool)
    if pool.size == 0:
        return pool
    rng = np.random.default_rng([int(seed), int(imputation), int(column), _RESAMPLE_SALT])
    return pool[rng.integers(0, pool.size, pool.size)]


def draw_class(probabilities: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index of the class drawn from each row of ``probabilities`` (inverse CDF at ``u``)."""
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 0.0, None)
    total = p.sum(axis=1, keepdims=True)
    p = np.where(total > 0, p / np.where(total > 0, total, 1.0), 1.0 / p.shape[1])
    cumulative = np.cumsum(p, axis=1)
    return np.minimum((cumulative < u[:, None]).sum(axis=1), p.shape[1] - 1)
