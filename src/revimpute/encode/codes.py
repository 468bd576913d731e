"""A table <-> one float work column per column, and back.

:class:`CodeEncoder` is the encoding of the baselines that model each column
whole (mean / most frequent, MissForest). Every imputed column becomes one
float64 work column, unscaled, NaN where missing:

* numeric and integer columns: their values;
* datetime columns: nanoseconds since the epoch (UTC);
* categorical, text and boolean columns: the code (0 .. k-1) of their value
  among the k classes seen at fit, in the order of
  :func:`~revimpute.encode.columns.observed_categories` (booleans: ``False``,
  ``True``).

Column kinds come from :func:`~revimpute.encode.kinds.infer_column_kinds`;
identifier columns are not encoded. :meth:`CodeEncoder.decode` writes only
the imputed cells, into a copy of the table: codes back to their classes,
numbers and datetimes in the column's own dtype, whole numbers rounded and
clipped to the range seen at fit in exact integer units
(:func:`~revimpute.encode.columns.number_values`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from revimpute.encode.checks import empty_columns_error, text_cells_error
from revimpute.encode.columns import ColumnCode, holding_kind, number_values, observed_categories
from revimpute.encode.finite import reject_infinite
from revimpute.encode.kinds import DEFAULT_MAX_CATEGORIES, ColumnKind, infer_column_kinds
from revimpute.exceptions import InputDataError

NUMBER_KINDS = (ColumnKind.NUMERIC, ColumnKind.INTEGER, ColumnKind.DATETIME)
CLASS_KINDS = (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN)


@dataclass
class CodedTable:
    """A table as work columns, one per encoded column.

    Attributes
    ----------
    values : ndarray of float64, shape (n_rows, n_encoded)
        Work values; NaN where missing and where a category was never seen at fit.
    missing : ndarray of bool, shape (n_rows, n_encoded)
        The cells to impute.
    allowed : list of (ndarray of bool or None)
        Per column: which classes its categorical dtype can hold (None: all).
    unknown : dict
        Column label -> the categories never seen at fit, one per cell (those cells are in ``missing``).
    """

    values: np.ndarray
    missing: np.ndarray
    allowed: list[np.ndarray | None]
    unknown: dict[Any, list[Any]]


def work_numbers(series: pd.Series, kind: ColumnKind, label: Any) -> np.ndarray:
    """A numeric, integer or datetime column as float64 work values, NaN where missing.

    Raises
    ------
    InputDataError
        The column cannot be read as the kind it had at fit, or holds inf.
    """
    if kind == ColumnKind.DATETIME:
        if not series.notna().any():  # no observed value: nothing to read, whatever the dtype
            return np.full(len(series), np.nan)
        if not (pd.api.types.is_datetime64_any_dtype(series.dtype) or series.dtype == object):
            raise InputDataError(
                f"column {label!r} held datetimes at fit but has dtype {series.dtype} now; "
                "convert it with pd.to_datetime"
            )
        try:
            moments = series if pd.api.types.is_datetime64_any_dtype(series.dtype) else pd.to_datetime(series)
            nanos = moments.dt.as_unit("ns").array.asi8.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise InputDataError(
                f"column {label!r} held datetimes at fit but cannot be read as datetimes now ({exc})"
            ) from None
        return np.where(series.isna().to_numpy(), np.nan, nanos)
    if not (pd.api.types.is_numeric_dtype(series.dtype) or series.dtype == object) or (
        pd.api.types.is_bool_dtype(series.dtype)
    ):
        raise InputDataError(
            f"column {label!r} was numeric at fit but has dtype {series.dtype} now; "
            "give it the type it had at fit"
        )
    try:
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        text = series.map(lambda v: isinstance(v, (str, bytes))).to_numpy(dtype=bool)
        bad = text & pd.to_numeric(series.where(text, None), errors="coerce").isna().to_numpy()
        if bad.any():
            raise text_cells_error(label, series, bad, "but was numeric at fit") from None
        raise InputDataError(
            f"column {label!r} was numeric at fit but holds values that are not numbers now; "
            "give it the type it had at fit"
        ) from None
    reject_infinite(values, repr(label))
    return values


def class_codes(series: pd.Series, classes: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Codes of a column's values among ``classes`` (-1: missing or unknown), and the
    mask of observed values that are not among them."""
    gaps = series.isna().to_numpy()
    codes = pd.Index(classes, dtype=object).get_indexer(pd.Index(series.astype(object)))
    codes = np.where(gaps, -1, codes)
    return codes, (codes < 0) & ~gaps


