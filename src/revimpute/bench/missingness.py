"""Simulated missingness: boolean masks, True where a cell is to be hidden.

The tabular mechanisms follow the protocol of HyperImpute
(``hyperimpute/plugins/utils/simulate.py``), itself taken from the
R-miss-tastic notes "How to generate missing values in Python" (Mayer et al.):

* :func:`mcar` - every cell is hidden with probability ``rate``.
* :func:`mar_logistic` - a random subset of columns is never hidden; each other
  column is hidden by a logistic model of those always-observed columns, with
  random positive weights scaled so the linear predictor has unit variance and
  an intercept found by bisection so that the column's expected missing share
  is ``rate``.
* :func:`mnar_self_masking` (:func:`simulate` name ``"mnar_logistic"``) - each
  column is hidden by a logistic model of its own value (positive weight:
  large values go missing more often), intercept found as above.
* :func:`mnar_masked_inputs` - HyperImpute's default "MNAR": like
  :func:`mar_logistic`, but the input columns of the logistic model are then
  themselves hidden completely at random, so missingness depends on values
  that may be unobserved.
* :func:`mnar_quantile` - quantile censoring: in a random subset of columns,
  cells beyond a quantile are hidden with probability ``rate``.

What ``rate`` means therefore depends on the mechanism, exactly as in
HyperImpute; each docstring gives the expected overall share, and a benchmark
should report ``mask.mean()`` next to the nominal rate.

Like HyperImpute, no mechanism re-draws or repairs rows that end up entirely
hidden. :func:`mar_logistic` and :func:`mnar_quantile` (with
``params_fraction < 1``) can never hide a whole row, because some columns are
never hidden; :func:`mcar`, :func:`mnar_self_masking` and
:func:`mnar_masked_inputs` can (for MCAR, each row with probability
``rate ** n_columns``). Check with ``mask.all(axis=1)`` where that matters.

Departures from HyperImpute, none of which changes the mechanism: randomness
comes only from ``random_state`` (no global numpy state); the logistic
predictor is centred before the intercept is fitted (the intercept absorbs the
shift, and the bracket of the search then fits any data, scaled or not); the
intercepts of all columns are found together, by bisection sped up with
Newton steps that stay inside the bracket, to within 1e-10 of ``rate``;
constant columns, whose predictor has zero variance, get missing probability
``rate``; with ``rate`` 0 or 1 the probabilities are exactly 0 or 1.

Masks for images (MNIST): :mod:`revimpute.bench.image_masks`; a block of
columns hidden in chosen rows: :mod:`revimpute.bench.block_masks`.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from typing import Any, Union

import numpy as np
from scipy.special import expit

from revimpute.bench.block_masks import column_block
from revimpute.exceptions import InputDataError, RevimputeError

__all__ = [
    "MECHANISMS",
    "column_block",
    "mar_logistic",
    "mcar",
    "mnar_masked_inputs",
    "mnar_quantile",
    "mnar_self_masking",
    "simulate",
]

RandomState = Union[int, np.random.Generator, np.random.SeedSequence, None]


# --------------------------------------------------------------------------- checks
def _rng(random_state: RandomState) -> np.random.Generator:
    return np.random.default_rng(random_state)


def _check_rate(rate: float, name: str = "rate") -> float:
    try:
        value = float(rate)
    except (TypeError, ValueError):
        raise RevimputeError(f"{name} must be a number in [0, 1], got {rate!r}") from None
    if not 0.0 <= value <= 1.0:
        raise RevimputeError(f"{name} must be in [0, 1], got {rate!r}")
    return value


def _check_fraction(value: float, name: str) -> float:
    value = _check_rate(value, name)
    if value == 0.0:
        raise RevimputeError(f"{name} must be above 0, got {value!r}")
    return value


def _check_data(X: Any, min_columns: int = 1) -> np.ndarray:
    try:
        array = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputDataError(
            "missingness simulation needs numeric data; encode non-numeric columns first"
        ) from None
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] < min_columns:
        raise InputDataError(
            f"missingness simulation needs a 2-D array with at least 1 row and "
            f"{min_columns} column(s), got shape {array.shape}"
        )
    if not np.isfinite(array).all():
        bad = sorted(set(np.nonzero(~np.isfinite(array))[1].tolist()))[:10]
        raise InputDataError(
            f"missingness simulation needs complete data; columns {bad} hold NaN or inf"
        )
    return array


# --------------------------------------------------------------------------- logistic helpers
def _unit_variance(coeffs: np.ndarray, predictor: np.ndarray) -> np.ndarray:
    """Divide ``coeffs`` column-wise by the std of ``predictor`` (0 std -> 1)."""
    std = predictor.std(axis=0)
    std[np.isclose(std, 0.0, atol=1e-12)] = 1.0
    return coeffs / std


def _fit_intercepts(
    predictor: np.ndarray, rate: float, ftol: float = 1e-10, max_iter: int = 200
) -> np.ndarray:
    """Intercepts b_j with ``mean(expit(predictor[:, j] + b_j)) == rate``.

    The mean is increasing in b_j, and ``logit(rate) - max_i predictor[i, j]``
    and ``logit(rate) - min_i predictor[i, j]`` bracket the root, so each
    intercept is found by bisection of that bracket, with Newton steps taken
    whenever they stay inside it (safeguarded Newton, a handful of passes over
    the data instead of ~40 for plain bisection). Stops when the mean is within
    ``ftol`` of ``rate`` or the bracket has closed. Returns -inf / +inf for
    rates 0 / 1, so that ``expit`` gives exactly 0 / 1.
    """
    n_cols = predictor.shape[1]
    if rate == 0.0:
        return np.full(n_cols, -np.inf)
    if rate == 1.0:
        return np.full(n_cols, np.inf)
    base = math.log(rate / (1.0 - rate))
    lo = base - predictor.max(axis=0)
    hi = base - predictor.min(axis=0)
    b = np.clip(np.full(n_cols, base), lo, hi)
    active = np.flatnonzero(hi > lo)
    for _ in range(max_iter):
        if active.size == 0:
            break
        current = b[active]
        probs = expit(predictor[:, active] + current)
        excess = probs.mean(axis=0) - rate
        slope = (probs * (1.0 - probs)).mean(axis=0)
        above = excess > 0
        hi[active] = np.where(above, current, hi[active])
        lo[active] = np.where(above, lo[active], current)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = current - excess / slope
        inside = np.isfinite(step) & (step > lo[active]) & (step < hi[active])
        proposal = np.where(inside, step, 0.5 * (lo[active] + hi[active]))
        converged = np.abs(excess) <= ftol
        b[active] = np.where(converged, current, proposal)
        closed = hi[active] - lo[active] <= 1e-12 * (1.0 + np.abs(current))
        active = active[~(converged | closed)]
    return b


def _mask_from_predictor(
    predictor: np.ndarray, rate: float, rng: np.random.Generator
) -> np.ndarray:
    """Hide cell (i, j) with probability ``expit(predictor[i, j] + b_j)``, b fitted to ``rate``."""
    predictor = predictor - predictor.mean(axis=0)
    probs = expit(predictor + _fit_intercepts(predictor, rate))
    return rng.random(probs.shape) < probs


def _split_columns(
    n_cols: int, fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Pick ``max(int(fraction * n_cols), 1)`` columns, at most n_cols - 1.

    Returns the picked and the remaining column positions, each sorted.
    """
    n_pick = min(max(int(fraction * n_cols), 1), n_cols - 1)
    picked = np.sort(rng.choice(n_cols, n_pick, replace=False))
    rest = np.setdiff1d(np.arange(n_cols), picked)
    return picked, rest


