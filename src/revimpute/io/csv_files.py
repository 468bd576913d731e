"""Reading CSV/TSV files (plain or gzip): every cell as the text written, in chunks, with clear errors.

Reading a whole file is reading it in one chunk (``chunk_rows=None``), so the
in-memory and the streamed paths share the parser's options and every error
message.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from revimpute.dialect import CsvDialect, is_gzip
from revimpute.exceptions import InputDataError


def csv_options(dialect: CsvDialect) -> dict[str, Any]:
    """The options of ``pandas.read_csv`` that read every cell of a CSV file as the text written.

    The columns are ``object`` arrays of ``str`` (not pandas' string dtype),
    which the stage reads as one 2-D array at no cost however many columns
    there are.
    """
    return {"sep": dialect.sep, "encoding": dialect.encoding, "dtype": object,
            "keep_default_na": False, "na_filter": False, "index_col": False}


#: What pandas says (a ParserWarning) when a row has more fields than the
#: header has names and ``index_col=False`` keeps it from taking the first
#: field of every row as a row label.
_EXTRA_FIELDS = "Length of header or names does not match length of data"


@contextlib.contextmanager
def extra_fields_refused(path: Path) -> Iterator[None]:
    """Turn pandas' warning about rows longer than the header into an InputDataError.

    Left alone, pandas either drops the extra fields (``index_col=False``)
    or, when the first data row is the longer one, silently takes every
    row's first field as its row label and shifts the shorter rows' cells
    one column to the left.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=_EXTRA_FIELDS, category=pd.errors.ParserWarning)
        try:
            yield
        except pd.errors.ParserWarning:
            raise InputDataError(
                f"{path}: ragged CSV rows: a row has more fields than the header has names; name every "
                "column in the header (a first column of row labels needs a name too) or fix the row"
            ) from None


#: A CSV file whose header has at least this many fields is read as text by
#: Python's ``csv`` module (:func:`_read_wide_text`): pandas' parser spends
#: tens of microseconds on each column besides its cells.
WIDE_FIELDS = 1000


def _read_wide_text(path: Path, dialect: CsvDialect) -> pd.DataFrame | None:
    """The cells of a wide CSV file as text, read by the ``csv`` module.

    Gives what ``pandas.read_csv`` with :func:`csv_options` gives (the same
    cells, column labels, index and dtypes) for the files it reads: a header
    of at least :data:`WIDE_FIELDS` distinct, non-empty names, a one-character
    separator, well-formed quoting (``"``, doubled inside a quoted field) and
    every non-blank row with as many fields as the header (blank lines are
    skipped, as pandas does). Returns None for any other file -- fewer
    fields, a row of another length, a field not followed by a separator
    after its closing quote, a byte order mark left in the first name, a
    byte the encoding cannot decode, no row -- which pandas then reads (or
    rejects with its own message).
    """
    if len(dialect.sep) != 1 or dialect.sep == '"':
        return None
    opener = gzip.open if is_gzip(path) else open
    try:
        with opener(path, "rt", encoding=dialect.encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=dialect.sep, quotechar='"', doublequote=True,
                                skipinitialspace=False, strict=True)
            header = next(reader, None)
            if header is None or len(header) < WIDE_FIELDS:
                return None
            n_fields = len(header)
            rows = []
            for row in reader:
                if len(row) != n_fields:
                    if row:
                        return None
                    continue  # a blank line
                rows.append(row)
    except (csv.Error, UnicodeError, OSError, EOFError, ValueError):
        return None
    if (not rows or header[0].startswith("\ufeff") or not all(header)
            or len(set(header)) != n_fields):
        return None
    cells = np.array(rows, dtype=object)
    del rows
    return pd.DataFrame(cells, columns=pd.Index(header), dtype=object, copy=False)


def csv_chunks(
    path: Path,
    chunk_rows: int | None,
    dialect: CsvDialect,
    *,
    as_text: bool = True,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[pd.DataFrame]:
    """Yield the CSV file's rows, at most ``chunk_rows`` at a time (None: the whole file, in one chunk).

    Parameters
    ----------
    path : Path
    chunk_rows : int or None
    dialect : CsvDialect
        The file's encoding and separator.
    as_text : bool, default=True
        Every cell as the text written (:func:`csv_options`); False: pandas'
        own type inference and missing-value rules (whole files only).
    on_bytes : callable(int), optional
        Called after each chunk with the number of (compressed) bytes read so far.

    Raises
    ------
    InputDataError
        No data, rows longer than the header, ragged or malformed rows,
        bytes the encoding cannot decode, or a broken gzip file.
    """
    if chunk_rows is None and as_text:
        frame = _read_wide_text(path, dialect)
        if frame is not None:
            yield frame
            return
    options = csv_options(dialect) if as_text else {
        "sep": dialect.sep, "encoding": dialect.encoding, "index_col": False}
    with open(path, "rb") as raw:
        stream: Any = gzip.GzipFile(fileobj=raw, mode="rb") if is_gzip(path) else raw
        with contextlib.ExitStack() as stack:
            if stream is not raw:
                stack.enter_context(stream)
            try:
                if chunk_rows is None:
                    with extra_fields_refused(path):
                        whole = pd.read_csv(stream, compression=None, **options)
                    chunks: Iterator[pd.DataFrame] = iter([whole])
                    del whole
                else:
                    chunks = _chunks_of(pd.read_csv(stream, chunksize=chunk_rows, compression=None, **options),
                                        path)
                for chunk in chunks:
                    if on_bytes is not None:
                        on_bytes(raw.tell())
                    yield chunk
            except UnicodeDecodeError as exc:
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


def _chunks_of(reader: Any, path: Path) -> Iterator[pd.DataFrame]:
    """The chunks of a pandas chunk reader, rows longer than the header refused in each."""
    with reader:
        while True:
            with extra_fields_refused(path):
                chunk = next(reader, None)
            if chunk is None:
                return
            yield chunk
