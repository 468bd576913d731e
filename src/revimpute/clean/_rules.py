"""Which cells are missing: the detector's findings as rules any rows can be checked against.

The detector looks at a table (or a uniform sample of its rows) and flags
values of each column. :class:`MissingRules` keeps, per column, the exact
values it flagged, and marks a cell missing when it is

* native: NaN/None, or the empty text ``""``;
* one of the values the detector flagged in its column (matched exactly:
  the text as written, or the number of a typed column);
* a value the user listed with ``tokens`` (matched as the detector matches
  them: stripped and case-folded text, or the same number), unless it is
  also listed in ``never`` -- so a ``--token`` value is found in rows the
  detector never saw.

A cell's verdict depends on its own value and its column only, so rows
checked in chunks of any size get the verdicts of the whole table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from revimpute.clean._types import is_text_column, is_text_dtype, parse_numbers
from revimpute.detect import DetectionResult, Finding, detect_missing
from revimpute.detect import tokens as tk
from revimpute.detect.formatted import NumberFormat
from revimpute.detect.text import TextValues, as_text

USER_TOKEN_EVIDENCE = "{value!r} is listed by the user as a missing-value token"


def _user_values(values: Iterable[str]) -> tuple[frozenset[str], np.ndarray]:
    """User-given values, normalised as text and as numbers (as the detector reads them)."""
    if isinstance(values, str):
        values = (values,)
    texts = [value if isinstance(value, str) else str(value) for value in values]
    if not texts:
        return frozenset(), np.zeros(0)
    norm = frozenset(tk.normalize(texts).tolist())
    numbers = pd.to_numeric(pd.Series(texts, dtype=object).str.strip(), errors="coerce").to_numpy(dtype=float)
    return norm, numbers[~np.isnan(numbers)]


@dataclass
class MissingRules:
    """The cells to treat as missing in a table, checkable on any of its rows.

    Attributes
    ----------
    policy : str
        The detection policy the rules come from.
    labels : list
        The table's column labels.
    flagged : list of numpy.ndarray
        Per column, the values the detector flagged (text as written, or numbers).
    formats : dict of int to NumberFormat
        Columns (by position) whose numbers are written with formatting.
    findings : list of Finding
        The detector's findings, as counted on the rows it saw.
    tokens, token_numbers : frozenset of str, numpy.ndarray
        The user's missing-value tokens, normalised, and those that are numbers.
    never, never_numbers : frozenset of str, numpy.ndarray
        The user's values never to flag.
    """

    policy: str
    labels: list[Any]
    flagged: list[np.ndarray]
    formats: dict[int, NumberFormat] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    tokens: frozenset[str] = frozenset()
    token_numbers: np.ndarray = field(default_factory=lambda: np.zeros(0))
    never: frozenset[str] = frozenset()
    never_numbers: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def format_of(self, j: int) -> NumberFormat | None:
        """The number format of column ``j``, if it has one."""
        return self.formats.get(j)

    def check(self, chunk: pd.DataFrame, values: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(missing, native)``: boolean arrays shaped like ``chunk``.

        ``native`` marks NaN/None and empty-text cells, ``missing`` those and
        every flagged cell. ``values``: the chunk's cells as one object array,
        when at hand (all columns text).

        Raises
        ------
        ValueError
            If ``chunk`` does not have the table's columns.
        """
        if chunk.columns.tolist() != list(self.labels):
            raise ValueError(f"the rows have columns {list(chunk.columns)!r}, expected {list(self.labels)!r}")
        text = np.array([is_text_dtype(dtype) for dtype in chunk.dtypes], dtype=bool)
        if text.all():  # one pass over all the cells
            values = chunk.to_numpy(dtype=object) if values is None else values
            native = pd.isna(values) | (values == "")
        else:
            native = chunk.isna().to_numpy(dtype=bool)
            for j in np.flatnonzero(text):
                native[:, j] |= (chunk.iloc[:, j] == "").to_numpy(dtype=bool)
        missing = native.copy()
        user = bool(self.tokens) or bool(self.token_numbers.size)
        for j in range(chunk.shape[1]):
            if user or self.flagged[j].size:
                missing[:, j] |= self._flagged(chunk.iloc[:, j], j)
        return missing, native

    def _flagged(self, series: pd.Series, j: int) -> np.ndarray:
        hit = np.zeros(len(series), dtype=bool)
        if self.flagged[j].size:
            hit |= series.isin(self.flagged[j]).to_numpy(dtype=bool)
        if self.tokens or self.token_numbers.size:
            hit |= self._user_tokens(series, j)
        return hit

    def _user_tokens(self, series: pd.Series, j: int) -> np.ndarray:
        """Cells holding a user token (and no value never to flag)."""
        observed = series.notna().to_numpy(dtype=bool)
        if not observed.any():
            return np.zeros(len(series), dtype=bool)
        values = series[observed]
        codes, uniques = pd.factorize(values)
        uniques = np.asarray(uniques, dtype=object)
        if is_text_column(series):
            values = TextValues(uniques)  # the detector's normalisation (stripped, case-folded)
            norm = values.normalized()
            numbers = parse_numbers(values.arrow.to_numpy(zero_copy_only=False), self.format_of(j))
            token = values.is_in(norm, self.tokens) | np.isin(numbers, self.token_numbers)
            never = values.is_in(norm, self.never) | np.isin(numbers, self.never_numbers)
            token &= ~values.equals("", stripped=True)
        elif pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
            numbers = uniques.astype(float)
            token = np.isin(numbers, self.token_numbers)
            never = np.isin(numbers, self.never_numbers)
        else:
            return np.zeros(len(series), dtype=bool)
        out = np.zeros(len(series), dtype=bool)
        out[observed] = (token & ~never)[codes]
        return out

    def finding_key(self, j: int, value: Any) -> tuple[int, str]:
        """The key of the finding a flagged value of column ``j`` belongs to."""
        return j, as_text(value)

    def user_finding(self, j: int, value: Any, count: int, n_rows: int) -> Finding:
        """A finding for a user token the detector did not see (in rows outside its sample)."""
        written = as_text(value)
        return Finding(column=str(self.labels[j]), value=written, count=count,
                       share=count / n_rows if n_rows else 0.0, kind="null_token",
                       evidence=USER_TOKEN_EVIDENCE.format(value=written), confidence=1.0)


