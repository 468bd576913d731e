"""What kind of column a table column is: numeric, integer, boolean, categorical,
datetime, or an identifier that imputation leaves alone."""

from __future__ import annotations

import numbers
from enum import Enum
from typing import Any

import numpy as np
import pandas as pd

from revimpute.encode.checks import text_cells_error
from revimpute.exceptions import InputDataError

DEFAULT_MAX_CATEGORIES = 200


class ColumnKind(str, Enum):
    """How a column is encoded for the network and decoded back."""

    NUMERIC = "numeric"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    CATEGORICAL = "categorical"
    DATETIME = "datetime"
    IDENTIFIER = "identifier"


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and np.isnan(value)


def _value_type(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "boolean"
    if isinstance(value, numbers.Number):
        return "number"
    if isinstance(value, (str, bytes)):
        return "text"
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return "datetime"
    return type(value).__name__


def _text_kind(series: pd.Series, label: Any) -> ColumnKind:
    """Kind of a column of numbers and/or text.

    Text stays text: a column of text that all reads as numbers (zip codes
    "00501", identifiers) is categorical, so its values come back as written;
    convert it (``pd.to_numeric``) to impute it as numbers. Mostly numbers with
    some text that does not read as a number: an error (a numeric column with
    stray text, often a disguised missing value). Numbers (not numeric text)
    mixed with text: an error.
    """
    observed = series[~series.isna()]
    as_number = pd.to_numeric(observed.astype(object), errors="coerce")
    readable = as_number.notna().to_numpy(dtype=bool)
    numbers = observed.map(lambda v: isinstance(v, numbers_types)).to_numpy(dtype=bool)
    if readable.all() and len(observed) and not numbers.any():
        return ColumnKind.CATEGORICAL
    if readable.mean() >= 0.5 and not readable.all():
        bad = np.zeros(len(series), dtype=bool)
        bad[np.flatnonzero(~series.isna().to_numpy(dtype=bool))[~readable]] = True
        raise text_cells_error(label, series, bad, "among numbers")
    if numbers.any():
        raise InputDataError(
            f"column {label!r} mixes numbers and text ({int(numbers.sum())} numbers such as "
            f"{observed[numbers].iloc[0]!r}, {int((~numbers).sum())} text cells such as "
            f"{observed[~numbers].iloc[0]!r}); give the column one type, e.g. .astype(str) for a "
            "categorical column"
        )
    return ColumnKind.CATEGORICAL


numbers_types = (numbers.Number,)


def _object_kind(series: pd.Series, label: Any) -> ColumnKind:
    """Kind of an object column from the Python types of its observed values."""
    observed = [v for v in series.tolist() if not _is_missing(v)]
    types: dict[str, Any] = {}
    for value in observed:
        types.setdefault(_value_type(value), value)
    if not types:
        return ColumnKind.CATEGORICAL
    if set(types) == {"number"}:
        return ColumnKind.NUMERIC
    if set(types) == {"boolean"}:
        return ColumnKind.BOOLEAN
    if set(types) == {"datetime"}:
        return ColumnKind.DATETIME
    if set(types) <= {"number", "text"}:
        return _text_kind(series, label)
    shown = ", ".join(f"{name} ({value!r})" for name, value in types.items())
    raise InputDataError(
        f"column {label!r} mixes value types: {shown}; give the column one type "
        "(for example .astype(str) for a categorical column)"
    )


def infer_column_kind(
    series: pd.Series, *, max_categories: int = DEFAULT_MAX_CATEGORIES, label: Any = None
) -> ColumnKind:
    """The :class:`ColumnKind` of a pandas column.

    Parameters
    ----------
    series : pandas.Series
    max_categories : int, default=200
        A text or categorical column with more distinct observed values than
        this is an identifier (names, keys): imputation leaves it alone.
    label : object, optional
        The column's name for error messages (defaults to ``series.name``).

    Raises
    ------
    InputDataError
        If an object column mixes value types (numbers and text, say), or the
        column is sparse.
    """
    label = series.name if label is None else label
    dtype = series.dtype
    if isinstance(dtype, pd.SparseDtype):
        raise InputDataError(
            f"column {label!r} is sparse ({dtype}); convert it first, e.g. frame.sparse.to_dense()"
        )
    if isinstance(dtype, pd.CategoricalDtype):
        kind = ColumnKind.CATEGORICAL
    elif pd.api.types.is_bool_dtype(dtype):
        kind = ColumnKind.BOOLEAN
    elif pd.api.types.is_integer_dtype(dtype):
        kind = ColumnKind.INTEGER
    elif pd.api.types.is_float_dtype(dtype):
        kind = ColumnKind.NUMERIC
    elif pd.api.types.is_datetime64_any_dtype(dtype):
        kind = ColumnKind.DATETIME
    elif pd.api.types.is_string_dtype(dtype) and not dtype == object:
        kind = _text_kind(series, label)
    elif dtype == object:
        kind = _object_kind(series, label)
    elif pd.api.types.is_numeric_dtype(dtype):
        kind = ColumnKind.NUMERIC
    else:
        raise InputDataError(
            f"column {label!r} has dtype {dtype}, which revimpute cannot impute; convert it "
            "to a number, a category, a boolean or a datetime"
        )
    if kind == ColumnKind.CATEGORICAL and series.nunique(dropna=True) > max_categories:
        return ColumnKind.IDENTIFIER
    return kind


def infer_column_kinds(
    frame: pd.DataFrame, *, max_categories: int = DEFAULT_MAX_CATEGORIES
) -> list[ColumnKind]:
    """The :class:`ColumnKind` of every column of ``frame``, in order."""
    return [
        infer_column_kind(frame.iloc[:, j], max_categories=max_categories, label=frame.columns[j])
        for j in range(frame.shape[1])
    ]
