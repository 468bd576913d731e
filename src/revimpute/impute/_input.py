"""The one input path of revimpute's imputers.

:func:`read_table` makes the checks every imputer shares (see
:mod:`revimpute.encode.checks`) and says how the result is to be given back
(:class:`TableInfo`). The numeric imputers then take the table as float64
numbers (:func:`numeric_values`, which refuses text, categories and datetimes
with a pointer to the mixed-table methods); the mixed-table imputers take it
as a pandas DataFrame (:func:`as_frame`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.utils.validation import FLOAT_DTYPES, check_array, validate_data

from revimpute.encode.checks import (
    MIXED_METHODS_HINT,
    check_column_names,
    check_shape,
    complex_error,
    series_error,
    sparse_column_error,
    sparse_input_error,
    text_cells_error,
)
from revimpute.encode.finite import reject_infinite
from revimpute.encode.frames import is_polars_frame, like_input, to_pandas
from revimpute.encode.kinds import ColumnKind, infer_column_kind
from revimpute.exceptions import InputDataError, RevimputeError
from revimpute.impute._errors import InputTypeError, one_line


@dataclass
class TableInfo:
    """What is needed to give a table back as it came."""

    index: pd.Index | None  # None for an array
    columns: pd.Index
    dtypes: pd.Series | None  # None for an array
    array_dtype: np.dtype | None  # None for a DataFrame
    schema: Any = None  # a polars DataFrame's schema

    @property
    def is_frame(self) -> bool:
        return self.index is not None

    def label(self, j: int) -> str:
        """Column ``j`` as messages show it: its name's repr, or its position."""
        return repr(self.columns[j]) if self.is_frame else f"{j}"

    def give_back(self, frame: pd.DataFrame) -> Any:
        """``frame`` as the kind of table that came in (polars, pandas, or an array of its dtype)."""
        if self.is_frame:
            return like_input(frame, self.schema)
        return frame.to_numpy(dtype=self.array_dtype)


def read_table(X: Any) -> tuple[pd.DataFrame | np.ndarray, TableInfo]:
    """``X`` as a pandas DataFrame or a 2-D array, after the checks every imputer shares.

    A polars DataFrame becomes a pandas one (:func:`revimpute.encode.frames.to_pandas`);
    any other array-like (lists, objects with ``__array__``) a NumPy array.

    Raises
    ------
    InputDataError
        Sparse data, a Series, not two dimensions, no rows, no columns,
        duplicate column names, a sparse column, complex numbers.
    """
    if sp.issparse(X):
        raise sparse_input_error(X)
    if isinstance(X, pd.Series):
        raise series_error()
    schema = None
    if is_polars_frame(X):
        X, schema = to_pandas(X)
    if isinstance(X, pd.DataFrame):
        check_shape(X.shape)
        check_column_names(X.columns)
        for label, dtype in X.dtypes.items():
            if isinstance(dtype, pd.SparseDtype):
                raise sparse_column_error(label, dtype)
            if dtype.kind == "c":
                raise complex_error()
        return X, TableInfo(X.index, X.columns, X.dtypes, None, schema)
    try:
        array = np.asarray(X)
    except (TypeError, ValueError) as exc:
        raise InputDataError(
            f"expected a table (a 2D array or a DataFrame), got a {type(X).__name__} that NumPy cannot "
            f"read as one ({one_line(exc)})"
        ) from None
    check_shape(array.shape)
    if array.dtype.kind == "c":
        raise complex_error()
    return array, TableInfo(None, pd.RangeIndex(array.shape[1]), None, array.dtype)


def as_frame(X: Any) -> tuple[pd.DataFrame, TableInfo]:
    """``X`` as a pandas DataFrame (an array becomes one with columns 0, 1, ...).

    Raises
    ------
    InputDataError
        As :func:`read_table`.
    """
    table, info = read_table(X)
    if isinstance(table, pd.DataFrame):
        return table, info
    return pd.DataFrame(table), info


