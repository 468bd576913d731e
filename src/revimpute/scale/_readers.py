"""Raw chunk readers for CSV/TSV and Parquet files, with clear errors.

These yield pandas DataFrames of at most ``chunk_rows`` rows as the file
stores them; deciding the column types once for the whole file and enforcing
them on every chunk is the job of :mod:`._schema`.
"""

from __future__ import annotations

import contextlib
import gzip
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from revimpute.exceptions import InputDataError


def csv_separator(path: str | os.PathLike) -> str:
    """The field separator for ``path``: a tab for ``.tsv``, else a comma."""
    return "\t" if str(path).lower().endswith(".tsv") else ","


def is_gzip(path: str | os.PathLike) -> bool:
    """True when ``path`` names a gzip-compressed CSV (``.csv.gz``)."""
    return str(path).lower().endswith(".gz")


def csv_chunks(
    path: Path,
    chunk_rows: int,
    *,
    dtype: Any = None,
    on_bytes: Callable[[int], None] | None = None,
    as_text: bool = False,
) -> Iterator[pd.DataFrame]:
    """Yield the CSV file's rows in DataFrames of at most ``chunk_rows`` rows.

    Parsing is pandas' C parser with the options :func:`revimpute.io.read_table`
    uses (separator from the extension, UTF-8), so a value parses to the same
    bits as when the whole file is read at once. The row index continues from
    one chunk to the next.

    Parameters
    ----------
    path : Path
    chunk_rows : int
    dtype : dict or type, optional
        Column types given to the parser (used to keep text columns as text;
        ``str`` reads every cell as the text written, gaps as NaN).
    on_bytes : callable(int), optional
        Called after each chunk with the number of (compressed) bytes read so far.
    as_text : bool, default=False
        Every cell as the exact text written (empty cells as ``""``), as
        :func:`revimpute.io.read_table` gives it with ``as_text=True``.

    Raises
    ------
    InputDataError
        Binary data, not UTF-8, no data, or ragged/malformed rows.
    """
    with open(path, "rb") as raw:
        head = raw.read(65536)
        raw.seek(0)
        if not is_gzip(path) and b"\x00" in head:
            raise InputDataError(f"{path}: binary data, not a text CSV file")
        stream: Any = gzip.GzipFile(fileobj=raw, mode="rb") if is_gzip(path) else raw
        with contextlib.ExitStack() as stack:
            if stream is not raw:
                stack.enter_context(stream)
            try:
                text = {"dtype": str, "keep_default_na": False, "na_filter": False} if as_text else {}
                reader = pd.read_csv(
                    stream,
                    sep=csv_separator(path),
                    encoding="utf-8",
                    chunksize=chunk_rows,
                    compression=None,
                    **({"dtype": dtype} | text),
                )
                with reader:
                    for chunk in reader:
                        if on_bytes is not None:
                            on_bytes(raw.tell())
                        yield chunk
            except UnicodeDecodeError as exc:
                raise InputDataError(
                    f"{path}: not UTF-8 text (byte {exc.start}); re-save the file as UTF-8"
                ) from None
            except pd.errors.EmptyDataError:
                raise InputDataError(f"{path}: the file has no data") from None
            except pd.errors.ParserError as exc:
                raise InputDataError(f"{path}: ragged or malformed CSV rows ({exc})".strip()) from None
            except (OSError, EOFError) as exc:
                if is_gzip(path):
                    raise InputDataError(f"{path}: not a readable gzip file ({exc})") from None
                raise


def open_parquet(path: Path) -> pq.ParquetFile:
    """Open a Parquet file for streaming.

    Raises
    ------
    InputDataError
        If the file is not a readable Parquet file.
    """
    try:
        return pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises many types for bad files
        raise InputDataError(f"{path}: not a readable Parquet file ({exc})") from None


def parquet_chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Yield the Parquet file's rows in DataFrames of at most ``chunk_rows`` rows.

    Each record batch is converted with the file's own schema and pandas
    metadata (column labels, stored index columns), as ``pd.read_parquet``
    does for the whole file.

    Raises
    ------
    InputDataError
        If the file cannot be read.
    """
    pf = open_parquet(path)
    schema = pf.schema_arrow
    try:
        for batch in pf.iter_batches(batch_size=chunk_rows):
            yield pa.Table.from_batches([batch], schema=schema).to_pandas()
    except (OSError, pa.ArrowException) as exc:
        raise InputDataError(f"{path}: not a readable Parquet file ({exc})") from None
