"""Reading and writing tables: CSV and Parquet, chosen by file extension.

Writes are atomic: the table goes to a temporary file in the target's folder,
which is renamed into place only once it is complete, so a failure never
leaves a half-written output file.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from revimpute.dialect import CsvDialect, csv_dialect, default_separator, is_gzip
from revimpute.encode.cells import render_cell
from revimpute.exceptions import InputDataError

CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")


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


def table_format(path: str | os.PathLike) -> str:
    """Return ``"csv"`` or ``"parquet"`` from the file name's extension."""
    name = str(path).lower()
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    raise InputDataError(
        f"{path}: unknown file type; use a .csv, .tsv or .parquet file name"
    )


def check_input_file(path: str | os.PathLike) -> tuple[Path, str]:
    """Return ``(path, format)`` after checking the file exists and is not empty.

    Raises
    ------
    InputDataError
        Unknown extension, no such file, a folder, or an empty file.
    """
    path = Path(path)
    fmt = table_format(path)
    if not path.exists():
        raise InputDataError(f"{path}: no such file")
    if path.is_dir():
        raise InputDataError(f"{path}: is a folder, not a file")
    if path.stat().st_size == 0:
        raise InputDataError(f"{path}: the file is empty")
    return path, fmt


def read_table(
    path: str | os.PathLike,
    *,
    as_text: bool = False,
    dialect: CsvDialect | None = None,
    encoding: str | None = None,
    sep: str | None = None,
) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame.

    Parameters
    ----------
    path : str or path-like
        The file; ``.csv``/``.tsv``/``.txt`` (plain or ``.gz``) or ``.parquet``.
    as_text : bool, default=False
        CSV only: keep every cell as the exact text written in the file (no
        type inference, no NaN conversion), so that ``"0"``, ``" "`` and
        ``""`` can be told apart by the detector.
    dialect : CsvDialect, optional
        CSV only: how the file is written (:func:`revimpute.dialect.csv_dialect`,
        which is called with ``encoding`` and ``sep`` when this is None).
    encoding, sep : str, optional
        CSV only: the file's encoding and separator, found from the file
        when None.

    Raises
    ------
    InputDataError
        If the file does not exist, is empty, has only a header, has ragged
        rows, two columns of the same name, bytes its encoding cannot decode
        (named by their offset in the file), or is not a valid Parquet file.
    """
    path, fmt = check_input_file(path)
    if fmt == "parquet":
        pf = open_parquet(path)
        try:
            frame = parquet_frame(pf.read(), parquet_dtypes(pf))
        except (OSError, pa.ArrowException) as exc:
            raise InputDataError(f"{path}: not a readable Parquet file ({exc})") from None
    else:
        frame = _read_csv(path, dialect or csv_dialect(path, encoding, sep), as_text=as_text)
    if frame.shape[1] == 0:
        raise InputDataError(f"{path}: no columns found")
    if frame.shape[0] == 0:
        raise InputDataError(f"{path}: header only, the table has no rows")
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


def _read_csv(path: Path, dialect: CsvDialect, *, as_text: bool) -> pd.DataFrame:
    kwargs = csv_options(dialect)
    if as_text:
        frame = _read_wide_text(path, dialect)
        if frame is not None:
            return frame
    else:
        kwargs = {"sep": dialect.sep, "encoding": dialect.encoding, "index_col": False}
    try:
        with extra_fields_refused(path):
            return pd.read_csv(path, **kwargs)
    except UnicodeDecodeError as exc:  # the whole file was checked: only a changed file gets here
        raise InputDataError(f"{path}: not {dialect.encoding} text ({exc.reason})") from None
    except pd.errors.EmptyDataError:
        raise InputDataError(f"{path}: the file has no data") from None
    except pd.errors.ParserError as exc:
        detail = " ".join(str(exc).split())
        raise InputDataError(f"{path}: ragged or malformed CSV rows ({detail})") from None


def keep_written_text(
    imputed: pd.DataFrame,
    before: pd.DataFrame,
    text: pd.DataFrame,
    writers: dict[int, Callable[[Any], str]] | None = None,
) -> pd.DataFrame:
    """The cells of a CSV file as written, with only the imputed cells replaced.

    Parameters
    ----------
    imputed : DataFrame
        The imputer's output.
    before : DataFrame
        What the imputer was given (same shape): its missing cells that
        ``imputed`` fills are the imputed cells.
    text : DataFrame
        The same table read as text (:func:`read_table` with ``as_text=True``).
    writers : dict, optional
        Column position -> function writing an imputed value as text, for
        columns whose values are written in a format of their own (numbers
        with ``%`` or thousands separators); :func:`render_cell` elsewhere.

    Returns
    -------
    DataFrame of str
        ``text`` where a cell was not imputed (observed cells, and gaps left
        open, keep their text byte for byte), :func:`render_cell` of the
        imputed value elsewhere (in the column's number format when
        ``formats`` gives one); ``imputed``'s index and column labels.
    """
    out = text.copy()
    out.index, out.columns = imputed.index, imputed.columns
    filled = before.isna().to_numpy(dtype=bool) & imputed.notna().to_numpy(dtype=bool)
    for j in np.flatnonzero(filled.any(axis=0)):
        rows = np.flatnonzero(filled[:, j])
        column = out.iloc[:, j].astype(object)
        write = (writers or {}).get(int(j), render_cell)
        column.iloc[rows] = [write(v) for v in imputed.iloc[rows, j].tolist()]
        out.isetitem(int(j), column)
    return out


#: First characters that make a spreadsheet program read a CSV cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(column: pd.Series) -> np.ndarray:
    """Which text cells of ``column`` a spreadsheet would run as a formula.

    A cell is formula-like when it starts with ``=``, ``+``, ``-``, ``@``, a
    tab or a carriage return and is not a plain number (``-5`` is a number).
    Cells that are not text never are.
    """
    values = column.to_numpy(dtype=object)
    is_text = np.array([isinstance(v, str) for v in values], dtype=bool)
    out = np.zeros(len(values), dtype=bool)
    if not is_text.any():
        return out
    text = pd.Series(values[is_text], dtype=object)
    starts = text.str.startswith(FORMULA_STARTS).to_numpy(dtype=bool)
    numbers = pd.to_numeric(text.str.strip(), errors="coerce").notna().to_numpy(dtype=bool)
    out[is_text] = starts & ~numbers
    return out


def escape_formulas(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Prefix every formula-like text cell with ``'`` (OWASP's advice for CSV files).

    Returns
    -------
    frame : DataFrame
        A copy with the formula-like cells escaped (``=1+1`` becomes ``'=1+1``).
    counts : dict
        Column label -> number of cells escaped (columns with none left out).
    """
    out = frame.copy()
    counts = {}
    for j in range(frame.shape[1]):
        hits = formula_like(frame.iloc[:, j])
        if hits.any():
            column = out.iloc[:, j].astype(object)
            column.iloc[np.flatnonzero(hits)] = ["'" + v for v in column.iloc[np.flatnonzero(hits)]]
            out.isetitem(j, column)
            counts[frame.columns[j]] = int(hits.sum())
    return out, counts


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` on success.

    On any exception the temporary file is removed and ``path`` is untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".part", dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o666 & ~umask)  # mkstemp creates 0600; give the file the usual mode
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def output_separator(path: str | os.PathLike, dialect: CsvDialect | None = None) -> str:
    """The separator of a CSV output: a tab for ``.tsv``, else the input's (``dialect``) or a comma."""
    if default_separator(path) == "\t" or dialect is None:
        return default_separator(path)
    return dialect.sep


def write_table(frame: pd.DataFrame, path: str | os.PathLike, *, sep: str | None = None) -> None:
    """Write ``frame`` to CSV (UTF-8) or Parquet (by extension), atomically.

    ``sep`` is the CSV separator (default: a tab for ``.tsv``, else a comma).
    """
    fmt = table_format(path)
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            frame.to_parquet(tmp)
        else:
            compression = "gzip" if str(path).lower().endswith(".gz") else None
            frame.to_csv(tmp, index=False, sep=sep or default_separator(path), compression=compression,
                         encoding="utf-8")
