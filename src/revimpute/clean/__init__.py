"""One stage from a table to what the imputers take: read, detect, type.

>>> import pandas as pd
>>> from revimpute.clean import clean
>>> frame = pd.DataFrame({"age": ["34", "51", "-999", "28", "45", "-999", "39"],
...                       "city": ["Lyon", "N/A", "Paris", "Nice", "Lyon", "Paris", "Nice"]})
>>> table = clean(frame)                  # read_clean("survey.csv") does the same for a file
>>> table.frame["age"].tolist()           # typed, the disguised values now missing
[34, 51, <NA>, 28, 45, <NA>, 39]
>>> sorted((f.column, f.value) for f in table.findings)
[('age', '-999'), ('city', 'N/A')]

Every path goes through it -- ``revimpute scan``, ``fit``, ``impute`` and
``clean`` in memory, streamed (``--chunk-rows``) and on Dask, and the Python
API -- so a table is cleaned and typed the same way everywhere:

1. **read** (:func:`read_clean`): a CSV file as the text of its cells (its
   encoding and separator found by :func:`revimpute.dialect.csv_dialect`), a
   Parquet file with its own types;
2. **detect**: the detector (:func:`revimpute.detect.detect_missing`) runs on
   the table, or on a uniform sample of ``sample_rows`` rows of a larger
   one, and its verdicts become rules checked cell by cell
   (:class:`MissingRules`);
3. **type**: every text column gets the type its observed cells have
   (:mod:`revimpute.clean._types`: integer, number, boolean, datetime,
   text); typed columns keep theirs.

A file read in chunks goes through the same two passes (:func:`plan_table`)
and gets bitwise the same typed rows.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from revimpute.clean._convert import convert_column
from revimpute.clean._plan import CleanChunk, TablePlan, plan_table
from revimpute.clean._rules import MissingRules, find_rules
from revimpute.clean._sample import Reservoir, reservoir_rows, reservoir_slots, sample_key
from revimpute.clean._types import (
    TEXT_DTYPE,
    ColumnType,
    is_text_column,
    text_to_boolean,
    text_to_datetime,
)
from revimpute.detect import POLICIES, DetectionResult, Finding
from revimpute.dialect import CsvDialect, csv_dialect
from revimpute.exceptions import InputDataError, RevimputeError
from revimpute.io import check_input_file, read_table

__all__ = [
    "TEXT_DTYPE",
    "CleanChunk",
    "CleanTable",
    "ColumnType",
    "MissingRules",
    "Reservoir",
    "TablePlan",
    "check_policy",
    "clean",
    "convert_column",
    "find_rules",
    "is_text_column",
    "plan_table",
    "read_clean",
    "reservoir_rows",
    "reservoir_slots",
    "sample_key",
    "text_to_boolean",
    "text_to_datetime",
]

#: Rows the detector looks at by default (a larger table: a uniform sample of this many).
SAMPLE_ROWS = 200_000


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
        A CSV file's cells exactly as written (None otherwise).
    detection : DetectionResult
        The whole table's findings (counted over every row), mask, native
        gaps and per-column overview (each column's ``inferred`` is its type
        in ``frame``); ``cleaned`` is ``frame``.
    plan : TablePlan
        How the table was cleaned: applies to more rows of it.
    dialect : CsvDialect or None
        How a CSV file is written (encoding, separator).
    """

    frame: pd.DataFrame
    text: pd.DataFrame | None
    detection: DetectionResult
    plan: TablePlan
    dialect: CsvDialect | None = None

    @property
    def findings(self) -> list[Finding]:
        """The disguised missing values applied, counted over the whole table."""
        return self.detection.findings

    @property
    def mask(self) -> pd.DataFrame:
        """Booleans: the cells treated as missing."""
        return self.detection.mask

    @property
    def notes(self) -> tuple[str, ...]:
        """What a user should know about how the file was read (encoding, separator, sampling)."""
        return (tuple(self.dialect.notes) if self.dialect is not None else ()) + self.plan.notes

    def cleaned_text(self) -> pd.DataFrame:
        """The CSV text with every disguised missing value made empty, other cells as written."""
        if self.text is None:
            raise RevimputeError("cleaned_text needs a table read from a CSV file")
        disguised = self.detection.mask.to_numpy(dtype=bool) & ~self.detection.native.to_numpy(dtype=bool)
        return blank_cells(self.text, disguised)


def blank_cells(text: pd.DataFrame, cells: Any) -> pd.DataFrame:
    """``text`` with the ``cells`` (a boolean array of its shape) made empty."""
    if not cells.any():
        return text
    values = text.to_numpy(dtype=object, copy=True)
    values[cells] = ""
    return pd.DataFrame(values, index=text.index, columns=text.columns).astype(text.dtypes.to_dict())


