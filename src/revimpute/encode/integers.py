"""Imputed floats as whole numbers, without overflow or lost digits.

Casting a float to int64 wraps around at 2**63 (``float(2**63 - 1)`` is
``2**63``), and an int64 above 2**53 loses digits as a float. Imputed values
are estimates computed in floating point; the bounds they are clipped to are
observed whole numbers, kept exact here.
"""

from __future__ import annotations

import numpy as np


def float_to_integer(
    values: np.ndarray,
    dtype: np.dtype | str = np.int64,
    low: int | None = None,
    high: int | None = None,
) -> np.ndarray:
    """Round finite floats to whole numbers of ``dtype``, clipped to ``[low, high]``.

    Parameters
    ----------
    values : ndarray of float
        Finite values (imputed estimates).
    dtype : numpy integer dtype, default=int64
        The result's type; values beyond its range become its limits.
    low, high : int or None
        Exact bounds (the smallest and largest observed value); None for the
        dtype's own limits.

    Returns
    -------
    ndarray of ``dtype``
        ``clip(rint(values), low, high)`` computed so that no value wraps
        around and the bounds are reached exactly.
    """
    dtype = np.dtype(dtype)
    info = np.iinfo(dtype)
    lowest = info.min if low is None else max(int(low), info.min)
    highest = info.max if high is None else min(int(high), info.max)
    rounded = np.rint(np.asarray(values, dtype=np.float64))
    # floats at or beyond the bounds' float images are the bounds themselves;
    # the ones strictly inside convert without overflow
    at_low = rounded <= float(lowest)
    at_high = rounded >= float(highest)
    inside = np.where(at_low | at_high, 0.0, rounded)
    out = inside.astype(dtype)
    out[at_low] = lowest
    out[at_high] = highest
    return np.clip(out, lowest, highest)
