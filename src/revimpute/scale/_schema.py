"""What a table file is, found once before it is streamed: its cleaning plan and column types.

Read in one piece, a file's columns get types that depend on every row (an
integer column with a gap anywhere is ``Int64``; one value that is not a
number makes a column text), and the detector's findings depend on the
rows it sees. Read in chunks, each chunk would decide on its own. So
:func:`scan_table` reads the file first, as :func:`revimpute.clean.plan_table`
does for a whole frame: a pass drawing the uniform sample the detector runs
on (the whole file when it has at most ``sample_rows`` rows), then a pass
checking every cell against the findings and counting what decides each
column's type. The :class:`TableSchema` it returns types any chunk exactly
as the in-memory path (:func:`revimpute.clean.read_clean`) types the whole
file.

A CSV file is read as the text of its cells (its encoding and separator
found first, :func:`revimpute.dialect.csv_dialect`); a Parquet file with its
own types (:func:`revimpute.io.parquet_dtypes`), its stored index kept.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from revimpute.clean import TablePlan, check_policy, plan_table
from revimpute.dialect import CsvDialect, csv_dialect
from revimpute.exceptions import InputDataError
from revimpute.io import check_input_file, csv_chunks, open_parquet, parquet_chunks, parquet_dtypes


@dataclass(frozen=True)
class TableSchema:
    """How to read, clean and type a table file chunk by chunk.

    Attributes
    ----------
    path : Path
    format : {"csv", "parquet"}
    plan : TablePlan
        The findings and column types of the whole file.
    n_rows : int
    dialect : CsvDialect or None
        A CSV file's encoding and separator.
    read_dtypes : dict
        Parquet: the dtypes of the file's columns as stored (empty for CSV).
    range_start, range_step, range_name
        The row index is ``RangeIndex`` ``range_start + i * range_step`` for
        row ``i``, named ``range_name`` (a Parquet file written by pandas may
        store another start, step or name), unless the file stores index
        columns.
    """

    path: Path
    format: str
    plan: TablePlan
    n_rows: int
    dialect: CsvDialect | None = None
    read_dtypes: dict[Any, Any] = field(default_factory=dict)
    range_start: int = 0
    range_step: int = 1
    range_name: Any = None

    @property
    def dtypes(self) -> dict[Any, Any]:
        """Column label -> the dtype of every typed chunk, in file order."""
        return {label: ctype.dtype for label, ctype in zip(self.plan.rules.labels, self.plan.types)}

    @property
    def columns(self) -> list[Any]:
        """The column labels in file order."""
        return list(self.plan.rules.labels)

    def raw_chunks(self, chunk_rows: int, on_bytes: Callable[[int], None] | None = None
                   ) -> Iterator[pd.DataFrame]:
        """The file's non-empty chunks as read (CSV: text; Parquet: stored types)."""
        return raw_chunks(self.path, self.dialect, self.read_dtypes, chunk_rows, on_bytes)

    def indexed_chunks(self, chunk_rows: int, on_bytes: Callable[[int], None] | None = None
                       ) -> Iterator[pd.DataFrame]:
        """:meth:`raw_chunks` with the file's row index (see ``range_start``)."""
        offset = 0
        for chunk in self.raw_chunks(chunk_rows, on_bytes):
            yield with_index(chunk, offset, self.range_start, self.range_step, self.range_name)
            offset += len(chunk)
            del chunk  # not held while the next chunk is read


def with_index(chunk: pd.DataFrame, offset: int, start: int, step: int, name: Any) -> pd.DataFrame:
    """``chunk`` (rows ``offset``... of a file) with the file's ``RangeIndex``, unless it has its own."""
    if isinstance(chunk.index, pd.RangeIndex):
        chunk.index = pd.RangeIndex(start + offset * step, start + (offset + len(chunk)) * step, step, name=name)
    return chunk


def raw_chunks(path: Path, dialect: CsvDialect | None, read_dtypes: dict[Any, Any], chunk_rows: int,
               on_bytes: Callable[[int], None] | None = None) -> Iterator[pd.DataFrame]:
    """The non-empty chunks of a CSV file (``dialect`` given: text) or a Parquet file (stored types)."""
    if dialect is None:
        chunks: Iterable[pd.DataFrame] = parquet_chunks(path, chunk_rows, read_dtypes)
    else:
        chunks = csv_chunks(path, chunk_rows, dialect, on_bytes=on_bytes)
    for chunk in chunks:
        if len(chunk):
            yield chunk
        del chunk


