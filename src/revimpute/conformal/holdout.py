"""Which rows are held out for calibration, and which of their cells are hidden.

Calibration rows are drawn once at fit from the imputer's random state and
kept out of every network's training. Each observed cell of a held-out row is
then hidden on its own, in a copy of the row (the row's other cells as they
are, real gaps included): under MCAR the cells around a hidden cell are then
missing exactly as often as around a real gap, so the held-out residuals are
exchangeable with the errors on the real gaps. At most :data:`MAX_CELLS`
cells are hidden (a random subset, for large tables).
"""

from __future__ import annotations

import numpy as np

from revimpute.exceptions import InputDataError

MAX_CELLS = 10_000
"""Upper bound on the held-out cells imputed at fit (each is one row copy to search)."""

_SALT = 0x5EED_CA11


def calibration_rows(n_rows: int, share: float, seed: int) -> np.ndarray:
    """Boolean mask of the rows held out from training, ``round(share * n_rows)`` of them.

    Parameters
    ----------
    n_rows : int
    share : float in (0, 1)
    seed : int
        Drawn from the imputer's random state.

    Raises
    ------
    InputDataError
        If fewer than 2 rows would be left to train on, or none held out.
    """
    n_held = int(round(share * n_rows))
    if n_held < 1 or n_rows - n_held < 2:
        raise InputDataError(
            f"calibration={share} holds out {n_held} of {n_rows} rows; calibration needs at least one "
            "held-out row and two rows to train on (a larger table, or another share)"
        )
    rng = np.random.default_rng([int(seed), _SALT])
    held = np.zeros(n_rows, dtype=bool)
    held[rng.choice(n_rows, n_held, replace=False)] = True
    return held


def hidden_cells(cell_missing: np.ndarray, seed: int, max_cells: int = MAX_CELLS) -> tuple[np.ndarray, np.ndarray]:
    """The cells of held-out rows to hide, one per row copy.

    Parameters
    ----------
    cell_missing : ndarray of bool, shape (n_held, n_columns)
        Missing cells of the held-out rows (encoded columns only).
    seed : int
    max_cells : int
        At most this many cells (a uniform random subset, kept in row order).

    Returns
    -------
    rows, columns : ndarray of int
        Row (in the held-out rows) and column of each hidden cell.
    """
    rows, columns = np.nonzero(~cell_missing)
    if rows.size > max_cells:
        rng = np.random.default_rng([int(seed), _SALT, 1])
        keep = np.sort(rng.choice(rows.size, max_cells, replace=False))
        rows, columns = rows[keep], columns[keep]
    return rows.astype(np.int64), columns.astype(np.int64)
