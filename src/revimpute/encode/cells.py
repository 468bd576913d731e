"""One value as the text a CSV file holds for it."""

from __future__ import annotations

import numpy as np
import pandas as pd


def render_cell(value: object) -> str:
    """One imputed value as the text written for it in a CSV file.

    The text depends on the value alone (never on the other cells of its
    column or chunk): whole numbers and text as ``str``; floats as the shortest
    text that reads back to the same float (``repr``); booleans ``True`` /
    ``False``; a date-time at midnight without a time zone as ``YYYY-MM-DD``,
    any other as ISO 8601 with a space before the time (``2024-05-01
    13:30:00+02:00``).
    """
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        stamp = pd.Timestamp(value)
        if stamp.tz is None and stamp == stamp.normalize():
            return stamp.strftime("%Y-%m-%d")
        return stamp.isoformat(sep=" ")
    return str(value)
