"""Row-level co-missingness: values missing together are evidence for each other.

A record whose coordinates, score and reference number are all ``0`` is a
record that was never filled in. When the rows holding a suspicious value of
one column are, far above chance, the rows where *other* columns hold strong
findings, that value is raised: a weak candidate (a ``0`` at the end of a
column without a gap) can become a finding, and a finding becomes surer.

Only values that a column rule already marked as suspicious are raised
(confidence above :data:`revimpute.detect.numeric.WEAK` or equal to it);
natural values (a frequent ``0``, a ``0`` on a k/n grid, the levels of a
category) are never candidates. The work is one boolean pass over the rows
per candidate value, never a Python loop over cells.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from revimpute.detect.columns import ColumnScan
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
            for t in others:
                k = int(np.count_nonzero(rows & strong_rows[t]))
                if k < MIN_ROWS or k < MIN_COVERAGE * c:
                    continue
                lift = k * n_rows / (c * sizes[t])
                if lift >= MIN_LIFT and (best is None or (k, lift) > best[:2]):
                    best = (k, lift, t)
            if best is None:
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
