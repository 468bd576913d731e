"""Column types of a whole table, decided once and enforced on every chunk.

Read in one piece, pandas gives an integer column that has a gap anywhere in
the file the type float64, and a gap-free one int64. Read in chunks, each
chunk would decide on its own, so a column could flip between int64 and
float64 (and the imputer would round one chunk and not the next). So the
types are decided once for the whole file:

* CSV/TSV: a first streaming pass (pandas' C parser, chunk by chunk) records
  what each column looked like in every chunk (integers, floats, booleans,
  text, all missing) and the number of rows; the types pandas gives when it
  reads the whole file follow from that. On top of them come the rules of
  :func:`revimpute.io.typed_columns`, which the in-memory path applies: a
  float column of whole numbers written without a decimal point or exponent
  becomes nullable ``Int64``, a True/False text column ``boolean``, an ISO
  8601 text column ``datetime64``. These rules are checked chunk by chunk
  (:func:`revimpute.io.typed_column` on each chunk, with the chunk's text from
  a second parser reading the same rows in step, only while some column still
  needs it) and combined, so the chunks have the types of
  ``typed_columns(read_table(path), read_table(path, as_text=True))``. The
  pass also gives the row count for the progress bar.
* Parquet: the schema and the per-row-group null counts in the file's
  metadata give the types of ``read_table(path)`` without reading the data
  (a column without null-count statistics is scanned alone). The file's own
  types are kept: no text rules apply.

:func:`conform` then casts every chunk to these types.
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
from revimpute.io import check_input_file, text_to_boolean, text_to_datetime, typed_column
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
        CSV columns parsed as text (kept as written, or converted to
        ``boolean``/``datetime64`` when ``dtypes`` says so).
    read_dtypes : dict
        CSV: column label -> the dtype pandas' parser gives the column when it
        reads the whole file (before the rules of
        :func:`revimpute.io.typed_columns`); empty for Parquet.
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
    read_dtypes: dict[Any, Any] = field(default_factory=dict)
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


_UNITS = ("s", "ms", "us", "ns")  # the resolutions of pandas' datetime64, coarse to fine


@dataclass
class _TypedScan:
    """What the rules of :func:`revimpute.io.typed_column` said of a column, chunk by chunk.

    Two readings are followed, as the whole-file type is not known before the
    end: the column as numbers (``Int64`` if every chunk is whole numbers
    written as such) and the column as text (``boolean`` or ``datetime64`` if
    every chunk's text is). A reading, once refuted, is not checked again.
    """

    observed: bool = False
    whole_numbers: bool = True
    text_kind: str | None = ""  # "" nothing seen yet, None refuted, "boolean" or "datetime"
    tz: Any = None
    units: set[str] = field(default_factory=set)
    low: Any = None
    high: Any = None

    @property
    def pending(self) -> bool:
        """Whether a later chunk's text could still change the decision."""
        return self.whole_numbers or self.text_kind is not None

    def add(self, values: pd.Series, kind: str, text: pd.Series | None) -> None:
        """Check one chunk's column (``values`` as parsed, ``text`` as written)."""
        self.observed = True
        if self.whole_numbers:
            self.whole_numbers = kind in (_INT, _UINT, _FLOAT) and text is not None and (
                typed_column(values.astype(np.float64), text) is not None
            )
        if self.text_kind is not None:
            typed = None if text is None else typed_column(text)
            self._add_text(typed)

    def _add_text(self, typed: pd.Series | None) -> None:
        if typed is None:
            self.text_kind = None
            return
        is_datetime = pd.api.types.is_datetime64_any_dtype(typed.dtype)
        kind = "datetime" if is_datetime else str(typed.dtype)
        if self.text_kind not in ("", kind):
            self.text_kind = None
            return
        if is_datetime:
            tz = getattr(typed.dtype, "tz", None)
            if self.text_kind == "datetime" and tz != self.tz:
                self.text_kind = None  # mixed time zones: the whole column does not parse
                return
            self.tz = tz
            self.units.add(typed.dt.unit)
            low, high = typed.min(), typed.max()
            self.low = low if self.low is None else min(self.low, low)
            self.high = high if self.high is None else max(self.high, high)
        self.text_kind = kind

    def decide(self, dtype: Any, is_text: bool) -> Any:
        """The column's type under the rules, given the type pandas gives it."""
        if not self.observed:
            return dtype
        if not is_text:
            if self.whole_numbers and dtype == np.float64:
                return pd.Int64Dtype()
            return dtype
        if self.text_kind == "boolean":
            return pd.BooleanDtype()
        if self.text_kind == "datetime":
            unit = max(self.units, key=_UNITS.index)
            typed = pd.DatetimeTZDtype(unit, self.tz) if self.tz is not None else np.dtype(f"M8[{unit}]")
            try:  # the whole column parses at the finest unit only if every value fits it
                pd.Series([self.low, self.high]).astype(typed)
            except (ValueError, OverflowError):
                return dtype
            return typed
        return dtype


def _scan_csv(path: Path, chunk_rows: int, on_bytes: Callable[[int], None] | None) -> TableSchema:
    kinds: dict[Any, set[str]] = {}
    typed: dict[Any, _TypedScan] = {}
    n_rows = 0
    # the same rows as text, in step with the parsed chunks, while some column needs them
    texts = csv_chunks(path, chunk_rows, dtype=str)
    try:
        for chunk in csv_chunks(path, chunk_rows, on_bytes=on_bytes):
            if not kinds:
                kinds = {label: set() for label in chunk.columns}
                typed = {label: _TypedScan() for label in chunk.columns}
            text = None
            if any(t.pending for t in typed.values()):
                text = next(texts, None)
                if text is None or len(text) != len(chunk) or list(text.columns) != list(chunk.columns):
                    raise RuntimeError(f"{path}: the text reading of the file is out of step")
            n_rows += len(chunk)
            if not len(chunk):
                continue
            for label in chunk.columns:
                kind = _chunk_kind(chunk[label])
                kinds[label].add(kind)
                if kind != _EMPTY and typed[label].pending:
                    typed[label].add(chunk[label], kind, None if text is None else text[label])
    finally:
        texts.close()
    if not kinds:
        raise InputDataError(f"{path}: no columns found")
    if n_rows == 0:
        raise InputDataError(f"{path}: header only, the table has no rows")
    decided = {label: _decide(k) for label, k in kinds.items()}
    read_dtypes = {label: dt for label, (dt, _) in decided.items()}
    dtypes = {label: typed[label].decide(dt, is_text) for label, (dt, is_text) in decided.items()}
    text = tuple(label for label, (_, is_text) in decided.items() if is_text)
    return TableSchema(path, "csv", dtypes, n_rows, text, read_dtypes)


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
    """Cast the columns of ``chunk`` to the whole-file types of ``schema``.

    CSV text columns typed ``boolean`` or ``datetime64`` are converted as
    :func:`revimpute.io.typed_columns` converts them; other columns are cast.
    """
    if list(chunk.columns) != schema.columns:
        raise InputDataError(
            f"{schema.path}: a chunk has columns {list(chunk.columns)!r}, "
            f"expected {schema.columns!r}"
        )
    converted: dict[Any, pd.Series] = {}
    casts: dict[Any, Any] = {}
    text = set(schema.text_columns)
    for label, dtype in schema.dtypes.items():
        column = chunk[label]
        if column.dtype == dtype:
            continue
        if label in text and isinstance(dtype, pd.BooleanDtype):
            converted[label] = text_to_boolean(column)
        elif label in text and pd.api.types.is_datetime64_any_dtype(dtype):
            stamps = text_to_datetime(column)
            if isinstance(dtype, pd.DatetimeTZDtype) and stamps.dt.tz is None:
                stamps = stamps.dt.tz_localize(dtype.tz)  # a chunk with gaps only
            converted[label] = stamps if stamps.dtype == dtype else stamps.astype(dtype)
        else:
            casts[label] = dtype
    if casts:
        chunk = chunk.astype(casts)
    if converted:
        chunk = chunk.copy(deep=False)
        for label, column in converted.items():
            chunk[label] = column
    return chunk
