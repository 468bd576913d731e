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
:class:`NumberFormat`, so that a caller can keep the original text of observed
cells and write new numbers the way the column writes them
(:meth:`NumberFormat.write`).

>>> numbers, fmt = parse_formatted_numbers(["12.5%", "1,234", "(3)", "s"])
>>> numbers.tolist()[:3], fmt.describe()
([12.5, 1234.0, -3.0], 'percent, thousands separator ",", parentheses for negatives')
>>> parse_formatted_numbers(["$1,234.50", "$12.00"])[1].write(1234567.8)
'$1,234,567.80'
"""

from __future__ import annotations

import math
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
        r"^\s*(?P<sign>[-+\x{2212}]?)\s*(?P<open>\(?)\s*(?P<cur1>" + _CUR + r"?)(?P<sp1>\s*)"
        r"(?P<sign2>[-+\x{2212}]?)\s*(?P<num>" + body + r")(?P<sp2>\s*)(?P<pct>%?)(?P<sp3>\s*)"
        r"(?P<cur2>" + _CUR + r"?)\s*(?P<close>\)?)\s*$"
    )


def re_escape(char: str) -> str:
    """Escape one separator character for an RE2 pattern."""
    return "\\" + char if char in ".^$*+?()[]{}|\\" else char


@dataclass(frozen=True)
class NumberFormat:
    """How the numbers of a column are written.

    The first six attributes say what was seen; the others say how to write a
    number the way most of the column's values are written
    (:meth:`write`). Those are filled only when some value needed formatting;
    a plain format keeps their defaults.

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
    decimals : int or None
        Digits after the decimal mark that most values have (ties go to the
        larger count); None for a plain format.
    max_decimals : int or None
        The most digits after the decimal mark among the values; None for a
        plain format.
    currency_symbol : str
        The currency sign most values carry, ``""`` when fewer than half of
        the values carry one.
    currency_position : str
        ``"before"`` (``$12``) or ``"after"`` (``12 €``) the number, ``""``
        without ``currency_symbol``.
    currency_space : bool
        A space separates the currency sign from the number (``€ 12``).
    percent_sign : bool
        At least half of the values end with ``%``.
    percent_space : bool
        A space comes before the ``%`` (``12,5 %``).
    plus : bool
        At least half of the positive values carry a ``+``.
    """

    decimal: str = "."
    thousands: str = ""
    percent: bool = False
    currency: str = ""
    parentheses: bool = False
    formatted: int = 0
    decimals: int | None = None
    max_decimals: int | None = None
    currency_symbol: str = ""
    currency_position: str = ""
    currency_space: bool = False
    percent_sign: bool = False
    percent_space: bool = False
    plus: bool = False

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
        """The format as a JSON-ready dict (every attribute, by name)."""
        return {"decimal": self.decimal, "thousands": self.thousands, "percent": self.percent,
                "currency": self.currency, "parentheses": self.parentheses,
                "formatted": self.formatted, "decimals": self.decimals,
                "max_decimals": self.max_decimals, "currency_symbol": self.currency_symbol,
                "currency_position": self.currency_position,
                "currency_space": self.currency_space, "percent_sign": self.percent_sign,
                "percent_space": self.percent_space, "plus": self.plus}

    def write(self, value: float) -> str:
        """Write a number the way the column writes its numbers.

        Parameters
        ----------
        value : float
            A finite number, on the scale of the numbers as written
            (``13.14`` for a percent column means ``13.14%``).

        Returns
        -------
        str
            The number rounded to :attr:`decimals` digits (as Python writes
            it when ``decimals`` is None) with the column's decimal mark,
            thousands separator (from four digits on), currency sign and its
            position, percent sign, and parentheses (or a minus sign) for a
            negative number, e.g. ``"$1,234,567.80"``, ``"(12.0)"``,
            ``"13.1%"``, ``"1.234,5"``. A number that rounds to zero is written
            without a sign.

        Raises
        ------
        ValueError
            If ``value`` is NaN or infinite.
        """
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"cannot write {value!r} as a number")
        if self.decimals is None:
            body = np.format_float_positional(abs(value), trim="-")
            whole, _, frac = body.partition(".")
        else:
            body = f"{abs(value):.{self.decimals}f}"
            whole, _, frac = body.partition(".")
        nonzero = any(ch != "0" for ch in whole + frac)
        negative = value < 0 and nonzero
        if self.thousands and len(whole) > 3:
            head = len(whole) % 3 or 3
            groups = [whole[:head]] + [whole[i:i + 3] for i in range(head, len(whole), 3)]
            whole = self.thousands.join(groups)
        text = whole + (self.decimal + frac if frac else "")
        if self.percent_sign:
            text += (" " if self.percent_space else "") + "%"
        if self.currency_symbol:
            gap = " " if self.currency_space else ""
            if self.currency_position == "after":
                text = text + gap + self.currency_symbol
            else:
                text = self.currency_symbol + gap + text
        if negative:
            return f"({text})" if self.parentheses else "-" + text
        return ("+" + text) if self.plus and nonzero else text


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
             for key in ("percent", "parentheses", "thousands", "plain_number", "after",
                         "currency_space", "percent_space", "plus")}
    flags["currency"] = np.full(n, "", dtype=object)
    flags["separator"] = np.full(n, "", dtype=object)
    flags["decimals"] = np.zeros(n, dtype=np.int64)
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
    point = re_escape(decimal)
    fraction = pc.replace_substring_regex(digits, f"^[^{point}]*{point}?", "")
    decimals = pc.utf8_length(fraction).to_numpy(zero_copy_only=False).astype(np.int64)
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
    flags["decimals"][good] = decimals[keep]
    after = _nonempty(cur2)
    pct = _nonempty(_field(sub, "pct"))
    spaced = {key: _nonempty(_field(sub, key)) for key in ("sp1", "sp2", "sp3")}
    flags["after"][good] = after[keep]
    flags["currency_space"][good] = np.where(
        after, spaced["sp3"] | (~pct & spaced["sp2"]), _nonempty(cur1) & spaced["sp1"])[keep]
    flags["percent_space"][good] = (pct & spaced["sp2"])[keep]
    flags["plus"][good] = _is_in(sign, ["+"])[keep]
    return numbers, flags


def _count_unambiguous(texts: pa.Array) -> tuple[int, int]:
    """Values only a decimal point reads (``1,234.5``) and only a decimal comma reads (``12,5``)."""
    point = pc.match_substring_regex(texts, r"\d[,']\d{3}\.\d|^[^,]*\d\.\d{1,2}$|\d,\d{3},\d{3}(\D|$)")
    comma = pc.match_substring_regex(
        texts, r"\d\.\d{3},\d|(^|[^\d.,])\d+,(\d{1,2}|\d{4,})(\D|$)|\d\.\d{3}\.\d{3}(\D|$)")
    count = lambda hits: int(pc.sum(pc.fill_null(hits, False).cast(pa.int64())).as_py() or 0)  # noqa: E731
    return count(point), count(comma)


def _writing(flags: dict[str, np.ndarray], parsed: np.ndarray, numbers: np.ndarray,
             weights: np.ndarray) -> dict:
    """How most of the parsed values are written (see :class:`NumberFormat`)."""
    w = weights[parsed].astype(float)
    total = float(w.sum())
    share = lambda mask: float(w[mask[parsed]].sum()) / total if total else 0.0  # noqa: E731
    by_count = np.bincount(flags["decimals"][parsed], weights=w)
    decimals = int(by_count.size - 1 - np.argmax(by_count[::-1]))
    currency = flags["currency"]
    signs = {sign: share(currency == sign) for sign in CURRENCY_SIGNS}
    symbol = max(CURRENCY_SIGNS, key=lambda sign: signs[sign])
    carried = currency != ""
    symbol = symbol if share(carried) >= 0.5 and signs[symbol] > 0 else ""
    sign_rows = carried & parsed
    after = bool(symbol) and share(flags["after"] & sign_rows) > share(~flags["after"] & sign_rows)
    spaced = bool(symbol) and share(flags["currency_space"] & sign_rows) >= 0.5 * share(sign_rows)
    percent = flags["percent"]
    positive = parsed & (numbers > 0)
    return {
        "decimals": decimals,
        "max_decimals": int(flags["decimals"][parsed].max()),
        "currency_symbol": symbol,
        "currency_position": ("after" if after else "before") if symbol else "",
        "currency_space": spaced,
        "percent_sign": share(percent) >= 0.5,
        "percent_space": share(percent) > 0 and share(flags["percent_space"])
        >= 0.5 * share(percent),
        "plus": share(positive) > 0 and share(flags["plus"] & positive) >= 0.5 * share(positive),
    }


def parse_formatted_numbers(texts, decimal: str | None = None,
                            counts=None) -> tuple[np.ndarray, NumberFormat]:
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
    counts : array-like of int or None, default=None
        How many cells hold each value (the values are then the distinct
        values of a column); "most values" in :class:`NumberFormat` counts
        cells. None counts each value once.

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
        The decorations seen among the values that were read and, when some
        value needed formatting, how most of them are written.

    Raises
    ------
    ValueError
        If ``decimal`` is not ``"."``, ``","`` or None, or ``counts`` does not
        hold one count per value.
    """
    if decimal not in (None, ".", ","):
        raise ValueError(f"decimal must be '.' or ',', got {decimal!r}")
    array = _as_arrow(texts)
    if decimal is None:
        only_point, only_comma = _count_unambiguous(array) if len(array) else (0, 0)
        decimal = "," if only_comma > only_point else "."
    weights = np.ones(len(array)) if counts is None else np.asarray(counts, dtype=float)
    if weights.shape != (len(array),):
        raise ValueError(f"counts must hold one count per value ({len(array)}), "
                         f"got shape {weights.shape}")
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
    formatted = int((decorated & parsed).sum())
    fmt = NumberFormat(
        decimal=decimal,
        thousands=str(seps[0]) if seps.size else "",
        percent=bool(flags["percent"][parsed].any()),
        currency="".join(sign for sign in CURRENCY_SIGNS if sign in currencies),
        parentheses=bool(flags["parentheses"][parsed].any()),
        formatted=formatted,
        **(_writing(flags, parsed, numbers, weights) if formatted else {}),
    )
    return numbers, fmt
