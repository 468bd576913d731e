"""Interval bounds of imputed number cells, written in each column's own type.

The bounds come in table units (float64, seconds for datetimes). A whole-number
column gets its lower bound rounded down and its upper bound rounded up, a
datetime column to its whole days or seconds outward, so that rounding never
narrows an interval. Bounds are not clipped to the range observed at fit (a
missing value can lie beyond it), only to what the column's type can hold.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from revimpute.encode.kinds import ColumnKind
from revimpute.encode.columns import holding_kind, number_values
from revimpute.encode.table import TableEncoder

_NUMBER_KINDS = (ColumnKind.NUMERIC, ColumnKind.INTEGER, ColumnKind.DATETIME)


def outward(values: np.ndarray, kind: ColumnKind, round_to_days: bool, whole: bool, down: bool) -> np.ndarray:
    """``values`` rounded away from the interval's centre to what the column can hold.

    Parameters
    ----------
    values : ndarray of float
    kind : ColumnKind
    round_to_days : bool
        A datetime column of midnights (steps of 86,400 s).
    whole : bool
        The column holds whole numbers (its kind or its dtype).
    down : bool
        True for lower bounds (rounded down), False for upper bounds.
    """
    step = 1.0
    if kind == ColumnKind.DATETIME:
        step = 86400.0 if round_to_days else 1.0
    elif not whole:
        return values
    with np.errstate(invalid="ignore", over="ignore"):
        return (np.floor(values / step) if down else np.ceil(values / step)) * step


def interval_frames(
    encoder: TableEncoder, frame: pd.DataFrame, lower: np.ndarray, upper: np.ndarray, cell_missing: np.ndarray,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Copies of ``frame`` whose imputed number cells hold the interval's bounds.

    Parameters
    ----------
    encoder : TableEncoder
        Fitted.
    frame : DataFrame
        The table as given to :meth:`TableEncoder.encode`.
    lower, upper : ndarray of float64, shape (n, n_number_columns)
        Bounds in table units, one column per encoded number column, in order.
    cell_missing : ndarray of bool, shape (n, n_columns)
        The imputed cells (from :meth:`TableEncoder.encode`).

    Returns
    -------
    lower, upper : DataFrame
        ``frame``'s cells where they are not imputed number cells (observed
        cells as given; imputed boolean and categorical cells stay missing),
        the bounds in the column's dtype elsewhere.
    """
    frames = [frame.copy(), frame.copy()]
    k = 0
    for j, code in enumerate(encoder.codes_):
        if not (code.encoded and code.kind in _NUMBER_KINDS):
            continue
        rows = np.flatnonzero(cell_missing[:, j])
        if rows.size:
            series = frame.iloc[:, j]
            whole = code.kind == ColumnKind.INTEGER or pd.api.types.is_integer_dtype(series.dtype)
            unbounded = dataclasses.replace(code, low=-np.inf, high=np.inf, exact_low=None, exact_high=None)
            for out, bound, down in ((frames[0], lower, True), (frames[1], upper, False)):
                values = outward(bound[rows, k], code.kind, code.round_to_days, whole, down)
                if code.kind == ColumnKind.DATETIME:  # within what a timestamp can hold
                    values = np.clip(values, pd.Timestamp.min.value / 1e9 + 1, pd.Timestamp.max.value / 1e9 - 1)
                column = holding_kind(series.copy(), code)
                column.iloc[rows] = number_values(values, unbounded, column, False)
                out.isetitem(j, column)
        k += 1
    return frames[0], frames[1]
