"""The mixed-table imputers' family: tables mixing numeric, integer, boolean,
categorical and datetime columns.

:class:`_MixedImputer` takes a pandas (or polars) DataFrame, or an array, and
gives back the same kind of object with the same index, columns, column
order and dtypes; observed cells come back bitwise unchanged and identifier
columns (text with more distinct values than ``max_categories``) are left
alone, gaps included. Its members: :class:`~revimpute.impute.MeanModeImputer`
(``_mean_mode.py``), :class:`~revimpute.impute.MissForestImputer`
(``_missforest.py``) and :class:`~revimpute.impute.ConstantImputer`
(``_constant.py``).

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
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from revimpute.encode.checks import (
    columns_differ_error,
    empty_columns_error,
    text_cells_error,
    unknown_categories,
    unknown_categories_error,
)
from revimpute.encode.finite import reject_infinite
from revimpute.encode.integers import float_to_integer
from revimpute.encode.kinds import DEFAULT_MAX_CATEGORIES, ColumnKind, infer_column_kinds
from revimpute.exceptions import InputDataError
from revimpute.impute._base import _BaseImputer
from revimpute.impute._input import TableInfo, as_frame
from revimpute.impute._output import as_requested

NUMERIC_KINDS = (ColumnKind.NUMERIC, ColumnKind.INTEGER, ColumnKind.DATETIME)
CLASS_KINDS = (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN)
#: ``handle_unknown`` of the members that encode categories (scikit-learn constraint syntax).
HANDLE_UNKNOWN = [StrOptions({"missing", "error"})]


@dataclass
class ColumnSpec:
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
        return self.kind in NUMERIC_KINDS


@dataclass
class Encoded:
    """A table as the work matrix: one float column per imputed column."""

    values: np.ndarray  # (n_rows, n_imputed), NaN where missing
    missing: np.ndarray  # bool, cells to impute (gaps and, if asked, unknown categories)
    allowed: list[np.ndarray | None]  # per column: classes the table's dtype can hold


# --- columns -----------------------------------------------------------------------------


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
        text = series.map(lambda v: isinstance(v, (str, bytes))).to_numpy(dtype=bool)
        bad = text & pd.to_numeric(series.where(text, None), errors="coerce").isna().to_numpy()
        if bad.any():
            raise text_cells_error(label, series, bad, "but was numeric at fit") from None
        raise InputDataError(
            f"column {label!r} was numeric at fit but holds values that are not numbers now; "
            "give it the type it had at fit"
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


def _decode_column(series: pd.Series, spec: ColumnSpec, rows: np.ndarray, work: np.ndarray) -> pd.Series:
    """``series`` with the cells at positions ``rows`` set from work values ``work``."""
    out = series.copy()
    if rows.size == 0:
        return out
    if spec.kind in CLASS_KINDS:
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


def fill_value(spec: ColumnSpec) -> Any:
    """A column's initial fill in its own type (datetimes as UTC timestamps)."""
    if spec.kind in CLASS_KINDS:
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


# --- the family ------------------------------------------------------------------------


