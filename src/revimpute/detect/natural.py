"""Table context that shows a suspicious 0 to be a real value.

One column alone sometimes cannot tell a 0 that stands for "no value" from a
real 0 below a gap. Two kinds of context in the rest of the table settle it:

* **the same scale**: columns whose values run over the same range, from 0
  to the same highest value (ratings 0-10 of several questions), measure on
  one scale. When 0 is a natural value in one of them (a real share of the
  column with nothing separating it from the smallest values), a 0 below a
  gap in another is a value of that scale, not a default;
* **a level of a category**: when the rows holding a 0 are, nearly all and
  nearly only, the rows of one level of a categorical column (designated
  hitters, who make no put-outs), the 0 is what that group has.

The scale rule judges every 0 the numeric rules found; the level rule only
those found through a gap, below :data:`STRONG` confidence (a 0 far from
every other value, a blood pressure of 0, keeps its finding whatever group
holds it). A 0 shown to be real drops to
:data:`revimpute.detect.text_rules.LEVEL`, so co-missingness does not raise it
either. The work is one pass over a candidate's rows per
categorical column, and summaries of distinct values for the scales.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from revimpute.detect.scan import ColumnScan
from revimpute.detect.text_rules import LEVEL
from revimpute.detect.numeric import FREQUENT

#: Confidence from which a 0 is left alone here (a far 0: strong evidence).
STRONG = 0.8
#: Most distinct values of a column read as a category for the level rule
#: (the overlap test alone excludes identifiers; this bounds the work).
CATEGORY_MAX_LEVELS = 100
#: The rows of the 0 and of the level must overlap at least this much
#: (intersection over union), on at least MIN_ROWS rows.
LEVEL_OVERLAP = 0.8
MIN_ROWS = 3
#: Relative tolerance when comparing the highest values of two columns.
SCALE_RTOL = 1e-5


def _gap_zero(scan: ColumnScan) -> int | None:
    """The distinct value that is a 0 found by the numeric rules (or a frequent candidate)."""
    if scan.family == "passthrough":
        return None
    picks = np.flatnonzero((scan.numbers == 0) & (scan.kinds == "implausible_default")
                           & (scan.confidence >= FREQUENT) & (scan.counts > 0))
    return int(picks[0]) if picks.size else None


def _range(scan: ColumnScan) -> tuple[float, float] | None:
    """Lowest and highest number of a column once its findings are set aside."""
    keep = (np.isfinite(scan.numbers) & (scan.counts > 0)
            & ((scan.confidence < 0.5) | (scan.numbers == 0)))
    if not keep.any():
        return None
    values = scan.numbers[keep]
    return float(values.min()), float(values.max())


def _explain(scan: ColumnScan, i: int, words: str) -> None:
    scan.confidence[i] = LEVEL
    scan.evidence[i] = f"{scan.evidence[i]}; but {words}"


def _levels(scan: ColumnScan) -> np.ndarray | None:
    """Distinct values usable as levels of a category, or None if not a category."""
    used = (scan.counts > 0) & ~scan.native
    if scan.family == "passthrough" or not 2 <= np.count_nonzero(used) <= CATEGORY_MAX_LEVELS:
        return None
    return used & (scan.confidence < 0.1)


def explain_zeros(scans: Sequence[ColumnScan], names: Sequence[str],
                  active: Sequence[int] | None = None) -> None:
    """Drop zeros that a sibling scale or a category level shows to be real (in place).

    Parameters
    ----------
    scans : sequence of ColumnScan
        The scanned columns of one table.
    names : sequence of str
        Their names, for the evidence.
    active : sequence of int, optional
        The positions, in increasing order, of the columns that may hold a
        suspicious value or a natural 0 (default: all). The other columns are
        read only as the categories of the level rule, and only when a 0
        needs one.
    """
    positions = range(len(scans)) if active is None else active
    zeros = [(j, i) for j in positions if (i := _gap_zero(scans[j])) is not None]
    if not zeros:
        return
    ranges = {j: _range(scans[j]) for j in positions if scans[j].natural_zero}
    # as they stand before any 0 is explained; a column outside ``active`` has
    # no 0 to explain, so its levels can wait until a 0 needs them
    levels = {t: _levels(scans[t]) for t in positions}
    for j, i in zeros:
        scan = scans[j]
        own = _range(scan)
        sibling = next((t for t, other in ranges.items()
                        if t != j and other is not None and own is not None
                        and other[0] == 0 == own[0]
                        and np.isclose(other[1], own[1], rtol=SCALE_RTOL, atol=0)), None)
        if sibling is not None:
            _explain(scan, i, f"{names[sibling]!r} has the same range 0-"
                     f"{own[1]:g} and holds 0 as a real value, so 0 is a value of this scale")
            continue
        rows = np.flatnonzero(scan.codes == i)
        c = rows.size
        if c < MIN_ROWS or scan.confidence[i] >= STRONG:
            continue
        for t in range(len(scans)):
            if t == j:
                continue
            if t not in levels:
                levels[t] = _levels(scans[t])
            usable = levels[t]
            if usable is None:
                continue
            other = scans[t]
            held = other.codes[rows]
            hits = np.bincount(held[held >= 0], minlength=other.counts.size)
            hits[~usable] = 0
            level = int(np.argmax(hits))
            k = int(hits[level])
            overlap = k / (c + int(other.counts[level]) - k)
            if k >= MIN_ROWS and overlap >= LEVEL_OVERLAP:
                _explain(scan, i, f"its rows are those where {names[t]!r} is "
                         f"{other.write(level)!r} ({k} of its {c} rows, {overlap:.0%} overlap), "
                         f"so 0 is what that group has")
                break
