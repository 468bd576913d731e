"""Little's (1988) test that values are missing completely at random (MCAR).

The mean and covariance of the data are estimated by EM under a multivariate
normal model (all rows, every observed value used). For each missingness
pattern ``j`` with ``n_j`` rows and observed variables ``o_j``, the test adds

    d_j^2 = n_j (ybar_j - mu_oj)^T Sigma_oj^{-1} (ybar_j - mu_oj)

and compares ``d^2 = sum_j d_j^2`` with a chi-square distribution with
``sum_j |o_j| - p`` degrees of freedom. Under MCAR the pattern means all
estimate the same ``mu``, so a large ``d^2`` (small p-value) says the gaps are
not completely at random.

Reference: R. J. A. Little, "A Test of Missing Completely at Random for
Multivariate Data with Missing Values", JASA 83 (1988) 1198-1202.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, stats

from revimpute.exceptions import InputDataError


@dataclass(frozen=True)
class LittleResult:
    """Outcome of :func:`little_mcar_test`.

    Attributes
    ----------
    statistic : float
        Little's ``d^2``.
    df : int
        Degrees of freedom, ``sum_j |o_j| - p``.
    pvalue : float
        ``P(chi2_df >= d^2)``; NaN when ``df == 0`` (no gaps, or a single
        pattern), where the test says nothing.
    n_patterns : int
        Distinct missingness patterns among the rows.
    mean, cov : numpy.ndarray
        EM estimates of the mean and covariance (in the data's units).
    n_iter : int
        EM iterations used.
    """

    statistic: float
    df: int
    pvalue: float
    n_patterns: int
    mean: np.ndarray
    cov: np.ndarray
    n_iter: int


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``a x = b`` for a symmetric positive (semi-)definite ``a``."""
    try:
        return linalg.solve(a, b, assume_a="pos")
    except (linalg.LinAlgError, ValueError):
        return linalg.lstsq(a, b)[0]


def _patterns(missing: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    patterns, inverse = np.unique(missing, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(patterns.shape[0] + 1))
    groups = [order[bounds[g]:bounds[g + 1]] for g in range(patterns.shape[0])]
    return patterns, groups


def em_mean_cov(
    data: np.ndarray, *, max_iter: int = 1000, tol: float = 1e-10
) -> tuple[np.ndarray, np.ndarray, int]:
    """Maximum-likelihood mean and covariance of normal data with gaps (EM).

    Parameters
    ----------
    data : numpy.ndarray, shape (n, p)
        NaN marks a missing value. Rows with no observed value are ignored.
    max_iter : int, default=1000
        Iteration cap.
    tol : float, default=1e-10
        Stop when no mean or covariance entry moves by more than ``tol``
        (on standardised data).

    Returns
    -------
    mean : numpy.ndarray, shape (p,)
    cov : numpy.ndarray, shape (p, p)
    n_iter : int

    Raises
    ------
    InputDataError
        If a column has fewer than two observed values.
    """
    data = np.asarray(data, dtype=float)
    missing = np.isnan(data)
    data = data[~missing.all(axis=1)]
    missing = np.isnan(data)
    n, p = data.shape
    observed = (~missing).sum(axis=0)
    if n == 0 or (observed < 2).any():
        raise InputDataError("Little's test needs at least two observed values in every column")
    centre = np.nanmean(data, axis=0)
    scale = np.nanstd(data, axis=0)
    scale[scale == 0] = 1.0
    z = (data - centre) / scale
    patterns, groups = _patterns(missing)

    mean = np.zeros(p)
    cov = np.diag(np.nanvar(z, axis=0))
    cov[np.diag_indices(p)] = np.maximum(cov.diagonal(), 1e-12)
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        sum1 = np.zeros(p)
        sum2 = np.zeros((p, p))
        for pattern, rows in zip(patterns, groups):
            obs, mis = ~pattern, pattern
            block = np.zeros((rows.size, p))
            block[:, obs] = z[np.ix_(rows, obs)]
            if mis.any():
                s_oo = cov[np.ix_(obs, obs)]
                s_om = cov[np.ix_(obs, mis)]
                coef = _solve(s_oo, s_om)  # (o, m)
                block[:, mis] = mean[mis] + (block[:, obs] - mean[obs]) @ coef
                cond = cov[np.ix_(mis, mis)] - s_om.T @ coef
                sum2[np.ix_(mis, mis)] += rows.size * cond
            sum1 += block.sum(axis=0)
            sum2 += block.T @ block
        new_mean = sum1 / n
        new_cov = sum2 / n - np.outer(new_mean, new_mean)
        new_cov = (new_cov + new_cov.T) / 2
        change = max(np.abs(new_mean - mean).max(), np.abs(new_cov - cov).max())
        mean, cov = new_mean, new_cov
        if change < tol:
            break
    return centre + scale * mean, cov * np.outer(scale, scale), n_iter


def little_mcar_test(data: np.ndarray) -> LittleResult:
    """Little's MCAR test on numeric data with NaN gaps.

    Parameters
    ----------
    data : numpy.ndarray, shape (n, p)
        Numeric values; NaN marks a gap.

    Returns
    -------
    LittleResult

    Raises
    ------
    InputDataError
        If the array is not 2-D or a column has fewer than two observed
        values.
    """
    data = np.asarray(data, dtype=float)
    if data.ndim != 2 or data.shape[1] == 0:
        raise InputDataError("Little's test needs a 2-D table with at least one column")
    missing = np.isnan(data)
    n_patterns = int(np.unique(missing, axis=0).shape[0]) if data.shape[0] else 0
    mean, cov, n_iter = em_mean_cov(data)
    p = data.shape[1]
    keep = ~missing.all(axis=1)
    patterns, groups = _patterns(missing[keep])
    rows_data = data[keep]
    statistic = 0.0
    df = 0
    for pattern, rows in zip(patterns, groups):
        obs = ~pattern
        diff = rows_data[np.ix_(rows, obs)].mean(axis=0) - mean[obs]
        statistic += rows.size * float(diff @ _solve(cov[np.ix_(obs, obs)], diff))
        df += int(obs.sum())
    df -= p
    pvalue = float(stats.chi2.sf(statistic, df)) if df > 0 else float("nan")
    return LittleResult(
        statistic=float(statistic), df=int(df), pvalue=pvalue, n_patterns=n_patterns,
        mean=mean, cov=cov, n_iter=n_iter,
    )
