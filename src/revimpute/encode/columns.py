"""One column as the encoders learn it at fit, and imputed work values back in its dtype.

Shared by :class:`~revimpute.encode.table.TableEncoder` (network units) and
:class:`~revimpute.encode.codes.CodeEncoder` (one work column per column):
the order of a column's categories, what fit records about a column
(:class:`ColumnCode`), and :func:`number_values`, which turns imputed numbers,
whole numbers and datetimes into values the column's own dtype holds,
rounded and clipped to the range observed at fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from revimpute.encode.cells import render_cell
from revimpute.encode.integers import float_to_integer
from revimpute.encode.kinds import ColumnKind

#: Work units of datetimes: seconds or nanoseconds since the epoch (UTC).
DATETIME_UNITS = ("s", "ns")


@dataclass
class ColumnCode:
    """How one column is encoded (learned at fit).

    Attributes
    ----------
    kind : ColumnKind
    start, width : int
        The column's network units (:class:`~revimpute.encode.table.TableEncoder`).
    categories : list
        Categorical and boolean columns: the classes seen at fit, in order.
    low, high : float
        Number kinds: the smallest and largest observed value in work units.
    timezone : str or None
        Datetimes: the time zone seen at fit.
    round_to_days : bool
        Datetimes: imputed values are whole days (in seconds units only).
    empty : bool
        No observed value at fit.
    exact_low, exact_high : int or None
        Integers: the smallest and largest observed value, exactly.
    unit : {"s", "ns"}
        Datetimes: the work unit.
    """

    kind: ColumnKind
    start: int = 0
    width: int = 0
    categories: list[Any] = field(default_factory=list)
    low: float = np.nan
    high: float = np.nan
    timezone: str | None = None
    round_to_days: bool = False
    empty: bool = False
    exact_low: int | None = None
    exact_high: int | None = None
    unit: str = "s"

    @property
    def encoded(self) -> bool:
        return self.width > 0


def holding_kind(series: pd.Series, code: ColumnCode) -> pd.Series:
    """A column with no observed value, in a dtype that can hold the values of its kind.

    A column that is entirely missing reads as float64 (a CSV column of empty
    cells, say); the imputed categories, booleans or datetimes need another
    dtype. Columns with an observed value are returned as they are.
    """
    if series.notna().any() or not pd.api.types.is_float_dtype(series.dtype):
        return series
    if code.kind == ColumnKind.CATEGORICAL:
        return series.astype(object)
    if code.kind == ColumnKind.BOOLEAN:
        return series.astype("boolean")
    if code.kind == ColumnKind.INTEGER:
        return series.astype("Int64")
    if code.kind == ColumnKind.DATETIME:
        dtype = pd.DatetimeTZDtype(tz=code.timezone) if code.timezone else np.dtype("datetime64[ns]")
        return pd.Series(pd.NaT, index=series.index, dtype=dtype, name=series.name)
    return series


def holds_text(series: pd.Series) -> bool:
    """True for a string column, or an object column whose values are text."""
    if isinstance(series.dtype, pd.StringDtype):
        return True
    if series.dtype != object:
        return False
    observed = series.dropna()
    return bool(len(observed)) and isinstance(observed.iloc[0], str)


def json_value(value: Any) -> Any:
    """A NumPy scalar as the Python value it holds; anything else as given."""
    return value.item() if isinstance(value, np.generic) else value


def observed_categories(series: pd.Series) -> list[Any]:
    """The categories of a column seen among its observed values, in a fixed order.

    Categorical dtype: the dtype's order; other columns: sorted (by ``repr``
    when the values do not compare). NumPy scalars become Python values.
    """
    observed = series.dropna()
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(observed.unique().tolist())
        return [json_value(c) for c in series.cat.categories if c in present]
    values = pd.unique(observed)
    try:
        values = sorted(values)
    except TypeError:
        values = sorted(values, key=repr)
    return [json_value(v) for v in values]


def _datetimes(values: np.ndarray, code: ColumnCode) -> pd.DatetimeIndex:
    """Work values of a datetime column as naive UTC datetimes, rounded per the code."""
    if code.unit == "ns":
        return pd.DatetimeIndex(np.rint(values).astype(np.int64).view("datetime64[ns]"))
    step = 86400.0 if code.round_to_days else 1.0
    seconds = np.rint(values / step) * step
    return pd.to_datetime(seconds, unit="s")


def number_values(values: np.ndarray, code: ColumnCode, series: pd.Series, clip: bool) -> Any:
    """Imputed values in work units as the column's own dtype can hold them.

    Parameters
    ----------
    values : ndarray of float
        Imputed values of a numeric, integer or datetime column, in work
        units (datetimes in ``code.unit`` since the epoch, UTC; they come
        back in the column's time zone, else the one seen at fit).
    code : ColumnCode
        What fit learned about the column.
    series : pandas.Series
        The column the values go into (its dtype decides their type).
    clip : bool
        Clip numeric values to the range observed at fit (whole numbers and
        datetimes always are).

    Returns
    -------
    ndarray or DatetimeIndex
        Values to assign to cells of ``series``: whole numbers rounded and
        clipped in exact integer units, datetimes in the column's time zone
        and resolution, text for a column of numbers written as text.
    """
    if clip or code.kind != ColumnKind.NUMERIC:  # whole numbers and datetimes: always
        values = np.clip(values, code.low, code.high)
    dtype = series.dtype
    if holds_text(series):  # numbers written as text keep their text; imputed ones are written too
        typed = number_values(values, code, pd.Series(dtype=object), clip=False)
        return np.array([render_cell(v) for v in typed], dtype=object)
    if code.kind == ColumnKind.DATETIME:
        stamps = _datetimes(values, code)
        timezone = dtype.tz if isinstance(dtype, pd.DatetimeTZDtype) else code.timezone
        if timezone is not None:
            stamps = stamps.tz_localize("UTC").tz_convert(timezone)
        if isinstance(dtype, pd.DatetimeTZDtype):
            stamps = stamps.as_unit(dtype.unit)
        elif isinstance(dtype, np.dtype) and dtype.kind == "M":
            stamps = stamps.as_unit(np.datetime_data(dtype)[0])
        return stamps if dtype != object else np.array(list(stamps), dtype=object)
    if pd.api.types.is_integer_dtype(dtype):
        return float_to_integer(values, getattr(dtype, "numpy_dtype", dtype), code.exact_low, code.exact_high)
    if pd.api.types.is_float_dtype(dtype):
        return values.astype(getattr(dtype, "numpy_dtype", dtype))
    if code.kind == ColumnKind.INTEGER:
        return np.array([int(v) for v in float_to_integer(values, np.int64)], dtype=object)
    return np.array([float(v) for v in values], dtype=object)
