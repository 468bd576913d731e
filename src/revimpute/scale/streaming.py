"""Impute tables larger than memory, chunk by chunk.

A file is read in chunks of ``chunk_rows`` rows, each chunk is imputed and
appended to the output, so memory is bounded by the chunk size (plus the fit
sample) whatever the file's size. Because a ReverseImputer fills each row
independently of the other rows (batch-invariant kernels, row-keyed
randomness), the streamed output is bitwise the output of imputing the whole
table at once, whatever the chunk size.

The column types are decided once for the whole file (see
:mod:`revimpute.scale._schema`), so an integer column cannot be int64 in one
chunk and float64 in the next.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted, check_random_state

from revimpute.exceptions import RevimputeError
from revimpute.io import atomic_path, check_input_file, escape_formulas, keep_written_text, table_format
from revimpute.reverse.row_noise import splitmix64
from revimpute.scale._progress import bytes_progress, console, rows_progress
from revimpute.scale._readers import csv_chunks, parquet_chunks
from revimpute.scale._schema import TEXT_DTYPE, TableSchema, conform, scan_table
from revimpute.scale._writer import ChunkWriter

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
    """

    rows: int
    chunks: int
    seconds: float
    fitted_on: str
    rows_per_second: float
    fit_rows: int = 0
    fit_seconds: float = 0.0
    formula_cells: dict = field(default_factory=dict)


