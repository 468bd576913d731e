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


def _value_rows(scan: ColumnScan, idx: np.ndarray) -> np.ndarray:
    """Rows holding one of the distinct values ``idx`` of a column."""
    if not idx.size:
        return np.zeros(scan.codes.size, dtype=bool)
    if idx.size == 1:
        return scan.codes == idx[0]
    return np.isin(scan.codes, idx)


def raise_co_missing(scans: Sequence[ColumnScan], names: Sequence[str],
                     never: Sequence[np.ndarray]) -> None:
    """Raise the confidence of candidates missing on the same rows as strong findings.

    Parameters
    ----------
    scans : sequence of ColumnScan
        The scanned columns of one table (changed in place).
    names : sequence of str
        Their names, for the evidence.
    never : sequence of numpy.ndarray of bool
        Per column, the distinct values the user never wants flagged; they
        are neither raised nor used as evidence.

    Notes
    -----
    For a candidate with ``c`` rows, of which ``k`` hold a strong finding
    (confidence >= :data:`STRONG`) in some other column, and ``m`` rows of
    the table with such a finding, the lift is ``k / (c * m / n)``. The new
    confidence is ``max(old, 0.6 + 0.3 * (k / c - 0.5) / 0.5)`` capped at
    :data:`MAX_RAISED`, plus 0.05 for a value that was already flagged.
    """
    if len(scans) < 2:
        return
    n_rows = scans[0].codes.size
    if n_rows == 0:
        return
    strong_rows = []
    for scan, skip in zip(scans, never):
        strong = np.flatnonzero((scan.confidence >= STRONG) & ~scan.native & ~skip
                                & (scan.counts > 0))
        strong_rows.append(_value_rows(scan, strong))
    per_row = np.sum(strong_rows, axis=0, dtype=np.int64)
    if not per_row.any():
        return
    for j, (scan, skip) in enumerate(zip(scans, never)):
        candidates = np.flatnonzero((scan.confidence >= WEAK) & ~scan.native & ~skip
                                    & (scan.counts >= MIN_ROWS))
        if not candidates.size:
            continue
        others = per_row - strong_rows[j]
        other_rows = others > 0
        m = int(other_rows.sum())
        if m == 0:
            continue
        for i in candidates:
            rows = scan.codes == i
            c = int(scan.counts[i])
            k = int(np.count_nonzero(rows & other_rows))
            if k < MIN_ROWS or k < MIN_COVERAGE * c:
                continue
            lift = k / (c * m / n_rows)
            if lift < MIN_LIFT:
                continue
            coverage = k / c
            raised = 0.6 + 0.3 * (coverage - MIN_COVERAGE) / (1 - MIN_COVERAGE)
            old = float(scan.confidence[i])
            if old >= 0.5:
                raised = max(raised, old) + 0.05
            raised = round(min(raised, MAX_RAISED if old < 0.5 else 0.95), 2)
            if raised <= old:
                continue
            partners = sorted({names[t] for t in range(len(scans)) if t != j
                               and np.any(rows & strong_rows[t])})
            shown = ", ".join(partners[:4]) + (" ..." if len(partners) > 4 else "")
            words = (f"{scan.evidence[i]}; on {k} of its {c} rows ({coverage:.0%}) other "
                     f"columns are missing too ({shown}), {lift:.0f}x what chance gives")
            scan.confidence[i] = raised
            scan.evidence[i] = words
