"""Row-level co-missingness: values missing together are evidence for each other.

A record whose coordinates, score and reference number are all ``0`` is a
record that was never filled in. Three kinds of row-level evidence raise a
suspicious value of one column:

* **strong findings on its rows**: most of its rows hold strong findings of
  another column, far above chance; a weak candidate (a ``0`` at the end of a
  column without a gap) can become a finding, and a finding becomes surer;
* **strong findings inside its rows**: nearly all the rows of another
  column's strong findings hold this value, far beyond chance (a binomial
  tail below :data:`CONTAIN_P`) and at least :data:`CONTAIN_LIFT` times its
  share of the column. This is how a ``0`` that fills a third of a
  column (Pima's skin thickness), which one column cannot judge, is raised by
  the blood pressures of 0 that sit on its rows;
* **code zeros in pairs**: a ``0`` right below a few small whole numbers
  (an untyped allele below allele codes 1-4) whose rows are nearly the same
  rows (intersection over union >= :data:`PAIR_OVERLAP`) as those of such a
  ``0`` in another column, far above chance: both alleles of a marker left
  untyped together.

Only values that a column rule already marked as suspicious are raised
(confidence above :data:`revimpute.detect.numeric.WEAK` or equal to it);
natural values (a frequent ``0`` with nothing separating it from the other
values, a ``0`` on a k/n grid, the levels of a category) are never
candidates. The work is one boolean pass over the rows per candidate value
and partner column, and one intersection of sorted row numbers per pair of
code zeros of similar counts, never a Python loop over cells.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import bdtrc

from revimpute.detect.scan import ColumnScan
from revimpute.detect.numeric import WEAK

#: Confidence from which a finding counts as strong evidence for other columns.
STRONG = 0.8
#: A candidate is raised when at least MIN_ROWS of its rows, and at least
#: MIN_COVERAGE of them, hold a strong finding in another column, and that
#: overlap is at least MIN_LIFT times what chance gives.
MIN_ROWS = 3
MIN_COVERAGE = 0.5
MIN_LIFT = 5.0
#: Highest confidence co-missingness alone can give.
MAX_RAISED = 0.9
#: Most passes: a value raised to STRONG is evidence for the next pass.
MAX_ROUNDS = 3
#: Strong findings inside a candidate's rows: at least CONTAIN_MIN_ROWS rows of
#: the partner's strong findings, at least CONTAIN_SHARE of them on the
#: candidate's rows, with a chance probability (binomial tail, each row holding
#: the candidate with its share of the column) below CONTAIN_P. The candidate
#: is raised to CONTAINED: flagged by ``auto``, not evidence for others.
CONTAIN_MIN_ROWS = 5
CONTAIN_SHARE = 0.9
CONTAIN_P = 1e-6
CONTAINED = 0.7
#: ... and that share must be at least CONTAIN_LIFT times the candidate's share
#: of the column: a value holding most of a column holds most of anything.
CONTAIN_LIFT = 2.0
#: Code zeros in pairs: rows overlapping by at least PAIR_OVERLAP (intersection
#: over union), at least MIN_ROWS rows in common, and at least PAIR_LIFT times
#: the overlap chance gives. Raised to PAIRED, up to PAIRED + 0.1 for
#: identical rows. Two columns that agree on at least COPY_AGREEMENT of the
#: rows where neither holds the 0 are copies of each other (the same variable
#: twice), and their zeros are no evidence for each other. The two columns must
#: also write the same codes: at least SHARED_CODES of the other values of the
#: one with fewer hold in the other too (two alleles of one marker, not a
#: father's and a mother's identifier).
PAIR_OVERLAP = 0.9
PAIR_LIFT = 2.0
PAIRED = 0.6
COPY_AGREEMENT = 0.99
SHARED_CODES = 0.5


def _value_rows(scan: ColumnScan, idx: np.ndarray) -> np.ndarray:
    """Rows holding one of the distinct values ``idx`` of a column."""
    if not idx.size:
        return np.zeros(scan.codes.size, dtype=bool)
    if idx.size == 1:
        return scan.codes == idx[0]
    return np.isin(scan.codes, idx)


def raise_co_missing(scans: Sequence[ColumnScan], names: Sequence[str],
                     never: Sequence[np.ndarray]) -> None:
    """Raise candidates missing together with strong findings, until nothing changes.

    A value raised to :data:`STRONG` or above becomes evidence in turn; at
    most :data:`MAX_ROUNDS` passes are made. See :func:`raise_pass`.
    """
    for _ in range(MAX_ROUNDS):
        if not raise_pass(scans, names, never):
            return


def raise_pass(scans: Sequence[ColumnScan], names: Sequence[str],
               never: Sequence[np.ndarray]) -> bool:
    """One pass: raise candidates missing on the same rows as strong findings.

    Parameters
    ----------
    scans : sequence of ColumnScan
        The scanned columns of one table (changed in place).
    names : sequence of str
        Their names, for the evidence.
    never : sequence of numpy.ndarray of bool
        Per column, the distinct values the user never wants flagged; they
        are neither raised nor used as evidence.

    Returns
    -------
    bool
        True when some value became strong in this pass.

    Notes
    -----
    Each other column is a possible partner. For a candidate with ``c``
    rows, of which ``k`` hold a strong finding (confidence >= :data:`STRONG`)
    of the partner, whose strong findings fill ``m`` of the ``n`` rows, the
    lift is ``k / (c * m / n)``; the partner with the largest ``k`` among
    those passing the thresholds is kept. The new confidence is
    ``0.6 + 0.3 * (k / c - 0.5) / 0.5`` capped at :data:`MAX_RAISED`, or, for
    a value that was already flagged, 0.05 more than the larger of that and
    its old confidence (at most 0.95).
    """
    if len(scans) < 2:
        return False
    n_rows = scans[0].codes.size
    if n_rows == 0:
        return False
    strong_rows: list[np.ndarray | None] = []
    for scan, skip in zip(scans, never):
        strong = np.flatnonzero((scan.confidence >= STRONG) & ~scan.native & ~skip
                                & (scan.counts > 0))
        strong_rows.append(_value_rows(scan, strong) if strong.size else None)
    partners = [t for t, rows in enumerate(strong_rows) if rows is not None]
    if not partners:
        return False
    became_strong = False
    sizes = {t: int(np.count_nonzero(strong_rows[t])) for t in partners}
    for j, (scan, skip) in enumerate(zip(scans, never)):
        candidates = np.flatnonzero((scan.confidence >= WEAK) & ~scan.native & ~skip
                                    & (scan.counts >= MIN_ROWS))
        others = [t for t in partners if t != j]
        if not candidates.size or not others:
            continue
        for i in candidates:
            rows = scan.codes == i
            c = int(scan.counts[i])
            best = None
            contained = None
            for t in others:
                k = int(np.count_nonzero(rows & strong_rows[t]))
                m = sizes[t]
                if (k >= CONTAIN_MIN_ROWS and k >= CONTAIN_SHARE * m and contained is None
                        and k * n_rows >= CONTAIN_LIFT * c * m
                        and bdtrc(k - 1, m, c / n_rows) < CONTAIN_P):
                    contained = (k, m, t)
                if k < MIN_ROWS or k < MIN_COVERAGE * c:
                    continue
                lift = k * n_rows / (c * m)
                if lift >= MIN_LIFT and (best is None or (k, lift) > best[:2]):
                    best = (k, lift, t)
            if best is None:
                if contained is not None and scan.confidence[i] < CONTAINED:
                    k, m, t = contained
                    scan.confidence[i] = CONTAINED
                    scan.evidence[i] = (
                        f"{scan.evidence[i]}; {k} of the {m} rows where {names[t]!r} is "
                        f"missing hold it, which chance alone would give with probability "
                        f"{bdtrc(k - 1, m, c / n_rows):.0e}")
                continue
            k, lift, t = best
            coverage = k / c
            raised = 0.6 + 0.3 * (coverage - MIN_COVERAGE) / (1 - MIN_COVERAGE)
            old = float(scan.confidence[i])
            if old >= 0.5:
                raised = max(raised, old) + 0.05
            raised = round(min(raised, MAX_RAISED if old < 0.5 else 0.95), 2)
            if raised <= old:
                continue
            became_strong |= old < STRONG <= raised
            scan.confidence[i] = raised
            scan.evidence[i] = (
                f"{scan.evidence[i]}; on {k} of its {c} rows ({coverage:.0%}) {names[t]!r} is "
                f"missing too, {lift:.0f}x what chance gives")
    return became_strong


def _copies(first: ColumnScan, second: ColumnScan, zero_first: int, zero_second: int) -> bool:
    """True when two columns hold the same number on nearly every row where neither is the 0."""
    both = ((first.codes >= 0) & (second.codes >= 0)
            & (first.codes != zero_first) & (second.codes != zero_second))
    if not both.any():
        return True
    a = first.numbers[first.codes[both]]
    b = second.numbers[second.codes[both]]
    return bool(np.mean(a == b) >= COPY_AGREEMENT)


def _same_codes(first: ColumnScan, second: ColumnScan) -> bool:
    """True when two columns write mostly the same codes besides their 0."""
    sets = []
    for scan in (first, second):
        values = scan.numbers[(scan.counts > 0) & np.isfinite(scan.numbers)]
        sets.append(np.unique(values[values != 0]))
    small, large = sorted(sets, key=len)
    return bool(small.size and np.isin(small, large).mean() >= SHARED_CODES)


def pair_code_zeros(scans: Sequence[ColumnScan], names: Sequence[str],
                    never: Sequence[np.ndarray]) -> None:
    """Raise code zeros of two columns that are missing on nearly the same rows (in place).

    Parameters
    ----------
    scans : sequence of ColumnScan
        The scanned columns of one table (changed in place).
    names : sequence of str
        Their names, for the evidence.
    never : sequence of numpy.ndarray of bool
        Per column, the distinct values the user never wants flagged.

    Notes
    -----
    Candidates are the code zeros (``ColumnScan.code_zero``) with at least
    :data:`MIN_ROWS` cells and a confidence below ``auto``'s threshold. Two
    candidates of ``c1`` and ``c2`` rows with ``k`` rows in common pair when
    ``k / (c1 + c2 - k) >= PAIR_OVERLAP`` and ``k * n / (c1 * c2) >=
    PAIR_LIFT``; only candidates whose counts are within the factor
    ``PAIR_OVERLAP`` of each other can pair, so candidates are sorted by count
    and each is compared with its neighbours in that window. Columns that
    are copies of each other (:data:`COPY_AGREEMENT`), or that do not write the
