"""Read numbers written with formatting: ``12.5%``, ``1,234``, ``$1,234.50``, ``(12.5)``.

Open-data files often write their numbers for people rather than for
programs: a percent sign, thousands separators, a currency sign, parentheses
around negative amounts, or a decimal comma (``1.234,5``). Read plainly, such
a column is text, and a suppression marker inside it (``s``, ``NR``, ``*``)
is invisible. :func:`parse_formatted_numbers` reads those numbers with Arrow
kernels over the values given (the distinct values of a column), never in a
Python loop over them.

The number returned is the number as written, without its decorations:
``"12.5%"`` gives ``12.5`` (not ``0.125``), ``"$1,234.50"`` gives ``1234.5``,
``"(12.5)"`` gives ``-12.5``. What decorations were seen is returned as a
:class:`NumberFormat`, so that a caller can write numbers back the same way or
keep the original text.

>>> numbers, fmt = parse_formatted_numbers(["12.5%", "1,234", "(3)", "s"])
>>> numbers.tolist()[:3], fmt.describe()
([12.5, 1234.0, -3.0], 'percent, thousands separator ",", parentheses for negatives')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Currency signs read before or after a number.
CURRENCY_SIGNS = "$€£¥"

_CUR = f"[{CURRENCY_SIGNS}]"
_GROUPS = {
    # decimal point: thousands written with ",", "'" or a no-break space
    ".": r"\d{1,3}(?:[,'\x{00a0}\x{202f}]\d{3})+|\d+",
    # decimal comma: thousands written with ".", "'", a space or a no-break space
    ",": r"\d{1,3}(?:[.' \x{00a0}\x{202f}]\d{3})+|\d+",
}
_EMPTY = pa.scalar("", type=pa.large_string())
_THOUSANDS_CHARS = {".": [",", "'", "\u00a0", "\u202f"], ",": [".", "'", " ", "\u00a0", "\u202f"]}


def _pattern(decimal: str) -> str:
    point = re_escape(decimal)
    body = rf"(?:{_GROUPS[decimal]})(?:{point}\d*)?|{point}\d+"
    return (
        r"^\s*(?P<sign>[-+\x{2212}]?)\s*(?P<open>\(?)\s*(?P<cur1>" + _CUR + r"?)\s*"
        r"(?P<sign2>[-+\x{2212}]?)\s*(?P<num>" + body + r")\s*(?P<pct>%?)\s*"
        r"(?P<cur2>" + _CUR + r"?)\s*(?P<close>\)?)\s*$"
    )


def re_escape(char: str) -> str:
    """Escape one separator character for an RE2 pattern."""
    return "\\" + char if char in ".^$*+?()[]{}|\\" else char


@dataclass(frozen=True)
class NumberFormat:
    """How the numbers of a column are written.

    Attributes
    ----------
    decimal : str
        The decimal mark, ``"."`` or ``","``.
    thousands : str
        The thousands separator seen (``","``, ``"."``, ``"'"``, a space or a
        no-break space), or ``""`` when no number used one.
    percent : bool
        Some numbers end with ``%``.
    currency : str
        The currency signs seen, in the order of :data:`CURRENCY_SIGNS`
        (``"$"``, ``"€"``...), or ``""``.
    parentheses : bool
        Some negative numbers are written in parentheses, ``(12.5)``.
    formatted : int
        How many of the parsed values needed any of the above (a value such
        as ``"12"`` parses plainly and is not counted).
    """

    decimal: str = "."
    thousands: str = ""
    percent: bool = False
    currency: str = ""
    parentheses: bool = False
    formatted: int = 0

    @property
    def plain(self) -> bool:
        """True when no parsed value needed formatting."""
        return self.formatted == 0

    def describe(self) -> str:
        """The format in words, e.g. ``'percent, thousands separator ","'`` (``""`` if plain)."""
        parts = []
        if self.percent:
            parts.append("percent")
        if self.currency:
            parts.append(f"currency {self.currency}")
        if self.decimal == ",":
            parts.append("decimal comma")
        if self.thousands:
            parts.append(f'thousands separator "{self.thousands}"')
        if self.parentheses:
            parts.append("parentheses for negatives")
        return ", ".join(parts)

    def to_dict(self) -> dict:
        """The format as a JSON-ready dict."""
        return {"decimal": self.decimal, "thousands": self.thousands, "percent": self.percent,
                "currency": self.currency, "parentheses": self.parentheses,
                "formatted": self.formatted}


def _as_arrow(texts) -> pa.Array:
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if isinstance(texts, pa.Array):
        return texts.cast(pa.large_string())
    return pa.array(np.asarray(texts, dtype=object), type=pa.large_string(), from_pandas=True)


def _field(parts: pa.StructArray, name: str) -> pa.Array:
    return pc.fill_null(pc.struct_field(parts, name), "")


def _nonempty(array: pa.Array) -> np.ndarray:
    return pc.not_equal(array, "").to_numpy(zero_copy_only=False).astype(bool)


def _is_in(array: pa.Array, values: list[str]) -> np.ndarray:
    hits = pc.is_in(array, value_set=pa.array(values, type=array.type))
    return pc.fill_null(hits, False).to_numpy(zero_copy_only=False).astype(bool)


def _parse(texts: pa.Array, decimal: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Numbers under one decimal convention, and which decorations each value used."""
    n = len(texts)
    numbers = np.full(n, np.nan)
    parts = pc.extract_regex(texts, _pattern(decimal))
    valid = pc.fill_null(pc.is_valid(parts), False).to_numpy(zero_copy_only=False).astype(bool)
    flags = {key: np.zeros(n, dtype=bool)
             for key in ("percent", "parentheses", "thousands", "plain_number")}
    flags["currency"] = np.full(n, "", dtype=object)
    flags["separator"] = np.full(n, "", dtype=object)
    if not valid.any():
        return numbers, flags
    idx = np.flatnonzero(valid)
    sub = pc.take(parts, pa.array(idx))
    sign = pc.binary_join_element_wise(_field(sub, "sign"), _field(sub, "sign2"), _EMPTY)
    opened = _nonempty(_field(sub, "open"))
    closed = _nonempty(_field(sub, "close"))
    cur1, cur2 = _field(sub, "cur1"), _field(sub, "cur2")
    both_cur = _nonempty(cur1) & _nonempty(cur2)
    negative_sign = _is_in(sign, ["-", "\u2212"])
    signed = _nonempty(sign)
    two_signs = pc.greater(pc.utf8_length(sign), 1).to_numpy(zero_copy_only=False).astype(bool)
    bad = (opened != closed) | both_cur | two_signs
    bad |= opened & signed  # "-(12)" is not a way to write a number
    digits = _field(sub, "num")
    separator = np.full(idx.size, "", dtype=object)
    for char in _THOUSANDS_CHARS[decimal]:
        has = pc.match_substring(digits, char).to_numpy(zero_copy_only=False).astype(bool)
        separator[has & (separator == "")] = char
        digits = pc.replace_substring(digits, char, "")
    if decimal == ",":
        digits = pc.replace_substring(digits, ",", ".")
    values = pc.cast(digits, pa.float64()).to_numpy(zero_copy_only=False).astype(float)
    values = np.where(negative_sign | (opened & closed), -values, values)
    values[bad] = np.nan
    numbers[idx] = values
    good = idx[~bad]
    keep = ~bad
    flags["percent"][good] = _nonempty(_field(sub, "pct"))[keep]
    flags["parentheses"][good] = opened[keep]
    flags["thousands"][good] = (separator != "")[keep]
    flags["separator"][good] = separator[keep]
    currency = pc.binary_join_element_wise(cur1, cur2, _EMPTY).to_numpy(zero_copy_only=False)
    flags["currency"][good] = currency[keep]
    return numbers, flags


