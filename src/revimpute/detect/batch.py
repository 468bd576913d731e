"""Scan many short text columns at once.

Scanned one by one (:func:`revimpute.detect.columns.scan_column`), each
column of a table costs a factorisation and a dozen Arrow calls, whatever its
length; a wide table of few rows spends nearly all its time there. Here the
text columns (``object`` dtype, every value a ``str``) of such a table are
factorised together, in groups of about :data:`GROUP_CELLS` cells, and the
per-value work -- number parsing, stripping, token matching, placeholder
shapes -- runs once over the distinct values of a whole group. That settles
most columns without scanning them on their own:

* **quiet** columns: every value is a plain number (fewer than three distinct
  written values) or every value is a word, and no value carries a mark
  (below). No rule of the column scan (:mod:`revimpute.detect.text_rules`) can flag anything in
  them: their only verdict is the empty cell's;
* **number** columns: every value is a plain number, at least three distinct
  ones, none carrying a mark. Of the text rules only the numeric ones can
  fire (:func:`revimpute.detect.columns.scan_number_text`), on the numbers
  already parsed;
* every other column (a mark, numbers mixed with words, a value that is not a
  ``str``) is scanned on its own.

A value carries a mark when it is only whitespace, normalises to a null-like
or user token, is a user token as a number, is a run of zeros (``00``), or,
not being a number, has a placeholder shape or is made only of the
characters of formatted numbers (``1,234``, ``12.5%``, ``-``). These tests
are wider than the rules they stand for (a long value is never a token
there, a shaped value is often left alone), so a column settled here gets
exactly the scan it would get on its own; :meth:`TextGroup.scan` builds that
scan when the table-level rules need it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from revimpute.detect import tokens as tk
from revimpute.detect.columns import (
    FLOAT_EXACT,
    INT64_LIMIT,
    ZERO_PADDED_RE,
    ZERO_PADDED_SHARE,
    scan_number_text,
)
from revimpute.detect.scan import ColumnScan
from revimpute.detect.text import TextValues
from revimpute.detect.text_rules import FORMATTED_CHARS, PLACEHOLDER_MAX_LEN, SHAPE_RE

#: Routes of a column: settled here (quiet, numbers) or scanned on its own.
QUIET, NUMBERS, OWN = 0, 1, 2
#: Cells factorised together at most (a group holds at least one column).
GROUP_CELLS = 1 << 20


@dataclass
class TextGroup:
    """Text columns of one table factorised together.

    Each column's distinct values are numbered in the order they first
    appear, as ``pandas.factorize`` numbers them for the column alone; the
    pairs (column, distinct value) of all columns are stored one after the
    other.

    Attributes
    ----------
    positions : numpy.ndarray of int
        The columns' positions in the table.
    route : numpy.ndarray of int
        Per column: :data:`QUIET`, :data:`NUMBERS` or :data:`OWN`.
    codes : numpy.ndarray of int
        Shape ``(columns, rows)``: each cell's distinct value in its column,
        -1 for NaN/None.
    starts : numpy.ndarray of int
        Column ``k``'s pairs are ``starts[k]:starts[k + 1]``.
    counts : numpy.ndarray of int
        Cells per pair.
    value : numpy.ndarray of int
        Per pair, its value among ``texts``.
    texts : numpy.ndarray of object
        The distinct values of the whole group (a value that is not a
        ``str`` is held as ``""``; its column is scanned on its own).
    numbers : numpy.ndarray of float
        The number each text writes (NaN when none).
    empty, padded : numpy.ndarray of bool
        Texts that are ``""``; texts written with leading zeros (``01234``).
    detect : bool
        Whether the rules run (policy other than ``"off"``).
    """

    positions: np.ndarray
    route: np.ndarray
    codes: np.ndarray
    starts: np.ndarray
    counts: np.ndarray
    value: np.ndarray
    texts: np.ndarray
    numbers: np.ndarray
    empty: np.ndarray
    padded: np.ndarray
    detect: bool

    def scan(self, k: int) -> ColumnScan:
        """The scan :func:`~revimpute.detect.columns.scan_column` gives column ``k`` (not :data:`OWN`)."""
        lo, hi = int(self.starts[k]), int(self.starts[k + 1])
        value = self.value[lo:hi]
        n = hi - lo
        texts = self.texts[value]
        scan = ColumnScan(np.asarray(self.codes[k], dtype=np.int64), self.counts[lo:hi].copy(),
                          self.numbers[value], np.full(n, None, dtype=object), np.zeros(n),
                          np.full(n, "", dtype=object), self.empty[value], lambda i: texts[int(i)],
                          "text", zero_padded=self.padded[value])
        if self.detect:
            for i in np.flatnonzero(scan.native):
                scan.set(int(i), "null_token", 1.0, "empty cell")
            if self.route[k] == NUMBERS:
                scan_number_text(scan)
        return scan

    def pair_cells(self) -> np.ndarray:
        """Shape ``(columns, rows)``: each cell's pair, -1 for NaN/None."""
        return np.where(self.codes >= 0, self.codes + self.starts[:-1, None], -1)


