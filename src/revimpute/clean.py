"""From a table file to what the imputers take: read, detect, type.

:func:`read_clean` is the one path from a CSV/TSV or Parquet file to a typed
frame whose missing cells (real gaps and the disguised ones the detector
finds) are NaN/NA/NaT, with the findings and, for CSV files, every cell as
written, so that a CSV output can keep the text of the cells it did not
impute (:func:`revimpute.io.keep_written_text`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from revimpute.detect import POLICIES, DetectionResult, detect_missing
from revimpute.exceptions import RevimputeError
from revimpute.io import read_table, table_format, typed_columns


@dataclass
class CleanTable:
    """A table ready for imputation.

    Attributes
    ----------
    frame : DataFrame
        Typed columns (numbers, whole numbers with gaps as ``Int64``,
        booleans, datetimes, text); every cell treated as missing is
        NaN/NA/NaT.
    text : DataFrame or None
        A CSV file's cells exactly as written (None for Parquet).
    detection : DetectionResult or None
        What the detector found (None when detection is off).
    """

    frame: pd.DataFrame
    text: pd.DataFrame | None
    detection: DetectionResult | None


def check_policy(policy: str) -> str:
    """Return ``policy`` if it is a detection policy, else raise a one-line error."""
    if policy not in POLICIES:
        raise RevimputeError(f"--detect must be one of {', '.join(POLICIES)}, got {policy!r}")
    return policy


def read_clean(
    path: str | os.PathLike,
    detect: str = "auto",
    tokens: Iterable[str] = (),
    never: Iterable[str] = (),
) -> CleanTable:
    """Read a table file, find its missing and disguised-missing cells, type its columns.

    Parameters
    ----------
    path : str or path-like
        ``.csv``, ``.tsv``, ``.csv.gz`` or ``.parquet``.
    detect : {"auto", "strict", "off"}, default="auto"
        Detection policy (see :func:`revimpute.detect.detect_missing`);
        ``"off"`` treats only empty cells and pandas' NA texts as missing.
    tokens, never : iterable of str
        Extra missing-value tokens, and values never to flag.

    Returns
    -------
    CleanTable

    Raises
    ------
    InputDataError
        If the file cannot be read as a table.
    RevimputeError
        If ``detect`` is not a policy.
    """
    check_policy(detect)
    is_csv = table_format(path) == "csv"
    text = read_table(path, as_text=True) if is_csv else None
    if detect == "off":
        frame = read_table(path)
        return CleanTable(typed_columns(frame, text) if is_csv else frame, text, None)
    original = text if is_csv else read_table(path)
    result = detect_missing(original, policy=detect, extra_tokens=tokens, never_flag=never)
    if is_csv:
        return CleanTable(typed_columns(result.cleaned, text), text, result)
    return CleanTable(restore_types(result.cleaned, original), None, result)


def restore_types(cleaned: pd.DataFrame, original: pd.DataFrame) -> pd.DataFrame:
    """Give integer, boolean, datetime and category columns back the type they had.

    The detector works on numbers and text; a typed table (a Parquet file)
    says what each column is. An integer or boolean column in which the
    detector found gaps becomes nullable (``Int64``, ``boolean``).
    """
    out = cleaned.copy()
    for j, dtype in enumerate(original.dtypes):
        keep = (pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
                or pd.api.types.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype))
        if not keep or out.dtypes.iloc[j] == dtype:
            continue
        if not pd.api.types.is_extension_array_dtype(dtype) and out.iloc[:, j].isna().any():
            dtype = {"i": "Int64", "u": "UInt64", "b": "boolean"}.get(getattr(dtype, "kind", ""), dtype)
        try:
            out.isetitem(j, out.iloc[:, j].astype(dtype))
        except (TypeError, ValueError):
            continue  # the detector changed the values themselves: keep its column
    return out