def _count_unambiguous(texts: pa.Array) -> tuple[int, int]:
    """Values only a decimal point reads (``1,234.5``) and only a decimal comma reads (``12,5``)."""
    point = pc.match_substring_regex(texts, r"\d[,']\d{3}\.\d|^[^,]*\d\.\d{1,2}$|\d,\d{3},\d{3}(\D|$)")
    comma = pc.match_substring_regex(
        texts, r"\d\.\d{3},\d|(^|[^\d.,])\d+,(\d{1,2}|\d{4,})(\D|$)|\d\.\d{3}\.\d{3}(\D|$)")
    count = lambda hits: int(pc.sum(pc.fill_null(hits, False).cast(pa.int64())).as_py() or 0)  # noqa: E731
    return count(point), count(comma)


def parse_formatted_numbers(texts, decimal: str | None = None) -> tuple[np.ndarray, NumberFormat]:
    """Read numbers written with ``%``, thousands separators, currency or parentheses.

    Parameters
    ----------
    texts : array-like of str, pyarrow.Array
        The values to read (usually the distinct values of one column).
        Missing entries (None/NaN) give NaN.
    decimal : {".", ","} or None, default=None
        The decimal mark. ``None`` chooses it from the values: a decimal
        comma only when more values can be read only that way (``12,5``,
        ``1.234,5``) than only with a decimal point (``1,234.5``, ``3.25``);
        ``"1,234"`` alone is read as one thousand two hundred thirty-four.

    Returns
    -------
    numbers : numpy.ndarray of float
        One number per value, NaN where the value is not a number in the
        chosen convention. Accepted: an optional sign, an optional currency
        sign before or after (``$``, ``€``, ``£``, ``¥``), digits with or
        without thousands separators in groups of three, a decimal part, an
        optional ``%``, and parentheses around the whole for a negative
        number; spaces around the parts are allowed.
    format : NumberFormat
        The decorations seen among the values that were read.

    Raises
    ------
    ValueError
        If ``decimal`` is not ``"."``, ``","`` or None.
    """
    if decimal not in (None, ".", ","):
        raise ValueError(f"decimal must be '.' or ',', got {decimal!r}")
    array = _as_arrow(texts)
    if decimal is None:
        only_point, only_comma = _count_unambiguous(array) if len(array) else (0, 0)
        decimal = "," if only_comma > only_point else "."
    numbers, flags = _parse(array, decimal)
    parsed = ~np.isnan(numbers)
    decorated = (flags["percent"] | flags["parentheses"] | flags["thousands"]
                 | (flags["currency"] != ""))
    if decimal == ",":
        decorated |= parsed  # every number with a decimal comma is written unlike a plain one
        plain = pc.match_substring_regex(array, r"^\s*[-+]?\d+\s*$")
        decorated &= ~pc.fill_null(plain, False).to_numpy(zero_copy_only=False).astype(bool)
    seps = flags["separator"][parsed & flags["thousands"]]
    currencies = "".join(flags["currency"][parsed].tolist())
    fmt = NumberFormat(
        decimal=decimal,
        thousands=str(seps[0]) if seps.size else "",
        percent=bool(flags["percent"][parsed].any()),
        currency="".join(sign for sign in CURRENCY_SIGNS if sign in currencies),
        parentheses=bool(flags["parentheses"][parsed].any()),
        formatted=int((decorated & parsed).sum()),
    )
    return numbers, fmt
