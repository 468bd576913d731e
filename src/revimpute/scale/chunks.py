"""A table file's rows, cleaned and typed, chunk by chunk.

:func:`iter_table_chunks` and :func:`reservoir_sample` read a file as the
in-memory path does (:func:`revimpute.clean.read_clean`): the file is planned
first (:func:`revimpute.scale._schema.plan_file`: the detector's sample and a
pass deciding the findings and column types), then every chunk is typed by
that plan.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from revimpute.clean import Reservoir
from revimpute.dialect import csv_dialect
from revimpute.exceptions import RevimputeError
from revimpute.io import check_input_file
from revimpute.scale._progress import bytes_progress
from revimpute.scale._schema import PlanOptions, TableSchema, plan_file

__all__ = ["file_notes", "iter_table_chunks", "plan_options", "reservoir_sample", "typed_chunks"]


def check_positive(name: str, value: Any) -> int:
    """``value`` as an int; a RevimputeError naming ``name`` unless it is a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise RevimputeError(f"{name} must be a positive whole number, got {value!r}")
    return int(value)


def plan_options(
    detect: str = "auto",
    tokens: Iterable[str] = (),
    never: Iterable[str] = (),
    sample_rows: int = 200_000,
    random_state: Any = 0,
    encoding: str | None = None,
    sep: str | None = None,
) -> PlanOptions:
    """The options of :func:`~revimpute.scale._schema.plan_file`, checked."""
    return PlanOptions(detect, list(tokens), list(never), check_positive("sample_rows", sample_rows),
                       random_state, encoding, sep)


def file_schema(path: str | os.PathLike, chunk_rows: int, progress: bool,
                options: PlanOptions) -> tuple[TableSchema, pd.DataFrame]:
    """Read and clean the file's fit sample and plan its chunks (a bar on stderr while scanning a CSV)."""
    path, fmt = check_input_file(path)
    if fmt == "parquet":
        return plan_file(path, chunk_rows, options=options)
    dialect = csv_dialect(path, options.encoding, options.sep)  # bad bytes fail before the bar shows
    with bytes_progress(progress, f"scanning {path.name}", path.stat().st_size) as on_bytes:
        return plan_file(path, chunk_rows, on_bytes, options, dialect)


def typed_chunks(schema: TableSchema, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The file's chunks, cleaned and typed by ``schema.plan``, with the file's row index."""
    for chunk in schema.indexed_chunks(chunk_rows):
        yield schema.plan.typed(chunk)
        del chunk  # not held while the next chunk is read


def iter_table_chunks(
    path: str | os.PathLike,
    chunk_rows: int,
    *,
    schema: TableSchema | None = None,
    detect: str = "auto",
    tokens: Iterable[str] = (),
    never: Iterable[str] = (),
    sample_rows: int = 200_000,
    random_state: Any = 0,
    encoding: str | None = None,
    sep: str | None = None,
) -> Iterator[pd.DataFrame]:
    """Yield a CSV/TSV or Parquet file's rows, cleaned and typed, at most ``chunk_rows`` at a time.

    Every chunk has the cells and types that :func:`revimpute.clean.read_clean`
    gives the whole file with the same options (found once, by a first pass
    over the file, :func:`scan_table`): ``pd.concat(iter_table_chunks(path,
    n, detect=...))`` equals ``read_clean(path, detect=...).frame`` for any
    ``n``. The row index continues from chunk to chunk (``RangeIndex``
    offsets, or the index columns a Parquet file stores).

    Parameters
    ----------
    path : str or path-like
        ``.csv``, ``.tsv``, ``.txt`` (plain or ``.gz``) or ``.parquet``.
    chunk_rows : int
        Upper bound on the rows of a chunk; memory is bounded by it.
    schema : TableSchema, optional
        The result of :func:`scan_table` for this file, to skip the first
        pass when it is already known (the other options are then unused).
    detect, tokens, never, sample_rows, random_state, encoding, sep
        As for :func:`scan_table` (``detect`` defaults to ``"off"`` here).

    Yields
    ------
    DataFrame

    Raises
    ------
    InputDataError
        If the file is missing, empty, malformed, or not a table file.
    RevimputeError
        If ``chunk_rows`` is not a positive whole number.
    """
    chunk_rows = check_positive("chunk_rows", chunk_rows)
    if schema is None:
        options = plan_options(detect, tokens, never, sample_rows, random_state, encoding, sep)
        schema, _ = plan_file(path, chunk_rows, options=options)
    yield from typed_chunks(schema, chunk_rows)


def reservoir_sample(
    path: str | os.PathLike,
    n_rows: int,
    random_state: Any = 0,
    *,
    chunk_rows: int = 100_000,
    schema: TableSchema | None = None,
) -> pd.DataFrame:
    """A uniform random sample of ``n_rows`` rows of a file, in one streaming pass.

    Algorithm R (Vitter), vectorised over each chunk
    (:class:`revimpute.clean.Reservoir`): every row of the file has the same
    chance ``n_rows / total`` to be in the sample, and the memory used is the
    sample plus one chunk. The draws are keyed by the seed and the row's
    position, so the sample depends only on the file and ``random_state``,
    not on ``chunk_rows``.

    Parameters
    ----------
    path : str or path-like
        ``.csv``, ``.tsv``, ``.txt`` (plain or ``.gz``) or ``.parquet``.
    n_rows : int
        Sample size; a file with fewer rows is returned whole.
    random_state : int, RandomState, Generator or None, default=0
        Seed of the draws; the same int always gives the same sample.
    chunk_rows : int, default=100_000
        Rows read at a time.
    schema : TableSchema, optional
        The result of :func:`scan_table` (which cleans and types the rows);
        without it, the file is cleaned with the defaults of :func:`scan_table`.

    Returns
    -------
    DataFrame
        The sampled rows in file order, with their index from the file
        (their row numbers for a plain table).

    Raises
    ------
    InputDataError
        If the file cannot be read.
    RevimputeError
        If ``n_rows`` or ``chunk_rows`` is not a positive whole number.
    """
    n_rows = check_positive("n_rows", n_rows)
    reservoir = Reservoir(n_rows, random_state)
    for chunk in iter_table_chunks(path, chunk_rows, schema=schema):
        reservoir.add(chunk)
    return reservoir.sample()


def file_notes(schema: TableSchema) -> tuple[str, ...]:
    """What a user should know about how a file was read and cleaned."""
    return (tuple(schema.dialect.notes) if schema.dialect is not None else ()) + schema.plan.notes
