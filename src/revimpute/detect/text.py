"""Vectorised operations on the distinct text values of one column.

The detector never loops over cells, and for free-text or high-precision
columns it must not loop over distinct values in Python either: a column read
as text can hold a million distinct strings. :class:`TextValues` keeps them as
one Arrow array and runs stripping, case folding, number parsing and pattern
tests with ``pyarrow.compute`` kernels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from revimpute.detect.number_shapes import format_number

#: A decimal number as people write it: sign, digits, point, exponent.
NUMBER_RE = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"


def as_text(value: object) -> str:
    """Write one non-missing value as text (numbers without a trailing ``.0``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return format_number(float(value))
    return str(value)


def _to_arrow(values) -> pa.Array:
    """Distinct values (an Index, array or list) as an Arrow string array."""
    array = getattr(values, "array", values)
    if isinstance(getattr(array, "dtype", None), pd.StringDtype):
        try:
            return pa.array(array)
        except (TypeError, pa.ArrowInvalid):
            pass
    raw = np.asarray(values, dtype=object)
    if pd.api.types.infer_dtype(raw, skipna=False) not in ("string", "empty"):
        raw = np.array([as_text(value) for value in raw], dtype=object)
    return pa.array(raw, type=pa.large_string())


class TextValues:
    """The distinct values of a text column, with parsed numbers.

    Parameters
    ----------
    values : pandas.Index, array-like
        Distinct values (strings, or objects written as text).

    Attributes
    ----------
    arrow : pyarrow.Array
        The values as written.
    stripped : pyarrow.Array
        The values without leading/trailing whitespace.
    numbers : numpy.ndarray of float
        The number each value writes (NaN when it is not a plain decimal
        number; "inf" and "nan" are words, not numbers).
    """

    def __init__(self, values) -> None:
        self.arrow = _to_arrow(values)
        self.size = len(self.arrow)
        self.stripped = pc.utf8_trim_whitespace(self.arrow)
        self.numbers = self._parse_numbers()

    def _parse_numbers(self) -> np.ndarray:
        numbers = np.full(self.size, np.nan)
        if not self.size:
            return numbers
        try:  # fast path: every value is a number
            parsed = pc.cast(self.stripped, pa.float64()).to_numpy(zero_copy_only=False)
            if np.isfinite(parsed).all():
                return parsed
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        looks = pc.fill_null(pc.match_substring_regex(self.stripped, NUMBER_RE), False)
        idx = np.flatnonzero(looks.to_numpy(zero_copy_only=False))
        if idx.size:
            subset = pc.take(self.stripped, pa.array(idx))
            try:
                parsed = pc.cast(subset, pa.float64()).to_numpy(zero_copy_only=False)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                parsed = pd.to_numeric(pd.Series(subset.to_pylist(), dtype=object),
                                       errors="coerce").to_numpy(dtype=float)
            numbers[idx] = parsed
        return numbers

    def text(self, i: int) -> str:
        """Value ``i`` as written."""
        return str(self.arrow[int(i)].as_py())

    def stripped_text(self, i: int) -> str:
        """Value ``i`` without surrounding whitespace."""
        return str(self.stripped[int(i)].as_py())

    def _take(self, array: pa.Array, idx: np.ndarray | None) -> pa.Array:
        if idx is None:
            return array
        return pc.take(array, pa.array(np.asarray(idx, dtype=np.int64)))

    def normalized(self, idx: np.ndarray | None = None) -> pa.Array:
        """Stripped, lower-cased values with inner whitespace collapsed."""
        lower = pc.utf8_lower(self._take(self.stripped, idx))
        return pc.replace_substring_regex(lower, r"\s+", " ")

    def is_in(self, normalized: pa.Array, values: frozenset[str] | set[str]) -> np.ndarray:
        """Which normalised values belong to ``values``."""
        if not values or not len(normalized):
            return np.zeros(len(normalized), dtype=bool)
        hits = pc.is_in(normalized, value_set=pa.array(sorted(values), type=normalized.type))
        return hits.to_numpy(zero_copy_only=False).astype(bool)

    def fullmatch(self, pattern: str, idx: np.ndarray | None = None) -> np.ndarray:
        """Which stripped values match ``pattern`` entirely (RE2 syntax)."""
        values = self._take(self.stripped, idx)
        if not len(values):
            return np.zeros(0, dtype=bool)
        hits = pc.match_substring_regex(values, f"^(?:{pattern})$")
        return pc.fill_null(hits, False).to_numpy(zero_copy_only=False).astype(bool)

    def lengths(self, idx: np.ndarray | None = None) -> np.ndarray:
        """Length in characters of the stripped values."""
        values = self._take(self.stripped, idx)
        return pc.utf8_length(values).to_numpy(zero_copy_only=False).astype(np.int64)

    def has_lower(self, idx: np.ndarray | None = None) -> np.ndarray:
        """Which stripped values contain a lower-case letter."""
        values = self._take(self.stripped, idx)
        if not len(values):
            return np.zeros(0, dtype=bool)
        hits = pc.match_substring_regex(values, r"\p{Ll}")
        return pc.fill_null(hits, False).to_numpy(zero_copy_only=False).astype(bool)

    def equals(self, value: str, stripped: bool = False) -> np.ndarray:
        """Which values equal ``value`` (as written, or stripped)."""
        values = self.stripped if stripped else self.arrow
        hits = pc.equal(values, pa.scalar(value, type=values.type))
        return pc.fill_null(hits, False).to_numpy(zero_copy_only=False).astype(bool)

    def run_candidates(self, idx: np.ndarray) -> np.ndarray:
        """Among ``idx``, values of 3+ characters whose first, second and last match.

        A cheap vectorised pre-filter for runs of one character; the exact
        test is :func:`revimpute.detect.tokens.repeated_run`.
        """
        values = self._take(self.stripped, idx)
        if not len(values):
            return np.zeros(0, dtype=bool)
        first = pc.utf8_slice_codeunits(values, 0, 1)
        second = pc.utf8_slice_codeunits(values, 1, 2)
        last = pc.utf8_slice_codeunits(values, -1)
        long_enough = pc.greater_equal(pc.utf8_length(values), 3)
        same = pc.and_(pc.and_(pc.equal(first, second), pc.equal(first, last)), long_enough)
        return pc.fill_null(same, False).to_numpy(zero_copy_only=False).astype(bool)
