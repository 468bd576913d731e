"""Impute tables larger than memory, chunk by chunk.

A file is read in chunks of ``chunk_rows`` rows, each chunk is imputed and
appended to the output, so memory is bounded by the chunk size (plus the fit
sample) whatever the file's size. Because a ReverseImputer fills each row
independently of the other rows (batch-invariant kernels, row-keyed
randomness), the streamed output is bitwise the output of imputing the whole
table at once, whatever the chunk size.

The file is cleaned as the in-memory path cleans it (see
:mod:`revimpute.scale._schema`): the detector runs once, on the whole file
or a uniform sample of its rows, its findings are applied to every chunk,
and the column types are decided once for the whole file, so an integer
column cannot be int64 in one chunk and float64 in the next.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from revimpute.detect import Finding
from revimpute.io import atomic_path, escape_formulas, keep_written_text, output_separator, table_format
from revimpute.scale._progress import console, rows_progress
from revimpute.scale._schema import TableSchema, scan_table
from revimpute.scale._writer import ChunkWriter
from revimpute.scale.chunks import (
    check_positive,
    file_schema,
    file_notes,
    iter_table_chunks,
    plan_options,
    reservoir_sample,
    typed_chunks,
)  # (iter_table_chunks, reservoir_sample: re-exported)

__all__ = [
    "StreamReport",
    "impute_file",
    "iter_table_chunks",
    "reservoir_sample",
    "scan_table",
]

FITTED_ALREADY = "already fitted"
FITTED_ALL = "all rows"


@dataclass
class StreamReport:
    """What :func:`impute_file` did.

    Attributes
    ----------
    rows : int
        Rows imputed and written.
    chunks : int
        Chunks (or partitions) they were processed in.
    seconds : float
        Wall time of the whole call (scan, fit, impute, write).
    fitted_on : str
        ``"all rows"``, ``"sample of N rows"``, or ``"already fitted"``.
    rows_per_second : float
        ``rows / seconds``.
    fit_rows : int
        Rows the imputer was fitted on here (0 if it came fitted).
    fit_seconds : float
        Part of ``seconds`` spent reading the fit rows and fitting.
    formula_cells : dict
        CSV output: column label -> text cells a spreadsheet would run as a
        formula (escaped with ``'`` when ``escape_formulas`` was set).
    findings : list of Finding
        The disguised missing values applied, counted over the whole file.
    notes : tuple of str
        How the file was read (encoding, separator, detection on a sample).
    dropped : list
        Columns left out of the output (no observed value, ``drop_empty_columns``).
    """

    rows: int
    chunks: int
    seconds: float
    fitted_on: str
    rows_per_second: float
    fit_rows: int = 0
    fit_seconds: float = 0.0
    formula_cells: dict = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    notes: tuple[str, ...] = ()
    dropped: list[Any] = field(default_factory=list)

    @classmethod
    def of_run(
        cls, *, begin: float, rows: int, chunks: int, fit: tuple[str, int, float], output: OutputText,
        schema: TableSchema, dropped: list[Any],
    ) -> StreamReport:
        """The report of a run that started at ``time.perf_counter()`` ``begin`` and wrote ``rows``.

        ``fit`` is :func:`ensure_fitted`'s ``(fitted_on, fit_rows, fit_seconds)``.
        """
        seconds = time.perf_counter() - begin
        fitted_on, fit_rows, fit_seconds = fit
        return cls(
            rows=rows,
            chunks=chunks,
            seconds=seconds,
            fitted_on=fitted_on,
            rows_per_second=rows / seconds if seconds > 0 else float("inf"),
            fit_rows=fit_rows,
            fit_seconds=fit_seconds,
            formula_cells=dict(output.counts),
            findings=list(schema.plan.findings),
            notes=file_notes(schema),
            dropped=dropped,
        )


def _is_fitted(estimator: Any) -> bool:
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    return True


def ensure_fitted(
    imputer: Any,
    schema: TableSchema,
    *,
    chunk_rows: int,
    fit_sample_rows: int,
    random_state: Any,
    progress: bool,
    sample: pd.DataFrame | None = None,
    keep: list[Any] | None = None,
) -> tuple[str, int, float]:
    """Fit ``imputer`` on the whole file or a reservoir sample unless it is fitted.

    ``sample`` is the reservoir sample of the file's rows as read, when it is
    already drawn (the detector's, with the same size and seed); ``keep``
    the columns to fit on (default: all).

    Returns ``(fitted_on, fit_rows, fit_seconds)``.
    """
    if _is_fitted(imputer):
        return FITTED_ALREADY, 0, 0.0
    begin = time.perf_counter()
    if schema.n_rows <= fit_sample_rows:
        frame = pd.concat(list(typed_chunks(schema, chunk_rows)))
        fitted_on = FITTED_ALL
    else:
        if progress:
            console.print(f"sampling {fit_sample_rows:,} of {schema.n_rows:,} rows to fit on")
        if sample is not None and len(sample) == fit_sample_rows:
            frame = schema.plan.typed(sample)
        else:
            frame = reservoir_sample(
                schema.path, fit_sample_rows, random_state, chunk_rows=chunk_rows, schema=schema
            )
        fitted_on = f"sample of {len(frame)} rows"
    if keep is not None:
        frame = frame[keep]
    if progress:
        console.print(f"fitting {type(imputer).__name__} on {fitted_on}")
    imputer.fit(frame)
    return fitted_on, len(frame), time.perf_counter() - begin


def quiet_copy(imputer: Any) -> Any:
    """A shallow copy of a fitted imputer with its own progress bars off.

    Its bars would clash with the chunk bar (rich draws one live display at a
    time); the fitted state is shared, not copied.
    """
    params = imputer.get_params(deep=False) if hasattr(imputer, "get_params") else {}
    if not params.get("verbose"):
        return imputer
    worker = copy.copy(imputer)
    worker.verbose = False
    return worker


def transform_chunk(imputer: Any, chunk: pd.DataFrame) -> pd.DataFrame:
    """``imputer.transform(chunk)`` as a DataFrame with the chunk's index."""
    out = imputer.transform(chunk)
    if isinstance(out, pd.DataFrame):
        return out
    columns = (
        imputer.get_feature_names_out() if hasattr(imputer, "get_feature_names_out") else chunk.columns
    )
    return pd.DataFrame(np.asarray(out), index=chunk.index, columns=columns)


class OutputText:
    """What a CSV output is made of besides the imputed values.

    When the input is a CSV file too, every cell the imputer did not fill keeps
    the text written in the input, byte for byte (see
    :func:`revimpute.io.keep_written_text`); with ``escape`` set, text cells a
    spreadsheet would run as formulas are prefixed with ``'``. ``counts``
    gathers the formula-like cells seen, per column.
    """

    def __init__(self, keep: bool, escape: bool) -> None:
        self.keep = keep
        self.escape = escape
        self.counts: dict[Any, int] = {}

    def apply(self, imputed: pd.DataFrame, before: pd.DataFrame, text: pd.DataFrame | None,
              writers: dict[int, Callable[[Any], str]] | None = None) -> pd.DataFrame:
        """The frame to write for one chunk: ``imputed``, with the written text where kept."""
        out = keep_written_text(imputed, before, text, writers) if self.keep and text is not None else imputed
        escaped, counts = escape_formulas(out)
        for label, n in counts.items():
            self.counts[label] = self.counts.get(label, 0) + n
        return escaped if self.escape else out


def write_chunks(
    out_path: str | os.PathLike,
    frames: Callable[[], Iterator[pd.DataFrame]],
    *,
    progress: bool,
    description: str,
    total_rows: int,
    sep: str | None = None,
) -> tuple[int, int]:
    """Write the frames ``frames()`` yields into ``out_path``, atomically.

    The frames go to a temporary file beside ``out_path`` that replaces it
    only when complete. When a CSV file's datetime column turns out to need a
    finer layout in a later frame than in the first ones (see
    :class:`~revimpute.scale._writer.ChunkWriter`), the frames are made and
    written again with the whole file's layouts, so the file is what pandas
    writes for the whole frame.

    ``sep`` is the separator of a CSV output (default: by its extension).

    Returns
    -------
    (rows, chunks) : tuple of int
        Rows written and frames seen (empty frames are counted, not written).
    """
    layouts = None
    with atomic_path(out_path) as tmp:
        while True:
            rows = chunks = 0
            with ChunkWriter(tmp, out_path, datetime_layouts=layouts, sep=sep) as writer, rows_progress(
                progress, description, total_rows
            ) as advance:
                for frame in frames():
                    chunks += 1
                    n_rows = len(frame)
                    if n_rows:
                        writer.write(frame)
                        rows += n_rows
                        advance(n_rows)
                    del frame  # not held while the next frame is made
            if writer.consistent:
                return rows, chunks
            layouts = writer.datetime_layouts
            if progress:
                console.print("writing again: a date-time column needs a finer layout than its first rows")


def impute_file(
    in_path: str | os.PathLike,
    out_path: str | os.PathLike,
    imputer: Any,
    *,
    chunk_rows: int = 100_000,
    fit_sample_rows: int = 200_000,
    random_state: Any = 0,
    progress: bool = True,
    escape_formulas: bool = False,
    detect: str = "auto",
    tokens: Iterable[str] = (),
    never: Iterable[str] = (),
    sample_rows: int | None = None,
    encoding: str | None = None,
    sep: str | None = None,
    drop_empty_columns: bool = False,
    on_plan: Callable[[TableSchema], None] | None = None,
) -> StreamReport:
    """Impute a CSV/TSV or Parquet file chunk by chunk into a new file.

    Memory is bounded by ``chunk_rows`` (and ``fit_sample_rows`` when the
    imputer has to be fitted), not by the file's size. The output is bitwise
    what the in-memory path writes (``revimpute impute`` without
    ``--chunk-rows``: :func:`revimpute.clean.read_clean`, then the imputer),
    for any ``chunk_rows``, when the imputer fills each row on its own (as
    :class:`~revimpute.ReverseImputer` does).

    Steps: (1) clean and type the whole file (:func:`scan_table`: the
    detector runs on the whole file when it has at most ``sample_rows`` rows,
    else on a uniform reservoir sample of that many; its findings apply to
    every row; column types are decided for the whole file); (2) if
    ``imputer`` is not fitted, fit it on the whole file when it has at most
    ``fit_sample_rows`` rows, else on a uniform reservoir sample of
    ``fit_sample_rows`` rows; (3) impute chunk after chunk, writing each into
    a temporary file beside ``out_path`` that is renamed into place only when
    complete, so a failure leaves no partial output and an existing
    ``out_path`` untouched. A CSV output of a CSV input keeps the text of
    every cell that was not imputed byte for byte (cells of a disguised
    missing value are imputed), writes each imputed value as
    :func:`revimpute.encode.cells.render_cell` does, and uses the input's
    separator (a ``.tsv`` output: a tab); every CSV output is UTF-8. A CSV
    output of a Parquet input is the text pandas writes for the whole
    imputed frame (a date-time column that needs a finer layout in a later
    chunk than in the first ones makes step 3 run twice).

    Parameters
    ----------
    in_path : str or path-like
        Input table: ``.csv``, ``.tsv``, ``.txt`` (plain or ``.gz``) or ``.parquet``.
    out_path : str or path-like
        Output table; its extension chooses CSV/TSV or Parquet.
    imputer : estimator
        A revimpute imputer (or any scikit-learn transformer) taking a
        DataFrame; fitted in place if it is not fitted yet.
    chunk_rows : int, default=100_000
        Rows read, imputed and written at a time.
    fit_sample_rows : int, default=200_000
        Largest number of rows to fit an unfitted imputer on.
    random_state : int, RandomState, Generator or None, default=0
        Seed of the samples (detection and fit).
    progress : bool, default=True
        Draw progress bars on stderr (rows, rows/s, time left).
    escape_formulas : bool, default=False
        CSV output: prefix text cells a spreadsheet would run as a formula
        (``=``, ``+``, ``-``, ``@``...) with ``'``; they are counted in the
        report either way.
    detect : {"auto", "strict", "off"}, default="auto"
        Detection policy (``"off"``: only NaN/None and empty cells are missing).
    tokens, never : iterable of str
        Extra missing-value tokens, and values never to flag.
    sample_rows : int, optional
        Rows the detector looks at (default: ``fit_sample_rows``).
    encoding, sep : str, optional
        CSV input: its encoding and separator (found from the file when None).
    drop_empty_columns : bool, default=False
        Leave columns with no observed value out of the fit and the output;
        without it, fitting on such a column is an error naming it.
    on_plan : callable(TableSchema), optional
        Called once the file is cleaned and typed (its findings known),
        before any fitting or imputing.

    Returns
    -------
    StreamReport

    Raises
    ------
    InputDataError
        If the input cannot be read or holds values the imputer rejects
        (the message names the column, value and row).
    RevimputeError
        If a size parameter is not a positive whole number.
    """
    begin = time.perf_counter()
    chunk_rows = check_positive("chunk_rows", chunk_rows)
    fit_sample_rows = check_positive("fit_sample_rows", fit_sample_rows)
    table_format(out_path)  # an unknown output extension fails before any work
    options = plan_options(detect, tokens, never, sample_rows or fit_sample_rows, random_state, encoding, sep)
    schema, sample = file_schema(in_path, chunk_rows, progress, options)
    if on_plan is not None:
        on_plan(schema)
    dropped = schema.plan.columns_to_drop(drop_empty_columns, not _is_fitted(imputer))
    keep = [label for label in schema.columns if label not in set(dropped)] if dropped else None
    same_sample = options.sample_rows == fit_sample_rows
    fitted_on, fit_rows, fit_seconds = ensure_fitted(
        imputer, schema, chunk_rows=chunk_rows, fit_sample_rows=fit_sample_rows,
        random_state=random_state, progress=progress, sample=sample if same_sample else None, keep=keep,
    )
    del sample
    worker = quiet_copy(imputer) if progress else imputer
    csv_out = table_format(out_path) == "csv"
    output = OutputText(keep=schema.format == "csv" and csv_out, escape=escape_formulas)
    writers = schema.plan.value_writers(keep or schema.columns)

    def imputed() -> Iterator[pd.DataFrame]:
        output.counts.clear()
        for raw in schema.indexed_chunks(chunk_rows):
            chunk = schema.plan.typed(raw)
            if keep is not None:
                chunk, raw = chunk[keep], raw[keep]
            out = transform_chunk(worker, chunk)
            yield output.apply(out, chunk, raw if output.keep else None, writers) if csv_out else out
            del raw, chunk, out  # not held while the next chunk is read

    rows, chunks = write_chunks(out_path, imputed, progress=progress,
                                description=f"imputing {Path(in_path).name}", total_rows=schema.n_rows,
                                sep=output_separator(out_path, schema.dialect))
    return StreamReport.of_run(begin=begin, rows=rows, chunks=chunks, fit=(fitted_on, fit_rows, fit_seconds),
                               output=output, schema=schema, dropped=dropped)