same codes (:data:`SHARED_CODES`), do not pair. A paired
    candidate gets ``PAIRED + 0.1 * (overlap - PAIR_OVERLAP) / (1 -
    PAIR_OVERLAP)`` from its best partner.
    """
    n_rows = scans[0].codes.size if scans else 0
    found = []
    for j, (scan, skip) in enumerate(zip(scans, never)):
        if scan.code_zero is None:
            continue
        for i in np.flatnonzero(scan.code_zero & ~skip & (scan.counts >= MIN_ROWS)
                                & (scan.confidence >= WEAK) & (scan.confidence < 0.5)):
            found.append((int(scan.counts[i]), j, int(i)))
    if len(found) < 2:
        return
    found.sort()
    rows = [np.flatnonzero(scans[j].codes == i) for _, j, i in found]
    best: dict[int, tuple[float, int, int]] = {}
    for a, (ca, ja, _) in enumerate(found):
        for b in range(a + 1, len(found)):
            cb, jb, _ = found[b]
            if ca < PAIR_OVERLAP * cb:
                break
            if ja == jb:
                continue
            k = np.intersect1d(rows[a], rows[b], assume_unique=True).size
            overlap = k / (ca + cb - k)
            if k < MIN_ROWS or overlap < PAIR_OVERLAP or k * n_rows < PAIR_LIFT * ca * cb:
                continue
            if (_copies(scans[ja], scans[jb], found[a][2], found[b][2])
                    or not _same_codes(scans[ja], scans[jb])):
                continue
            for x, y in ((a, b), (b, a)):
                if x not in best or (overlap, k) > best[x][:2]:
                    best[x] = (overlap, k, y)
    for x, (overlap, k, y) in best.items():
        c, j, i = found[x]
        scan = scans[j]
        raised = round(PAIRED + 0.1 * (overlap - PAIR_OVERLAP) / (1 - PAIR_OVERLAP), 2)
        if raised <= scan.confidence[i]:
            continue
        partner = names[found[y][1]]
        scan.confidence[i] = raised
        scan.evidence[i] = (f"{scan.evidence[i]}; {partner!r} holds such a 0 on {k} of its {c} "
                            f"rows ({overlap:.0%} of the rows of either), far above chance")