def _as_objects(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


class CodeEncoder:
    """Encode a mixed-type table as one work column per column, and decode imputed cells.

    Parameters
    ----------
    max_categories : int, default=200
        A text or categorical column with more distinct values is an
        identifier, not encoded.

    Attributes
    ----------
    kinds_ : list of ColumnKind
        The kind of every column of the table.
    codes_ : list of ColumnCode
        One per encoded column: its classes, or its range in work units.
    columns_ : ndarray of int
        Positions of the encoded columns in the table.
    labels_ : list
        Names of the encoded columns.
    """

    def __init__(self, max_categories: int = DEFAULT_MAX_CATEGORIES) -> None:
        self.max_categories = max_categories

    def fit(self, frame: pd.DataFrame) -> CodeEncoder:
        """Learn each column's kind, and its classes or range, from ``frame``.

        Raises
        ------
        InputDataError
            A column without any observed value, a column mixing value
            types, text where numbers are expected, or inf.
        """
        self.kinds_ = infer_column_kinds(frame, max_categories=self.max_categories)
        codes: list[ColumnCode] = []
        positions: list[int] = []
        empty: list[str] = []
        for j, kind in enumerate(self.kinds_):
            series, label = frame.iloc[:, j], frame.columns[j]
            if kind == ColumnKind.IDENTIFIER:
                continue
            if series.isna().all():
                empty.append(repr(label))
                continue
            codes.append(self._learn_column(series, kind, label))
            positions.append(j)
        if empty:
            raise empty_columns_error(empty)
        self.codes_ = codes
        self.columns_ = np.asarray(positions, dtype=np.intp)
        self.labels_ = [frame.columns[j] for j in positions]
        return self

    @staticmethod
    def _learn_column(series: pd.Series, kind: ColumnKind, label: Any) -> ColumnCode:
        code = ColumnCode(kind, width=1, unit="ns")
        if kind == ColumnKind.BOOLEAN:
            code.categories = [False, True]
        elif kind == ColumnKind.CATEGORICAL:
            code.categories = observed_categories(series)
        else:
            values = work_numbers(series, kind, label)
            code.low, code.high = float(np.nanmin(values)), float(np.nanmax(values))
            if kind == ColumnKind.INTEGER:
                observed = series.dropna()
                code.exact_low, code.exact_high = int(observed.min()), int(observed.max())
            if isinstance(series.dtype, pd.DatetimeTZDtype):
                code.timezone = str(series.dtype.tz)
        return code

    def encode(self, frame: pd.DataFrame, *, at_fit: bool = False) -> CodedTable:
        """The work columns of ``frame`` (the table seen at fit, or one with its columns).

        Parameters
        ----------
        frame : DataFrame
        at_fit : bool, default=False
            ``frame`` is the table fit saw: its categorical dtypes are not
            checked against the classes.

        Raises
        ------
        InputDataError
            A column that cannot be read as its kind, inf, or a categorical
            dtype sharing no category with fit.
        """
        values = np.empty((frame.shape[0], len(self.codes_)), dtype=np.float64)
        allowed: list[np.ndarray | None] = []
        unknown: dict[Any, list[Any]] = {}
        for k, (j, code) in enumerate(zip(self.columns_, self.codes_)):
            series, label = frame.iloc[:, j], frame.columns[j]
            allowed.append(None)
            if code.kind in NUMBER_KINDS:
                values[:, k] = work_numbers(series, code.kind, label)
                continue
            codes, new = class_codes(series, code.categories)
            if new.any():
                unknown[label] = series[new].astype(object).tolist()
            values[:, k] = np.where(codes >= 0, codes, np.nan)
            if isinstance(series.dtype, pd.CategoricalDtype) and not at_fit:
                can_hold = pd.Index(code.categories, dtype=object).isin(list(series.dtype.categories))
                if not can_hold.any():
                    raise InputDataError(
                        f"column {label!r}: none of its categories were seen at fit, so no "
                        "value can be imputed into it; give it the categories it had at fit"
                    )
                allowed[k] = can_hold
        return CodedTable(values, np.isnan(values), allowed, unknown)

    def decode(self, frame: pd.DataFrame, filled: np.ndarray, missing: np.ndarray) -> pd.DataFrame:
        """A copy of ``frame`` with the cells of ``missing`` set from the work values ``filled``.

        Parameters
        ----------
        frame : DataFrame
            The table given to :meth:`encode`.
        filled : ndarray of float, shape (n_rows, n_encoded)
            Work values (class codes are rounded to the nearest code).
        missing : ndarray of bool, shape (n_rows, n_encoded)
            The cells to write; every other cell is the object given.

        Returns
        -------
        DataFrame
            Same index, columns and dtypes as ``frame``.
        """
        out = frame.copy()
        for k, (j, code) in enumerate(zip(self.columns_, self.codes_)):
            rows = np.flatnonzero(missing[:, k])
            if rows.size:
                out.isetitem(int(j), self._write(frame.iloc[:, j], code, rows, filled[rows, k]))
        return out

    @staticmethod
    def _write(series: pd.Series, code: ColumnCode, rows: np.ndarray, work: np.ndarray) -> pd.Series:
        """``series`` with the cells at positions ``rows`` set from work values ``work``.

        A column with no observed value (read as float64) first takes a dtype
        that holds its kind (:func:`~revimpute.encode.columns.holding_kind`).
        """
        series = holding_kind(series, code)
        out = series.copy()
        if code.kind in NUMBER_KINDS:
            out.iloc[rows] = number_values(work, code, series, clip=False)
            return out
        values = _as_objects(code.categories)[np.rint(work).astype(np.intp)]
        if pd.api.types.is_bool_dtype(series.dtype) or isinstance(series.dtype, pd.BooleanDtype):
            values = values.astype(bool)
        if isinstance(series.dtype, np.dtype) and series.dtype.kind in "fiu":
            values = values.astype(series.dtype)
        out.iloc[rows] = values
        return out