def numeric_values(
    X: Any, missing_values: Any
) -> tuple[pd.DataFrame | np.ndarray, np.ndarray, np.ndarray, TableInfo]:
    """``X`` as float64 numbers, the mask of its missing cells, and how to give it back.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
    missing_values : float, int or None
        The placeholder of a missing cell besides NaN, None and ``pd.NA``.

    Returns
    -------
    table : DataFrame or ndarray
        ``X`` after :func:`read_table` (a polars frame is a pandas one here).
    values : ndarray of float64
        A copy of the numbers (NaN or the placeholder where missing).
    missing : ndarray of bool
    info : TableInfo

    Raises
    ------
    InputDataError
        As :func:`read_table`; also text, categorical or datetime columns, and
        infinite values. A cell that is neither a number nor text (a dict, say)
        raises :class:`~revimpute.impute._errors.InputTypeError`, which is
        also a ``TypeError``, as NumPy's own conversion error is.
    """
    table, info = read_table(X)
    reject_non_numeric(table, missing_values)
    try:
        values = check_array(table, dtype=FLOAT_DTYPES, ensure_all_finite=False, copy=True, input_name="X")
    except RevimputeError:
        raise
    except TypeError as exc:
        raise InputTypeError(one_line(exc)) from None
    except ValueError as exc:
        raise InputDataError(one_line(exc)) from None
    values = np.asarray(values, dtype=np.float64)
    reject_infinite(values, info.label)
    missing = np.isnan(values)
    if missing_values is not None and not (isinstance(missing_values, float) and np.isnan(missing_values)):
        missing |= values == missing_values
    return table, values, missing, info


def reject_non_numeric(table: pd.DataFrame | np.ndarray, missing_values: Any) -> None:
    """Refuse datetime, text and categorical columns where numbers are expected.

    Raises
    ------
    InputDataError
        Naming the column, and the methods that take such columns.
    """
    if isinstance(table, pd.DataFrame):
        for label, dtype in table.dtypes.items():
            if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
                raise InputDataError(
                    f"column {label!r} holds {dtype} values; this imputer takes numeric columns only — "
                    f"{MIXED_METHODS_HINT}, or convert the column to numbers"
                )
        columns = [(c, table[c]) for c in table.columns if not (
            pd.api.types.is_numeric_dtype(table[c]) or pd.api.types.is_bool_dtype(table[c])
        )]
    else:
        if table.dtype.kind not in "OUS":
            return
        columns = [(j, pd.Series(table[:, j])) for j in range(table.shape[1])]
    for label, series in columns:
        _reject_text(series, label, missing_values)


def _reject_text(series: pd.Series, label: Any, missing_values: Any) -> None:
    is_text = series.map(lambda v: isinstance(v, (str, bytes))).to_numpy(dtype=bool)
    if not is_text.any():
        return  # other objects are left to NumPy's conversion error
    if _is_categorical(series, label):
        raise InputDataError(
            f"column {label!r} is categorical (text such as {series[is_text].iloc[0]!r}); this "
            f"imputer takes numeric columns only — {MIXED_METHODS_HINT}, or encode the column"
        )
    converted = pd.to_numeric(series.where(is_text, None), errors="coerce")
    is_missing = series.map(lambda v: _is_missing_value(v, missing_values)).to_numpy(dtype=bool)
    bad = is_text & converted.isna().to_numpy() & ~is_missing
    if bad.any():
        raise text_cells_error(label, series, bad, "where numbers are expected")


def _is_missing_value(value: Any, missing_values: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return missing_values is not np.nan and value == missing_values


def _is_categorical(series: pd.Series, label: Any) -> bool:
    try:
        kind = infer_column_kind(series.astype(object), label=label)
    except InputDataError:
        return False
    return kind in (ColumnKind.CATEGORICAL, ColumnKind.IDENTIFIER)


def check_frame_names(estimator: Any, frame: pd.DataFrame, reset: bool) -> None:
    """Record (fit) or check (transform) the column names and count, as scikit-learn does."""
    names = getattr(estimator, "feature_names_in_", None)
    if not reset and names is not None and [str(c) for c in frame.columns] != list(names):
        given = [str(c) for c in frame.columns]
        missing = [n for n in names if n not in given]
        extra = [n for n in given if n not in set(names)]
        detail = [f"missing {', '.join(map(repr, missing))}"] if missing else []
        detail += [f"not seen at fit {', '.join(map(repr, extra))}"] if extra else []
        raise InputDataError(
            f"the table's columns differ from those at fit ({'; '.join(detail) or 'same columns in another order'}); "
            "give the columns fit saw, in the same order"
        )
    try:
        validate_data(estimator, frame, reset=reset, skip_check_array=True)
    except TypeError as exc:  # column names mixing text and numbers
        raise InputDataError(f"column names: {exc}") from None
    except InputDataError:
        raise
    except ValueError as exc:  # other columns or another number of columns than at fit
        raise InputDataError(str(exc)) from None
