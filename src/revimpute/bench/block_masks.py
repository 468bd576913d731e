"""Structured masks: a block of columns hidden in chosen rows (no randomness)."""

from __future__ import annotations

from typing import Any

import numpy as np

from revimpute.exceptions import RevimputeError

__all__ = ["column_block"]


def _index(selection: Any, size: int, what: str) -> np.ndarray:
    """Positions picked by ``selection`` (ints, slice or booleans) among ``size``."""
    try:
        picked = np.arange(size)[selection]
    except IndexError as exc:
        raise RevimputeError(f"{what} {selection!r} do not fit {size} {what} ({exc})") from None
    return np.atleast_1d(picked)


def column_block(
    shape: tuple[int, int], columns: Any, rows: Any = None
) -> np.ndarray:
    """Hide a block: the given columns in the given rows (all rows by default).

    Parameters
    ----------
    shape : tuple (n_rows, n_columns)
        Shape of the mask.
    columns : int, sequence of int, slice or boolean array
        Columns to hide (numpy indexing; negative positions count from the end).
    rows : int, sequence of int, slice or boolean array, optional
        Rows in which they are hidden; None means every row.

    Returns
    -------
    numpy.ndarray of bool of ``shape``
        True exactly on the chosen rows x columns.

    Raises
    ------
    RevimputeError
        If ``shape`` is not two non-negative sizes or a selection is out of range.
    """
    if len(shape) != 2 or min(shape) < 0:
        raise RevimputeError(f"shape must be (n_rows, n_columns), got {shape!r}")
    n_rows, n_cols = int(shape[0]), int(shape[1])
    cols = _index(columns, n_cols, "columns")
    picked_rows = np.arange(n_rows) if rows is None else _index(rows, n_rows, "rows")
    mask = np.zeros((n_rows, n_cols), dtype=bool)
    mask[np.ix_(picked_rows, cols)] = True
    return mask
