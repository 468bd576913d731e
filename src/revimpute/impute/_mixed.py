"""Baseline imputers for tables that mix numeric, integer, boolean, categorical
and datetime columns: mean / most frequent, and MissForest.

Both take a pandas DataFrame (or a numeric NumPy array) and give back the same
kind of object with the same index, columns, column order and dtypes; observed
cells come back bitwise unchanged and identifier columns (text with more
distinct values than ``max_categories``) are left alone, gaps included.

Internally every imputed column becomes one float column of a work matrix:
numeric and integer columns as their values, datetimes as nanoseconds since
the epoch (UTC), categorical and boolean columns as the code of their value
among the classes seen at fit. Decoding rounds and clips integers to the range
observed at fit and maps codes back to categories.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from revimpute.encode.integers import float_to_integer
from revimpute.encode.kinds import DEFAULT_MAX_CATEGORIES, ColumnKind, infer_column_kinds
from revimpute.encode.finite import reject_infinite
from revimpute.exceptions import InputDataError
from revimpute.impute._errors import as_input_error
from revimpute.impute._output import as_requested

_NUMERIC_KINDS = (ColumnKind.NUMERIC, ColumnKind.INTEGER, ColumnKind.DATETIME)
_CLASS_KINDS = (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN)
_SHOWN_UNKNOWN = 5


@dataclass
class _ColumnSpec:
    """What fit learned about one imputed column (work units: see module doc)."""

    label: Any
    kind: ColumnKind
    classes: np.ndarray | None  # categorical / boolean: the classes, code = position
    counts: np.ndarray | None  # how often each class was observed at fit
    low: float  # numeric kinds: smallest observed value at fit
    high: float  # numeric kinds: largest observed value at fit
    fill: float  # initial fill: mean / median, or the code of the most frequent class

    @property
    def is_numeric(self) -> bool:
        return self.kind in _NUMERIC_KINDS


@dataclass
class _Encoded:
    """A table as the work matrix: one float column per imputed column."""

    values: np.ndarray  # (n_rows, n_imputed), NaN where missing
    missing: np.ndarray  # bool, cells to impute (gaps and, if asked, unknown categories)
    allowed: list[np.ndarray | None]  # per column: classes the table's dtype can hold


# --- input -----------------------------------------------------------------------------


def _as_frame(X: Any) -> tuple[pd.DataFrame, np.dtype | None]:
    """``X`` as a DataFrame, and the array dtype to give back (None for a DataFrame)."""
    if isinstance(X, pd.DataFrame):
        frame, dtype = X, None
    elif isinstance(X, np.ndarray):
        if X.ndim != 2:
            raise InputDataError(
                f"expected a 2-D table, got an array with {X.ndim} dimension(s); "
                "reshape it to (rows, columns) or pass a pandas DataFrame"
            )
        if X.dtype.kind not in "biuf":
            raise InputDataError(
                f"a NumPy array must be numeric (got dtype {X.dtype}); pass a pandas DataFrame "
                "to impute text, categorical or datetime columns"
            )
        frame, dtype = pd.DataFrame(X), X.dtype
    elif isinstance(X, pd.Series):
        raise InputDataError("expected a table, got a pandas Series; use series.to_frame()")
    else:
        raise InputDataError(
            f"expected a pandas DataFrame or a numeric NumPy array, got {type(X).__name__}"
        )
    if frame.shape[0] == 0:
        raise InputDataError("the table has no rows; there is nothing to impute")
    if frame.shape[1] == 0:
        raise InputDataError("the table has no columns; there is nothing to impute")
    duplicated = frame.columns[frame.columns.duplicated()].unique().tolist()
    if duplicated:
        raise InputDataError(
            f"column name(s) {', '.join(map(repr, duplicated))} appear more than once; "
            "give every column its own name"
        )
    return frame, dtype


def _numeric_values(series: pd.Series, kind: ColumnKind, label: Any) -> np.ndarray:
    """A numeric-kind column as float64 work values, NaN where missing."""
    if kind == ColumnKind.DATETIME:
        if not (pd.api.types.is_datetime64_any_dtype(series.dtype) or series.dtype == object):
            raise InputDataError(
                f"column {label!r} held datetimes at fit but has dtype {series.dtype} now; "
                "convert it with pd.to_datetime"
            )
        try:
            moments = series if pd.api.types.is_datetime64_any_dtype(series.dtype) else pd.to_datetime(series)
            nanos = moments.dt.as_unit("ns").array.asi8.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise InputDataError(
                f"column {label!r} held datetimes at fit but cannot be read as datetimes now ({exc})"
            ) from None
        return np.where(series.isna().to_numpy(), np.nan, nanos)
    if not (pd.api.types.is_numeric_dtype(series.dtype) or series.dtype == object) or (
        pd.api.types.is_bool_dtype(series.dtype)
    ):
        raise InputDataError(
            f"column {label!r} was numeric at fit but has dtype {series.dtype} now; "
            "give it the type it had at fit"
        )
    try:
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        raise InputDataError(
            f"column {label!r} was numeric at fit but holds values that are not numbers now; "
            "convert it with pd.to_numeric(errors='coerce') (text becomes missing)"
        ) from None
    reject_infinite(values, repr(label))
    return values


def _class_codes(series: pd.Series, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of a column's values among ``classes`` (-1: missing or unknown) and the
    mask of observed values that are not among them."""
    gaps = series.isna().to_numpy()
    codes = pd.Index(classes, dtype=object).get_indexer(pd.Index(series.astype(object)))
    codes = np.where(gaps, -1, codes)
    return codes, (codes < 0) & ~gaps


