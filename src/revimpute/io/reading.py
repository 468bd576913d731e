"""Reading a whole table file: its one chunk (:func:`csv_chunks`, :func:`parquet_chunks`)."""

from __future__ import annotations

import os

import pandas as pd

from revimpute.dialect import CsvDialect, csv_dialect
from revimpute.exceptions import InputDataError
from revimpute.io.csv_files import csv_chunks
from revimpute.io.formats import check_input_file
from revimpute.io.parquet_files import parquet_chunks


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
        chunks = parquet_chunks(path, None)
    else:
        chunks = csv_chunks(path, None, dialect or csv_dialect(path, encoding, sep), as_text=as_text)
    frame = next(chunks)
    if frame.shape[1] == 0:
        raise InputDataError(f"{path}: no columns found")
    if frame.shape[0] == 0:
        raise InputDataError(f"{path}: header only, the table has no rows")
    return frame
