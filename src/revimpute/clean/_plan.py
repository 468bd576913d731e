"""The cleaning plan of a table: found once, applied to any of its rows.

:func:`plan_table` makes two passes over a table given as chunks (a whole
frame is one chunk):

1. a uniform reservoir sample of ``sample_rows`` rows (the whole table when
   it has no more rows), on which the detector runs
   (:func:`revimpute.clean._rules.find_rules`);
2. every row checked against the detector's verdicts, counting per column
   what decides its type (:mod:`revimpute.clean._types`) and how many cells
   each finding covers.

The :class:`TablePlan` it returns turns any chunk into typed columns whose
missing cells are NaN/NA/NaT (:meth:`TablePlan.apply`). Sampling is keyed by
row position and the verdicts and conversions are cell by cell, so a table
read whole or in chunks of any size gives the same plan and the same typed
rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from revimpute.clean._rules import MissingRules, find_rules, recount
from revimpute.clean._sample import Reservoir
from revimpute.clean._convert import convert_table
from revimpute.clean._types import ColumnStats, ColumnType, decide, table_stats, text_values
from revimpute.detect import ColumnSummary, DetectionResult, Finding
from revimpute.exceptions import InputDataError


@dataclass
class CleanChunk:
    """Rows of a table, typed, with what is missing in them.

    Attributes
    ----------
    frame : DataFrame
        Typed columns, missing cells NaN/NA/NaT.
    missing : numpy.ndarray of bool
        Cells treated as missing.
    native : numpy.ndarray of bool
        Cells missing as read (NaN/None, empty text); ``missing & ~native``
        are the disguised ones.
    """

    frame: pd.DataFrame
    missing: np.ndarray
    native: np.ndarray


@dataclass
class TablePlan:
    """How to clean the rows of one table.

    Attributes
    ----------
    rules : MissingRules
        Which cells are missing.
    types : list of ColumnType
        Each column's type over the whole table.
    findings : list of Finding
        The disguised values, counted over the whole table.
    columns : list of ColumnSummary
        Per column: its type, native, disguised and missing cells.
    n_rows : int
        Rows in the table.
    sample_rows : int
        Rows the detector looked at (``n_rows`` when it saw them all).
    """

    rules: MissingRules
    types: list[ColumnType]
    findings: list[Finding]
    columns: list[ColumnSummary]
    n_rows: int
    sample_rows: int

    @property
    def policy(self) -> str:
        """The detection policy."""
        return self.rules.policy

    @property
    def sampled(self) -> bool:
        """Whether the detector saw only a sample of the rows."""
        return self.sample_rows < self.n_rows

    @property
    def notes(self) -> tuple[str, ...]:
        """What a user should know about the cleaning (the detector saw a sample)."""
        if self.sampled and self.policy != "off":
            return (f"the detector looked at a uniform sample of {self.sample_rows:,} of the "
                    f"{self.n_rows:,} rows; its findings are applied to every row",)
        return ()

    @property
    def empty_columns(self) -> list[Any]:
        """Labels of the columns with no observed cell."""
        return [label for label, summary in zip(self.rules.labels, self.columns)
                if summary.missing == summary.rows and summary.rows > 0]

    def value_writers(self, labels: list[Any]) -> dict[int, Callable[[Any], str]]:
        """Position (among ``labels``) -> how to write an imputed value of a column of formatted numbers.

        A column whose numbers are written with formatting (``12.5%``) gets
        its format's ``write`` where the format has one; other columns are
        written by :func:`revimpute.encode.cells.render_cell`.
        """
        position = {label: j for j, label in enumerate(labels)}
        writers = {}
        for j, fmt in self.rules.formats.items():
            write = getattr(fmt, "write", None)
            label = self.rules.labels[j]
            if callable(write) and label in position and self.types[j].kind in ("number", "integer"):
                writers[position[label]] = write
        return writers

    def columns_to_drop(self, drop: bool, fitting: bool) -> list[Any]:
        """The columns with no observed value to leave out (``drop``), else none.

        Raises
        ------
        InputDataError
            When an imputer is to be fitted (``fitting``) on columns with no
            observed value and ``drop`` is False: nothing can be learned to
            fill them.
        """
        empty = self.empty_columns
        if not empty or not (drop or fitting):
            return []
        if drop:
            return empty
        names = ", ".join(repr(str(label)) for label in empty)
        raise InputDataError(
            f"column(s) {names} have no observed value (every cell is missing), so nothing can be "
            "learned to fill them; leave them out with --drop-empty-columns (drop_empty_columns=True)"
        )

    def apply(self, chunk: pd.DataFrame) -> CleanChunk:
        """Rows of the table as typed columns, with their missing and native cells."""
        values = text_values(chunk)
        missing, native = self.rules.check(chunk, values)
        return CleanChunk(convert_table(chunk, missing, self.types, self.rules.formats, values), missing, native)

    def typed(self, chunk: pd.DataFrame, missing: np.ndarray | None = None) -> pd.DataFrame:
        """``chunk`` with every column in its table-wide type and missing cells NaN/NA/NaT."""
        values = text_values(chunk)
        if missing is None:
            missing, _ = self.rules.check(chunk, values)
        return convert_table(chunk, missing, self.types, self.rules.formats, values)

    def detection(self, chunk: CleanChunk) -> DetectionResult:
        """A :class:`DetectionResult` of the whole table held by ``chunk``."""
        frame = chunk.frame
        formats = {str(self.rules.labels[j]): fmt for j, fmt in self.rules.formats.items()
                   if self.types[j].kind in ("number", "integer")}
        return DetectionResult(
            findings=list(self.findings),
            mask=pd.DataFrame(chunk.missing, index=frame.index, columns=frame.columns),
            cleaned=frame,
            columns=list(self.columns),
            policy=self.policy,
            native=pd.DataFrame(chunk.native, index=frame.index, columns=frame.columns),
            formats=formats,
        )


@dataclass
class _Tally:
    """What the second pass counts."""

    stats: list[ColumnStats] | None = None
    native: np.ndarray | None = None
    missing: np.ndarray | None = None
    counts: dict[tuple[int, str], int] | None = None
    rows: int = 0

    def add(self, chunk: pd.DataFrame, rules: MissingRules) -> None:
        values = text_values(chunk)
        missing, native = rules.check(chunk, values)
        stats = table_stats(chunk, missing, rules.formats, values)
        if self.stats is None:
            self.stats, self.counts = stats, {}
            self.native = native.sum(axis=0)
            self.missing = missing.sum(axis=0)
        else:
            for mine, theirs in zip(self.stats, stats):
                mine.merge(theirs)
            self.native += native.sum(axis=0)
            self.missing += missing.sum(axis=0)
        self.rows += len(chunk)
        flagged = missing & ~native
        for j in np.flatnonzero(flagged.any(axis=0)):
            cells = (values[:, j] if values is not None else chunk.iloc[:, j].to_numpy(dtype=object))[flagged[:, j]]
            codes, uniques = pd.factorize(cells)
            for value, count in zip(uniques, np.bincount(codes)):
                key = rules.finding_key(int(j), value)
                self.counts[key] = self.counts.get(key, 0) + int(count)


def plan_table(
    chunks: Callable[[], Iterable[pd.DataFrame]],
    policy: str = "auto",
    tokens: Iterable[str] = (),
    never: Iterable[str] = (),
    *,
    sample_rows: int = 200_000,
    random_state: Any = 0,
) -> tuple[TablePlan, pd.DataFrame]:
    """Find how to clean a table given as chunks (see the module's notes).

    Parameters
    ----------
    chunks : callable
        Returns a fresh iterable of the table's chunks, in order, each time
        it is called (it is called twice).
    policy : {"auto", "strict", "off"}
        Detection policy.
    tokens, never : iterable of str
        Extra missing-value tokens, and values never to flag.
    sample_rows : int, default=200_000
        Rows the detector looks at: the whole table when it has no more,
        else a uniform reservoir sample of this many.
    random_state : int, RandomState, Generator or None, default=0
        Seed of the sample.

    Returns
    -------
    plan : TablePlan
    sample : DataFrame
        The rows the detector looked at, as given (in table order).

    Raises
    ------
    InputDataError
        From the chunks (an unreadable file).
    """
    tokens, never = list(tokens), list(never)
    reservoir = Reservoir(sample_rows, random_state)
    for chunk in chunks():
        reservoir.add(chunk)
        del chunk  # not held while the next chunk is read
    sample = reservoir.sample()
    rules, _ = find_rules(sample, policy, tokens, never)
    tally = _Tally()
    for chunk in chunks():
        if len(chunk):
            tally.add(chunk, rules)
        del chunk
    if tally.stats is None:  # no rows: the columns as the sample has them
        tally.add(sample, rules)
    types = [decide(stats) for stats in tally.stats]
    findings = recount(rules, tally.counts, tally.rows)
    dtype_names: dict[Any, str] = {}  # str() of a numpy dtype is slow; a table has few dtypes
    native, missing = tally.native.tolist(), tally.missing.tolist()
    summaries = [
        ColumnSummary(
            column=str(label), inferred=ctype.label, rows=tally.rows,
            native_missing=native[j], disguised=missing[j] - native[j], missing=missing[j],
            missing_share=float(missing[j] / tally.rows) if tally.rows else 0.0,
            cleaned_dtype=dtype_names.get(ctype.dtype) or dtype_names.setdefault(ctype.dtype, str(ctype.dtype)),
            format=rules.formats[j].describe() if j in rules.formats and ctype.kind in ("number", "integer")
            else "",
        )
        for j, (label, ctype) in enumerate(zip(rules.labels, types))
    ]
    plan = TablePlan(rules, types, findings, summaries, tally.rows, len(sample))
    return plan, sample