def _observed_classes(series: pd.Series, kind: ColumnKind) -> np.ndarray:
    """The classes of a categorical or boolean column, in a fixed order.

    Booleans: ``[False, True]``. Categorical dtype: the observed categories in
    the dtype's order. Other text: the observed values, sorted.
    """
    if kind == ColumnKind.BOOLEAN:
        return np.array([False, True], dtype=object)
    observed = series.dropna()
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(observed.astype(object).tolist())
        return np.array([c for c in series.dtype.categories.tolist() if c in present], dtype=object)
    return np.array(sorted(set(observed.astype(object).tolist())), dtype=object)


# --- output ----------------------------------------------------------------------------


def _decode_column(series: pd.Series, spec: _ColumnSpec, rows: np.ndarray, work: np.ndarray) -> pd.Series:
    """``series`` with the cells at positions ``rows`` set from work values ``work``."""
    out = series.copy()
    if rows.size == 0:
        return out
    if spec.kind in _CLASS_KINDS:
        values: Any = spec.classes[np.rint(work).astype(np.intp)]
        if pd.api.types.is_bool_dtype(series.dtype) or isinstance(series.dtype, pd.BooleanDtype):
            values = values.astype(bool)
    elif spec.kind == ColumnKind.DATETIME:
        nanos = np.rint(work).astype(np.int64).view("datetime64[ns]")
        moments = pd.DatetimeIndex(nanos)
        tz = getattr(series.dtype, "tz", None)
        if tz is not None:
            moments = moments.tz_localize("UTC").tz_convert(tz)
        values = moments.as_unit(series.dt.unit) if hasattr(series, "dt") else moments
    elif spec.kind == ColumnKind.INTEGER:
        dtype = getattr(series.dtype, "numpy_dtype", series.dtype)
        target = dtype if isinstance(dtype, np.dtype) and dtype.kind in "iu" else np.dtype(np.int64)
        values = float_to_integer(np.clip(work, spec.low, spec.high), target)
    else:
        values = work
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "fiu":
        values = np.asarray(values).astype(series.dtype)
    out.iloc[rows] = values
    return out


def _fill_value(spec: _ColumnSpec) -> Any:
    """A column's initial fill in its own type (datetimes as UTC timestamps)."""
    if spec.kind in _CLASS_KINDS:
        return spec.classes[int(spec.fill)]
    if spec.kind == ColumnKind.DATETIME:
        return pd.Timestamp(int(round(spec.fill)), unit="ns", tz="UTC")
    if spec.kind == ColumnKind.INTEGER:
        return int(float_to_integer(np.clip([spec.fill], spec.low, spec.high))[0])
    return spec.fill


