"""Reading and writing tables: CSV and Parquet, chosen by file extension.

Writes are atomic: the table goes to a temporary file in the target's folder,
which is renamed into place only once it is complete, so a failure never
leaves a half-written output file.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from revimpute.encode.cells import render_cell
from revimpute.exceptions import InputDataError

CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")


def _parquet_types(frame: pd.DataFrame, schema: pa.Schema) -> pd.DataFrame:
    """Integer and boolean Parquet columns with gaps as nullable ``Int64`` / ``boolean``
    (pandas would give float64 and object)."""
    for field in schema:
        if field.name not in frame.columns:
            continue
        column = frame[field.name]
        if not isinstance(column, pd.Series):
            continue
        if pa.types.is_integer(field.type) and pd.api.types.is_float_dtype(column.dtype):
            frame[field.name] = column.astype("UInt64" if pa.types.is_unsigned_integer(field.type) else "Int64")
        elif pa.types.is_boolean(field.type) and column.dtype == object:
            frame[field.name] = column.astype("boolean")
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


def _csv_separator(path: str | os.PathLike) -> str:
    return "\t" if str(path).lower().endswith(".tsv") else ","


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


def read_table(path: str | os.PathLike, *, as_text: bool = False) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame.

    Parameters
    ----------
    path : str or path-like
        The file; ``.csv``/``.tsv`` or ``.parquet`` decides the reader.
    as_text : bool, default=False
        CSV only: keep every cell as the exact text written in the file (no
        type inference, no NaN conversion), so that ``"0"``, ``" "`` and
        ``""`` can be told apart by the detector.

    Raises
    ------
    InputDataError
        If the file does not exist, is empty, has only a header, has ragged
        rows, is not valid UTF-8 text, or is not a valid Parquet file.
    """
    path, fmt = check_input_file(path)
    if fmt == "parquet":
        try:
            frame = pd.read_parquet(path)
            schema = pq.read_schema(path)
        except Exception as exc:  # pyarrow raises many types for bad files
            raise InputDataError(f"{path}: not a readable Parquet file ({exc})") from None
        frame = _parquet_types(frame, schema)
    else:
        frame = _read_csv(path, as_text=as_text)
    if frame.shape[1] == 0:
        raise InputDataError(f"{path}: no columns found")
    if frame.shape[0] == 0:
        raise InputDataError(f"{path}: header only, the table has no rows")
    return frame


_BOOLEAN_TEXT = {"true": True, "false": False}


def _integral(values: pd.Series) -> bool:
    observed = values.dropna().to_numpy(dtype=float)
    return bool(len(observed)) and bool(
        (observed == np.round(observed)).all() and (np.abs(observed) < 2**53).all()
    )


def text_to_boolean(series: pd.Series) -> pd.Series:
    """``True``/``False`` text (any case, surrounding blanks ignored) as ``boolean``.

    The conversion :func:`typed_columns` applies to a boolean text column.
    """
    return series.str.strip().str.lower().map(_BOOLEAN_TEXT).astype("boolean")


def text_to_datetime(series: pd.Series) -> pd.Series:
    """ISO 8601 text as ``datetime64`` (the conversion :func:`typed_columns` applies).

    Raises
    ------
    ValueError
        If a value is not a valid ISO 8601 date, the values mix time zones, or
        they do not fit the resolution the text needs.
    """
    return pd.to_datetime(series, format="ISO8601")