class _MixedImputer(_BaseImputer):
    """Base of the imputers of mixed tables (not for direct use; see the module's docstring).

    Members with ``handle_unknown`` (what transform does with a category
    never seen at fit) declare it with the :data:`HANDLE_UNKNOWN` constraint.

    Parameters
    ----------
    max_categories : int, default=200
        A text column with more distinct values is an identifier, left alone.
    """

    _parameter_constraints: dict = {
        "max_categories": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(self, *, max_categories: int = DEFAULT_MAX_CATEGORIES) -> None:
        self.max_categories = max_categories

    # --- input --------------------------------------------------------------------------
    def _check_frame(self, X: Any, *, reset: bool) -> tuple[pd.DataFrame, TableInfo]:
        """``X`` as a DataFrame and how to give it back; its columns recorded (fit) or checked.

        Raises
        ------
        InputDataError
            Bad input (:func:`revimpute.impute._input.read_table`), or at
            transform other columns than at fit.
        """
        frame, info = as_frame(X)
        self._check_features(frame, reset=reset)
        if reset:
            self.columns_ = frame.columns.copy()
        elif list(frame.columns) != list(self.columns_):
            raise columns_differ_error(list(self.columns_), list(frame.columns), estimator=type(self).__name__)
        return frame, info

    def _fit_table(self, X: Any) -> tuple[pd.DataFrame, TableInfo]:
        """Check the parameters and ``X``; learn its columns (:meth:`_learn_columns`)."""
        self._validate_params()
        frame, info = self._check_frame(X, reset=True)
        self._learn_columns(frame)
        return frame, info

    def _learn_columns(self, frame: pd.DataFrame) -> None:
        """Kinds, classes, ranges and initial fills of every column of ``frame``."""
        self.kinds_ = infer_column_kinds(frame, max_categories=self.max_categories)
        specs: list[ColumnSpec] = []
        positions: list[int] = []
        empty: list[str] = []
        for j, kind in enumerate(self.kinds_):
            series, label = frame.iloc[:, j], frame.columns[j]
            if kind == ColumnKind.IDENTIFIER:
                continue
            if series.isna().all():
                empty.append(repr(label))
                continue
            if kind in CLASS_KINDS:
                classes = _observed_classes(series, kind)
                codes, _ = _class_codes(series, classes)
                counts = np.bincount(codes[codes >= 0], minlength=len(classes))
                specs.append(ColumnSpec(label, kind, classes, counts, np.nan, np.nan,
                                        float(np.argmax(counts))))
            else:
                values = _numeric_values(series, kind, label)
                observed = values[~np.isnan(values)]
                fill = _numeric_fill(observed, self._numeric_strategy())
                specs.append(ColumnSpec(label, kind, None, None, float(observed.min()),
                                        float(observed.max()), float(fill)))
            positions.append(j)
        if empty:
            raise empty_columns_error(empty)
        self.specs_ = specs
        self.imputed_columns_ = np.asarray(positions, dtype=np.intp)

    def _numeric_strategy(self) -> str:
        """The initial fill of numeric, integer and datetime columns."""
        return "mean"

    def _encode(self, frame: pd.DataFrame, *, at_fit: bool) -> Encoded:
        """The work matrix of ``frame``; unknown categories handled per ``handle_unknown``."""
        n = frame.shape[0]
        values = np.empty((n, len(self.specs_)), dtype=np.float64)
        allowed: list[np.ndarray | None] = []
        for k, (j, spec) in enumerate(zip(self.imputed_columns_, self.specs_)):
            series = frame.iloc[:, j]
            if spec.kind not in CLASS_KINDS:
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
        return Encoded(values, np.isnan(values), allowed)

    def _report_unknown(self, label: Any, unknown: pd.Series) -> None:
        """Warn about categories never seen at fit, or refuse them (``handle_unknown="error"``)."""
        values = unknown.astype(object).tolist()
        if self.handle_unknown == "error":
            raise unknown_categories_error(label, values, len(values))
        warnings.warn(
            f"{unknown_categories(label, values, len(values))}; they are treated as missing and imputed",
            UserWarning,
            stacklevel=4,
        )

    def _warn_identifiers(self, frame: pd.DataFrame) -> None:
        """Say which identifier columns keep their gaps."""
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

    def _initial_fill(self, encoded: Encoded) -> np.ndarray:
        """The work matrix with every gap at its column's fill (the most frequent class a dtype can hold)."""
        filled = encoded.values.copy()
        for k, spec in enumerate(self.specs_):
            rows = encoded.missing[:, k]
            if not rows.any():
                continue
            if spec.kind in CLASS_KINDS and encoded.allowed[k] is not None:
                counts = np.where(encoded.allowed[k], spec.counts, -1)
                filled[rows, k] = float(np.argmax(counts))
            else:
                filled[rows, k] = spec.fill
        return filled

    def _decode(self, frame: pd.DataFrame, encoded: Encoded, filled: np.ndarray) -> pd.DataFrame:
        """``frame`` with its imputed cells set from the work matrix ``filled``."""
        out = frame.copy()
        for k, (j, spec) in enumerate(zip(self.imputed_columns_, self.specs_)):
            rows = np.flatnonzero(encoded.missing[:, k])
            if rows.size:
                out.isetitem(int(j), _decode_column(frame.iloc[:, j], spec, rows, filled[rows, k]))
        return out

    # --- fit --------------------------------------------------------------------------------
    def _learn(self, frame: pd.DataFrame) -> Any:  # pragma: no cover
        """Learn from the checked training table ``frame``, its columns known (subclasses)."""
        raise NotImplementedError

    def fit(self, X: Any, y: Any = None) -> _MixedImputer:
        """Learn from ``X`` what :meth:`transform` needs.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_rows, n_columns)
        y : ignored

        Returns
        -------
        self

        Raises
        ------
        InputDataError
            If ``X`` is not a table, has no rows, has a column with no
            observed value, or infinite numbers.
        """
        frame, _ = self._fit_table(X)
        self._learn(frame)
        return self

    # --- transform ----------------------------------------------------------------------
    def _impute_encoded(self, encoded: Encoded) -> np.ndarray:  # pragma: no cover
        """The work matrix with every cell of ``encoded.missing`` filled (subclasses)."""
        raise NotImplementedError

    def transform(self, X: Any) -> Any:
        """Fill every gap of ``X`` (identifier columns excepted).

        Parameters
        ----------
        X : DataFrame or array-like with the columns seen at fit

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
        check_is_fitted(self)
        frame, info = self._check_frame(X, reset=False)
        self._warn_identifiers(frame)
        encoded = self._encode(frame, at_fit=False)
        return self._output(frame, encoded, self._impute_encoded(encoded), info)

    def _output(self, frame: pd.DataFrame, encoded: Encoded, filled: np.ndarray, info: TableInfo) -> Any:
        """The decoded table, as the kind of table that came in (and as ``set_output`` asks)."""
        return as_requested(self, info.give_back(self._decode(frame, encoded, filled)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags
