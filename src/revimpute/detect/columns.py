"""Scan one column: classify each of its distinct values.

A column is factorised once (``pandas.factorize``), so every rule (the numeric
rules of :mod:`revimpute.detect.scan`, the text rules of
:mod:`revimpute.detect.text_rules`) runs on the distinct values and their
counts, never cell by cell; text operations run as Arrow kernels
(:mod:`revimpute.detect.text`). The result holds, for
each distinct value, the kind of finding (or None), a confidence and the
evidence in words; :mod:`revimpute.detect.detector` turns that into findings,
a mask and a cleaned column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from revimpute.detect.number_shapes import format_number
from revimpute.detect.scan import ColumnScan, add_numeric_evidence
from revimpute.detect.text import TextValues, as_text
from revimpute.detect.text_rules import scan_text

#: A number written with leading zeros ("01234").
ZERO_PADDED_RE = r"[-+]?0\d+(\.\d*)?"
#: A text column of numbers stays text when at least this share of its cells
#: are written with leading zeros ("01234"): they are codes, not quantities.
ZERO_PADDED_SHARE = 0.1
#: Magnitudes from which a float no longer holds every whole number, and
#: from which a whole number no longer fits an ``int64``.
FLOAT_EXACT = 2.0**53
INT64_LIMIT = 2.0**63


def is_passthrough(series: pd.Series) -> bool:
    """True for columns the detector leaves alone (booleans, dates, durations)."""
    dtype = series.dtype
    return bool(
        pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
        or isinstance(dtype, pd.PeriodDtype)
        or pd.api.types.is_complex_dtype(dtype)
    )


def scan_column(
    series: pd.Series,
    *,
    detect: bool,
    extra_norm: frozenset[str],
    extra_numbers: np.ndarray,
) -> ColumnScan:
    """Classify the distinct values of one column.

    Parameters
    ----------
    series : pandas.Series
        The column.
    detect : bool
        False for policy ``"off"``: only native missing values are marked.
    extra_norm : frozenset of str
        User tokens, normalised.
    extra_numbers : numpy.ndarray of float
        User tokens that parse as numbers.

    Returns
    -------
    ColumnScan
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.int64)
    n = len(uniques)
    counts = np.bincount(codes[codes >= 0], minlength=n).astype(np.int64)
    kinds = np.full(n, None, dtype=object)
    conf = np.zeros(n)
    evidence = np.full(n, "", dtype=object)

    if is_passthrough(series):
        return ColumnScan(codes, counts, np.full(n, np.nan), kinds, conf, evidence,
                          np.zeros(n, dtype=bool), lambda i: as_text(uniques[i]), "passthrough")

    if pd.api.types.is_numeric_dtype(series.dtype):
        numbers = np.asarray(uniques, dtype=float)
        scan = ColumnScan(codes, counts, numbers, kinds, conf, evidence, np.zeros(n, dtype=bool),
                          lambda i: format_number(float(numbers[i])), "numeric")
        if detect:
            add_numeric_evidence(scan, extra_numbers, np.arange(n))
        return scan

    values = TextValues(uniques)
    scan = ColumnScan(codes, counts, values.numbers, kinds, conf, evidence,
                      values.equals(""), values.text, "text",
                      zero_padded=values.fullmatch(ZERO_PADDED_RE))
    if detect:
        scan_text(scan, values, extra_norm, extra_numbers)
    return scan


def scan_number_text(scan: ColumnScan) -> None:
    """The text rules on a column whose values are all plain numbers or empty.

    For such a column -- no value only whitespace, a null-like or user
    token, a run of zeros (``00``) or anything but a plain number -- the text
    rules reduce to the numeric rules on its numbers; this runs them on
    ``scan`` (whose empty cells already hold their verdict), as
    :func:`scan_column` does.
    """
    add_numeric_evidence(scan, np.array([], dtype=float), np.flatnonzero(~np.isnan(scan.numbers)))