# --------------------------------------------------------------------------- tabular mechanisms
def _logistic_mask(
    data: np.ndarray, input_fraction: float, rate: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Hide cells of the non-input columns by a logistic model of the input columns.

    Draws, in this order: the split of the columns, the model's raw
    coefficients, the masks. Returns the mask (input columns all False) and
    the input columns' indices.
    """
    inputs_at, nas = _split_columns(data.shape[1], input_fraction, rng)
    inputs = data[:, inputs_at]
    raw = rng.random((inputs_at.size, nas.size))
    coeffs = _unit_variance(raw, inputs @ raw)
    mask = np.zeros(data.shape, dtype=bool)
    mask[:, nas] = _mask_from_predictor(inputs @ coeffs, rate, rng)
    return mask, inputs_at


def mcar(shape: int | Sequence[int], rate: float, random_state: RandomState = None) -> np.ndarray:
    """Missing completely at random: each cell hidden with probability ``rate``.

    For an int seed this is exactly ``np.random.default_rng(seed).random(shape) < rate``
    (the table demo uses seed 0 and rate 0.2).

    Parameters
    ----------
    shape : int or tuple of int
        Shape of the mask.
    rate : float in [0, 1]
        Probability that a cell is hidden (expected overall share).
    random_state : int, numpy.random.Generator or None
        Seed or generator; None draws fresh entropy.

    Returns
    -------
    numpy.ndarray of bool
        True where the cell is missing.

    Raises
    ------
    RevimputeError
        If ``rate`` is not in [0, 1].
    """
    rate = _check_rate(rate)
    return _rng(random_state).random(shape) < rate


def mar_logistic(
    X: Any, rate: float, random_state: RandomState = None, obs_fraction: float = 0.3
) -> np.ndarray:
    """Missing at random through a logistic model of always-observed columns.

    ``max(int(obs_fraction * d), 1)`` columns, drawn at random, are never
    hidden. Every other column j is hidden with probability
    ``expit(X_obs @ w_j + b_j)``: weights ``w_j`` uniform in [0, 1], scaled so
    that ``X_obs @ w_j`` has unit variance, and ``b_j`` fitted by bisection so
    that the mean probability is ``rate`` (HyperImpute's ``MAR_mask``).

    Parameters
    ----------
    X : array-like of shape (n_rows, n_columns), n_columns >= 2
        Complete numeric data (scale does not matter).
    rate : float in [0, 1]
        Expected missing share *within the columns that may go missing*; the
        expected overall share is ``rate * (d - d_obs) / d``.
    random_state : int, numpy.random.Generator or None
        Seed or generator.
    obs_fraction : float in (0, 1], default=0.3
        Share of columns that are always observed (at least 1, at most d - 1).

    Returns
    -------
    numpy.ndarray of bool, shape (n_rows, n_columns)
        True where the cell is missing; the always-observed columns are all False.

    Raises
    ------
    InputDataError
        If ``X`` is not 2-D numeric complete data with at least two columns.
    RevimputeError
        If ``rate`` or ``obs_fraction`` is out of range.
    """
    rate = _check_rate(rate)
    obs_fraction = _check_fraction(obs_fraction, "obs_fraction")
    data = _check_data(X, min_columns=2)
    mask, _ = _logistic_mask(data, obs_fraction, rate, _rng(random_state))
    return mask


def mnar_self_masking(X: Any, rate: float, random_state: RandomState = None) -> np.ndarray:
    """Missing not at random by logistic self-masking.

    Each column j is hidden with probability ``expit(w_j * X[:, j] + b_j)``
    that depends only on the cell's own value: ``w_j`` is positive (uniform in
    [0, 1], scaled so that ``w_j * X[:, j]`` has unit variance), so larger values
    go missing more often, and ``b_j`` is fitted by bisection so that the mean
    probability is ``rate`` (HyperImpute's ``MNAR_self_mask_logistic``).

    Parameters
    ----------
    X : array-like of shape (n_rows, n_columns)
        Complete numeric data.
    rate : float in [0, 1]
        Expected missing share in every column (and overall).
    random_state : int, numpy.random.Generator or None
        Seed or generator.

    Returns
    -------
    numpy.ndarray of bool, shape (n_rows, n_columns)
        True where the cell is missing. Rows may end up entirely missing.

    Raises
    ------
    InputDataError
        If ``X`` is not 2-D numeric complete data.
    RevimputeError
        If ``rate`` is out of range.
    """
    rate = _check_rate(rate)
    data = _check_data(X)
    rng = _rng(random_state)
    raw = rng.random(data.shape[1])
    coeffs = _unit_variance(raw, data * raw)
    return _mask_from_predictor(data * coeffs, rate, rng)


def mnar_masked_inputs(
    X: Any, rate: float, random_state: RandomState = None, params_fraction: float = 0.3
) -> np.ndarray:
    """Missing not at random through a logistic model of inputs that are themselves masked.

    HyperImpute's ``MNAR_mask_logistic`` with ``exclude_inputs=True`` (the
    "MNAR" of its benchmarks): ``max(int(params_fraction * d), 1)`` random
    input columns drive a logistic model, built as in :func:`mar_logistic`,
    that hides the other columns; the input columns are then hidden MCAR with
    probability ``rate``. The hiding of the other columns thus depends on
    values that may be missing.

    Parameters
    ----------
    X : array-like of shape (n_rows, n_columns), n_columns >= 2
        Complete numeric data.
    rate : float in [0, 1]
        Expected missing share in every column (and overall).
    random_state : int, numpy.random.Generator or None
        Seed or generator.
    params_fraction : float in (0, 1], default=0.3
        Share of columns used as inputs of the logistic model (at least 1, at most d - 1).

    Returns
    -------
    numpy.ndarray of bool, shape (n_rows, n_columns)
        True where the cell is missing. Rows may end up entirely missing.

    Raises
    ------
    InputDataError
        If ``X`` is not 2-D numeric complete data with at least two columns.
    RevimputeError
        If ``rate`` or ``params_fraction`` is out of range.
    """
    rate = _check_rate(rate)
    params_fraction = _check_fraction(params_fraction, "params_fraction")
    data = _check_data(X, min_columns=2)
    rng = _rng(random_state)
    mask, params = _logistic_mask(data, params_fraction, rate, rng)
    mask[:, params] = rng.random((data.shape[0], params.size)) < rate
    return mask


def mnar_quantile(
    X: Any,
    rate: float,
    random_state: RandomState = None,
    q: float = 0.25,
    cut: str = "both",
    params_fraction: float = 0.5,
) -> np.ndarray:
    """Missing not at random by quantile censoring.

    ``max(int(params_fraction * d), 1)`` random columns are censored: their
    cells at or beyond the column's ``q``-quantile (``cut="lower"``), at or
    beyond the ``1 - q``-quantile (``"upper"``), or either (``"both"``) are
    hidden with probability ``rate``; nothing else is hidden (HyperImpute's
    ``MNAR_mask_quantiles`` with ``MCAR=False``; its ``simulate_nan`` uses
    ``params_fraction = 1 - p_obs = 0.5``).

    Parameters
    ----------
    X : array-like of shape (n_rows, n_columns)
        Complete numeric data.
    rate : float in [0, 1]
        Probability that a censored cell goes missing. The expected overall
        share is about ``rate * s * d_na / d`` with ``s`` the share of cells
        beyond the cut (about ``q``, or ``2 q`` for ``"both"``; more with ties).
    random_state : int, numpy.random.Generator or None
        Seed or generator.
    q : float in (0, 0.5], default=0.25
        Quantile level of the cut.
    cut : {"both", "upper", "lower"}, default="both"
        Which tail(s) are censored.
    params_fraction : float in (0, 1], default=0.5
        Share of columns that are censored (at least 1).

    Returns
    -------
    numpy.ndarray of bool, shape (n_rows, n_columns)
        True where the cell is missing; only censored columns, and only cells
        beyond the cut, can be True.

    Raises
    ------
    InputDataError
        If ``X`` is not 2-D numeric complete data.
    RevimputeError
        If ``rate``, ``q``, ``cut`` or ``params_fraction`` is invalid.
    """
    rate = _check_rate(rate)
    params_fraction = _check_fraction(params_fraction, "params_fraction")
    q = _check_fraction(q, "q")
    if q > 0.5:
        raise RevimputeError(f"q must be in (0, 0.5], got {q!r}")
    if cut not in ("both", "upper", "lower"):
        raise RevimputeError(f"cut must be 'both', 'upper' or 'lower', got {cut!r}")
    data = _check_data(X)
    rng = _rng(random_state)
    n_cols = data.shape[1]
    n_na = min(max(int(params_fraction * n_cols), 1), n_cols)
    censored = np.sort(rng.choice(n_cols, n_na, replace=False))
    values = data[:, censored]
    beyond = np.zeros(values.shape, dtype=bool)
    if cut in ("upper", "both"):
        beyond |= values >= np.quantile(values, 1.0 - q, axis=0)
    if cut in ("lower", "both"):
        beyond |= values <= np.quantile(values, q, axis=0)
    mask = np.zeros(data.shape, dtype=bool)
    mask[:, censored] = (rng.random(values.shape) < rate) & beyond
    return mask


# --------------------------------------------------------------------------- dispatch
def _mcar_like(X: Any, rate: float, random_state: RandomState = None) -> np.ndarray:
    return mcar(_check_data(X).shape, rate, random_state)


MECHANISMS: dict[str, Callable[..., np.ndarray]] = {
    "mcar": _mcar_like,
    "mar": mar_logistic,
    "mnar_logistic": mnar_self_masking,
    "mnar_self_masking": mnar_self_masking,
    "mnar_masked_inputs": mnar_masked_inputs,
    "mnar_quantile": mnar_quantile,
}
"""Mechanism names accepted by :func:`simulate` and the function each runs."""


def simulate(
    X: Any, mechanism: str, rate: float, random_state: RandomState = None, **options: Any
) -> np.ndarray:
    """Mask for ``X`` drawn from the named missingness mechanism.

    Parameters
    ----------
    X : array-like of shape (n_rows, n_columns)
        Complete numeric data (for ``"mcar"`` only its shape is used, but it
        must still be complete numeric data).
    mechanism : str
        ``"mcar"`` (:func:`mcar`), ``"mar"`` (:func:`mar_logistic`),
        ``"mnar_logistic"`` or its alias ``"mnar_self_masking"``
        (:func:`mnar_self_masking`), ``"mnar_masked_inputs"``
        (:func:`mnar_masked_inputs`) or ``"mnar_quantile"``
        (:func:`mnar_quantile`); case does not matter.
    rate : float in [0, 1]
        Passed on; its exact meaning depends on the mechanism (see each function).
    random_state : int, numpy.random.Generator or None
        Seed or generator.
    **options
        Extra keyword arguments of the mechanism (``obs_fraction``, ``q``, ...).

    Returns
    -------
    numpy.ndarray of bool, shape (n_rows, n_columns)
        True where the cell is missing.

    Raises
    ------
    RevimputeError
        If ``mechanism`` is unknown, or an option is not one the mechanism takes.
    InputDataError
        If ``X`` is not complete numeric 2-D data.
    """
    key = str(mechanism).lower()
    function = MECHANISMS.get(key)
    if function is None:
        raise RevimputeError(
            f"unknown missingness mechanism {mechanism!r}; choose one of: {', '.join(MECHANISMS)}"
        )
    try:
        inspect.signature(function).bind(X, rate, random_state, **options)
    except TypeError as exc:
        raise RevimputeError(f"mechanism {key!r} does not take these options: {exc}") from None
    return function(X, rate, random_state, **options)