def typed_column(series: pd.Series, written: pd.Series | None = None) -> pd.Series | None:
    """One column as :func:`typed_columns` types it, or None where it keeps its type.

    Parameters
    ----------
    series : Series
        The column as pandas read it.
    written : Series, optional
        The same column read as text (its observed cells' exact text); when
        None, whole values suffice for an integer column.

    Returns
    -------
    Series or None
        The column as nullable ``Int64``, ``boolean`` or ``datetime64``, or
        None when none of the rules of :func:`typed_columns` applies.
    """
    observed = series.dropna()
    if observed.empty:
        return None
    if pd.api.types.is_float_dtype(series.dtype):
        if not _integral(series):
            return None
        if written is not None:
            shown = written.astype(str)[series.notna().to_numpy()]
            if shown.str.contains(r"[.eE]|inf|nan", case=False, regex=True).any():
                return None
        return series.astype("Int64")
    if pd.api.types.is_string_dtype(series.dtype) or series.dtype == object:
        if not isinstance(series.dtype, pd.StringDtype) and not all(
            isinstance(v, str) for v in observed
        ):  # (a string dtype holds only text: no need to look at every value)
            return None
        lowered = observed.str.strip().str.lower()
        if lowered.isin(list(_BOOLEAN_TEXT)).all():
            return text_to_boolean(series)
        if observed.str.match(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?([+-]\d{2}:?\d{2}|Z)?$").all():
            try:
                return text_to_datetime(series)
            except (ValueError, TypeError):
                return None
    return None


def typed_columns(frame: pd.DataFrame, text: pd.DataFrame | None = None) -> pd.DataFrame:
    """Give columns read from a file the types their values have, gaps or not.

    pandas reads an integer column with gaps as float and a boolean or date
    column as text. This returns a copy where

    * a float column whose observed values are whole numbers, written without a
      decimal point or exponent in ``text`` (the same file read as text; when
      None, whole values suffice), becomes nullable ``Int64``;
    * a text column holding only ``True``/``False`` (any case) becomes ``boolean``;
    * a text column whose every observed value is an ISO 8601 date or date-time
      becomes ``datetime64``.

    Other columns are returned as they are. :func:`typed_column` applies the
    rules to one column.
    """
    out = frame.copy()
    for j in range(frame.shape[1]):
        typed = typed_column(frame.iloc[:, j], None if text is None else text.iloc[:, j])
        if typed is not None:
            out.isetitem(j, typed)
    return out


def _read_csv(path: Path, *, as_text: bool) -> pd.DataFrame:
    opener = gzip.open if str(path).lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            head = handle.read(65536)
    except gzip.BadGzipFile:
        raise InputDataError(f"{path}: not a valid gzip file") from None
    if b"\x00" in head:
        raise InputDataError(f"{path}: binary data, not a text CSV file")
    kwargs: dict = {"sep": _csv_separator(path)}
    if as_text:
        kwargs.update(dtype=str, keep_default_na=False, na_filter=False)
    try:
        return pd.read_csv(path, encoding="utf-8", **kwargs)
    except UnicodeDecodeError as exc:
        raise InputDataError(
            f"{path}: not UTF-8 text (byte {exc.start}); re-save the file as UTF-8"
        ) from None
    except pd.errors.EmptyDataError:
        raise InputDataError(f"{path}: the file has no data") from None
    except pd.errors.ParserError as exc:
        detail = " ".join(str(exc).split())
        raise InputDataError(f"{path}: ragged or malformed CSV rows ({detail})") from None


def keep_written_text(
    imputed: pd.DataFrame, before: pd.DataFrame, text: pd.DataFrame, formats: Mapping[str, Any] | None = None
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
    formats : mapping, optional
        Column name -> the way the column writes its numbers (a
        :class:`revimpute.detect.formatted.NumberFormat`, from
        :attr:`revimpute.detect.DetectionResult.formats`): imputed numbers of
        such a column are written that way (``13.1%``, ``$1,234.50``).

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
        number_format = (formats or {}).get(str(imputed.columns[j]))
        write = number_format.write if number_format is not None else render_cell
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


def write_table(frame: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write ``frame`` to CSV or Parquet (by extension), atomically."""
    fmt = table_format(path)
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            frame.to_parquet(tmp)
        else:
            compression = "gzip" if str(path).lower().endswith(".gz") else None
            frame.to_csv(tmp, index=False, sep=_csv_separator(path), compression=compression)
