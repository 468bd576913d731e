"""Rubin's rules: one estimate and its variance from the analyses of m imputed tables.

Given the estimates ``Q_1 .. Q_m`` of a quantity and their variances
``U_1 .. U_m`` (one analysis per completed table, e.g. a regression
coefficient and its squared standard error):

* pooled estimate ``Q = mean(Q_i)``;
* within-imputation variance ``W = mean(U_i)``;
* between-imputation variance ``B = var(Q_i)`` (``m - 1`` in the denominator);
* total variance ``T = W + (1 + 1/m) B``;
* relative increase in variance ``r = (1 + 1/m) B / W`` and the share of
  variance due to the missing values ``lambda = (1 + 1/m) B / T``;
* degrees of freedom: Rubin's ``(m - 1) / lambda**2``, or, given the
  complete-data degrees of freedom ``dfcom``, Barnard and Rubin's (1999)
  small-sample ``1 / (1 / nu_old + 1 / nu_obs)`` with
  ``nu_obs = (dfcom + 1) / (dfcom + 3) * dfcom * (1 - lambda)``;
* confidence interval ``Q -/+ t(df, 1 - alpha/2) * sqrt(T)``.

The same formulas as R's ``mice::pool`` (van Buuren, *Flexible Imputation of
Missing Data*, 2nd ed., section 2.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from revimpute.exceptions import InputDataError


@dataclass(frozen=True)
class PooledEstimate:
    """The result of :func:`pool` (floats for a scalar quantity, arrays for several).

    Attributes
    ----------
    estimate : float or ndarray
        Mean of the m estimates.
    within : float or ndarray
        Mean of the m variances (W).
    between : float or ndarray
        Variance of the m estimates (B).
    total : float or ndarray
        ``W + (1 + 1/m) B`` (T).
    df : float or ndarray
        Degrees of freedom of the t reference distribution (inf when B is 0
        and no ``dfcom`` was given).
    riv : float or ndarray
        Relative increase in variance due to the missing values, ``(1 + 1/m) B / W``.
    lambda_ : float or ndarray
        Share of the total variance due to the missing values, ``(1 + 1/m) B / T``.
    fmi : float or ndarray
        Fraction of missing information, ``(riv + 2 / (df + 3)) / (riv + 1)``.
    m : int
        Number of imputations.
    """

    estimate: Any
    within: Any
    between: Any
    total: Any
    df: Any
    riv: Any
    lambda_: Any
    fmi: Any
    m: int

    @property
    def std_error(self) -> Any:
        """``sqrt(total)``."""
        return np.sqrt(self.total)

    def confidence_interval(self, level: float = 0.95) -> tuple[Any, Any]:
        """``estimate -/+ t(df, (1 + level) / 2) * sqrt(total)``.

        Raises
        ------
        InputDataError
            If ``level`` is not strictly between 0 and 1.
        """
        if isinstance(level, bool) or not isinstance(level, (int, float, np.floating)) or not 0 < level < 1:
            raise InputDataError(f"level must be a number strictly between 0 and 1, got {level!r}")
        half = stats.t.ppf((1 + level) / 2, self.df) * self.std_error
        return self.estimate - half, self.estimate + half


def _scalar(value: np.ndarray, scalar: bool) -> Any:
    return float(np.asarray(value).reshape(-1)[0]) if scalar else value


def pool(estimates: Any, variances: Any, dfcom: float | None = None) -> PooledEstimate:
    """Combine m analyses of imputed tables with Rubin's rules.

    Parameters
    ----------
    estimates : array-like of shape (m,) or (m, p)
        The estimate from each completed table (p quantities at once: their
        variances are pooled one by one).
    variances : array-like, same shape
        The variance of each estimate (its squared standard error).
    dfcom : float or None, default=None
        Degrees of freedom of the analysis on complete data (``n - p`` for a
        linear regression); gives the Barnard-Rubin degrees of freedom. None:
        Rubin's large-sample ones.

    Returns
    -------
    PooledEstimate

    Raises
    ------
    InputDataError
        Fewer than 2 imputations, shapes that differ, values that are not
        finite, negative variances or ``dfcom`` not positive.

    Examples
    --------
    >>> from revimpute.uncertainty import pool
    >>> result = pool([1.0, 1.2, 0.9], [0.04, 0.05, 0.045])
    >>> round(result.estimate, 4), round(result.total, 4)
    (1.0333, 0.0761)
    """
    q = np.asarray(estimates, dtype=np.float64)
    u = np.asarray(variances, dtype=np.float64)
    if q.shape != u.shape or q.ndim not in (1, 2):
        raise InputDataError(
            f"estimates and variances must have the same shape, (m,) or (m, p); got {q.shape} and {u.shape}"
        )
    m = q.shape[0]
    if m < 2:
        raise InputDataError(f"Rubin's rules need at least 2 imputations, got {m}")
    if not (np.isfinite(q).all() and np.isfinite(u).all()):
        raise InputDataError("estimates and variances must be finite numbers")
    if (u < 0).any():
        raise InputDataError("variances cannot be negative")
    if dfcom is not None and not (np.isfinite(dfcom) and dfcom > 0):
        raise InputDataError(f"dfcom must be a positive number, got {dfcom!r}")
    scalar = q.ndim == 1
    q2, u2 = (q[:, None], u[:, None]) if scalar else (q, u)
    estimate = q2.mean(axis=0)
    within = u2.mean(axis=0)
    between = q2.var(axis=0, ddof=1)
    total = within + (1 + 1 / m) * between
    with np.errstate(divide="ignore", invalid="ignore"):
        riv = np.where(within > 0, (1 + 1 / m) * between / within, np.where(between > 0, np.inf, 0.0))
        lam = np.where(total > 0, (1 + 1 / m) * between / total, 0.0)
        df_old = np.where(lam > 0, (m - 1) / lam**2, np.inf)
        if dfcom is None:
            df = df_old
        else:
            df_obs = (dfcom + 1) / (dfcom + 3) * dfcom * (1 - lam)
            df = np.where(np.isinf(df_old), df_obs, 1 / (1 / df_old + 1 / np.where(df_obs > 0, df_obs, np.inf)))
            df = np.where(df_obs > 0, df, df_old)
        fmi = np.where(np.isfinite(riv), (riv + 2 / (df + 3)) / (riv + 1), 1.0)
    return PooledEstimate(
        *(_scalar(v, scalar) for v in (estimate, within, between, total, df, riv, lam, fmi)), m=int(m)
    )
