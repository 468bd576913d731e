"""One column's distinct values and the verdict on each, and the numeric rules applied to them.

:func:`revimpute.detect.columns.scan_column` fills a :class:`ColumnScan`; the
numeric rules (:func:`add_numeric_evidence`) and the text rules
(:mod:`revimpute.detect.text_rules`) record their findings in it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from revimpute.detect.formatted import NumberFormat
from revimpute.detect.numeric import numeric_flags

__all__ = ["ColumnScan", "add_numeric_evidence", "times_words", "user_token_words"]


@dataclass
class ColumnScan:
    """Per-distinct-value classification of one column.

    Attributes
    ----------
    codes : numpy.ndarray of int
        ``pandas.factorize`` codes of the cells; -1 for NaN/None.
    counts : numpy.ndarray of int
        Cells per distinct value.
    numbers : numpy.ndarray of float
        The number each distinct value parses to (NaN if it does not).
    kinds : numpy.ndarray of object
        Kind of finding per distinct value, or None.
    confidence : numpy.ndarray of float
        Confidence per distinct value (0 where not suspicious).
    evidence : numpy.ndarray of object
        Evidence in words per distinct value ("" where not suspicious).
    native : numpy.ndarray of bool
        Distinct values that are missing under every policy (the empty
        string of a column read as text).
    write : callable
        ``write(i)`` returns distinct value ``i`` as written.
    family : str
        ``"numeric"``, ``"text"`` or ``"passthrough"`` (booleans, dates...).
    zero_padded : numpy.ndarray of bool or None
        Text values that are numbers written with leading zeros ("01234").
    format : NumberFormat or None
        How the numbers of a text column are written when some needed
        formatting (``12.5%``, ``1,234``); ``numbers`` then holds the numbers
        read through it. None otherwise.
    code_zero : numpy.ndarray of bool or None
        Distinct values that are a 0 right below a few small whole numbers
        (see :class:`revimpute.detect.numeric.NumericFlag`); None until the
        numeric rules ran.
    natural_zero : bool
        The numeric rules judged the column's 0 a natural value.
    """

    codes: np.ndarray
    counts: np.ndarray
    numbers: np.ndarray
    kinds: np.ndarray
    confidence: np.ndarray
    evidence: np.ndarray
    native: np.ndarray
    write: Callable[[int], str]
    family: str
    zero_padded: np.ndarray | None = None
    format: NumberFormat | None = None
    code_zero: np.ndarray | None = None
    natural_zero: bool = False

    def set(self, i: int, kind: str, conf: float, words: str) -> None:
        """Record a finding for value ``i`` unless a stronger one is there."""
        if conf > self.confidence[i]:
            self.kinds[i] = kind
            self.confidence[i] = conf
            self.evidence[i] = words


def times_words(count: int) -> str:
    """``once`` or ``N times``."""
    return "once" if count == 1 else f"{count} times"


def user_token_words(written: str) -> str:
    """The evidence of a value the user listed as a missing-value token."""
    return f"{written!r} is listed by the user as a missing-value token"


def add_numeric_evidence(scan: ColumnScan, extra_numbers: np.ndarray, subset: np.ndarray) -> None:
    """Numeric evidence for the distinct values in ``subset``."""
    numbers = scan.numbers
    if extra_numbers.size:
        user = np.isin(numbers[subset], extra_numbers)
        for i in subset[user]:
            scan.set(int(i), "null_token", 1.0, user_token_words(scan.write(int(i))))
        subset = subset[~user]
    finite = subset[np.isfinite(numbers[subset])]
    if finite.size < 3:
        return
    values, inverse = np.unique(numbers[finite], return_inverse=True)
    totals = np.bincount(inverse, weights=scan.counts[finite]).astype(np.int64)
    for flag in numeric_flags(values, totals, weak=True):
        if flag.kind == "natural":
            scan.natural_zero = True
            continue
        for i in finite[numbers[finite] == flag.value]:
            scan.set(int(i), flag.kind, flag.confidence, flag.evidence)
            if flag.code:
                if scan.code_zero is None:
                    scan.code_zero = np.zeros(scan.counts.size, dtype=bool)
                scan.code_zero[i] = True
