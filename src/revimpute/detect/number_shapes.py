"""How a number is written: as a person types it, and whether its digits look like a sentinel.

A sentinel is a number that stands for "no value" (``-999``, ``9999``, ``99.9``).
Its shape alone never flags a number; :mod:`revimpute.detect.numeric` asks the
column's other values for evidence.
"""

from __future__ import annotations

import numpy as np

__all__ = ["format_number", "sentinel_shape", "shaped_mask"]

_NINES = np.array([10.0**d - 1 for d in range(1, 16)])
_EIGHTS = np.array([8.0 * (10.0**d - 1) / 9 for d in range(2, 16)])
_SEVENS = np.array([7.0 * (10.0**d - 1) / 9 for d in range(2, 16)])
_INT_SHAPED = np.concatenate([_NINES, _EIGHTS, _SEVENS, [7.0, 8.0]])
_DEC_NINES = np.round(
    np.array([10.0**a - 10.0**-b for a in range(1, 9) for b in range(1, 4)]), 4
)


def format_number(value: float) -> str:
    """Write a number the way a person would type it (``-999``, ``99.9``)."""
    if not np.isfinite(value):
        return str(value)
    if value == np.round(value) and abs(value) < 1e16:
        return str(int(value))
    return np.format_float_positional(value, trim="-")


def sentinel_shape(value: float) -> int:
    """How much a number looks like a sentinel by its digits alone.

    Parameters
    ----------
    value : float
        A finite number.

    Returns
    -------
    int
        2 for strong shapes (``999``, ``-99``, ``99999``, ``999.9``,
        ``8888``), 1 for weak ones (``9``, ``99``, ``-1``, ``-9``, ``88``,
        ``777``, ``99.9``), 0 otherwise (``0`` included, which has its own
        rule).
    """
    if value == -1:
        return 1
    if value == np.round(value):
        digits = str(int(abs(value)))
        length = len(digits)
        if set(digits) == {"9"}:
            return 2 if length >= 3 or (value < 0 and length >= 2) else 1
        if set(digits) in ({"8"}, {"7"}):
            if length >= 4:
                return 2
            return 1 if length >= 2 or value < 0 else 0
        return 0
    text = np.format_float_positional(abs(value), trim="-")
    whole, _, frac = text.partition(".")
    if set(whole + frac) == {"9"}:
        return 2 if len(whole) >= 3 else 1
    return 0


def shaped_mask(values: np.ndarray) -> np.ndarray:
    """Vectorised pre-filter: True for the values that may have a sentinel shape (a superset of
    :func:`sentinel_shape` >= 1)."""
    absolute = np.abs(values)
    integral = values == np.round(values)
    shaped = integral & np.isin(absolute, _INT_SHAPED)
    shaped |= ~integral & np.isin(np.round(absolute, 4), _DEC_NINES)
    return shaped | (values == -1) | (values == -9)