def _check_positive(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise RevimputeError(f"{name} must be a positive whole number, got {value!r}")
    return int(value)


def _get_schema(path: str | os.PathLike, chunk_rows: int, progress: bool) -> TableSchema:
    path, fmt = check_input_file(path)
    if fmt == "parquet":
        return scan_table(path, chunk_rows)
    with bytes_progress(progress, f"scanning {path.name}", path.stat().st_size) as on_bytes:
        return scan_table(path, chunk_rows, on_bytes=on_bytes)


def iter_table_chunks(
    path: str | os.PathLike, chunk_rows: int, *, schema: TableSchema | None = None
) -> Iterator[pd.DataFrame]:
    """Yield a CSV/TSV or Parquet file's rows in DataFrames of at most ``chunk_rows`` rows.

    Every chunk has the column types the in-memory path gives the whole file
    (decided once, by a first pass over a CSV file or from a Parquet file's
    metadata): for a CSV file those of
    ``typed_columns(read_table(path), read_table(path, as_text=True))``
    (:func:`revimpute.io.typed_columns`: whole numbers with gaps as ``Int64``,
    True/False text as ``boolean``, ISO dates as ``datetime64``), for a
    Parquet file those of ``read_table(path)``. The row index continues from
    chunk to chunk (``RangeIndex`` offsets, or the index columns a Parquet
    file stores), so ``pd.concat(iter_table_chunks(path, n))`` equals that
    whole-file frame.

    Parameters
    ----------
    path : str or path-like
        ``.csv``, ``.tsv``, ``.csv.gz`` or ``.parquet``.
    chunk_rows : int
        Upper bound on the rows of a chunk; memory is bounded by it.
    schema : TableSchema, optional
        The result of :func:`scan_table` for this file, to skip the CSV first
        pass when it is already known.

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
    chunk_rows = _check_positive("chunk_rows", chunk_rows)
    if schema is None:
        schema = scan_table(path, chunk_rows)
    path, fmt = check_input_file(path)
    if fmt == "parquet":
        raw = parquet_chunks(path, chunk_rows)
    else:
        text = dict.fromkeys(schema.text_columns, TEXT_DTYPE)
        raw = csv_chunks(path, chunk_rows, dtype=text or None)
    offset = 0
    for chunk in raw:
        if len(chunk) == 0:
            continue
        chunk = conform(chunk, schema)
        if isinstance(chunk.index, pd.RangeIndex):
            start, step = schema.range_start, schema.range_step
            chunk.index = pd.RangeIndex(
                start + offset * step, start + (offset + len(chunk)) * step, step,
                name=schema.range_name,
            )
        offset += len(chunk)
        yield chunk


def _seed_key(random_state: Any) -> np.uint64:
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        seed = int(random_state)
    else:
        seed = int(check_random_state(random_state).randint(0, 2**31 - 1))
    return splitmix64(np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))[0]


def _reservoir_slots(positions: np.ndarray, n_rows: int, key: np.uint64) -> np.ndarray:
    """Algorithm R's slot for each row position (a slot >= n_rows means "skip").

    Row ``i`` (0-based) takes slot ``i`` while ``i < n_rows``; after that it
    draws ``j`` uniform in ``[0, i]`` and replaces slot ``j`` if ``j < n_rows``.
    The draw is SplitMix64 keyed by the seed and counted by the row position,
    so it does not depend on how the file is cut into chunks.
    """
    pos = positions.astype(np.uint64)
    with np.errstate(over="ignore"):
        bits = splitmix64(key + pos * np.uint64(0x9E3779B97F4A7C15))
    draws = bits % (pos + np.uint64(1))
    return np.where(positions < n_rows, pos, draws)


def reservoir_sample(
    path: str | os.PathLike,
    n_rows: int,
    random_state: Any = 0,
    *,
    chunk_rows: int = 100_000,
    schema: TableSchema | None = None,
) -> pd.DataFrame:
    """A uniform random sample of ``n_rows`` rows of a file, in one streaming pass.

    Algorithm R (Vitter), vectorised over each chunk: every row of the file
    has the same chance ``n_rows / total`` to be in the sample, and the memory
    used is the sample plus one chunk. The draws are keyed by the seed and the
    row's position, so the sample depends only on the file and
    ``random_state``, not on ``chunk_rows``.

    Parameters
    ----------
    path : str or path-like
        ``.csv``, ``.tsv``, ``.csv.gz`` or ``.parquet``.
    n_rows : int
        Sample size; a file with fewer rows is returned whole.
    random_state : int, RandomState, Generator or None, default=0
        Seed of the draws; the same int always gives the same sample.
    chunk_rows : int, default=100_000
        Rows read at a time.
    schema : TableSchema, optional
        The result of :func:`scan_table`, if already known.

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
    n_rows = _check_positive("n_rows", n_rows)
    key = _seed_key(random_state)
    slot_pos = np.full(n_rows, -1, dtype=np.int64)  # file position held by each slot
    kept: list[pd.DataFrame] = []
    kept_pos = np.empty(0, dtype=np.int64)
    start = 0
    for chunk in iter_table_chunks(path, chunk_rows, schema=schema):
        positions = np.arange(start, start + len(chunk), dtype=np.int64)
        slots = _reservoir_slots(positions, n_rows, key)
        rows = np.flatnonzero(slots < np.uint64(n_rows))
        if rows.size:
            # a slot taken twice in this chunk keeps the later row
            _, first = np.unique(slots[rows][::-1], return_index=True)
            winners = np.sort(rows[::-1][first])
            slot_pos[slots[winners].astype(np.int64)] = positions[winners]
            kept.append(chunk.iloc[winners])
            kept_pos = np.concatenate([kept_pos, positions[winners]])
            alive = np.isin(kept_pos, slot_pos)
            if not alive.all():
                sample = pd.concat(kept)
                kept, kept_pos = [sample.iloc[np.flatnonzero(alive)]], kept_pos[alive]
        start += len(chunk)
    return pd.concat(kept) if len(kept) > 1 else kept[0]


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
) -> tuple[str, int, float]:
    """Fit ``imputer`` on the whole file or a reservoir sample unless it is fitted.

    Returns ``(fitted_on, fit_rows, fit_seconds)``.
    """
    if _is_fitted(imputer):
        return FITTED_ALREADY, 0, 0.0
    begin = time.perf_counter()
    if schema.n_rows <= fit_sample_rows:
        frame = pd.concat(list(iter_table_chunks(schema.path, chunk_rows, schema=schema)))
        fitted_on = FITTED_ALL
    else:
        if progress:
            console.print(f"sampling {fit_sample_rows:,} of {schema.n_rows:,} rows to fit on")
        frame = reservoir_sample(
            schema.path, fit_sample_rows, random_state, chunk_rows=chunk_rows, schema=schema
        )
        fitted_on = f"sample of {len(frame)} rows"
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

    def apply(self, imputed: pd.DataFrame, before: pd.DataFrame, text: pd.DataFrame | None) -> pd.DataFrame:
        """The frame to write for one chunk: ``imputed``, with the written text where kept."""
        out = keep_written_text(imputed, before, text) if self.keep and text is not None else imputed
        escaped, counts = escape_formulas(out)
        for label, n in counts.items():
            self.counts[label] = self.counts.get(label, 0) + n
        return escaped if self.escape else out


