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
from scipy import special

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


def _patterns(missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct missingness patterns and, for each row, the index of its pattern."""
    patterns, inverse = np.unique(missing, axis=0, return_inverse=True)
    return patterns, np.asarray(inverse).reshape(-1)


def _batched_solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``a[g] x[g] = b[g]`` for every ``g`` (least squares where ``a[g]`` is singular)."""
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(a) @ b


def _observed_blocks(cov: np.ndarray, obs: np.ndarray) -> np.ndarray:
    """Per pattern, ``cov`` on its observed rows and columns, the identity elsewhere.

    Solving with it acts on the observed block alone and leaves the other
    entries of a right-hand side that is zero there at zero.
    """
    both = obs[:, :, None] & obs[:, None, :]
    eye = np.eye(cov.shape[0], dtype=bool)[None] & ~obs[:, None, :]
    return np.where(both, cov[None], 0.0) + eye


def em_mean_cov(
    data: np.ndarray, *, max_iter: int = 1000, tol: float = 1e-10
) -> tuple[np.ndarray, np.ndarray, int]:
    """Maximum-likelihood mean and covariance of normal data with gaps (EM).

    Each iteration works on the sufficient statistics of every missingness
    pattern at once (batched linear algebra), so its cost grows with the
    number of patterns and columns, not rows.

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
    z = np.where(missing, 0.0, (data - centre) / scale)
    patterns, which = _patterns(missing)
    obs = ~patterns  # (G, p)
    mis = patterns.astype(float)
    counts = np.bincount(which, minlength=len(patterns)).astype(float)  # n_g
    sums = np.zeros((len(patterns), p))
    np.add.at(sums, which, z)  # s_g: sums of the observed values (0 where missing)
    cross = np.zeros((len(patterns), p, p))  # Q_g = z_o^T z_o, once
    order = np.argsort(which, kind="stable")
    bounds = np.searchsorted(which[order], np.arange(len(patterns) + 1))
    for g in range(len(patterns)):
        rows = z[order[bounds[g]:bounds[g + 1]]]
        cross[g] = rows.T @ rows

    mean = np.zeros(p)
    cov = np.diag(np.maximum(np.nanvar(np.where(missing, np.nan, z), axis=0), 1e-12))
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        # regression of the missing block on the observed one: coef[g][o, m] = S_oo^-1 S_om
        rhs = np.where(obs[:, :, None] & patterns[:, None, :], cov[None], 0.0)
        coef = _batched_solve(_observed_blocks(cov, obs), rhs)
        shift = mis * (mean[None] - (coef.transpose(0, 2, 1) @ (obs * mean[None])[:, :, None])[:, :, 0])
        lift = np.eye(p)[None] + coef  # completed rows: z_o W_g + 1 a_g^T
        sum1 = (sums + counts[:, None] * shift + (coef.transpose(0, 2, 1) @ sums[:, :, None])[:, :, 0]).sum(axis=0)
        lift_t = lift.transpose(0, 2, 1)
        wqw = (lift_t @ cross @ lift).sum(axis=0)
        ws = (lift_t @ sums[:, :, None])[:, :, 0]
        outer = ws.T @ shift  # sum over patterns of W^T s a^T
        weighted = shift * counts[:, None]
        cond = ((cov[None] - cov[None] @ coef) * (mis[:, :, None] * mis[:, None, :]) * counts[:, None, None]).sum(axis=0)
        sum2 = wqw + outer + outer.T + weighted.T @ shift + cond
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
    rows = data[~missing.all(axis=1)]
    patterns, which = _patterns(np.isnan(rows))
    obs = ~patterns
    counts = np.bincount(which, minlength=len(patterns)).astype(float)
    sums = np.zeros((len(patterns), p))
    np.add.at(sums, which, np.nan_to_num(rows, nan=0.0))
    diff = np.where(obs, sums / counts[:, None] - mean[None], 0.0)  # pattern means less mu, observed entries
    solved = _batched_solve(_observed_blocks(cov, obs), diff[:, :, None])[:, :, 0]
    statistic = float((counts * np.einsum("gi,gi->g", diff, solved)).sum())
    df = int(obs.sum()) - p
    pvalue = float(special.chdtrc(df, statistic)) if df > 0 else float("nan")
    return LittleResult(
        statistic=float(statistic), df=int(df), pvalue=pvalue, n_patterns=n_patterns,
        mean=mean, cov=cov, n_iter=n_iter,
    )