def find_rules(
    frame: pd.DataFrame,
    policy: str = "auto",
    tokens: Iterable[str] = (),
    never: Iterable[str] = (),
) -> tuple[MissingRules, DetectionResult]:
    """Run the detector on ``frame`` and keep its verdicts as :class:`MissingRules`.

    Parameters
    ----------
    frame : DataFrame
        The table or a sample of its rows (text as written for a CSV file).
    policy : {"auto", "strict", "off"}
    tokens, never : iterable of str
        Extra missing-value tokens, and values never to flag.

    Returns
    -------
    (MissingRules, DetectionResult)
    """
    tokens, never = list(tokens), list(never)
    result = detect_missing(frame, policy=policy, extra_tokens=tokens, never_flag=never)
    mask = result.mask.to_numpy(dtype=bool)
    native = result.native.to_numpy(dtype=bool) if result.native is not None else np.zeros_like(mask)
    disguised = mask & ~native
    flagged = [np.zeros(0, dtype=object)] * frame.shape[1]
    for j in np.flatnonzero(disguised.any(axis=0)):
        values = frame.iloc[:, j].to_numpy(dtype=object)[disguised[:, j]]
        flagged[j] = np.asarray(pd.unique(pd.Series(values, dtype=object)), dtype=object)
    labels = frame.columns.tolist()
    position = {str(label): j for j, label in enumerate(labels)}
    formats = {position[name]: fmt for name, fmt in result.formats.items() if name in position}
    use_tokens = policy != "off"
    token_norm, token_numbers = _user_values(tokens) if use_tokens else (frozenset(), np.zeros(0))
    never_norm, never_numbers = _user_values(never)
    rules = MissingRules(policy, labels, flagged, formats, list(result.findings),
                         token_norm, token_numbers, never_norm, never_numbers)
    return rules, result


def recount(rules: MissingRules, counts: dict[tuple[int, str], int], n_rows: int) -> list[Finding]:
    """The findings with their counts and shares over the whole table.

    Parameters
    ----------
    rules : MissingRules
    counts : dict
        :meth:`MissingRules.finding_key` -> cells flagged in the whole table.
    n_rows : int
        Rows of the whole table.

    Returns
    -------
    list of Finding
        The detector's findings (a finding whose value no row holds is left
        out), then findings for user tokens the detector did not see; by
        column, then by count (largest first).
    """
    out: list[tuple[int, Finding]] = []
    known = set()
    positions = {str(label): j for j, label in enumerate(rules.labels)}
    for finding in rules.findings:
        j = positions.get(finding.column)
        if j is None:
            continue
        key = (j, finding.value)
        known.add(key)
        count = counts.get(key, 0)
        if count:
            out.append((j, replace(finding, count=count, share=count / n_rows if n_rows else 0.0)))
    for (j, value), count in counts.items():
        if (j, value) not in known and count:
            out.append((j, rules.user_finding(j, value, count, n_rows)))
    out.sort(key=lambda item: (item[0], -item[1].count, item[1].value))
    return [finding for _, finding in out]
