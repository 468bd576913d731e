"""CSV output that keeps the text of the input: observed cells as written, formula-like cells escaped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from revimpute.encode.cells import render_cell


def keep_written_text(
    imputed: pd.DataFrame,
    before: pd.DataFrame,
    text: pd.DataFrame,
    writers: dict[int, Callable[[Any], str]] | None = None,
) -> pd.DataFrame:
    """The cells of a CSV file as written, with only the imputed cells replaced.

    Parameters
    ----------
    imputed : DataFrame
        The imputer's output.
    before : DataFrame
        What the imputer was given (same shape): its missing cells that
        ``imputed`` fills are the imputed cells.
    text : DataFrame
        The same table read as text (:func:`read_table` with ``as_text=True``).
    writers : dict, optional
        Column position -> function writing an imputed value as text, for
        columns whose values are written in a format of their own (numbers
        with ``%`` or thousands separators); :func:`render_cell` elsewhere.

    Returns
    -------
    DataFrame of str
        ``text`` where a cell was not imputed (observed cells, and gaps left
        open, keep their text byte for byte), :func:`render_cell` of the
        imputed value elsewhere (in the column's number format when
        ``formats`` gives one); ``imputed``'s index and column labels.
    """
    out = text.copy()
    out.index, out.columns = imputed.index, imputed.columns
    filled = before.isna().to_numpy(dtype=bool) & imputed.notna().to_numpy(dtype=bool)
    for j in np.flatnonzero(filled.any(axis=0)):
        rows = np.flatnonzero(filled[:, j])
        column = out.iloc[:, j].astype(object)
        write = (writers or {}).get(int(j), render_cell)
        column.iloc[rows] = [write(v) for v in imputed.iloc[rows, j].tolist()]
        out.isetitem(int(j), column)
    return out


#: First characters that make a spreadsheet program read a CSV cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(column: pd.Series) -> np.ndarray:
    """Which text cells of ``column`` a spreadsheet would run as a formula.

    A cell is formula-like when it starts with ``=``, ``+``, ``-``, ``@``, a
    tab or a carriage return and is not a plain number (``-5`` is a number).
    Cells that are not text never are.
    """
    values = column.to_numpy(dtype=object)
    is_text = np.array([isinstance(v, str) for v in values], dtype=bool)
    out = np.zeros(len(values), dtype=bool)
    if not is_text.any():
        return out
    text = pd.Series(values[is_text], dtype=object)
    starts = text.str.startswith(FORMULA_STARTS).to_numpy(dtype=bool)
    numbers = pd.to_numeric(text.str.strip(), errors="coerce").notna().to_numpy(dtype=bool)
    out[is_text] = starts & ~numbers
    return out


def escape_formulas(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Prefix every formula-like text cell with ``'`` (OWASP's advice for CSV files).

    Returns
    -------
    frame : DataFrame
        A copy with the formula-like cells escaped (``=1+1`` becomes ``'=1+1``).
    counts : dict
        Column label -> number of cells escaped (columns with none left out).
    """
    out = frame.copy()
    counts = {}
    for j in range(frame.shape[1]):
        hits = formula_like(frame.iloc[:, j])
        if hits.any():
            column = out.iloc[:, j].astype(object)
            column.iloc[np.flatnonzero(hits)] = ["'" + v for v in column.iloc[np.flatnonzero(hits)]]
            out.isetitem(j, column)
            counts[frame.columns[j]] = int(hits.sum())
    return out, counts