def text_chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The non-empty chunks of a CSV file as written, in step with :func:`iter_table_chunks`."""
    for chunk in csv_chunks(path, chunk_rows, as_text=True):
        if len(chunk):
            yield chunk


def write_chunks(
    out_path: str | os.PathLike,
    frames: Callable[[], Iterator[pd.DataFrame]],
    *,
    progress: bool,
    description: str,
    total_rows: int,
) -> tuple[int, int]:
    """Write the frames ``frames()`` yields into ``out_path``, atomically.

    The frames go to a temporary file beside ``out_path`` that replaces it
    only when complete. When a CSV file's datetime column turns out to need a
    finer layout in a later frame than in the first ones (see
    :class:`~revimpute.scale._writer.ChunkWriter`), the frames are made and
    written again with the whole file's layouts, so the file is what pandas
    writes for the whole frame.

    Returns
    -------
    (rows, chunks) : tuple of int
        Rows written and frames seen (empty frames are counted, not written).
    """
    layouts = None
    with atomic_path(out_path) as tmp:
        while True:
            rows = chunks = 0
            with ChunkWriter(tmp, out_path, datetime_layouts=layouts) as writer, rows_progress(
                progress, description, total_rows
            ) as advance:
                for frame in frames():
                    chunks += 1
                    if len(frame) == 0:
                        continue
                    writer.write(frame)
                    rows += len(frame)
                    advance(len(frame))
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
) -> StreamReport:
    """Impute a CSV/TSV or Parquet file chunk by chunk into a new file.

    Memory is bounded by ``chunk_rows`` (and ``fit_sample_rows`` when the
    imputer has to be fitted), not by the file's size. For a row-wise imputer
    such as :class:`~revimpute.ReverseImputer` the output is bitwise what
    imputing the whole table at once gives, for any ``chunk_rows``.

    Steps: (1) decide the column types of the whole file (a first streaming
    pass over a CSV file, which also counts its rows; a Parquet file's
    metadata); (2) if ``imputer`` is not fitted, fit it on the whole file
    when it has at most ``fit_sample_rows`` rows, else on a uniform reservoir
    sample of ``fit_sample_rows`` rows; (3) impute chunk after chunk, writing
    each into a temporary file beside ``out_path`` that is renamed into place
    only when complete, so a failure leaves no partial output and an existing
    ``out_path`` untouched. A CSV output of a CSV input keeps the text of
    every cell that was not imputed byte for byte, and writes each imputed
    value as :func:`revimpute.encode.cells.render_cell` does; a CSV output
    of a Parquet input is the text pandas writes for the whole imputed frame
    (a date-time column that needs a finer layout in a later chunk than in
    the first ones makes step 3 run twice).

    Parameters
    ----------
    in_path : str or path-like
        Input table: ``.csv``, ``.tsv``, ``.csv.gz`` or ``.parquet``.
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
        Seed of the fit sample.
    progress : bool, default=True
        Draw progress bars on stderr (rows, rows/s, time left).
    escape_formulas : bool, default=False
        CSV output: prefix text cells a spreadsheet would run as a formula
        (``=``, ``+``, ``-``, ``@``...) with ``'``; they are counted in the
        report either way.

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
    chunk_rows = _check_positive("chunk_rows", chunk_rows)
    fit_sample_rows = _check_positive("fit_sample_rows", fit_sample_rows)
    table_format(out_path)  # an unknown output extension fails before any work
    schema = _get_schema(in_path, chunk_rows, progress)
    fitted_on, fit_rows, fit_seconds = ensure_fitted(
        imputer, schema, chunk_rows=chunk_rows, fit_sample_rows=fit_sample_rows,
        random_state=random_state, progress=progress,
    )
    worker = quiet_copy(imputer) if progress else imputer
    csv_out = table_format(out_path) == "csv"
    output = OutputText(keep=schema.format == "csv" and csv_out, escape=escape_formulas)

    def imputed() -> Iterator[pd.DataFrame]:
        output.counts.clear()
        texts = text_chunks(schema.path, chunk_rows) if output.keep else None
        for chunk in iter_table_chunks(schema.path, chunk_rows, schema=schema):
            out = transform_chunk(worker, chunk)
            yield output.apply(out, chunk, next(texts) if texts is not None else None) if csv_out else out

    rows, chunks = write_chunks(out_path, imputed, progress=progress,
                                description=f"imputing {Path(in_path).name}", total_rows=schema.n_rows)
    seconds = time.perf_counter() - begin
    return StreamReport(
        rows=rows,
        chunks=chunks,
        seconds=seconds,
        fitted_on=fitted_on,
        rows_per_second=rows / seconds if seconds > 0 else float("inf"),
        fit_rows=fit_rows,
        fit_seconds=fit_seconds,
        formula_cells=dict(output.counts),
    )