def check_policy(policy: str) -> str:
    """Return ``policy`` if it is a detection policy, else raise a one-line error."""
    if policy not in POLICIES:
        raise RevimputeError(f"--detect must be one of {', '.join(POLICIES)}, got {policy!r}")
    return policy


def _check_rows(sample_rows: Any) -> int:
    if isinstance(sample_rows, bool) or not isinstance(sample_rows, int) or sample_rows < 1:
        raise RevimputeError(f"sample_rows must be a positive whole number, got {sample_rows!r}")
    return sample_rows


def clean(
    frame: pd.DataFrame,
    detect: str = "auto",
    tokens: Iterable[str] = (),
    never: Iterable[str] = (),
    *,
    sample_rows: int = SAMPLE_ROWS,
    random_state: Any = 0,
) -> CleanTable:
    """Find the missing and disguised-missing cells of a DataFrame and type its columns.

    Parameters
    ----------
    frame : DataFrame
        The table. Text columns (object or string dtype) are typed from their
        text (so a frame read with ``dtype=str, keep_default_na=False`` is
        cleaned exactly as its CSV file); other columns keep their dtype
        (integers and booleans with gaps become ``Int64``/``boolean``).
    detect : {"auto", "strict", "off"}, default="auto"
        Detection policy (see :func:`revimpute.detect.detect_missing`);
        ``"off"`` treats only NaN/None and empty text as missing.
    tokens, never : iterable of str
        Extra missing-value tokens, and values never to flag.
    sample_rows : int, default=200_000
        The detector looks at the whole frame when it has at most this many
        rows, else at a uniform sample of this many rows; its findings are
        applied to every row.
    random_state : int, default=0
        Seed of that sample.

    Returns
    -------
    CleanTable
        ``frame`` typed, with the findings, the mask and the plan; the
        frame given is not changed.

    Raises
    ------
    InputDataError
        If ``frame`` is not a DataFrame or has duplicate column labels.
    RevimputeError
        If ``detect`` is not a policy or ``sample_rows`` not a positive number.

    Examples
    --------
    >>> import pandas as pd
    >>> from revimpute.clean import clean
    >>> frame = pd.DataFrame({"age": ["34", "-999", "51", "", "28", "-999", "40", "45"]})
    >>> table = clean(frame)
    >>> table.frame["age"].tolist()
    [34, <NA>, 51, <NA>, 28, <NA>, 40, 45]
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputDataError(f"clean needs a pandas DataFrame, got {type(frame).__name__}")
    if frame.columns.has_duplicates:
        name = frame.columns[frame.columns.duplicated()][0]
        raise InputDataError(f"the column label {name!r} is used twice; give every column its own label")
    check_policy(detect)
    plan, _ = plan_table(lambda: [frame], detect, tokens, never, sample_rows=_check_rows(sample_rows),
                         random_state=random_state)
    chunk = plan.apply(frame)
    return CleanTable(chunk.frame, None, plan.detection(chunk), plan)


def read_clean(
    path: str | os.PathLike,
    detect: str = "auto",
    tokens: Iterable[str] = (),
    never: Iterable[str] = (),
    *,
    encoding: str | None = None,
    sep: str | None = None,
    sample_rows: int = SAMPLE_ROWS,
    random_state: Any = 0,
) -> CleanTable:
    """Read a table file, find its missing and disguised-missing cells, type its columns.

    Parameters
    ----------
    path : str or path-like
        ``.csv``, ``.tsv``, ``.txt`` (plain or ``.gz``) or ``.parquet``.
    detect : {"auto", "strict", "off"}, default="auto"
        Detection policy.
    tokens, never : iterable of str
        Extra missing-value tokens, and values never to flag.
    encoding, sep : str, optional
        CSV: the file's encoding and separator (found from the file when None).
    sample_rows, random_state
        As for :func:`clean`.

    Returns
    -------
    CleanTable
        With ``text`` (every cell as written) and ``dialect`` for a CSV file.

    Raises
    ------
    InputDataError
        If the file cannot be read as a table.
    RevimputeError
        If ``detect`` is not a policy.
    """
    check_policy(detect)
    _, fmt = check_input_file(path)
    dialect = csv_dialect(path, encoding, sep) if fmt == "csv" else None
    frame = read_table(path, as_text=True, dialect=dialect)
    table = clean(frame, detect, tokens, never, sample_rows=sample_rows, random_state=random_state)
    table.text = frame if dialect is not None else None
    table.dialect = dialect
    return table
