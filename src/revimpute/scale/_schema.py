"""Column types of a whole table, decided once and enforced on every chunk.

Read in one piece, pandas gives an integer column that has a gap anywhere in
the file the type float64, and a gap-free one int64. Read in chunks, each
chunk would decide on its own, so a column could flip between int64 and
float64 (and the imputer would round one chunk and not the next). So the
types are decided once for the whole file:

* CSV/TSV: a first streaming pass (pandas' C parser, chunk by chunk) records
  what each column looked like in every chunk (integers, floats, booleans,
  text, all missing) and the number of rows; the types are then those pandas
  gives when it reads the whole file. The pass also gives the row count for
  the progress bar.
* Parquet: the schema and the per-row-group null counts in the file's
  metadata give the same answer without reading the data (a column without
  null-count statistics is scanned alone).

:func:`conform` then casts every chunk to these types, so chunk after chunk
has the dtypes of ``revimpute.io.read_table(path)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from revimpute.exceptions import InputDataError
from revimpute.io import check_input_file
from revimpute.scale._readers import csv_chunks, open_parquet

#: The dtype pandas gives text columns ("str" in pandas 3, object before).
TEXT_DTYPE = pd.Series(["a"]).dtype

# What a column looked like in one chunk.
_INT, _UINT, _FLOAT, _BOOL, _BOOL_NA, _TEXT, _EMPTY = "i", "u", "f", "b", "B", "S", "N"


@dataclass(frozen=True)
class TableSchema:
    """The shape and column types of a table file.

    Attributes
    ----------
    path : Path
    format : {"csv", "parquet"}
    dtypes : dict
        Column label -> pandas dtype, in file order, for every chunk.
    n_rows : int
    text_columns : tuple
        CSV columns parsed as text (kept as written).
    range_start, range_step, range_name
        The row index is ``RangeIndex`` ``range_start + i * range_step`` for
        row ``i``, named ``range_name`` (a Parquet file written by pandas may
        store another start, step or name), unless the file stores index
        columns.
    """

    path: Path
    format: str
    dtypes: dict[Any, Any]
    n_rows: int
    text_columns: tuple[Any, ...] = field(default=())
    range_start: int = 0
    range_step: int = 1
    range_name: Any = None

    @property
    def columns(self) -> list[Any]:
        """The column labels in file order."""
        return list(self.dtypes)


def _chunk_kind(series: pd.Series) -> str:
    if series.isna().all():
        return _EMPTY
    kind = series.dtype.kind if isinstance(series.dtype, np.dtype) else ""
    if kind in (_INT, _UINT, _FLOAT, _BOOL):
        return kind
    if kind == "O" and pd.api.types.infer_dtype(series, skipna=True) == "boolean":
        return _BOOL_NA
    return _TEXT


def _decide(kinds: set[str]) -> tuple[Any, bool]:
    """The whole-file dtype of a column from what it looked like chunk by chunk.

    Returns ``(dtype, is_text)``.
    """
    seen = kinds - {_EMPTY}
    has_gap = _EMPTY in kinds
    if not seen:
        return np.dtype(np.float64), False
    if seen == {_INT}:
        return np.dtype(np.float64 if has_gap else np.int64), False
    if seen == {_UINT}:
        return np.dtype(np.float64 if has_gap else np.uint64), False
    if seen <= {_INT, _UINT, _FLOAT}:
        return np.dtype(np.float64), False
    if seen == {_BOOL} and not has_gap:
        return np.dtype(bool), False
    if seen <= {_BOOL, _BOOL_NA}:
        return np.dtype(object), False
    return TEXT_DTYPE, True


def _scan_csv(path: Path, chunk_rows: int, on_bytes: Callable[[int], None] | None) -> TableSchema:
    kinds: dict[Any, set[str]] = {}
    n_rows = 0
    for chunk in csv_chunks(path, chunk_rows, on_bytes=on_bytes):
        if not kinds:
            kinds = {label: set() for label in chunk.columns}
        n_rows += len(chunk)
        if len(chunk):
            for label in chunk.columns:
                kinds[label].add(_chunk_kind(chunk[label]))
    if not kinds:
        raise InputDataError(f"{path}: no columns found")
    if n_rows == 0:
        raise InputDataError(f"{path}: header only, the table has no rows")
    decided = {label: _decide(k) for label, k in kinds.items()}
    dtypes = {label: dt for label, (dt, _) in decided.items()}
    text = tuple(label for label, (_, is_text) in decided.items() if is_text)
    return TableSchema(path, "csv", dtypes, n_rows, text)


def _parquet_null_fields(pf: Any, fields: list[str]) -> set[str]:
    """The fields among ``fields`` that hold at least one null."""
    meta = pf.metadata
    counts = dict.fromkeys(fields, 0)
    unknown: set[str] = set()
    for rg in range(meta.num_row_groups):
        group = meta.row_group(rg)
        for j in range(group.num_columns):
            col = group.column(j)
            name = col.path_in_schema
            if name not in counts:
                continue
            stats = col.statistics
            if stats is None or not stats.has_null_count:
                unknown.add(name)
            else:
                counts[name] += stats.null_count
    if unknown:
        for batch in pf.iter_batches(batch_size=65536, columns=sorted(unknown)):
            for name in unknown:
                counts[name] += batch.column(name).null_count
    return {name for name, count in counts.items() if count > 0}


def _scan_parquet(path: Path) -> TableSchema:
    pf = open_parquet(path)
    schema = pf.schema_arrow
    empty = schema.empty_table().to_pandas()
    if empty.shape[1] == 0:
        raise InputDataError(f"{path}: no columns found")
    n_rows = pf.metadata.num_rows
    if n_rows == 0:
        raise InputDataError(f"{path}: header only, the table has no rows")
    pandas_meta = schema.pandas_metadata or {}
    index_meta = pandas_meta.get("index_columns", [])
    index_fields = {c for c in index_meta if isinstance(c, str)}
    ranges = [c for c in index_meta if isinstance(c, dict) and c.get("kind") == "range"]
    start, step, name = (0, 1, None)
    if ranges:
        start, step, name = int(ranges[0]["start"]), int(ranges[0]["step"]), ranges[0].get("name")
    data_fields = [name for name in schema.names if name not in index_fields]
    field_of = dict(zip(empty.columns, data_fields))
    dtypes = dict(empty.dtypes.items())
    # int and bool columns with nulls: nullable Int64 / UInt64 / boolean, as read_table gives
    check = [field_of[label] for label, dt in dtypes.items()
             if isinstance(dt, np.dtype) and dt.kind in "iub"]
    with_nulls = _parquet_null_fields(pf, check) if check else set()
    nullable = {"b": pd.BooleanDtype(), "i": pd.Int64Dtype(), "u": pd.UInt64Dtype()}
    for label, dt in dtypes.items():
        if field_of[label] in with_nulls:
            dtypes[label] = nullable[dt.kind]
    return TableSchema(
        path, "parquet", dtypes, n_rows, range_start=start, range_step=step, range_name=name
    )


def scan_table(
    path: str | os.PathLike,
    chunk_rows: int = 100_000,
    on_bytes: Callable[[int], None] | None = None,
) -> TableSchema:
    """Decide the column types of a whole CSV/TSV or Parquet file and count its rows.

    Parameters
    ----------
    path : str or path-like
    chunk_rows : int, default=100_000
        Rows parsed at a time by the CSV pass (bounds its memory).
    on_bytes : callable(int), optional
        CSV only: called with the number of bytes read so far.

    Returns
    -------
    TableSchema

    Raises
    ------
    InputDataError
        If the file is missing, empty, header-only, binary, not UTF-8, ragged,
        or not a readable Parquet file.
    """
    path, fmt = check_input_file(path)
    if fmt == "parquet":
        return _scan_parquet(path)
    return _scan_csv(path, chunk_rows, on_bytes)


def conform(chunk: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    """Cast the columns of ``chunk`` to the whole-file types of ``schema``."""
    if list(chunk.columns) != schema.columns:
        raise InputDataError(
            f"{schema.path}: a chunk has columns {list(chunk.columns)!r}, "
            f"expected {schema.columns!r}"
        )
    casts = {label: dt for label, dt in schema.dtypes.items() if chunk[label].dtype != dt}
    if casts:
        chunk = chunk.astype(casts)
    return chunk
