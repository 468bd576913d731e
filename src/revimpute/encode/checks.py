"""The checks every table input shares, with one message each.

Every imputer and the table encoder refuse the same bad tables with the same
one-line :class:`~revimpute.exceptions.InputDataError`: no rows, no columns,
duplicate column names, sparse data, more or fewer than two dimensions,
complex numbers, columns without any observed value, and (at transform) other
columns than at fit. Infinite values are :func:`revimpute.encode.finite.reject_infinite`'s.

Where scikit-learn's estimator checks look for a phrase ("0 sample(s)",
"Reshape your data", "Complex data not supported", "X has 3 features, but
... is expecting 4 features"), the message holds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from revimpute.exceptions import InputDataError

#: How many unknown categories a message names.
_SHOWN_UNKNOWN = 5

#: What a numeric-only method suggests for columns it cannot take.
MIXED_METHODS_HINT = (
    "use ReverseImputer (method 'reverse') or the mixed-table baselines 'mean_mode' and "
    "'missforest_mixed'"
)


def plain(value: Any) -> Any:
    """A NumPy scalar as the Python value it holds (for readable messages)."""
    return value.item() if isinstance(value, np.generic) else value


def check_shape(shape: tuple[int, ...]) -> None:
    """Refuse a table that is not 2-D, or has no rows or no columns.

    Raises
    ------
    InputDataError
        Naming the shape.
    """
    if len(shape) != 2:
        raise InputDataError(
            f"expected a 2D array (a table), got {len(shape)}D array instead (shape={shape}). Reshape your "
            "data: array.reshape(-1, 1) for a single column, array.reshape(1, -1) for a single row"
        )
    if shape[0] == 0:
        raise InputDataError(
            f"the table has no rows: 0 sample(s) (shape={shape}) while a minimum of 1 is required; "
            "there is nothing to impute"
        )
    if shape[1] == 0:
        raise InputDataError(
            f"the table has no columns: 0 feature(s) (shape={shape}) while a minimum of 1 is required; "
            "there is nothing to impute"
        )


def check_column_names(columns: pd.Index) -> None:
    """Refuse column names that appear more than once."""
    duplicated = columns[columns.duplicated()].unique().tolist()
    if duplicated:
        raise InputDataError(
            f"column name(s) {', '.join(map(repr, duplicated))} appear more than once; "
            "give every column its own name"
        )


def sparse_column_error(label: Any, dtype: Any) -> InputDataError:
    """The error for a sparse column of a DataFrame."""
    return InputDataError(f"column {label!r} is sparse ({dtype}); convert it first, e.g. frame.sparse.to_dense()")


def sparse_input_error(X: Any) -> InputDataError:
    """The error for a sparse matrix or array (scipy.sparse)."""
    return InputDataError(
        f"sparse input ({type(X).__name__}) is not supported: imputation fills every cell, so "
        "pass a dense array, e.g. X.toarray()"
    )


def complex_error() -> InputDataError:
    """The error for complex numbers."""
    return InputDataError("Complex data not supported: give the real and imaginary parts as two columns")


def series_error() -> InputDataError:
    """The error for a pandas Series where a table is expected."""
    return InputDataError("expected a table, got a pandas Series; use series.to_frame()")


def text_cells_error(label: Any, series: pd.Series, bad: np.ndarray, why: str) -> InputDataError:
    """The error for text cells in a column that must hold numbers.

    Parameters
    ----------
    label : Any
        The column's name (or position).
    series : pandas.Series
        The column.
    bad : ndarray of bool
        The text cells (at least one); the message names the first, its row
        and how many there are.
    why : str
        Why numbers are expected, after the cells: ``"among numbers"``,
        ``"where numbers are expected"``, ``"but was numeric at fit"``.
    """
    pos = int(np.flatnonzero(bad)[0])
    return InputDataError(
        f"column {label!r} holds text {plain(series.iloc[pos])!r} (row {plain(series.index[pos])!r}, "
        f"{int(np.count_nonzero(bad))} such cells) {why}; convert the column, or run `revimpute scan` "
        "to find disguised missing values"
    )


def unknown_categories(label: Any, values: Sequence[Any], n_cells: int) -> str:
    """The start of the message for categories never seen at fit: the column, a few of them, the cells."""
    distinct = list(dict.fromkeys(values))
    shown = ", ".join(repr(plain(v)) for v in distinct[:_SHOWN_UNKNOWN])
    more = f" and {len(distinct) - _SHOWN_UNKNOWN} more" if len(distinct) > _SHOWN_UNKNOWN else ""
    return f"column {label!r} holds categories never seen at fit: {shown}{more} ({n_cells} cells)"


def unknown_categories_error(label: Any, values: Sequence[Any], n_cells: int) -> InputDataError:
    """The error for categories never seen at fit, under ``handle_unknown="error"``.

    Parameters
    ----------
    label : Any
        The column's name.
    values : sequence
        The unknown values met (repeats allowed; a few are named).
    n_cells : int
        How many cells hold them.
    """
    return InputDataError(
        f"{unknown_categories(label, values, n_cells)}; refit on data that has them, or pass "
        "handle_unknown='missing' to impute these cells"
    )


def empty_columns_error(labels: Sequence[str], *, kept: str | None = None) -> InputDataError:
    """The error for columns without any observed value.

    Parameters
    ----------
    labels : sequence of str
        The columns, as messages show them (``repr`` of a name, or a position).
    kept : str or None
        How ``keep_empty_features=True`` keeps such a column (e.g. ``"filled
        with 0"``), for methods that have that parameter.
    """
    one = len(labels) == 1
    names = ", ".join(labels)
    it = "it" if one else "them"
    subject = f"column {names} has" if one else f"columns {names} have"
    advice = f"drop {it} or fill {it} first"
    if kept:
        advice += f", or pass keep_empty_features=True to keep {it} {kept}"
    return InputDataError(f"{subject} no observed value, so nothing can be learned about {it}; {advice}")


def all_empty_error() -> InputDataError:
    """The error for a table whose every column is empty."""
    return InputDataError("every column of the table is empty; there is nothing to learn from or impute")


def feature_count_error(n_given: int, n_fitted: int, *, estimator: str) -> InputDataError:
    """The error for a table with another number of columns than at fit (no names to compare)."""
    return InputDataError(
        f"X has {n_given} features, but {estimator} is expecting {n_fitted} features as input (the "
        "columns seen at fit); give the same columns in the same order"
    )


def columns_differ_error(fitted: Sequence[Any], given: Sequence[Any], *, estimator: str) -> InputDataError:
    """The error for a table whose column names are not those seen at fit.

    Parameters
    ----------
    fitted, given : sequence
        The column names at fit and now.
    estimator : str
        The estimator's name, named when the number of columns differs.
    """
    missing = [c for c in fitted if c not in set(given)]
    extra = [c for c in given if c not in set(fitted)]
    detail = []
    if missing:
        detail.append(f"missing {', '.join(map(repr, missing))}")
    if extra:
        detail.append(f"not seen at fit {', '.join(map(repr, extra))}")
    if not detail:
        detail.append("the same columns in a different order")
    count = ""
    if len(given) != len(fitted):
        count = f"X has {len(given)} features, but {estimator} is expecting {len(fitted)} features as input: "
    return InputDataError(
        f"{count}the table's columns differ from those at fit ({'; '.join(detail)}); "
        "give the columns fit saw, in the same order"
    )