def _parquet_range(path: Path) -> tuple[int, int, Any]:
    schema = open_parquet(path).schema_arrow
    index_meta = (schema.pandas_metadata or {}).get("index_columns", [])
    ranges = [c for c in index_meta if isinstance(c, dict) and c.get("kind") == "range"]
    if ranges:
        return int(ranges[0]["start"]), int(ranges[0]["step"]), ranges[0].get("name")
    return 0, 1, None


@dataclass(frozen=True)
class PlanOptions:
    """How :func:`plan_file` finds a file's cleaning plan; each field as in :func:`scan_table`."""

    detect: str = "auto"
    tokens: Iterable[str] = ()
    never: Iterable[str] = ()
    sample_rows: int = 200_000
    random_state: Any = 0
    encoding: str | None = None
    sep: str | None = None


def plan_file(
    path: str | os.PathLike,
    chunk_rows: int = 100_000,
    on_bytes: Callable[[int], None] | None = None,
    options: PlanOptions = PlanOptions(),
    dialect: CsvDialect | None = None,
) -> tuple[TableSchema, pd.DataFrame]:
    """:func:`scan_table`, and the rows the detector looked at (as read).

    ``dialect``: the CSV file's dialect when already found (``options.encoding``
    and ``options.sep`` are then unused).
    """
    check_policy(options.detect)
    path, fmt = check_input_file(path)
    read_dtypes, start, step, name = {}, 0, 1, None
    if fmt == "csv":
        dialect = dialect or csv_dialect(path, options.encoding, options.sep)
    else:
        dialect = None
        read_dtypes = parquet_dtypes(open_parquet(path))
        start, step, name = _parquet_range(path)
    passes = [0]

    def chunks() -> Iterator[pd.DataFrame]:
        first = passes[0] == 0
        passes[0] += 1
        size = path.stat().st_size
        progress = None if on_bytes is None else (lambda n: on_bytes(n // 2 if first else (size + n) // 2))
        offset = 0
        for chunk in raw_chunks(path, dialect, read_dtypes, chunk_rows, progress):
            yield with_index(chunk, offset, start, step, name)
            offset += len(chunk)
            del chunk  # not held while the next chunk is read

    if fmt == "csv" and not dialect.columns:
        raise InputDataError(f"{path}: no columns found")
    plan, sample = plan_table(chunks, options.detect, options.tokens, options.never,
                              sample_rows=options.sample_rows, random_state=options.random_state)
    if plan.n_rows == 0:
        raise InputDataError(f"{path}: header only, the table has no rows")
    if not plan.rules.labels:
        raise InputDataError(f"{path}: no columns found")
    schema = TableSchema(path, fmt, plan, plan.n_rows, dialect, read_dtypes, start, step, name)
    return schema, sample


def scan_table(
    path: str | os.PathLike,
    chunk_rows: int = 100_000,
    on_bytes: Callable[[int], None] | None = None,
    *,
    detect: str = "auto",
    tokens: Iterable[str] = (),
    never: Iterable[str] = (),
    sample_rows: int = 200_000,
    random_state: Any = 0,
    encoding: str | None = None,
    sep: str | None = None,
) -> TableSchema:
    """Find how a CSV/TSV or Parquet file is cleaned and typed, and count its rows.

    Parameters
    ----------
    path : str or path-like
    chunk_rows : int, default=100_000
        Rows read at a time (bounds the memory of the passes).
    on_bytes : callable(int), optional
        CSV only: called with the number of bytes read so far (each of the
        two passes counts for half of the file's size).
    detect : {"auto", "strict", "off"}, default="auto"
        Detection policy; ``"off"``: only NaN/None and empty cells are missing.
    tokens, never : iterable of str
        Extra missing-value tokens, and values never to flag.
    sample_rows : int, default=200_000
        The detector looks at the whole file when it has at most this many
        rows, else at a uniform reservoir sample of this many.
    random_state : int, default=0
        Seed of that sample.
    encoding, sep : str, optional
        CSV: the file's encoding and separator (found from the file when None).

    Returns
    -------
    TableSchema

    Raises
    ------
    InputDataError
        If the file is missing, empty, header-only, binary, undecodable,
        ragged, or not a readable Parquet file.
    """
    options = PlanOptions(detect, tokens, never, sample_rows, random_state, encoding, sep)
    schema, _ = plan_file(path, chunk_rows, on_bytes, options)
    return schema
