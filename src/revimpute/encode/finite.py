"""One check for infinite values, shared by every path that reads numbers."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from revimpute.exceptions import InputDataError


def reject_infinite(
    values: np.ndarray,
    label: str | Callable[[int], str],
    what: str | None = None,
) -> None:
    """Raise :class:`InputDataError` if ``values`` holds +inf or -inf.

    Parameters
    ----------
    values : ndarray of float, 1-D (one column) or 2-D (a table)
    label : str or callable
        The column's label (1-D), or a function giving the label of column ``j`` (2-D).
    what : str or None
        What the data is ("X", "the input table"), put in front of the message.

    Raises
    ------
    InputDataError
        Naming the first column with an infinite value, how many cells it has and
        the first row, e.g. ``column 'x' holds an infinite value (2 cells, first at row 5)``.
    """
    infinite = np.isinf(values)
    if not infinite.any():
        return
    if values.ndim == 1:
        name, cells = label, infinite
    else:
        j = int(np.flatnonzero(infinite.any(axis=0))[0])
        name, cells = label(j), infinite[:, j]
    row = int(np.flatnonzero(cells)[0])
    prefix = f"{what}: " if what else ""
    raise InputDataError(
        f"{prefix}column {name} holds an infinite value ({int(cells.sum())} cells, first at row {row}); "
        "replace inf by a number or by NaN to impute it"
    )
