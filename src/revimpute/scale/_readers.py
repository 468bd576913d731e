"""Raw chunk readers for CSV/TSV and Parquet files, with clear errors.

A CSV file is read as the text of its cells (pandas' C parser, every cell as
written, the file's encoding and separator from
:func:`revimpute.dialect.csv_dialect`), a Parquet file with the dtypes the
whole file has (:func:`revimpute.io.parquet_dtypes`). Cleaning and typing
the chunks is the job of :class:`revimpute.clean.TablePlan`.
"""

from __future__ import annotations

import contextlib
import gzip
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from revimpute.dialect import CsvDialect, is_gzip
from revimpute.exceptions import InputDataError
from revimpute.io import csv_options, extra_fields_refused, open_parquet, parquet_dtypes, parquet_frame


def csv_chunks(
    path: Path,
    chunk_rows: int,
    dialect: CsvDialect,
    *,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[pd.DataFrame]:
    """Yield the CSV file's rows, every cell as the text written, at most ``chunk_rows`` at a time.

    The cells are those :func:`revimpute.io.read_table` gives with
    ``as_text=True``, read the same way; the row index continues from one
    chunk to the next.

    Parameters
    ----------
    path : Path
    chunk_rows : int
    dialect : CsvDialect
        The file's encoding and separator.
    on_bytes : callable(int), optional
        Called after each chunk with the number of (compressed) bytes read so far.

    Raises
    ------
    InputDataError
        No data, or ragged/malformed rows.
    """
    with open(path, "rb") as raw:
        stream: Any = gzip.GzipFile(fileobj=raw, mode="rb") if is_gzip(path) else raw
        with contextlib.ExitStack() as stack:
            if stream is not raw:
                stack.enter_context(stream)
            try:
                reader = pd.read_csv(stream, chunksize=chunk_rows, compression=None, **csv_options(dialect))
                with reader:
                    while True:
                        with extra_fields_refused(path):
                            chunk = next(reader, None)
                        if chunk is None:
                            break
                        if on_bytes is not None:
                            on_bytes(raw.tell())
                        yield chunk
                        del chunk  # not held while the next chunk is read
            except UnicodeDecodeError as exc:  # the whole file was checked: only a changed file gets here
                raise InputDataError(f"{path}: not {dialect.encoding} text ({exc.reason})") from None
            except pd.errors.EmptyDataError:
                raise InputDataError(f"{path}: the file has no data") from None
            except pd.errors.ParserError as exc:
                detail = " ".join(str(exc).split())
                raise InputDataError(f"{path}: ragged or malformed CSV rows ({detail})") from None
            except (OSError, EOFError) as exc:
                if is_gzip(path):
                    raise InputDataError(f"{path}: not a readable gzip file ({exc})") from None
                raise


def parquet_chunks(path: Path, chunk_rows: int, dtypes: dict[Any, Any] | None = None) -> Iterator[pd.DataFrame]:
    """Yield the Parquet file's rows in DataFrames of at most ``chunk_rows`` rows.

    Each record batch is converted with the file's own schema and pandas
    metadata (column labels, stored index columns) and the whole file's
    dtypes (``dtypes``, by default :func:`revimpute.io.parquet_dtypes`), as
    :func:`revimpute.io.read_table` converts the whole file.

    Raises
    ------
    InputDataError
        If the file cannot be read.
    """
    pf = open_parquet(path)
    schema = pf.schema_arrow
    try:
        dtypes = parquet_dtypes(pf) if dtypes is None else dtypes
        for batch in pf.iter_batches(batch_size=chunk_rows):
            yield parquet_frame(pa.Table.from_batches([batch], schema=schema), dtypes)
    except (OSError, pa.ArrowException) as exc:
        raise InputDataError(f"{path}: not a readable Parquet file ({exc})") from None
