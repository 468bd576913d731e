"""Reading Parquet files: the whole file's dtypes, rows in chunks, clear errors."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from revimpute.exceptions import InputDataError


def parquet_dtypes(pf: pq.ParquetFile) -> dict[Any, Any]:
    """The pandas dtype of every column of a Parquet file read whole, by column label.

    A field's own type (as ``pyarrow`` converts it), except that an integer
    or boolean field holding a null anywhere in the file is nullable
    ``Int64`` / ``UInt64`` / ``boolean`` (pandas alone would give float64 and
    object). The null counts come from the file's statistics; a field without
    them is scanned. Index columns stored by pandas are not included.
    """
    schema = pf.schema_arrow
    empty = schema.empty_table().to_pandas()
    index_fields = {c for c in (schema.pandas_metadata or {}).get("index_columns", []) if isinstance(c, str)}
    field_of = dict(zip(empty.columns, [name for name in schema.names if name not in index_fields]))
    dtypes = dict(empty.dtypes.items())
    check = [name for name in field_of.values()
             if pa.types.is_integer(schema.field(name).type) or pa.types.is_boolean(schema.field(name).type)]
    with_nulls = _null_fields(pf, check)
    for label, name in field_of.items():
        if name in with_nulls:
            kind = schema.field(name).type
            dtypes[label] = (pd.BooleanDtype() if pa.types.is_boolean(kind)
                             else pd.UInt64Dtype() if pa.types.is_unsigned_integer(kind) else pd.Int64Dtype())
    return dtypes


def _null_fields(pf: pq.ParquetFile, fields: list[str]) -> set[str]:
    """The fields among ``fields`` that hold at least one null."""
    if not fields:
        return set()
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


def parquet_frame(table: pa.Table, dtypes: dict[str, Any]) -> pd.DataFrame:
    """Rows of a Parquet file as a DataFrame with the file's dtypes (:func:`parquet_dtypes`).

    Integers with nulls go through Python ints, never through float64, so
    every digit is kept.
    """
    frame = table.to_pandas(integer_object_nulls=True)
    for j, label in enumerate(frame.columns):
        dtype = dtypes.get(label)
        if dtype is not None and frame.dtypes.iloc[j] != dtype:
            frame.isetitem(j, frame.iloc[:, j].astype(dtype))
    return frame


def open_parquet(path: str | os.PathLike) -> pq.ParquetFile:
    """Open a Parquet file.

    Raises
    ------
    InputDataError
        If the file is not a readable Parquet file.
    """
    try:
        return pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises many types for bad files
        raise InputDataError(f"{path}: not a readable Parquet file ({exc})") from None


def parquet_chunks(
    path: Path, chunk_rows: int | None, dtypes: dict[Any, Any] | None = None
) -> Iterator[pd.DataFrame]:
    """Yield the Parquet file's rows in DataFrames of at most ``chunk_rows`` rows (None: one, the whole file).

    Each record batch is converted with the file's own schema and pandas
    metadata (column labels, stored index columns) and the whole file's
    dtypes (``dtypes``, by default :func:`parquet_dtypes`), so every chunk
    has the dtypes the whole file has.

    Raises
    ------
    InputDataError
        If the file cannot be read.
    """
    pf = open_parquet(path)
    schema = pf.schema_arrow
    try:
        dtypes = parquet_dtypes(pf) if dtypes is None else dtypes
        if chunk_rows is None:
            whole = parquet_frame(pf.read(), dtypes)
        else:
            whole = None
            for batch in pf.iter_batches(batch_size=chunk_rows):
                yield parquet_frame(pa.Table.from_batches([batch], schema=schema), dtypes)
    except (OSError, pa.ArrowException) as exc:
        raise InputDataError(f"{path}: not a readable Parquet file ({exc})") from None
    if whole is not None:
        yield whole