def _numeric_fill(observed: np.ndarray, strategy: str) -> float:
    """The fill of a numeric column: mean, median, or most frequent value (the smallest on ties)."""
    if strategy == "median":
        return float(np.median(observed))
    if strategy == "most_frequent":
        values, counts = np.unique(observed, return_counts=True)
        return float(values[np.argmax(counts)])
    return float(observed.mean())


# --- shared estimator plumbing ---------------------------------------------------------


class _MixedImputer(TransformerMixin, BaseEstimator):
    """Fit-time bookkeeping shared by the mixed-table imputers (not for direct use)."""

    _parameter_constraints: dict = {
        "handle_unknown": [StrOptions({"missing", "error"})],
        "max_categories": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def _learn_columns(self, frame: pd.DataFrame) -> None:
        """Kinds, classes, ranges and initial fills of every column of ``frame``."""
        self.columns_ = frame.columns.copy()
        self.n_features_in_ = frame.shape[1]
        if all(isinstance(c, str) for c in frame.columns):
            self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.kinds_ = infer_column_kinds(frame, max_categories=self.max_categories)
        specs: list[_ColumnSpec] = []
        positions: list[int] = []
        for j, kind in enumerate(self.kinds_):
            series, label = frame.iloc[:, j], frame.columns[j]
            if kind == ColumnKind.IDENTIFIER:
                continue
            if series.isna().all():
                raise InputDataError(
                    f"column {label!r} has no observed value; drop it or fill it before imputing"
                )
            if kind in _CLASS_KINDS:
                classes = _observed_classes(series, kind)
                codes, _ = _class_codes(series, classes)
                counts = np.bincount(codes[codes >= 0], minlength=len(classes))
                specs.append(_ColumnSpec(label, kind, classes, counts, np.nan, np.nan,
                                         float(np.argmax(counts))))
            else:
                values = _numeric_values(series, kind, label)
                observed = values[~np.isnan(values)]
                fill = _numeric_fill(observed, self._numeric_strategy())
                specs.append(_ColumnSpec(label, kind, None, None, float(observed.min()),
                                         float(observed.max()), float(fill)))
            positions.append(j)
        self.specs_ = specs
        self.imputed_columns_ = np.asarray(positions, dtype=np.intp)

    def _numeric_strategy(self) -> str:
        return "mean"

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns: the input columns, as text."""
        check_is_fitted(self, "n_features_in_")
        from sklearn.utils.validation import _check_feature_names_in

        return _check_feature_names_in(self, input_features)

    def _check_columns(self, frame: pd.DataFrame) -> None:
        if list(frame.columns) == list(self.columns_):
            return
        missing = [c for c in self.columns_ if c not in frame.columns]
        extra = [c for c in frame.columns if c not in self.columns_]
        detail = []
        if missing:
            detail.append(f"missing {', '.join(map(repr, missing))}")
        if extra:
            detail.append(f"not seen at fit {', '.join(map(repr, extra))}")
        if not detail:
            detail.append("same columns in a different order")
        raise InputDataError(
            f"the table's columns differ from those at fit ({'; '.join(detail)}); "
            "give transform the columns fit saw, in the same order"
        )

    def _encode(self, frame: pd.DataFrame, *, at_fit: bool) -> _Encoded:
        """The work matrix of ``frame``; unknown categories handled per ``handle_unknown``."""
        n = frame.shape[0]
        values = np.empty((n, len(self.specs_)), dtype=np.float64)
        allowed: list[np.ndarray | None] = []
        for k, (j, spec) in enumerate(zip(self.imputed_columns_, self.specs_)):
            series = frame.iloc[:, j]
            if spec.kind not in _CLASS_KINDS:
                values[:, k] = _numeric_values(series, spec.kind, spec.label)
                allowed.append(None)
                continue
            codes, unknown = _class_codes(series, spec.classes)
            if unknown.any():
                self._report_unknown(spec.label, series[unknown])
            values[:, k] = np.where(codes >= 0, codes, np.nan)
            if isinstance(series.dtype, pd.CategoricalDtype) and not at_fit:
                can_hold = np.isin(spec.classes, np.asarray(series.dtype.categories, dtype=object))
                if not can_hold.any():
                    raise InputDataError(
                        f"column {spec.label!r}: none of its categories were seen at fit, so no "
                        "value can be imputed into it; give it the categories it had at fit"
                    )
                allowed.append(can_hold)
            else:
                allowed.append(None)
        return _Encoded(values, np.isnan(values), allowed)

    def _report_unknown(self, label: Any, unknown: pd.Series) -> None:
        distinct = list(dict.fromkeys(unknown.astype(object).tolist()))
        shown = ", ".join(repr(v) for v in distinct[:_SHOWN_UNKNOWN])
        more = f" and {len(distinct) - _SHOWN_UNKNOWN} more" if len(distinct) > _SHOWN_UNKNOWN else ""
        if self.handle_unknown == "error":
            raise InputDataError(
                f"column {label!r} holds categories never seen at fit: {shown}{more} "
                f"({len(unknown)} cells); refit on data that has them, or pass "
                "handle_unknown='missing' to impute these cells"
            )
        warnings.warn(
            f"column {label!r} holds categories never seen at fit: {shown}{more} "
            f"({len(unknown)} cells); they are treated as missing and imputed",
            UserWarning,
            stacklevel=4,
        )

    def _warn_identifiers(self, frame: pd.DataFrame) -> None:
        for j, kind in enumerate(self.kinds_):
            gaps = int(frame.iloc[:, j].isna().sum())
            if kind == ColumnKind.IDENTIFIER and gaps:
                warnings.warn(
                    f"column {frame.columns[j]!r} has more than {self.max_categories} distinct "
                    f"values and is treated as an identifier; its {gaps} missing cells are left "
                    "as they are",
                    UserWarning,
                    stacklevel=3,
                )

    def _initial_fill(self, encoded: _Encoded) -> np.ndarray:
        filled = encoded.values.copy()
        for k, spec in enumerate(self.specs_):
            rows = encoded.missing[:, k]
            if not rows.any():
                continue
            if spec.kind in _CLASS_KINDS and encoded.allowed[k] is not None:
                counts = np.where(encoded.allowed[k], spec.counts, -1)
                filled[rows, k] = float(np.argmax(counts))
            else:
                filled[rows, k] = spec.fill
        return filled

    def _decode(self, frame: pd.DataFrame, encoded: _Encoded, filled: np.ndarray, dtype: np.dtype | None) -> Any:
        out = frame.copy()
        for k, (j, spec) in enumerate(zip(self.imputed_columns_, self.specs_)):
            rows = np.flatnonzero(encoded.missing[:, k])
            if rows.size:
                out.isetitem(int(j), _decode_column(frame.iloc[:, j], spec, rows, filled[rows, k]))
        if dtype is not None:
            return out.to_numpy(dtype=dtype)
        return out

    def _prepare(self, X: Any) -> tuple[pd.DataFrame, np.dtype | None]:
        check_is_fitted(self)
        frame, dtype = _as_frame(X)
        self._check_columns(frame)
        self._warn_identifiers(frame)
        return frame, dtype


# --- mean / most frequent ----------------------------------------------------------------


class MeanModeImputer(_MixedImputer):
    """Fill numeric columns with their mean (or median), the others with their most frequent value.

    Numeric, integer and datetime columns take the mean (or median) of their
    observed values at fit; integers are rounded and clipped to the observed
    range. Categorical and boolean columns take their most frequent observed
    value; ties go to the first class in the column's category order
    (categorical dtype) or in sorted order (other text, and ``False`` before
    ``True``). Identifier columns are left alone.

    Parameters
    ----------
    numeric_strategy : {"mean", "median", "most_frequent"}, default="mean"
        The fill of numeric, integer and datetime columns (``"most_frequent"``:
        the most frequent observed value, the smallest on ties, as
        scikit-learn's ``SimpleImputer`` chooses).
    handle_unknown : {"missing", "error"}, default="missing"
        What transform does with a category never seen at fit: treat the cell
        as missing and impute it (with a ``UserWarning`` naming the column and
        values), or raise :class:`~revimpute.exceptions.InputDataError`.
    max_categories : int, default=200
        A text column with more distinct values is an identifier, left alone.

    Attributes
    ----------
    kinds_ : list of ColumnKind
        The kind of every column, as :func:`revimpute.encode.kinds.infer_column_kinds` says.
    fill_values_ : dict
        Column name -> the value its gaps get (datetimes as UTC timestamps;
        a categorical transform column whose dtype lacks the value gets the
        most frequent value it can hold).
    columns_ : pandas.Index
        The columns seen at fit.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when every column name is a string.
    """

    _parameter_constraints: dict = {
        **_MixedImputer._parameter_constraints,
        "numeric_strategy": [StrOptions({"mean", "median", "most_frequent"})],
    }

    def __init__(
        self,
        numeric_strategy: str = "mean",
        *,
        handle_unknown: str = "missing",
        max_categories: int = DEFAULT_MAX_CATEGORIES,
    ) -> None:
        self.numeric_strategy = numeric_strategy
        self.handle_unknown = handle_unknown
        self.max_categories = max_categories

    def _numeric_strategy(self) -> str:
        return self.numeric_strategy

    def fit(self, X: Any, y: Any = None) -> MeanModeImputer:
        """Learn each column's fill value.

        Parameters
        ----------
        X : pandas.DataFrame or numeric ndarray of shape (n_rows, n_columns)
        y : ignored

        Returns
        -------
        self

        Raises
        ------
        InputDataError
            If ``X`` is not a DataFrame or numeric array, has no rows, has a
            column with no observed value, or infinite numbers.
        """
        self._validate_params()
        frame, _ = _as_frame(X)
        self._learn_columns(frame)
        self.fill_values_ = {spec.label: _fill_value(spec) for spec in self.specs_}
        return self

    def transform(self, X: Any) -> Any:
        """Fill every gap of ``X`` (identifier columns excepted).

        Parameters
        ----------
        X : pandas.DataFrame or numeric ndarray with the columns seen at fit

        Returns
        -------
        DataFrame or ndarray
            Same kind, index, columns and dtypes as ``X``; observed cells unchanged.

        Raises
        ------
        InputDataError
            If the columns differ from fit, a numeric column holds text or inf,
            or (``handle_unknown="error"``) a category was never seen at fit.
        """
        frame, dtype = self._prepare(X)
        encoded = self._encode(frame, at_fit=False)
        return as_requested(self, self._decode(frame, encoded, self._initial_fill(encoded), dtype))


# --- MissForest --------------------------------------------------------------------------


class MissForestImputer(_MixedImputer):
    """MissForest (Stekhoven & Bühlmann 2012) for tables of mixed column types.

    Gaps are first filled with the mean (numeric, integer, datetime columns)
    or the most frequent value (categorical, boolean). Then, column by column
    in order of increasing number of gaps, a random forest is fitted on the
    rows where the column is observed, using every other imputed column as
    predictor (categorical columns one-hot encoded, booleans as 0/1), and it
    predicts the column's gaps: ``RandomForestRegressor`` for numeric, integer
    and datetime columns, ``RandomForestClassifier`` for categorical and
    boolean ones. One pass over the columns is one iteration.

    Iterations stop as in the paper: after each one, the change of the
    numeric part, ``sum((new - old)**2) / sum(new**2)``, and the share of
    imputed categorical cells whose value changed are measured; when both have
    grown for the first time (only the kinds that have gaps count), the
    previous iterate is returned. Otherwise it stops after ``max_iter``
    iterations. One deviation: the numeric change is measured on columns
    min-max scaled by their observed range at fit, so that one column in
    large units (a datetime in nanoseconds) does not decide alone.

    Parameters
    ----------
    n_estimators : int, default=100
        Trees per forest.
    max_iter : int, default=10
        Most iterations (passes over the columns).
    max_features : {"sqrt", "log2"}, int, float or None, default="sqrt"
        Predictors tried at each split, as in scikit-learn's forests; the
        paper's default is the square root of the number of predictors.
    handle_unknown : {"missing", "error"}, default="missing"
        What transform does with a category never seen at fit: treat the cell
        as missing and impute it (with a ``UserWarning`` naming the column and
        values), or raise :class:`~revimpute.exceptions.InputDataError`.
    max_categories : int, default=200
        A text column with more distinct values is an identifier, left alone.
    n_jobs : int, default=1
        Passed to the forests.
    random_state : int or None, default=None
        Seeds every forest (through a local ``numpy.random.default_rng``);
        the same value gives the same imputation.

    Attributes
    ----------
    kinds_ : list of ColumnKind
        The kind of every column.
    order_ : ndarray of int
        Positions (among the imputed columns) in the order they are visited.
    forests_ : dict
        Column name -> the forest fitted for it in the iteration whose result
        fit returned; columns complete at fit get a forest fitted on the final
        iterate, so that transform can fill them too.
    n_iter_ : int
        Iterations run at fit (the last one is discarded when the stopping
        rule fired).
    convergence_ : list of (float, float)
        Per iteration at fit: numeric change and share of changed categorical
        cells (NaN for a kind without gaps).
    columns_ : pandas.Index
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when every column name is a string.

    Notes
    -----
    ``fit_transform(X)`` returns the iterate MissForest reached on ``X``
    itself. ``transform(Y)`` on another table (or on ``X`` again) runs the
    same iterations on ``Y`` with the forests of ``forests_`` held fixed:
    gaps start from the fit's mean / most frequent values, then each column's
    forest predicts its gaps from the current values of the other columns,
    pass after pass, with the same stopping rule and ``max_iter``. Nothing is
    refitted at transform.

    References
    ----------
    D. J. Stekhoven and P. Bühlmann (2012). MissForest — non-parametric
    missing value imputation for mixed-type data. Bioinformatics 28(1), 112–118.
    """

    _parameter_constraints: dict = {
        **_MixedImputer._parameter_constraints,
        "n_estimators": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_features": [
            StrOptions({"sqrt", "log2"}),
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(numbers.Real, 0.0, 1.0, closed="right"),
            None,
        ],
        "n_jobs": [numbers.Integral, None],
        "random_state": [Interval(numbers.Integral, 0, None, closed="left"), None],
    }

    def __init__(
        self,
        n_estimators: int = 100,
        *,
        max_iter: int = 10,
        max_features: Any = "sqrt",
        handle_unknown: str = "missing",
        max_categories: int = DEFAULT_MAX_CATEGORIES,
        n_jobs: int = 1,
        random_state: int | None = None,
    ) -> None:
        self.n_estimators = n_estimators
        self.max_iter = max_iter
        self.max_features = max_features
        self.handle_unknown = handle_unknown
        self.max_categories = max_categories
        self.n_jobs = n_jobs
        self.random_state = random_state

    # --- scikit-learn API ---------------------------------------------------------------
    def fit(self, X: Any, y: Any = None) -> MissForestImputer:
        """Run MissForest on ``X`` and keep the forests for :meth:`transform`.

        Parameters
        ----------
        X : pandas.DataFrame or numeric ndarray of shape (n_rows, n_columns)
        y : ignored

        Returns
        -------
        self

        Raises
        ------
        InputDataError
            If ``X`` is not a DataFrame or numeric array, has no rows, has a
            column with no observed value, or infinite numbers.
        """
        self._fit(X)
        return self

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Run MissForest on ``X`` and return the imputed ``X``.

        Parameters
        ----------
        X : pandas.DataFrame or numeric ndarray of shape (n_rows, n_columns)
        y : ignored

        Returns
        -------
        DataFrame or ndarray
            Same kind, index, columns and dtypes as ``X``; observed cells unchanged.

        Raises
        ------
        InputDataError
            As :meth:`fit`.
        """
        frame, dtype, encoded, filled = self._fit(X)
        self._warn_identifiers(frame)
        return as_requested(self, self._decode(frame, encoded, filled, dtype))

    def transform(self, X: Any) -> Any:
        """Fill every gap of ``X`` with the forests learned at fit (see Notes).

        Parameters
        ----------
        X : pandas.DataFrame or numeric ndarray with the columns seen at fit

        Returns
        -------
        DataFrame or ndarray
            Same kind, index, columns and dtypes as ``X``; observed cells unchanged.

        Raises
        ------
        InputDataError
            If the columns differ from fit, a numeric column holds text or inf,
            or (``handle_unknown="error"``) a category was never seen at fit.
        """
        frame, dtype = self._prepare(X)
        encoded = self._encode(frame, at_fit=False)
        forests = [self.forests_[spec.label] for spec in self.specs_]
        filled, _, _, _ = self._iterate(self._initial_fill(encoded), encoded, forests, rng=None)
        return as_requested(self, self._decode(frame, encoded, filled, dtype))

    # --- the algorithm --------------------------------------------------------------------
    def _fit(self, X: Any) -> tuple[pd.DataFrame, np.dtype | None, _Encoded, np.ndarray]:
        self._validate_params()
        frame, dtype = _as_frame(X)
        self._learn_columns(frame)
        encoded = self._encode(frame, at_fit=True)
        self.encoders_ = self._make_encoders()
        gaps = encoded.missing.sum(axis=0)
        self.order_ = np.argsort(gaps, kind="stable")
        rng = np.random.default_rng(self.random_state)
        filled, forests, n_iter, history = self._iterate(
            self._initial_fill(encoded), encoded, [None] * len(self.specs_), rng=rng
        )
        for k in self.order_:  # columns complete at fit: a forest for transform
            if forests[k] is None:
                predictors = self._predictors(filled, k)
                forests[k] = self._fit_forest(k, rng, predictors, self._target(filled, k))
        self.forests_ = {spec.label: forest for spec, forest in zip(self.specs_, forests)}
        self.n_iter_ = n_iter
        self.convergence_ = history
        return frame, dtype, encoded, filled

    def _make_encoders(self) -> list[OneHotEncoder | None]:
        encoders: list[OneHotEncoder | None] = []
        for spec in self.specs_:
            if spec.kind == ColumnKind.CATEGORICAL:
                codes = np.arange(len(spec.classes))
                encoder = OneHotEncoder(categories=[codes], sparse_output=False, dtype=np.float64)
                encoders.append(encoder.fit(codes.reshape(-1, 1)))
            else:
                encoders.append(None)
        return encoders

    def _block(self, filled: np.ndarray, k: int) -> np.ndarray:
        """Column ``k`` of the work matrix as predictors: one-hot for categoricals."""
        encoder = self.encoders_[k]
        if encoder is None:
            return filled[:, k : k + 1]
        return encoder.transform(np.rint(filled[:, k : k + 1]).astype(np.int64))

    def _predictors(self, filled: np.ndarray, k: int, blocks: list[np.ndarray] | None = None) -> np.ndarray:
        if blocks is None:
            blocks = [self._block(filled, i) for i in range(filled.shape[1])]
        others = [b for i, b in enumerate(blocks) if i != k]
        if not others:
            return np.zeros((filled.shape[0], 1))
        return np.hstack(others)

    def _target(self, filled: np.ndarray, k: int) -> np.ndarray:
        if self.specs_[k].kind in _CLASS_KINDS:
            return np.rint(filled[:, k]).astype(np.int64)
        return filled[:, k]

    def _new_forest(self, k: int, rng: np.random.Generator) -> Any:
        seed = int(rng.integers(np.iinfo(np.int32).max))
        params = dict(n_estimators=self.n_estimators, max_features=self.max_features,
                      n_jobs=self.n_jobs, random_state=seed)
        if self.specs_[k].kind in _CLASS_KINDS:
            return RandomForestClassifier(**params)
        return RandomForestRegressor(**params)

    def _fit_forest(self, k: int, rng: np.random.Generator, predictors: np.ndarray, target: np.ndarray) -> Any:
        forest = self._new_forest(k, rng)
        with warnings.catch_warnings():
            # the column is categorical by its kind; many classes per row is no sign of a regression
            warnings.filterwarnings("ignore", message="The number of unique classes is greater than 50%")
            with as_input_error(type(forest).__name__, "fit"):
                return forest.fit(predictors, target)

    def _predict(self, forest: Any, predictors: np.ndarray, k: int, allowed: np.ndarray | None) -> np.ndarray:
        if self.specs_[k].kind not in _CLASS_KINDS:
            with as_input_error(type(forest).__name__, "predict"):
                return forest.predict(predictors)
        scores = np.zeros((predictors.shape[0], len(self.specs_[k].classes)))
        with as_input_error(type(forest).__name__, "predict"):
            scores[:, forest.classes_] = forest.predict_proba(predictors)
        if allowed is not None:
            scores[:, ~allowed] = -1.0
        return np.argmax(scores, axis=1).astype(np.float64)

    def _iterate(
        self,
        filled: np.ndarray,
        encoded: _Encoded,
        forests: list[Any],
        rng: np.random.Generator | None,
    ) -> tuple[np.ndarray, list[Any], int, list[tuple[float, float]]]:
        """MissForest iterations from the initial fill ``filled``.

        With ``rng`` (fit) a new forest is fitted per column and iteration;
        without (transform) the given ``forests`` predict. Returns the chosen
        iterate, the forests that produced it, the iterations run and the
        convergence history.
        """
        missing = encoded.missing
        visit = [int(k) for k in self.order_ if missing[:, k].any()]
        if not visit:
            return filled, forests, 0, []
        numeric = np.array([spec.is_numeric for spec in self.specs_])
        kinds_with_gaps = [bool(missing[:, numeric].any()), bool(missing[:, ~numeric].any())]
        low = np.array([spec.low if spec.is_numeric else 0.0 for spec in self.specs_])
        span = np.array([spec.high - spec.low if spec.is_numeric else 1.0 for spec in self.specs_])
        span = np.where(span > 0, span, 1.0)
        n_class_gaps = max(int(missing[:, ~numeric].sum()), 1)

        previous, previous_forests = filled, list(forests)
        old = (np.inf, np.inf)
        history: list[tuple[float, float]] = []
        for iteration in range(self.max_iter):
            current = previous.copy()
            used = list(previous_forests)
            blocks = [self._block(current, i) for i in range(current.shape[1])]
            for k in visit:
                rows = missing[:, k]
                predictors = self._predictors(current, k, blocks)
                if rng is not None:
                    used[k] = self._fit_forest(k, rng, predictors[~rows], self._target(current, k)[~rows])
                current[rows, k] = self._predict(used[k], predictors[rows], k, encoded.allowed[k])
                blocks[k] = self._block(current, k)
            new_scaled = (current[:, numeric] - low[numeric]) / span[numeric]
            old_scaled = (previous[:, numeric] - low[numeric]) / span[numeric]
            change_numeric = (
                float(np.sum((new_scaled - old_scaled) ** 2) / max(np.sum(new_scaled**2), 1e-300))
                if kinds_with_gaps[0] else np.nan
            )
            change_classes = (
                float(np.sum(current[:, ~numeric] != previous[:, ~numeric]) / n_class_gaps)
                if kinds_with_gaps[1] else np.nan
            )
            new = (change_numeric, change_classes)
            history.append(new)
            grew = [new[t] >= old[t] for t in (0, 1) if kinds_with_gaps[t]]
            if iteration > 0 and all(grew):
                return previous, previous_forests, iteration + 1, history
            old = new
            previous, previous_forests = current, used
        return previous, previous_forests, self.max_iter, history
