"""Which files are tables: CSV/TSV (plain or gzip) and Parquet, by file name."""

from __future__ import annotations

import os
from pathlib import Path

from revimpute.exceptions import InputDataError

CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")


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
