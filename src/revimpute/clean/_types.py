"""Column types from the cells' text: one rule for every path.

A column of text (every column of a CSV file; a text column of a Parquet
file or a DataFrame) gets the type its observed cells have once the missing
ones are set aside:

* ``empty``: no observed cell -- ``float64``, all NaN;
* ``integer``: every observed cell is a whole number written without a
  decimal part or exponent (``12``, ``-3``, ``1,234`` in a column of
  formatted numbers) -- ``int64``, or ``Int64`` when the column has gaps;
* ``number``: every observed cell is a number -- ``float64``;
* ``boolean``: every observed cell is ``true`` or ``false`` (any case,
  blanks around ignored) -- ``bool``, or ``boolean`` with gaps;
* ``datetime``: every observed cell is an ISO 8601 date or date-time, one
  time zone for all -- ``datetime64`` at the finest unit the values need;
* ``text`` otherwise (pandas' text dtype, gaps as NaN).

Numbers are read by Arrow's correctly rounded cast, the parser of the
detector: a plain decimal number (sign, digits, point, exponent) or
``inf``/``infinity``; in a column whose numbers the detector found written
with formatting (``12.5%``, ``1,234``) every cell is read through that format
(:func:`revimpute.detect.formatted.parse_formatted_numbers`). As the detector
decides, a column stays text when one of its numbers is too large to be held
exactly (``|x| >= 2**53``: long identifiers) or when at least a tenth of its
cells are written with leading zeros (``01234``: codes). A column of another
type (numbers, booleans, dates, categories of a typed table) keeps its
dtype; integer and boolean columns with gaps become ``Int64``/``boolean``.

The decision needs only counts and flags that add up over chunks
(:class:`ColumnStats`), and the conversion of a cell depends on its text and
the column's type alone (:func:`revimpute.clean._convert.convert_column`), so a table read in chunks of
any size is typed exactly as when read whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from revimpute.detect.formatted import NumberFormat, parse_formatted_numbers
from revimpute.detect.text import NUMBER_RE

#: The dtype pandas gives text columns ("str" in pandas 3, object before).
TEXT_DTYPE = pd.Series(["a"]).dtype
#: Largest magnitude a float64 holds every integer up to.
EXACT_LIMIT = 2.0**53
#: A column of numbers stays text when at least this share of its observed
#: cells are written with leading zeros (the detector's rule).
ZERO_PADDED_SHARE = 0.1
ZERO_PADDED_RE = r"^[-+]?0\d+(\.\d*)?$"
INFINITY_RE = r"^[-+]?(?i:inf|infinity)$"
INTEGER_RE = r"^[-+]?\d+$"
ISO_DATE_RE = r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?([+-]\d{2}:?\d{2}|Z)?$"
_BOOLEAN_TEXT = {"true": True, "false": False}
_UNITS = ("s", "ms", "us", "ns")  # the resolutions of pandas' datetime64, coarse to fine
KINDS = ("empty", "integer", "number", "boolean", "datetime", "text", "kept")


@dataclass(frozen=True)
class ColumnType:
    """The type of one column of a table.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS` (``"kept"``: a typed column keeps its type).
    dtype : numpy or pandas dtype
        The dtype every chunk of the column gets.
    """

    kind: str
    dtype: Any

    @property
    def label(self) -> str:
        """The kind in words as reports show it (a kept column: its dtype's family)."""
        if self.kind != "kept":
            return self.kind
        dtype = self.dtype
        if pd.api.types.is_bool_dtype(dtype):
            return "boolean"
        if pd.api.types.is_integer_dtype(dtype):
            return "integer"
        if pd.api.types.is_numeric_dtype(dtype):
            return "number"
        if pd.api.types.is_datetime64_any_dtype(dtype):
            return "datetime"
        if isinstance(dtype, pd.CategoricalDtype):
            return "category"
        return "text" if pd.api.types.is_string_dtype(dtype) else str(dtype)


def is_text_dtype(dtype: Any) -> bool:
    """Whether a column of this dtype is typed from its text (text or object, not a category)."""
    return bool(dtype == object or (pd.api.types.is_string_dtype(dtype)
                                    and not isinstance(dtype, pd.CategoricalDtype)))


def is_text_column(series: pd.Series) -> bool:
    """Whether a column is typed from its text (see :func:`is_text_dtype`)."""
    return is_text_dtype(series.dtype)


@dataclass
class DateStats:
    """What the ISO 8601 reading of a column gave so far (time zone, units, range)."""

    tz: Any = None
    units: set[str] = field(default_factory=set)
    low: Any = None
    high: Any = None

    def merge(self, other: DateStats) -> bool:
        """Add ``other``; False when the two cannot be one column (time zones differ)."""
        if self.units and other.units and self.tz != other.tz:
            return False
        if other.units:
            self.tz = other.tz
        self.units |= other.units
        for name, pick in (("low", min), ("high", max)):
            mine, theirs = getattr(self, name), getattr(other, name)
            setattr(self, name, theirs if mine is None else mine if theirs is None else pick(mine, theirs))
        return True

    def dtype(self) -> Any:
        """The column's dtype, or None when its values do not fit the finest unit they need."""
        unit = max(self.units, key=_UNITS.index)
        typed = pd.DatetimeTZDtype(unit, self.tz) if self.tz is not None else np.dtype(f"M8[{unit}]")
        try:
            pd.Series([self.low, self.high]).astype(typed)
        except (ValueError, OverflowError):
            return None
        return typed


@dataclass
class ColumnStats:
    """Counts and flags of one column that decide its type; they add up over chunks.

    Attributes
    ----------
    dtype : dtype
        The column's dtype as read.
    text : bool
        The column is typed from its text.
    observed, missing : int
        Cells observed and missing.
    mixed : bool
        A text column holding a value that is not text (left as it is).
    numbers, integers, booleans : bool
        Every observed cell is a number, a whole number written as one, a
        true/false word.
    inexact : bool
        Some number has ``|x| >= 2**53``.
    padded : int
        Observed cells written with leading zeros.
    dates : DateStats or None
        The ISO 8601 reading; None once a value refutes it.
    """

    dtype: Any
    text: bool
    observed: int = 0
    missing: int = 0
    mixed: bool = False
    numbers: bool = True
    integers: bool = True
    inexact: bool = False
    padded: int = 0
    booleans: bool = True
    dates: DateStats | None = field(default_factory=DateStats)

    def merge(self, other: ColumnStats) -> None:
        """Add the statistics of more rows of the same column."""
        self.observed += other.observed
        self.missing += other.missing
        self.mixed |= other.mixed
        self.numbers &= other.numbers
        self.integers &= other.integers
        self.inexact |= other.inexact
        self.padded += other.padded
        self.booleans &= other.booleans
        if self.dates is not None:
            if other.dates is None or not self.dates.merge(other.dates):
                self.dates = None


def _arrow_text(values: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.large_string())


def _matches(array: pa.Array, pattern: str) -> np.ndarray:
    if not len(array):
        return np.zeros(0, dtype=bool)
    hits = pc.match_substring_regex(array, pattern)
    return pc.fill_null(hits, False).to_numpy(zero_copy_only=False).astype(bool)


def parse_numbers(values: np.ndarray, fmt: NumberFormat | None = None) -> np.ndarray:
    """The number each text value writes (NaN where it writes none).

    Parameters
    ----------
    values : numpy.ndarray of str
    fmt : NumberFormat, optional
        The column's number format; every value is read through it.
    """
    if fmt is not None:
        numbers, _ = parse_formatted_numbers(values, decimal=fmt.decimal)
        return np.asarray(numbers, dtype=float)
    out = np.full(len(values), np.nan)
    if not len(values):
        return out
    stripped = pc.utf8_trim_whitespace(_arrow_text(values))
    idx = np.flatnonzero(_matches(stripped, NUMBER_RE) | _matches(stripped, INFINITY_RE))
    if idx.size:
        subset = pc.take(stripped, pa.array(idx))
        out[idx] = pc.cast(subset, pa.float64()).to_numpy(zero_copy_only=False)
    return out


def _written_whole(values: np.ndarray, numbers: np.ndarray, fmt: NumberFormat | None) -> np.ndarray:
    """Which values are whole numbers written without a decimal part or exponent."""
    stripped = pc.utf8_trim_whitespace(_arrow_text(values))
    if fmt is None:
        shown = _matches(stripped, INTEGER_RE)
    else:
        shown = ~pc.fill_null(pc.match_substring(stripped, fmt.decimal), False).to_numpy(
            zero_copy_only=False).astype(bool)
    with np.errstate(invalid="ignore"):
        return shown & np.isfinite(numbers) & (numbers == np.round(numbers))


def _date_stats(values: np.ndarray) -> DateStats | None:
    """The ISO 8601 reading of distinct values that all look like ISO dates (None if one fails)."""
    try:
        stamps = text_to_datetime(pd.Series(values, dtype=object))
    except (ValueError, TypeError, OverflowError):
        return None
    return DateStats(getattr(stamps.dtype, "tz", None), {stamps.dt.unit}, stamps.min(), stamps.max())


@dataclass
class _Properties:
    """What each of some distinct text values is (the inputs of the typing rules)."""

    numbers: np.ndarray  # the number it writes, NaN if none
    inexact: np.ndarray  # a number a float cannot hold exactly
    padded: np.ndarray  # written with leading zeros
    whole: np.ndarray  # a whole number written without a decimal part or exponent
    boolean: np.ndarray  # true / false
    iso: np.ndarray  # an ISO 8601 date or date-time


def _properties(uniques: np.ndarray, fmt: NumberFormat | None) -> _Properties:
    numbers = parse_numbers(uniques, fmt)
    arrow = _arrow_text(uniques)
    stripped = pc.utf8_trim_whitespace(arrow)
    with np.errstate(invalid="ignore"):
        inexact = np.isfinite(numbers) & (np.abs(numbers) >= EXACT_LIMIT)
    words = pc.is_in(pc.utf8_lower(stripped), value_set=pa.array(list(_BOOLEAN_TEXT), type=pa.large_string()))
    return _Properties(numbers, inexact, _matches(stripped, ZERO_PADDED_RE), _written_whole(uniques, numbers, fmt),
                       pc.fill_null(words, False).to_numpy(zero_copy_only=False).astype(bool),
                       _matches(arrow, ISO_DATE_RE))


def _stats_from(stats: ColumnStats, uniques: np.ndarray, counts: np.ndarray, props: _Properties) -> ColumnStats:
    """Fill ``stats`` from a column's distinct observed values, their counts and properties."""
    stats.numbers = not np.isnan(props.numbers).any()
    stats.inexact = bool(props.inexact.any())
    stats.padded = int(counts[props.padded].sum())
    stats.integers = stats.numbers and bool(props.whole.all())
    stats.booleans = bool(props.boolean.all())
    stats.dates = None if stats.numbers or stats.booleans or not props.iso.all() else _date_stats(uniques)
    return stats


def column_stats(series: pd.Series, missing: np.ndarray, fmt: NumberFormat | None = None) -> ColumnStats:
    """The statistics of one chunk of a column (``missing``: its cells treated as missing).

    The rules run on the column's distinct observed values.
    """
    stats = ColumnStats(series.dtype, is_text_column(series))
    stats.missing = int(missing.sum())
    stats.observed = len(series) - stats.missing
    if not stats.text or not stats.observed:
        return stats
    observed = series.to_numpy(dtype=object)[~missing]
    if not _all_text(observed):
        stats.mixed = True
        return stats
    codes, uniques = pd.factorize(observed)
    uniques = np.asarray(uniques, dtype=object)
    return _stats_from(stats, uniques, np.bincount(codes, minlength=len(uniques)), _properties(uniques, fmt))


def text_values(frame: pd.DataFrame) -> np.ndarray | None:
    """The cells of a frame whose columns all hold text, as one 2-D object array (else None)."""
    if all(is_text_dtype(dtype) for dtype in frame.dtypes):
        return frame.to_numpy(dtype=object)
    return None


def _column(frame: pd.DataFrame, values: np.ndarray | None, j: int) -> pd.Series:
    """Column ``j`` of ``frame`` (from ``values``, the frame's cells, when given)."""
    if values is None:
        return frame.iloc[:, j]
    return pd.Series(values[:, j], index=frame.index, name=frame.columns[j], dtype=object)


#: The columns read together by :func:`table_stats` and :func:`~revimpute.clean._convert.convert_table`
#: hold at most about this many cells, which bounds their working memory.
BATCH_CELLS = 1 << 20


def _batches(columns: list[int], n_rows: int) -> list[list[int]]:
    """``columns`` in consecutive groups of about :data:`BATCH_CELLS` cells."""
    size = max(1, BATCH_CELLS // max(n_rows, 1))
    return [columns[k:k + size] for k in range(0, len(columns), size)]


def table_stats(frame: pd.DataFrame, missing: np.ndarray, formats: dict[int, NumberFormat],
                values: np.ndarray | None = None) -> list[ColumnStats]:
    """:func:`column_stats` of every column of ``frame``, the text columns many at once.

    The distinct values of the plain text columns (no number format) are
    read together, in groups of about :data:`BATCH_CELLS` cells, so the cost
    does not grow with the number of columns beyond the cells themselves;
    the result is the same as column by column. ``values`` is the frame's
    cells when already at hand (:func:`text_values`).
    """
    dtypes = list(frame.dtypes)
    out: list[ColumnStats | None] = [None] * len(dtypes)
    plain = [j for j, dtype in enumerate(dtypes) if is_text_dtype(dtype) and j not in formats]
    for group in _batches(plain, frame.shape[0]) if len(plain) > 1 else []:
        cols = (values[:, group] if values is not None else frame.iloc[:, group].to_numpy(dtype=object)).T
        seen = ~missing[:, group].T
        cells = cols[seen]  # column by column
        if not _all_text(cells):
            continue
        counts = seen.sum(axis=1)
        column = np.repeat(np.arange(len(group)), counts)
        codes, uniques = pd.factorize(cells)
        props = _properties(np.asarray(uniques, dtype=object), None)
        tally = {name: np.bincount(column, weights=getattr(props, name)[codes], minlength=len(group))
                 for name in ("inexact", "padded", "boolean", "iso", "whole")}
        tally["numbers"] = np.bincount(column, weights=~np.isnan(props.numbers)[codes], minlength=len(group))
        starts = np.concatenate([[0], np.cumsum(counts)])
        tally = {name: sums.tolist() for name, sums in tally.items()}  # Python numbers: quicker below
        n_seen = counts.tolist()
        for i, j in enumerate(group):
            count = n_seen[i]
            stats = ColumnStats(dtypes[j], True, observed=count, missing=missing.shape[0] - count)
            if count:
                stats.numbers = tally["numbers"][i] == count
                stats.inexact = bool(tally["inexact"][i])
                stats.padded = int(tally["padded"][i])
                stats.integers = stats.numbers and tally["whole"][i] == count
                stats.booleans = tally["boolean"][i] == count
                dates = not (stats.numbers or stats.booleans) and tally["iso"][i] == count
                stats.dates = _date_stats(pd.unique(cells[starts[i]:starts[i + 1]])) if dates else None
            out[j] = stats
    for j in range(len(dtypes)):
        if out[j] is None:
            stats = column_stats(_column(frame, values, j), missing[:, j], formats.get(j))
            stats.dtype = dtypes[j]
            out[j] = stats
    return out  # type: ignore[return-value]


def _all_text(values: np.ndarray) -> bool:
    """Whether every value is a str (pandas' C type inference)."""
    return pd.api.types.infer_dtype(values, skipna=False) in ("string", "empty")


def decide(stats: ColumnStats) -> ColumnType:
    """The type of a column from its statistics over the whole table (see the module's notes)."""
    if not stats.text or stats.mixed:
        return ColumnType("kept", _kept_dtype(stats.dtype, stats.missing > 0))
    if not stats.observed:
        return ColumnType("empty", np.dtype(np.float64))
    gaps = stats.missing > 0
    if stats.numbers and not stats.inexact and stats.padded < ZERO_PADDED_SHARE * stats.observed:
        if stats.integers:
            return ColumnType("integer", pd.Int64Dtype() if gaps else np.dtype(np.int64))
        return ColumnType("number", np.dtype(np.float64))
    if stats.booleans:
        return ColumnType("boolean", pd.BooleanDtype() if gaps else np.dtype(bool))
    if stats.dates is not None and stats.dates.units:
        dtype = stats.dates.dtype()
        if dtype is not None:
            return ColumnType("datetime", dtype)
    return ColumnType("text", TEXT_DTYPE)


def _kept_dtype(dtype: Any, gaps: bool) -> Any:
    """A typed column's dtype once its gaps (if any) are NA."""
    if not gaps or not isinstance(dtype, np.dtype):
        return dtype
    return {"i": pd.Int64Dtype(), "u": pd.UInt64Dtype(), "b": pd.BooleanDtype()}.get(dtype.kind, dtype)


def text_to_boolean(series: pd.Series) -> pd.Series:
    """``True``/``False`` text (any case, surrounding blanks ignored) as ``boolean``."""
    return series.str.strip().str.lower().map(_BOOLEAN_TEXT).astype("boolean")


def text_to_datetime(series: pd.Series) -> pd.Series:
    """ISO 8601 text as ``datetime64``.

    Raises
    ------
    ValueError
        If a value is not a valid ISO 8601 date, the values mix time zones, or
        they do not fit the resolution the text needs.
    """
    return pd.to_datetime(series, format="ISO8601")
