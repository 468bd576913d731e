"""Null-like tokens and the shapes of placeholder text.

Everything here works on arrays of *distinct* values of one column (never on
every cell), so the cost is proportional to the number of distinct values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

#: Words that mean "no value" wherever they appear (normalised: stripped,
#: case-folded, inner whitespace collapsed), with their base confidence.
STRONG_TOKENS: tuple[str, ...] = (
    "null", "nan", "na", "n/a", "#n/a", "#na", "n.a.", "n.a", "none", "nil",
    "nothing", "missing", "#null!", "(null)", "<null>", "<na>", "nat", "-nan",
    "1.#ind", "1.#qnan", "not available", "no data", "#value!", "#div/0!",
    "#ref!", "#num!", "#name?", "missing value", "no value",
)

#: Tokens that usually mean "no value" but are weaker on their own.
MEDIUM_TOKENS: tuple[str, ...] = (
    "unknown", "unk", "not applicable", "not known", "not specified",
    "unspecified", "not recorded", "not given", "not stated", "not reported",
    "undefined", "empty", "blank", "void", "tbd", "tba", "?", "??", "???",
    "-", "--", "---", ".", "..", "...", "\u2026", "_", "__", "na.",
    "0000-00-00", "00/00/0000", "00.00.0000", "0000-00-00 00:00:00",
    "no answer", "refused", "don't know", "dont know",
    "na/dk", "dk/na", "na/df", "na/rf", "dk/rf", "na/dk/rf",
)

STRONG_CONFIDENCE = 0.95
MEDIUM_CONFIDENCE = 0.85

#: Tokens that can be a real answer when they are one of a few categories
#: ("Smoking: None / Light / Heavy"); they get a lower confidence there.
SEMANTIC_TOKENS: frozenset[str] = frozenset(
    {"none", "nothing", "unknown", "unk", "not applicable", "empty", "void",
     "blank", "refused", "no answer", "don't know", "dont know", "nil"}
)

#: Words that may be real text in a free-text column (a film called
#: "Nothing", a product called "Blank"); weak there when they occur only once.
FREE_TEXT_WORDS: frozenset[str] = (SEMANTIC_TOKENS - {"none", "nil"}) | frozenset(
    {"missing", "undefined", "tbd", "tba", "not available", "no data", "no value"}
)

#: Tokens that are also two-letter codes (Namibia "NA", sodium "Na").
CODE_LIKE_TOKENS: frozenset[str] = frozenset({"na", "nil", "nat", "tba", "unk"})

#: Markers that statistical offices write in place of a number (suppressed,
#: confidential, not reported, not applicable), normalised. They are read as
#: missing among numbers only; elsewhere "S" or "C" may be a real code.
SUPPRESSION_MARKERS: frozenset[str] = frozenset({
    "x", "xx", "s", "c", "z", "nr", "nd", "np", "ns", "n.r.", "n.d.", "n.p.", "n/r", "n/d",
    "supp", "suppressed", "conf", "confidential", "*", "**", "***", "#", "/", "//", ":", "..",
    "(s)", "(d)", "(x)", "(c)", "(z)", "(na)", "(nr)", "[c]", "[x]", "[z]", "[u]", "[low]",
})

TOKEN_CONFIDENCE: dict[str, float] = {
    **{token: MEDIUM_CONFIDENCE for token in MEDIUM_TOKENS},
    **{token: STRONG_CONFIDENCE for token in STRONG_TOKENS},
}

_PUNCT_RE = re.compile(r"[^\w\s]+|_+")
_CODE_LEVEL_RE = re.compile(r"[^\W\d_]{1,4}[+-]?|[+-][^\W\d_]{1,3}")
_RUN_RE = re.compile(r"(.)\1{2,}", re.DOTALL)
_CODE_RE = re.compile(r"[A-Z][A-Z0-9]{1,2}|[A-Z][a-z]?")
_HAS_DIGIT_RE = re.compile(r"\d")

#: Characters whose runs ("xxxxx", "*****", "-----") are typed as placeholders.
_RUN_CHARS = frozenset("xXzZ-*_.#?/~=+")


def normalize(values: Iterable[str] | pd.Series) -> pd.Series:
    """Strip, lower-case and collapse inner whitespace of each string.

    The same normalisation as :meth:`revimpute.detect.text.TextValues.normalized`,
    for short Python lists (user tokens, values never to flag).

    Parameters
    ----------
    values : iterable of str or pandas.Series
        Text values.

    Returns
    -------
    pandas.Series
        Normalised strings (object dtype), same order.
    """
    series = pd.Series(list(values), dtype=object)
    return series.str.strip().str.lower().str.replace(r"\s+", " ", regex=True)


def is_punctuation(text: str) -> bool:
    """True when ``text`` (stripped) is made only of punctuation/symbols."""
    stripped = text.strip()
    return bool(stripped) and _PUNCT_RE.fullmatch(stripped) is not None


def is_code_level(text: str) -> bool:
    """True when ``text`` (stripped) is a short code of letters ("S", "XL", "AB", "A+", "b").

    Such values may be the levels of a real category (sizes, grades, blood
    groups) even among numbers.
    """
    return _CODE_LEVEL_RE.fullmatch(text.strip()) is not None


def is_marker(text: str) -> bool:
    """True when ``text`` is a suppression marker of :data:`SUPPRESSION_MARKERS`."""
    return normalize([text]).iloc[0] in SUPPRESSION_MARKERS


def has_digit(text: str) -> bool:
    """True when ``text`` contains a digit."""
    return _HAS_DIGIT_RE.search(text) is not None


def repeated_run(text: str) -> str | None:
    """Return the repeated character if ``text`` is a run of one character.

    A run is three or more copies of one character ("00000", "xxxxx",
    "*****"). Letters other than x/z count only from five copies on, so that
    rating codes such as "AAA" stay untouched; digits count for 0 and 9 from
    three copies, and for any other digit from five.

    Parameters
    ----------
    text : str
        One value, stripped before the test.

    Returns
    -------
    str or None
        The character, or None when ``text`` is not a placeholder run.
    """
    stripped = text.strip()
    if _RUN_RE.fullmatch(stripped) is None:
        return None
    char = stripped[0]
    length = len(stripped)
    if char in _RUN_CHARS:
        return char
    if char in "09":
        return char
    if char.isdigit() or char.isalpha():
        return char if length >= 5 else None
    return char


def looks_like_codes(values: Iterable[str], length: int | None = None) -> bool:
    """True when most distinct values are short capitalised codes ("US", "Na", "TBA").

    Used to keep "NA" (Namibia), "Na" (sodium) or "TBA" (Tampa Bay) from
    being read as a missing-value token in a column of country, element or
    team codes.

    Parameters
    ----------
    values : iterable of str
        A sample of the column's distinct values.
    length : int or None, default=None
        When given, the codes must have this many characters (a two-letter
        "NA" is a token among three-letter codes).
    """
    values = [value.strip() for value in values]
    if len(values) < 5:
        return False
    hits = sum(_CODE_RE.fullmatch(value) is not None
               and (length is None or len(value) == length) for value in values)
    return hits >= 0.8 * len(values)