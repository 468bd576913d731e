"""Evidence that a number in a numeric column stands for "no value".

A number is never flagged for its shape alone: ``0``, ``-1`` or ``99`` are
ordinary values in many columns. It is flagged only when the distribution of
the *other* values of the column gives evidence:

* **far at an extreme** - a sentinel-shaped number (``-999``, ``9999``,
  ``99``...) is the column's lowest or highest value and the gap to the next
  value is large both against the spacing of the values near that end and
  against the interquartile range of the rest;
* **sign inconsistency** - it is the only negative value (at most two distinct
  negatives) in a column of non-negative numbers;
* **spike** - a sentinel-shaped number occurs many times more often than the
  values around it;
* **implausible default** - ``0`` below a strictly positive measurement (or
  above a strictly negative one, such as western longitudes), separated from
  the smallest real value by a density gap, or (repeated, and at least twice
  the local spacing from its neighbour) from the bulk of the column (its 1%
  quantile) by at least two interquartile ranges. A ``0`` that sits on a
  grid of fractions k/n that the other values follow (0, 16.7, 33.3 ... 100),
  or that holds a real share of the column with nothing separating it from
  the smallest values (counts 0, 1, 2, 3), is a natural value.

A ``0`` at the end of a column of positive (or negative) values without such
evidence is kept as a weak candidate (confidence 0.1, never flagged alone) so
that :mod:`revimpute.detect.comissing` can raise it when it is missing on the
same rows as strong findings of other columns. A ``0`` that holds a real share
of the column *and* is separated from the smallest values by a gap is kept as
a frequent candidate (confidence 0.3): one column cannot tell a disguised 0
(Pima's insulin) from a point mass of real zeros (wages of women not working),
so only other columns can raise it. A ``0`` right below a few small whole
numbers (allele codes 1-4, at most :data:`CODE_MAX_DISTINCT`) is marked as a
code zero, which
:mod:`revimpute.detect.comissing` may pair with a code zero of another column
missing on the same rows.

All functions work on the distinct values of a column and their counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from revimpute.detect.number_shapes import format_number, sentinel_shape, shaped_mask

#: Number of neighbouring distinct values used for local spacing and spikes.
NEIGHBOURS = 5
#: How many values may be peeled off each end of a column.
MAX_PEEL = 4
#: Below this many other distinct values, a weakly shaped extreme (``99``,
#: ``9``) must be under half as common as the typical value, or break an evenly
#: spaced scale (9 above 1..5), to be flagged.
FEW_DISTINCT = 10
#: A 0 holding at least this share of a column's cells is a natural value (a
#: point mass: no fuel bought, no wage, no children), not a default; from
#: ZERO_FAIR_SHARE on, a 0 that is not far from the other values (only a
#: local gap) gets at most FAIR_SHARE_CONFIDENCE (flagged by ``auto``, not
#: by ``strict``).
ZERO_NATURAL_SHARE = 0.2
ZERO_FAIR_SHARE = 0.1
FAIR_SHARE_CONFIDENCE = 0.7
#: Most adjacent codes at one end judged together (97, 98, 99).
CLUSTER_MAX = 3
#: Quantile of the other values that stands for the bulk of a column, and how
#: many interquartile ranges a repeated 0 must lie from it to be far from the bulk.
BULK_QUANTILE = 0.01
BULK_FAR = 2.0
#: Largest denominator n of a k/n grid (shares of up to 20 items).
GRID_MAX_DENOMINATOR = 20
#: Share of cells and of distinct values that must lie on a k/n grid.
GRID_CELL_SHARE = 0.95
GRID_DISTINCT_SHARE = 0.9
#: Confidence of a weak candidate (a 0 or a shaped number at an end, without
#: evidence); such candidates stop the peeling of an end.
WEAK = 0.1
#: Confidence of a frequent candidate: a 0 holding at least ZERO_NATURAL_SHARE
#: of a column, separated from the other values by a gap that would flag a
#: rarer 0. Never flagged alone; other columns may raise it.
FREQUENT = 0.3
#: A 0 below at most CODE_MAX_DISTINCT distinct positive whole numbers is a code
#: zero (an untyped allele below allele codes 1-13), whatever the gap: with a
#: few codes the spacing says little.
CODE_MAX_DISTINCT = 20

@dataclass(frozen=True)
class NumericFlag:
    """A number judged by the numeric rules.

    Attributes
    ----------
    value : float
        The number.
    kind : str
        The kind of finding, or ``"natural"`` for a 0 judged a real value
        (confidence 0).
    confidence : float
        How sure the rule is that the number stands for "no value".
    evidence : str
        Why, in words.
    code : bool
        A 0 right below a few small whole numbers (a code zero), which
        co-missingness may pair with a code zero of another column.
    """

    value: float
    kind: str
    confidence: float
    evidence: str
    code: bool = False


@dataclass(frozen=True)
class _Context:
    """Statistics of the rest of a column around one candidate value."""

    gap: float
    gap_local: float
    far_iqr: float
    spike: float
    extreme: str  # "low", "high" or ""
    neighbour: float
    rest_min: float
    rest_max: float
    bulk_gap: float  # distance to the bulk (1% / 99% quantile) in interquartile ranges
    share: float  # the value's share of all cells (itself included)
    rest_distinct: int
    rest_median_count: float
    rest_regular: bool  # the other values sit on an evenly spaced scale (1, 2, 3, 4, 5)
    rest_whole: bool  # the other values are all whole numbers

    @property
    def far(self) -> bool:
        if not self.extreme:
            return False
        local_ok = np.isfinite(self.gap_local) and self.gap_local >= 3
        return (local_ok and self.far_iqr >= 1.0) or self.far_iqr >= 5.0


def _context(values: np.ndarray, counts: np.ndarray, rest: np.ndarray, i: int) -> _Context | None:
    rest_values = values[rest]
    rest_counts = counts[rest]
    k = rest_values.size
    if k < 2:
        return None
    x = values[i]
    cum = np.cumsum(rest_counts)
    total = cum[-1]

    def quantile(p: float) -> float:
        return float(rest_values[min(int(np.searchsorted(cum, p * total)), k - 1)])

    spread = quantile(0.75) - quantile(0.25)
    if spread <= 0:
        spread = (rest_values[-1] - rest_values[0]) / 2
    if spread <= 0:
        spread = max(abs(quantile(0.5)), 1.0)

    pos = int(np.searchsorted(rest_values, x))
    left = rest_values[pos - 1] if pos > 0 else np.nan
    right = rest_values[pos] if pos < k else np.nan
    gaps = [g for g in (x - left, right - x) if np.isfinite(g)]
    gap = float(min(gaps))
    neighbour = float(left if pos > 0 and (pos == k or x - left <= right - x) else right)

    lo, hi = max(0, pos - NEIGHBOURS), min(k, pos + NEIGHBOURS)
    diffs = np.diff(rest_values[lo:hi])
    if 0 < pos < k:
        diffs = np.delete(diffs, pos - 1 - lo)
    spacing = float(np.median(diffs)) if diffs.size else np.nan
    gap_local = gap / spacing if spacing > 0 else np.nan
    near = float(np.median(rest_counts[lo:hi]))
    spike = counts[i] / max(near, 1.0)
    extreme = "low" if pos == 0 else "high" if pos == k else ""
    if extreme == "low":
        bulk_gap = (quantile(BULK_QUANTILE) - x) / spread
    elif extreme == "high":
        bulk_gap = (x - quantile(1 - BULK_QUANTILE)) / spread
    else:
        bulk_gap = 0.0
    return _Context(
        gap=gap,
        gap_local=gap_local,
        far_iqr=gap / spread,
        spike=float(spike),
        extreme=extreme,
        neighbour=neighbour,
        rest_min=float(rest_values[0]),
        rest_max=float(rest_values[-1]),
        bulk_gap=float(bulk_gap),
        share=float(counts[i] / (total + counts[i])),
        rest_distinct=k,
        rest_median_count=float(np.median(rest_counts)),
        rest_regular=_regular(rest_values) if k < FEW_DISTINCT else False,
        rest_whole=bool(k <= CODE_MAX_DISTINCT and np.all(rest_values == np.round(rest_values))),
    )


def _regular(values: np.ndarray) -> bool:
    """True when sorted ``values`` are evenly spaced (largest step <= 1.5x smallest)."""
    steps = np.diff(values)
    return bool(steps.size and steps.max() <= 1.5 * steps.min())


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _far_words(x: float, ctx: _Context) -> str:
    end = "lowest" if ctx.extreme == "low" else "highest"
    return (
        f"{format_number(x)} is the column's {end} value, "
        f"{format_number(round(ctx.gap, 6))} away from the nearest other value "
        f"{format_number(ctx.neighbour)} ({ctx.far_iqr:.1f}x the interquartile range"
        f" of the other values)"
    )


def _shape_words(shape: int) -> str:
    return "a typical sentinel number" if shape == 2 else "a number often used as a code"


def on_fraction_grid(values: np.ndarray, counts: np.ndarray) -> bool:
    """True when the non-zero values are fractions k/n with small n (shares of items).

    Values are read as fractions of 1, 10 or 100 (the smallest that holds
    the largest value). Each value must be within half a unit of its last written
    decimal of some k/n with n <= :data:`GRID_MAX_DENOMINATOR` (for
    :data:`GRID_CELL_SHARE` of the cells and :data:`GRID_DISTINCT_SHARE` of
    the distinct values), and the written precision must be fine enough to
    tell such a grid from any other number (whole percentages are not).

    Parameters
    ----------
    values : numpy.ndarray of float
        Distinct finite numbers of a column (0 may be among them).
    counts : numpy.ndarray of int
        Cells per number.

    Returns
    -------
    bool
    """
    keep = values != 0
    values, counts = values[keep], counts[keep]
    if values.size < 3 or values.min() < 0:
        return False
    top = float(values.max())
    scale = next((float(s) for s in (1, 10, 100) if top <= s), 0.0)
    if not scale:
        return False
    decimals = next((d for d in range(7) if np.all(np.abs(np.round(values, d) - values) < 1e-9)),
                    7)
    tol = 0.5 * 10.0**-decimals / scale + 1e-12
    if tol >= 0.5 / GRID_MAX_DENOMINATOR**2:
        return False  # too coarse: every number would be near some k/n
    fractions = values / scale
    on = np.zeros(values.size, dtype=bool)
    for n in range(2, GRID_MAX_DENOMINATOR + 1):
        on |= np.abs(fractions * n - np.round(fractions * n)) <= tol * n
    on |= np.abs(fractions - 1) <= tol
    return bool(on.mean() >= GRID_DISTINCT_SHARE
                and counts[on].sum() >= GRID_CELL_SHARE * counts.sum())


def _evaluate_zero(ctx: _Context, count: int, grid: bool) -> NumericFlag | None:
    """A 0 at the end of a column whose other values all have one sign."""
    positive, negative = ctx.rest_min > 0, ctx.rest_max < 0
    if not (positive or negative):
        return None
    nearest = ctx.rest_min if positive else ctx.rest_max
    sign = "positive" if positive else "negative"
    base = (
        f"0 appears {_times(count)} ({ctx.share:.1%} of the cells) in a column whose other "
        f"values are all {sign} (nearest {format_number(nearest)})"
    )
    if grid:
        return NumericFlag(0.0, "natural", 0.0, f"{base}; the values lie on a grid of fractions k/n")
    gap_local = ctx.gap_local if np.isfinite(ctx.gap_local) else 0.0
    repeated = count >= 2 and gap_local >= 5 and ctx.far_iqr >= 0.12
    single = count == 1 and gap_local >= 10 and ctx.far_iqr >= 0.3
    bulk = count >= 2 and ctx.bulk_gap >= BULK_FAR and gap_local >= 2
    code = positive and ctx.rest_whole and ctx.rest_distinct <= CODE_MAX_DISTINCT
    codes = "; it sits below a few whole numbers (codes)" if code else ""
    if ctx.share >= ZERO_NATURAL_SHARE:
        if not (ctx.far or bulk or repeated):
            if code:
                return NumericFlag(0.0, "implausible_default", WEAK,
                                   f"{base}; nothing separates it from them{codes}", code=True)
            return NumericFlag(0.0, "natural", 0.0,
                               f"{base}; it holds a real share of the column and nothing "
                               f"separates it from the smallest values")
        return NumericFlag(0.0, "implausible_default", FREQUENT,
                           f"{base}; the gap to {format_number(nearest)} is {gap_local:.0f}x the "
                           f"spacing of the nearest values, but a 0 holding a real share of a "
                           f"column may be a real value{codes}", code=code)
    if ctx.far:
        conf = 0.85 if count >= 2 else 0.7
        words = (f"{base}; the gap to {format_number(nearest)} is "
                 f"{ctx.far_iqr:.1f}x the interquartile range of the other values")
    elif bulk:
        conf = 0.85 if ctx.bulk_gap >= 2 * BULK_FAR else 0.8
        words = (f"{base}; the bulk of the column (its {BULK_QUANTILE:.0%} quantile) is "
                 f"{ctx.bulk_gap:.1f}x the interquartile range away")
    elif repeated or single:
        conf = 0.6
        if repeated:
            conf += 0.1 if ctx.far_iqr >= 0.4 else 0.0
            conf += 0.1 if gap_local >= 10 else 0.0
            conf += 0.1 if ctx.spike >= 3 else 0.0
        words = (f"{base}; the gap to {format_number(nearest)} is "
                 f"{gap_local:.0f}x the spacing of the nearest values and "
                 f"{ctx.far_iqr:.2f}x the interquartile range")
    else:
        return NumericFlag(0.0, "implausible_default", WEAK,
                           f"{base}; no gap separates it from them{codes}", code=code)
    if ctx.share >= ZERO_FAIR_SHARE and not ctx.far:
        conf = min(conf, FAIR_SHARE_CONFIDENCE)
        words += "; but it holds a fair share of the column, so it may be a real value"
    return NumericFlag(0.0, "implausible_default", round(min(conf, 0.95), 2), words + codes,
                       code=code)


def _evaluate(
    values: np.ndarray,
    counts: np.ndarray,
    active: np.ndarray,
    i: int,
    n_negative: int,
    grid: bool = False,
) -> NumericFlag | None:
    rest = active.copy()
    rest[i] = False
    ctx = _context(values, counts, rest, i)
    if ctx is None:
        return None
    x = float(values[i])
    count = int(counts[i])
    shape = sentinel_shape(x)

    if x == 0:
        return _evaluate_zero(ctx, count, grid)

    if x < 0 and ctx.rest_min >= 0 and ctx.rest_distinct >= 3 and n_negative <= 2:
        words = (
            f"{format_number(x)} appears {_times(count)} and is the only negative value"
            f" in a column of non-negative numbers"
        )
        integral = x == np.round(x)
        if integral and (shape >= 1 or x >= -10):
            conf = 0.9 if count >= 2 else 0.7
            if ctx.far:
                conf = max(conf, 0.95 if count >= 2 else 0.8)
            return NumericFlag(x, "sentinel", conf, words)
        if ctx.far:
            return NumericFlag(
                x, "sentinel", 0.75 if count >= 2 else 0.6, words + "; " + _far_words(x, ctx)
            )
        if count >= 2 and ctx.spike >= 3:
            return NumericFlag(x, "sentinel", 0.6, words)
        return None

    if ctx.far and shape >= 1:
        words = f"{_far_words(x, ctx)}; it appears {_times(count)}; {_shape_words(shape)}"
        if shape == 2:
            conf = 0.97 if count >= 2 else 0.85
        elif count == 1:
            conf = 0.45
        elif (ctx.rest_distinct < FEW_DISTINCT and count >= 0.5 * ctx.rest_median_count
              and not ctx.rest_regular):
            # a weak shape as common as the few other values, which are not on an
            # even scale it would break (prices 4.99, 9.99, 19.99, 49.99, 99.99)
            conf = 0.45
            words += "; but it is as common as the other values of this short, uneven list"
        else:
            conf = 0.85
        return NumericFlag(x, "sentinel", conf, words)

    if shape >= 1 and count >= 3:
        local_ok = np.isfinite(ctx.gap_local) and ctx.gap_local >= 3
        if (shape == 2 and ctx.spike >= 5) or (shape == 1 and ctx.spike >= 5 and local_ok):
            words = (
                f"{format_number(x)} appears {count} times, {ctx.spike:.0f}x as often as"
                f" the values near it; {_shape_words(shape)}"
            )
            if local_ok:
                words += (
                    f"; the nearest other value {format_number(ctx.neighbour)} is "
                    f"{ctx.gap_local:.0f}x the usual spacing away"
                )
            return NumericFlag(x, "sentinel", 0.8 if shape == 2 else 0.7, words)
    return None


def _code_cluster(values: np.ndarray, counts: np.ndarray, active: np.ndarray,
                  side: str) -> dict[int, NumericFlag]:
    """Adjacent survey codes at one end (97/98/99, 8/9), far from the other values.

    Peeling judges one end value at a time against the rest, so two codes
    next to each other (98 "don't know", 99 "no answer") hide each other. Here
    the CLUSTER_MAX end values that are consecutive whole numbers ending in a
    shaped number (:func:`~revimpute.detect.number_shapes.sentinel_shape` >= 1) are judged together: when the
    other values are at least :data:`FEW_DISTINCT` and the cluster is far from
    them (same test as for one value), every member is flagged and taken out
    of ``active``.
    """
    idx = np.flatnonzero(active)
    if idx.size < FEW_DISTINCT + 2:
        return {}
    ends = idx[-CLUSTER_MAX:][::-1] if side == "high" else idx[:CLUSTER_MAX]
    end_value = float(values[ends[0]])
    if end_value != np.round(end_value) or sentinel_shape(end_value) < 1:
        return {}
    step = -1.0 if side == "high" else 1.0
    members = [int(ends[0])]
    for i in ends[1:]:
        if float(values[i]) != end_value + step * len(members):
            break
        members.append(int(i))
    if len(members) < 2:
        return {}
    inner = members[-1]
    rest = active.copy()
    rest[members] = False
    ctx = _context(values, counts, rest, inner)
    if ctx is None or not ctx.far or ctx.rest_distinct < FEW_DISTINCT:
        return {}
    codes = "/".join(format_number(float(values[i])) for i in sorted(members))
    flags = {}
    for i in members:
        count = int(counts[i])
        words = (f"{format_number(float(values[i]))} appears {_times(count)}; the codes {codes} "
                 f"sit together at the column's {'highest' if side == 'high' else 'lowest'} end, "
                 f"{format_number(round(ctx.gap, 6))} away from the nearest other value "
                 f"{format_number(ctx.neighbour)} ({ctx.far_iqr:.1f}x the interquartile range)")
        flags[i] = NumericFlag(float(values[i]), "sentinel", 0.9 if count >= 2 else 0.7, words)
    active[members] = False
    return flags


def numeric_flags(values: np.ndarray, counts: np.ndarray, weak: bool = False) -> list[NumericFlag]:
    """Find the numbers of one column that stand for "no value".

    Parameters
    ----------
    values : numpy.ndarray of float
        Distinct numbers of the column (non-finite ones are ignored).
    counts : numpy.ndarray of int
        How many cells hold each number.
    weak : bool, default=False
        Also return candidates below every policy's threshold (confidence
        :data:`WEAK` or :data:`FREQUENT`) and natural zeros (kind
        ``"natural"``, confidence 0).

    Returns
    -------
    list of NumericFlag
        Flagged numbers, lowest value first. Deterministic.
    """
    values = np.asarray(values, dtype=float)
    counts = np.asarray(counts, dtype=np.int64)
    finite = np.isfinite(values)
    values, counts = values[finite], counts[finite]
    order = np.argsort(values, kind="stable")
    values, counts = values[order], counts[order]
    k = values.size
    if k < 3:
        return []
    n_negative = int(np.count_nonzero(values < 0))
    grid = bool((values == 0).any()) and on_fraction_grid(values, counts)
    active = np.ones(k, dtype=bool)
    flags: dict[int, NumericFlag] = {}

    for side in ("low", "high"):
        flags.update(_code_cluster(values, counts, active, side))
        for _ in range(MAX_PEEL):
            idx = np.flatnonzero(active)
            if idx.size < 3:
                break
            i = int(idx[0] if side == "low" else idx[-1])
            flag = _evaluate(values, counts, active, i, n_negative, grid)
            if flag is None:
                break
            flags[i] = flag
            if flag.confidence <= FREQUENT:
                break  # a natural 0 or a candidate ends the peeling of this end
            active[i] = False

    candidates = np.flatnonzero(
        active & (shaped_mask(values) | (values == 0) | ((values < 0) & (n_negative <= 2)))
    )
    interior = {}
    for i in candidates:
        flag = _evaluate(values, counts, active, int(i), n_negative, grid)
        if flag is not None:
            interior[int(i)] = flag
    flags.update(interior)
    return [flags[i] for i in sorted(flags) if weak or flags[i].confidence > FREQUENT]
