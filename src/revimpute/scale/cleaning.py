"""Write a table's cleaned copy, chunk by chunk: disguised missing values made empty.

:func:`clean_file` cleans a file as :func:`revimpute.clean.read_clean` cleans
it (the same two passes as :func:`~revimpute.scale.streaming.impute_file`),
then writes it chunk by chunk, so a file of any size can be cleaned with
bounded memory. A CSV copy of a CSV file keeps every cell's text byte for
byte, except the cells holding a disguised missing value, which are written
empty; any other copy (a Parquet output, or a Parquet input) holds the typed
columns with the missing cells as nulls.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from revimpute.clean import blank_cells
from revimpute.detect import Finding
from revimpute.io import output_separator, table_format
from revimpute.scale._schema import TableSchema
from revimpute.scale.chunks import check_positive, file_schema, file_notes, plan_options
from revimpute.scale.streaming import write_chunks

__all__ = ["CleanReport", "clean_file"]


@dataclass
class CleanReport:
    """What :func:`clean_file` did.

    Attributes
    ----------
    rows : int
        Rows written.
    chunks : int
        Chunks they were written in.
    seconds : float
        Wall time of the whole call.
    blanked : int
        Cells of disguised missing values written empty (or null).
    findings : list of Finding
        The disguised missing values, counted over the whole file.
    notes : tuple of str
        How the file was read (encoding, separator, detection on a sample).
    """

    rows: int
    chunks: int
    seconds: float
    blanked: int = 0
    findings: list[Finding] = field(default_factory=list)
    notes: tuple[str, ...] = ()


def clean_file(
    in_path: str | os.PathLike,
    out_path: str | os.PathLike,
    *,
    chunk_rows: int = 100_000,
    detect: str = "auto",
    tokens: Iterable[str] = (),
    never: Iterable[str] = (),
    sample_rows: int = 200_000,
    random_state: Any = 0,
    encoding: str | None = None,
    sep: str | None = None,
    progress: bool = True,
    on_plan: Callable[[TableSchema], None] | None = None,
) -> CleanReport:
    """Write a copy of a table file whose disguised missing values are empty.

    Parameters
    ----------
    in_path : str or path-like
        ``.csv``, ``.tsv``, ``.txt`` (plain or ``.gz``) or ``.parquet``.
    out_path : str or path-like
        The copy; its extension chooses CSV/TSV or Parquet. Written to a
        temporary file beside it and renamed into place when complete. A CSV
        copy is UTF-8, with the input's separator (a ``.tsv`` copy: a tab).
    chunk_rows : int, default=100_000
        Rows read and written at a time.
    detect, tokens, never, sample_rows, random_state, encoding, sep
        As for :func:`~revimpute.scale.streaming.impute_file`.
    progress : bool, default=True
        Draw progress bars on stderr.
    on_plan : callable(TableSchema), optional
        Called once the file's findings are known, before writing.

    Returns
    -------
    CleanReport

    Raises
    ------
    InputDataError
        If the input cannot be read.
    RevimputeError
        If a parameter is out of range.
    """
    begin = time.perf_counter()
    chunk_rows = check_positive("chunk_rows", chunk_rows)
    table_format(out_path)
    options = plan_options(detect, tokens, never, sample_rows, random_state, encoding, sep)
    schema, sample = file_schema(in_path, chunk_rows, progress, options)
    del sample
    if on_plan is not None:
        on_plan(schema)
    keep_text = schema.format == "csv" and table_format(out_path) == "csv"
    blanked = [0]

    def frames() -> Iterator[pd.DataFrame]:
        blanked[0] = 0
        for raw in schema.indexed_chunks(chunk_rows):
            missing, native = schema.plan.rules.check(raw)
            disguised = missing & ~native
            blanked[0] += int(disguised.sum())
            yield blank_cells(raw, disguised) if keep_text else schema.plan.typed(raw, missing)
            del raw, missing, native, disguised  # not held while the next chunk is read

    rows, chunks = write_chunks(out_path, frames, progress=progress, description=f"cleaning {Path(in_path).name}",
                                total_rows=schema.n_rows, sep=output_separator(out_path, schema.dialect))
    return CleanReport(rows=rows, chunks=chunks, seconds=time.perf_counter() - begin, blanked=blanked[0],
                       findings=list(schema.plan.findings), notes=file_notes(schema))
