"""The text rules: which distinct values of a text column stand for "no value".

Null-like tokens, placeholders (punctuation, ``x``, runs of one character),
numbers among words and words among numbers, judged from the column's other
values; formatted numbers (``1,234``, ``12.5%``) are read when they make the
column one of numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from revimpute.detect import tokens as tk
from revimpute.detect.formatted import parse_formatted_numbers
from revimpute.detect.number_shapes import sentinel_shape
from revimpute.detect.scan import ColumnScan, add_numeric_evidence, times_words, user_token_words
from revimpute.detect.text import TextValues

#: A text column with at most this many distinct non-token values is
#: "categorical": semantic tokens such as "None" may be real answers there.
CATEGORICAL_MAX_DISTINCT = 20
#: A column is read as numeric when at most :data:`MAX_NON_NUMERIC_DISTINCT`
#: distinct non-numeric values remain once tokens are set aside, and either
#: numbers are at least NUMERIC_SHARE of its other cells, or at least
#: MIN_NUMERIC_DISTINCT distinct numbers make up at least
#: NUMERIC_DISTINCT_SHARE of its other distinct values (so that a placeholder
#: filling half of the cells does not turn a column of numbers into text).
NUMERIC_SHARE = 0.5
MAX_NON_NUMERIC_DISTINCT = 10
MIN_NUMERIC_DISTINCT = 5
NUMERIC_DISTINCT_SHARE = 0.75
#: Among numbers, a letter code that is not a known marker and holds at least
#: CATEGORY_SHARE of the column's other cells, or that is one of at least two
#: distinct such codes seen at least twice each, is a category level
#: (sizes S/M/L beside 36-44, codes a/b), not a placeholder.
CATEGORY_SHARE = 0.25
#: A lone letter code or word among numbers below this share is a placeholder
#: for ``auto`` with the higher of its two confidences.
RARE_SHARE = 0.1
#: When the numbers are at most MAX_CODE_LEVELS distinct whole numbers seen
#: about equally often (a designed factor: the largest count at most
#: LEVEL_BALANCE times the smallest), a letter value seen about as often
#: (within that same ratio of their median count) is one more level ("X"
#: beside varieties 1-9), even a marker letter.
MAX_CODE_LEVELS = 12
LEVEL_BALANCE = 1.5
#: Confidence recorded for a level of a category: below every threshold and
#: below the weakest candidate that co-missingness may raise.
LEVEL = 0.05
#: A text column may hold at most this many distinct numbers, covering at
#: most this share of its cells, for a sentinel-shaped number among them to be
#: flagged ("0" in a column of city names).
MAX_TEXT_NUMBERS = 3
TEXT_NUMBER_SHARE = 0.3
#: A text column whose distinct values exceed this share of its cells, and
#: whose values are mostly written with lower-case letters, is free text
#: (titles, names); there a placeholder-like value seen at most
#: FREE_TEXT_MAX_COUNT times may be a real value and gets a low confidence.
FREE_TEXT_SHARE = 0.5
FREE_TEXT_MAX_COUNT = 5
#: Longest text value examined for placeholder shapes.
PLACEHOLDER_MAX_LEN = 12
#: Longest text value that can be a null-like token.
TOKEN_MAX_LEN = max(len(token) for token in tk.TOKEN_CONFIDENCE) + 4

#: Shapes of placeholder text: punctuation, underscores, one or two x.
SHAPE_RE = r"[^\w\s]+|_+|[xX]{1,2}"


@dataclass
class _TextContext:
    """What the text rules need to know about a column."""

    is_token: np.ndarray
    token_idx: np.ndarray
    token_norm: list[str]
    token_conf: np.ndarray
    numeric_cells: int
    rest_cells: int


#: Characters of a number written with formatting, for a cheap pre-filter.
FORMATTED_CHARS = r"[\s\d.,'$€£¥%()+\-−  ]+"


def _read_formatted(scan: ColumnScan, values: TextValues, candidates: np.ndarray,
                    is_num: np.ndarray) -> np.ndarray:
    """Read formatted numbers when they would make the column one of numbers.

    ``candidates`` are the distinct values that are neither plain numbers nor
    tokens. When those that look like formatted numbers, together with the
    plain numbers, cover at least :data:`NUMERIC_SHARE` of the cells, every
    non-token value is read with :func:`parse_formatted_numbers`; if any
    needed formatting, ``scan.numbers`` and ``scan.format`` take the result.
    Returns which distinct values are numbers.
    """
    idx = np.flatnonzero(candidates)
    if not idx.size:
        return is_num
    looks = idx[values.fullmatch(FORMATTED_CHARS, idx)]
    if not looks.size:
        return is_num
    counts = scan.counts
    eligible = candidates | is_num
    if counts[looks].sum() + counts[is_num].sum() < NUMERIC_SHARE * counts[eligible].sum():
        return is_num
    pool = np.flatnonzero(eligible)
    parsed, fmt = parse_formatted_numbers(values._take(values.stripped, pool),
                                          counts=counts[pool])
    if fmt.plain:
        return is_num
    numbers = np.full(scan.counts.size, np.nan)
    numbers[pool] = parsed
    scan.numbers = numbers
    scan.format = fmt
    return ~np.isnan(numbers)


def scan_text(scan: ColumnScan, values: TextValues, extra_norm: frozenset[str],
               extra_numbers: np.ndarray) -> None:
    """Record in ``scan`` the findings of the text rules on a text column's distinct ``values``.

    ``extra_norm`` are the user's tokens, normalised; ``extra_numbers`` those
    that parse as numbers.
    """
    numbers = values.numbers
    is_num = ~np.isnan(numbers)

    # 1. empty, whitespace-only and null-like tokens
    empty = values.equals("")
    blank = values.equals("", stripped=True) & ~empty
    for i in np.flatnonzero(empty):
        scan.set(int(i), "null_token", 1.0, "empty cell")
    for i in np.flatnonzero(blank):
        scan.set(int(i), "null_token", 0.95, "only whitespace")
    word_idx = np.flatnonzero(~is_num & ~empty & ~blank)
    max_len = max([TOKEN_MAX_LEN] + [len(token) + 4 for token in extra_norm])
    short = word_idx[values.lengths(word_idx) <= max_len]
    norm = values.normalized(short)
    table = dict(tk.TOKEN_CONFIDENCE)
    table.update({token: 1.0 for token in extra_norm})
    hit = values.is_in(norm, frozenset(table))
    token_idx = short[hit]
    token_norm = [str(norm[int(j)].as_py()) for j in np.flatnonzero(hit)]
    token_conf = np.array([table[t] for t in token_norm], dtype=float)

    is_token = empty | blank
    is_token[token_idx] = True
    is_num = _read_formatted(scan, values, ~is_num & ~is_token, is_num)
    numbers = scan.numbers
    if extra_norm or extra_numbers.size:
        num_idx = np.flatnonzero(is_num)
        user_num = np.isin(numbers[num_idx], extra_numbers)
        if extra_norm:
            user_num |= values.is_in(values.normalized(num_idx), extra_norm)
        for i in num_idx[user_num]:
            is_token[i] = True
            scan.set(int(i), "null_token", 1.0, user_token_words(values.text(i)))

    # 2. what the column holds once tokens are set aside
    rest = ~is_token
    rest_cells = int(scan.counts[rest].sum())
    numeric_cells = int(scan.counts[rest & is_num].sum())
    non_numeric = rest & ~is_num
    n_numbers = int((rest & is_num).sum())
    n_other = int(non_numeric.sum())
    numeric_like = (
        rest_cells > 0
        and n_other <= MAX_NON_NUMERIC_DISTINCT
        and (numeric_cells >= NUMERIC_SHARE * rest_cells
             or (n_numbers >= MIN_NUMERIC_DISTINCT
                 and n_numbers >= NUMERIC_DISTINCT_SHARE * (n_numbers + n_other)))
    )
    ctx = _TextContext(is_token, token_idx, token_norm, token_conf,
                       numeric_cells, rest_cells)
    if numeric_like:
        _scan_numeric_text(scan, values, ctx, extra_norm, np.flatnonzero(non_numeric))
    else:
        _scan_plain_text(scan, values, ctx, np.flatnonzero(rest))


def _token_words(written: str, context: str) -> str:
    return f"{written!r} is a null-like token{context}"


def _scan_numeric_text(scan: ColumnScan, values: TextValues, ctx: _TextContext,
                       extra_norm: frozenset[str], non_numeric: np.ndarray) -> None:
    context = (f" in a column of numbers ({ctx.numeric_cells} of {ctx.rest_cells} other cells"
               f" are numbers)")
    for i, token, base in zip(ctx.token_idx, ctx.token_norm, ctx.token_conf):
        written = values.text(i)
        words = user_token_words(written) if token in extra_norm else _token_words(written, context)
        scan.set(int(i), "null_token", max(base, 0.95), words)

    _scan_placeholders(scan, values, ctx, non_numeric, context)

    zeros = np.flatnonzero((scan.numbers == 0) & ~ctx.is_token)
    padded = zeros[values.fullmatch(r"0{2,}", zeros)] if zeros.size else zeros
    for i in padded:
        count = int(scan.counts[i])
        scan.set(int(i), "repeated_char", 0.85 if count >= 2 else 0.7,
                 f"{values.text(i)!r} is a run of zeros, written unlike any real number{context}")

    numeric = ~np.isnan(scan.numbers) & ~ctx.is_token
    numeric[padded] = False
    add_numeric_evidence(scan, np.array([], dtype=float), np.flatnonzero(numeric))


def _numeric_levels(scan: ColumnScan, ctx: _TextContext) -> tuple[int, float]:
    """Number and median count of the numeric values when they are a few balanced codes.

    Returns ``(0, 0.0)`` unless the numbers of the column are at most
    :data:`MAX_CODE_LEVELS` distinct integers whose counts differ by at most
    the factor :data:`LEVEL_BALANCE`.
    """
    numeric = np.flatnonzero(~np.isnan(scan.numbers) & ~ctx.is_token & (scan.counts > 0))
    if not numeric.size or numeric.size > MAX_CODE_LEVELS:
        return 0, 0.0
    values, counts = scan.numbers[numeric], scan.counts[numeric]
    if not np.all(values == np.round(values)) or counts.max() > LEVEL_BALANCE * counts.min():
        return 0, 0.0
    return int(numeric.size), float(np.median(counts))


def _scan_placeholders(scan: ColumnScan, values: TextValues, ctx: _TextContext,
                       non_numeric: np.ndarray, context: str) -> None:
    """Judge the non-numeric, non-token values of a column of numbers.

    There are at most :data:`MAX_NON_NUMERIC_DISTINCT` of them, so they are
    judged one by one. Runs of one character, punctuation and suppression
    markers (:data:`revimpute.detect.tokens.SUPPRESSION_MARKERS`) are
    placeholders however common. Letter codes and words are placeholders only
    while they look like one stand-in value: when two or more distinct codes
    are each seen at least twice they are the levels of a category, and a lone
    code that holds a real share of the column is a level too; confidence
    falls with the share.
    """
    counts = scan.counts
    texts = {int(i): values.stripped_text(i) for i in non_numeric}
    runs = {i for i, text in texts.items() if tk.repeated_run(text)}
    symbols = {i for i, text in texts.items()
               if i not in runs and (tk.is_punctuation(text) or tk.is_marker(text))}
    codes = [i for i, text in texts.items()
             if i not in runs and i not in symbols and not tk.has_digit(text)]
    repeated_codes = [i for i in codes if counts[i] >= 2]
    letter_like = [i for i in codes if tk.is_code_level(texts[i])]
    code_set = len(repeated_codes) >= 2 and len(letter_like) >= 2
    if code_set:
        # "S" or "C" among sizes or grades is a level too, not a marker
        symbols = {i for i in symbols if tk.is_punctuation(texts[i])}
        codes = [i for i in texts if i not in runs and i not in symbols
                 and not tk.has_digit(texts[i])]
    total = max(ctx.rest_cells, 1)
    n_levels, level_count = _numeric_levels(scan, ctx)

    def level_sized(i: int) -> bool:
        return n_levels > 0 and abs(np.log(counts[i] / level_count)) <= np.log(LEVEL_BALANCE)

    for i, text in texts.items():
        written, count = values.text(i), int(counts[i])
        share = count / total
        if i in runs:
            scan.set(i, "repeated_char", 0.9 if count >= 2 else 0.8,
                     f"{written!r} is a run of one repeated character{context}")
        elif i in symbols:
            marker = tk.is_marker(text)
            what = "a suppression marker" if marker else "a placeholder symbol"
            conf, why = (0.9 if count >= 2 else 0.75), ""
            if marker and not tk.is_punctuation(text) and level_sized(i):
                conf, why = 0.45, (f"; but it is as common as the column's {n_levels} numeric "
                                   f"levels, so it may be a level too")
            scan.set(i, "placeholder", conf,
                     f"{written!r} is {what}, found {times_words(count)}{context}{why}")
        elif i in codes:
            level = (f"{written!r} appears {times_words(count)} ({share:.0%} of the cells){context}")
            if code_set:
                scan.set(i, "placeholder", LEVEL,
                         f"{level}; but it is one of {len(codes)} distinct codes, so a level "
                         f"of a real category")
                continue
            short = tk.is_code_level(text)
            if level_sized(i):
                conf, why = 0.45, (f"; but it is as common as the column's {n_levels} numeric "
                                   f"levels, so it may be a level too")
            elif share >= CATEGORY_SHARE:
                conf, why = 0.45, "; but it holds a real share of the column, so it may be a level"
            elif share >= RARE_SHARE:
                conf, why = 0.6, "; it holds a fair share of the column, so it may be a level"
            elif count >= 2:
                conf, why = (0.75 if short else 0.7), ""
            elif short:
                conf, why = 0.6, ""
            else:
                conf, why = 0.45, "; a word seen once may be a real value"
            noun = "the code" if short else "the word"
            scan.set(i, "placeholder", conf, f"{noun} {level}{why}")


def _scan_plain_text(scan: ColumnScan, values: TextValues, ctx: _TextContext,
                     rest_idx: np.ndarray) -> None:
    counts = scan.counts
    distinct_rest = rest_idx.size
    categorical = distinct_rest <= CATEGORICAL_MAX_DISTINCT
    sample = rest_idx[:2000]
    prose = bool(sample.size) and values.has_lower(sample).mean() >= 0.5
    free_text = prose and distinct_rest > FREE_TEXT_SHARE * max(ctx.rest_cells, 1)
    code_sample = [values.stripped_text(i) for i in sample[:500]]
    has_plus = bool(values.equals("+", stripped=True).any())

    for i, token, base in zip(ctx.token_idx, ctx.token_norm, ctx.token_conf):
        written = values.text(i)
        count = int(counts[i])
        words = _token_words(written, "")
        if base >= 1.0:
            words = user_token_words(written)
        elif (token in tk.CODE_LIKE_TOKENS and written.strip()[:1].isupper()
              and tk.looks_like_codes(code_sample, len(written.strip()))):
            base = 0.4
            words += "; but the column holds short codes, where it may be a real code"
        elif token == "-" and has_plus:
            base = 0.3
            words += "; but the column also holds '+', so '-' may be a sign"
        elif token in tk.FREE_TEXT_WORDS and free_text and count <= FREE_TEXT_MAX_COUNT:
            base = 0.45
            words += (f"; but the column is free text ({distinct_rest} distinct values) and it"
                      f" occurs only {times_words(count)}, so it may be a real value")
        elif token in tk.SEMANTIC_TOKENS and categorical:
            base = 0.7
            words += (f"; but it is one of only {distinct_rest + 1} distinct values, "
                      f"so it may be a real category")
        scan.set(int(i), "null_token", base, words)

    if not distinct_rest:
        return
    lengths = values.lengths(rest_idx)
    short = rest_idx[lengths <= PLACEHOLDER_MAX_LEN]
    shaped = short[values.fullmatch(SHAPE_RE, short) | values.run_candidates(short)]
    median_len = float(np.median(lengths))
    punct = np.array([tk.is_punctuation(values.stripped_text(i)) for i in shaped], dtype=bool)
    punct_cells = int(counts[shaped[punct]].sum()) if shaped.size else 0
    symbol_column = punct_cells > 0.5 * ctx.rest_cells

    for i in shaped:
        text, written, count = values.stripped_text(i), values.text(i), int(counts[i])
        rare_in_free_text = free_text and count <= FREE_TEXT_MAX_COUNT
        run = tk.repeated_run(text)
        if run is not None:
            strong = run in "09xXzZ-*_.#?"
            if rare_in_free_text and not strong:
                conf_run = 0.45
            elif strong:
                conf_run = 0.85 if count >= 2 else 0.7
            else:
                conf_run = 0.7 if count >= 2 else 0.6
            scan.set(int(i), "repeated_char", conf_run,
                     f"{written!r} is a run of one repeated character, found {times_words(count)}")
        elif tk.is_punctuation(text) and not symbol_column:
            conf_p = 0.45 if rare_in_free_text and count == 1 else 0.75 if count >= 2 else 0.6
            scan.set(int(i), "placeholder", conf_p,
                     f"{written!r} is only punctuation, found {times_words(count)} in a column of text")
        elif text in ("x", "X", "xx", "XX") and median_len >= 3:
            conf_x = 0.45 if rare_in_free_text else 0.7 if count >= 2 else 0.55
            scan.set(int(i), "placeholder", conf_x,
                     f"{written!r} stands in for text in a column whose values are longer")

    numbers = scan.numbers
    in_text = rest_idx[~np.isnan(numbers[rest_idx])]
    if 0 < in_text.size <= MAX_TEXT_NUMBERS and ctx.numeric_cells <= TEXT_NUMBER_SHARE * ctx.rest_cells:
        for i in in_text:
            value, count = float(numbers[i]), int(counts[i])
            if tk.repeated_run(values.stripped_text(i)):
                continue  # "00000", "99999": already a run of one character
            if not np.isfinite(value) or not (value == 0 or sentinel_shape(value) >= 1):
                continue
            scan.set(int(i), "sentinel", 0.85 if count >= 2 else 0.7,
                     f"the number {values.text(i)!r} appears {times_words(count)} in a column of text "
                     f"({ctx.numeric_cells} of {ctx.rest_cells} cells are numbers)")