def _marks(values: TextValues, extra_norm: frozenset[str], extra_numbers: np.ndarray) -> np.ndarray:
    """Which values send their column to its own scan (see the module's notes)."""
    is_num = ~np.isnan(values.numbers)
    empty = values.equals("")
    norm = values.normalized()
    marks = values.equals("", stripped=True) & ~empty
    marks |= values.is_in(norm, frozenset(tk.TOKEN_CONFIDENCE) | extra_norm)
    marks |= values.is_in(norm, extra_norm) | np.isin(values.numbers, extra_numbers)
    marks |= is_num & values.fullmatch(r"0{2,}")
    shaped = values.fullmatch(SHAPE_RE) | values.run_candidates(np.arange(values.size))
    shaped &= values.lengths() <= PLACEHOLDER_MAX_LEN
    marks |= ~is_num & ~empty & (shaped | values.fullmatch(FORMATTED_CHARS))
    return marks


def _pairs(cells: np.ndarray, n_rows: int, n_cols: int) -> tuple[np.ndarray, ...]:
    """Factorise the cells of ``n_cols`` columns laid end to end.

    Returns the distinct values, the local code of each cell (-1 for
    NaN/None), each column's first pair, each pair's count and value.
    """
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    seen = codes >= 0
    column = np.repeat(np.arange(n_cols, dtype=np.int64), n_rows)[seen]
    keys = column * max(len(uniques), 1) + codes[seen]
    pair, pair_keys = pd.factorize(keys)  # in order of first appearance, column after column
    pair_keys = np.asarray(pair_keys, dtype=np.int64)
    starts = np.searchsorted(pair_keys // max(len(uniques), 1), np.arange(n_cols + 1))
    local = np.full(cells.size, -1, dtype=np.int64)
    local[seen] = pair - starts[column]
    counts = np.bincount(pair, minlength=pair_keys.size).astype(np.int64)
    return (np.asarray(uniques, dtype=object), local.reshape(n_cols, n_rows), starts, counts,
            pair_keys % max(len(uniques), 1))


def scan_group(values: np.ndarray, positions: np.ndarray, *, detect: bool,
               extra_norm: frozenset[str], extra_numbers: np.ndarray) -> TextGroup:
    """Factorise text columns together and route each (see the module's notes).

    Parameters
    ----------
    values : numpy.ndarray of object
        Shape ``(rows, columns)``: the columns' cells.
    positions : numpy.ndarray of int
        The columns' positions in the table.
    detect : bool
        False for policy ``"off"``.
    extra_norm, extra_numbers
        User tokens, normalised, and those that are numbers.

    Returns
    -------
    TextGroup
    """
    n_rows, n_cols = values.shape
    uniques, codes, starts, counts, value = _pairs(values.T.ravel(), n_rows, n_cols)
    is_str = np.fromiter((type(u) is str for u in uniques), dtype=bool, count=len(uniques))
    texts = uniques if is_str.all() else np.where(is_str, uniques, "")
    text = TextValues(texts)
    numbers = text.numbers
    empty = text.equals("")
    padded = text.fullmatch(ZERO_PADDED_RE)

    pair_column = np.repeat(np.arange(n_cols), np.diff(starts))

    def per_column(flags: np.ndarray) -> np.ndarray:
        return np.bincount(pair_column, weights=flags[value], minlength=n_cols) > 0

    own = per_column(~is_str)
    route = np.full(n_cols, QUIET, dtype=np.int8)
    if detect:
        is_num = ~np.isnan(numbers)
        own |= per_column(_marks(text, extra_norm, extra_numbers))
        has_num, has_word = per_column(is_num), per_column(~is_num & ~empty)
        own |= has_num & has_word
        finite = np.bincount(pair_column, weights=np.isfinite(numbers)[value], minlength=n_cols)
        route[has_num & (finite >= 3)] = NUMBERS
    route[own] = OWN
    return TextGroup(np.asarray(positions, dtype=np.int64), route, codes, starts, counts, value, texts,
                     numbers, empty, padded, detect)


def text_groups(frame: pd.DataFrame, positions: list[int], *, detect: bool, extra_norm: frozenset[str],
                extra_numbers: np.ndarray, values: np.ndarray | None = None) -> list[TextGroup]:
    """:func:`scan_group` over ``positions`` (text columns of ``frame``), about :data:`GROUP_CELLS` cells at a time.

    ``values``: the frame's cells as one object array, when at hand.
    """
    n_rows = frame.shape[0]
    size = max(1, GROUP_CELLS // max(n_rows, 1))
    groups = []
    for start in range(0, len(positions), size):
        chosen = positions[start:start + size]
        cells = values[:, chosen] if values is not None else frame.iloc[:, chosen].to_numpy(dtype=object)
        groups.append(scan_group(cells, np.asarray(chosen), detect=detect, extra_norm=extra_norm,
                                 extra_numbers=extra_numbers))
    return groups


@dataclass
class Settled:
    """The cleaned form of columns of a group in which nothing is flagged.

    Their mask is their native gaps (NaN/None and empty text); this is what
    :func:`revimpute.detect.detector.detect_missing` makes of such a column,
    for many columns at once.

    Attributes
    ----------
    ks : numpy.ndarray of int
        The columns (within the group).
    native : numpy.ndarray of bool
        Shape ``(len(ks), rows)``: the cells treated as missing.
    inferred : numpy.ndarray of str
        Per column: ``"empty"``, ``"numeric"`` or ``"text"``.
    integral : numpy.ndarray of bool
        Per column: a numeric column with no gap whose numbers are all whole
        (``int64``; other numeric columns are ``float64``).
    numbers : numpy.ndarray of float
        Shape ``(len(ks), rows)``: each cell's number, NaN where native.
    """

    ks: np.ndarray
    native: np.ndarray
    inferred: np.ndarray
    integral: np.ndarray
    numbers: np.ndarray


def settle(group: TextGroup, ks: np.ndarray) -> Settled:
    """The cleaned form of columns ``ks`` of ``group`` (none of whose values is flagged)."""
    ks = np.asarray(ks, dtype=np.int64)
    n_cols, n_rows = group.codes.shape
    pairs = group.pair_cells()[ks]
    pair_empty = group.empty[group.value]
    pair_number = group.numbers[group.value]
    if pair_empty.size:
        native = (pairs < 0) | pair_empty[np.maximum(pairs, 0)]
        numbers = np.where(native, np.nan, pair_number[np.maximum(pairs, 0)])
    else:
        native = np.ones(pairs.shape, dtype=bool)
        numbers = np.full(pairs.shape, np.nan)
    n_native = native.sum(axis=1)

    pair_column = np.repeat(np.arange(n_cols), np.diff(group.starts))
    kept = ~pair_empty

    def total(weights: np.ndarray) -> np.ndarray:
        return np.bincount(pair_column, weights=weights, minlength=n_cols)[ks]

    with np.errstate(invalid="ignore"):
        finite = np.isfinite(pair_number)
        inexact = finite & (np.abs(pair_number) >= FLOAT_EXACT)
        whole = finite & (pair_number == np.round(pair_number)) & (np.abs(pair_number) < INT64_LIMIT)
    kept_cells = total(group.counts * kept)
    padded_cells = total(group.counts * (kept & group.padded[group.value]))
    numeric = ((total(kept) > 0) & (total(kept & np.isnan(pair_number)) == 0)
               & (total(kept & inexact) == 0) & ~(padded_cells >= ZERO_PADDED_SHARE * kept_cells))
    integral = numeric & (n_native == 0) & (total(kept & ~whole) == 0)
    inferred = np.where(numeric, "numeric", "text").astype(object)
    if n_rows:
        inferred[n_native == n_rows] = "empty"
    return Settled(ks, native, inferred, integral & (inferred == "numeric"), numbers)
