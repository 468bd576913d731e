"""A chunk of text columns in their table-wide types.

The types come from :func:`revimpute.clean._types.decide`; the value of a cell
depends on its own text and its column's type only, so a table read in chunks
of any size converts exactly as when read whole.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from revimpute.clean._types import (
    TEXT_DTYPE,
    ColumnType,
    _batches,
    _column,
    parse_numbers,
    text_to_boolean,
    text_to_datetime,
)
from revimpute.detect.formatted import NumberFormat


def convert_column(series: pd.Series, missing: np.ndarray, ctype: ColumnType,
                   fmt: NumberFormat | None = None) -> pd.Series:
    """One chunk of a column in its table-wide type, its ``missing`` cells NaN/NA/NaT.

    A cell's value depends on its own text and the column's type only.
    """
    kind, dtype = ctype.kind, ctype.dtype
    index, name = series.index, series.name
    if kind == "kept":
        out = series if series.dtype == dtype else series.astype(dtype)
        return out.mask(pd.Series(missing, index=index)) if missing.any() else out.copy()
    if kind == "empty":
        return pd.Series(np.full(len(series), np.nan), index=index, name=name)
    values = series.to_numpy(dtype=object)
    observed = ~missing
    if kind in ("integer", "number"):
        numbers = np.full(len(series), np.nan)
        numbers[observed] = _numbers_of(values[observed], fmt)
        if kind == "number":
            return pd.Series(numbers, index=index, name=name)
        if isinstance(dtype, pd.Int64Dtype):
            data = pd.array(np.where(observed, numbers, 0).astype(np.int64), dtype="Int64")
            data[missing] = pd.NA
            return pd.Series(data, index=index, name=name)
        return pd.Series(numbers.astype(np.int64), index=index, name=name)
    text = pd.Series(values, index=index, name=name, dtype=object).where(observed)
    if kind == "boolean":
        out = text_to_boolean(text.astype(TEXT_DTYPE))
        return out if isinstance(dtype, pd.BooleanDtype) else out.astype(bool)
    if kind == "datetime":
        stamps = text_to_datetime(text)
        if isinstance(dtype, pd.DatetimeTZDtype) and stamps.dt.tz is None:
            stamps = stamps.dt.tz_localize(dtype.tz)  # a chunk with gaps only
        return stamps if stamps.dtype == dtype else stamps.astype(dtype)
    return text.astype(TEXT_DTYPE)


def _numbers_of(values: np.ndarray, fmt: NumberFormat | None) -> np.ndarray:
    """Numbers of observed text values, parsed once per distinct value."""
    if not len(values):
        return np.zeros(0)
    codes, uniques = pd.factorize(values)
    return parse_numbers(np.asarray(uniques, dtype=object), fmt)[codes]


def convert_table(frame: pd.DataFrame, missing: np.ndarray, types: list[ColumnType],
                  formats: dict[int, NumberFormat], values: np.ndarray | None = None) -> pd.DataFrame:
    """Every column of ``frame`` as :func:`convert_column` converts it.

    The plain text columns typed as numbers (no number format) are parsed
    many at once (groups of about :data:`~revimpute.clean._types.BATCH_CELLS` cells) and built as one
    block, so the cost does not grow with the number of columns beyond the
    cells themselves; every other column is converted on its own. The result is the same as column by column.
    ``values`` is the frame's cells when already at hand (:func:`text_values`).
    """
    n = frame.shape[0]
    numeric = [j for j, t in enumerate(types) if t.kind in ("number", "integer", "empty") and j not in formats
               and (t.kind == "empty" or isinstance(t.dtype, np.dtype))]
    parts: dict[int, pd.Series] = {}
    blocks: list[pd.DataFrame] = []
    if len(numeric) > 1:
        parsed = np.full((len(numeric), n), np.nan)
        text_cols = [i for i, j in enumerate(numeric) if types[j].kind != "empty"]
        for group in _batches(text_cols, n):
            chosen = [numeric[i] for i in group]
            cells = (values[:, chosen] if values is not None else frame.iloc[:, chosen].to_numpy(dtype=object)).T
            seen = ~missing[:, chosen].T
            block = np.full(cells.shape, np.nan)
            block[seen] = _numbers_of(cells[seen], None)
            parsed[group] = block
        for dtype in (np.dtype(np.float64), np.dtype(np.int64)):
            rows = [i for i, j in enumerate(numeric) if (types[j].dtype == dtype and types[j].kind != "empty")
                    or (dtype == np.float64 and types[j].kind == "empty")]
            if rows:
                blocks.append(pd.DataFrame(parsed[rows].T.astype(dtype), index=frame.index,
                                           columns=[numeric[i] for i in rows]))
    else:
        numeric = []
    done = set(numeric)
    for j, ctype in enumerate(types):
        if j not in done:
            parts[j] = convert_column(_column(frame, values, j), missing[:, j], ctype, formats.get(j))
    if parts:
        blocks.append(pd.DataFrame(parts, index=frame.index))
    out = pd.concat(blocks, axis=1) if len(blocks) > 1 else blocks[0] if blocks else pd.DataFrame(index=frame.index)
    order = np.argsort(np.asarray(out.columns, dtype=np.int64), kind="stable")
    out = out.iloc[:, order] if not (order == np.arange(order.size)).all() else out
    out.columns = frame.columns
    return out
