"""Fill every gap with a constant, for tables of any column types."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from revimpute.encode.columns import ColumnCode, holding_kind
from revimpute.encode.kinds import DEFAULT_MAX_CATEGORIES, ColumnKind, infer_column_kind
from revimpute.exceptions import InputDataError
from revimpute.impute._mixed import _MixedImputer
from revimpute.impute._output import as_requested

#: The fill of a column of each kind when ``fill_value`` is None (scikit-learn's defaults).
DEFAULT_FILLS = {
    ColumnKind.NUMERIC: 0,
    ColumnKind.INTEGER: 0,
    ColumnKind.BOOLEAN: False,
    ColumnKind.CATEGORICAL: "missing_value",
    ColumnKind.IDENTIFIER: "missing_value",
}


class ConstantImputer(_MixedImputer):
    """Fill every gap with a constant, as scikit-learn's ``SimpleImputer(strategy="constant")``.

    Parameters
    ----------
    fill_value : object, default=None
        The value of every gap. None means 0 for numbers, False for
        booleans and ``"missing_value"`` for text and categories; a datetime
        column needs an explicit ``fill_value``, and a column of categorical
        dtype one of its categories (dtypes never change).
    max_categories : int, default=200
        As in :class:`MeanModeImputer` (only for the kinds of columns).

    Attributes
    ----------
    fill_values_ : dict
        Column name -> the value its gaps get.
    columns_ : pandas.Index
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when every column name is a string.
    """

    _parameter_constraints: dict = {**_MixedImputer._parameter_constraints, "fill_value": [None, object]}

    def __init__(self, fill_value: Any = None, *, max_categories: int = DEFAULT_MAX_CATEGORIES) -> None:
        super().__init__(max_categories=max_categories)
        self.fill_value = fill_value

    def fit(self, X: Any, y: Any = None) -> ConstantImputer:
        """Decide each column's fill.

        Raises
        ------
        InputDataError
            If ``X`` is not a table, or a datetime column has no explicit ``fill_value``.
        """
        self._validate_params()
        frame, _ = self._check_frame(X, reset=True)
        fills = {}
        for j in range(frame.shape[1]):
            label = frame.columns[j]
            kind = infer_column_kind(frame.iloc[:, j], max_categories=self.max_categories, label=label)
            if self.fill_value is not None:
                fills[label] = self.fill_value
            elif kind == ColumnKind.DATETIME:
                raise InputDataError(f"column {label!r} holds datetimes: give fill_value (a date) to fill it")
            else:
                fills[label] = DEFAULT_FILLS[kind]
        self.fill_values_ = fills
        return self

    def transform(self, X: Any) -> Any:
        """Fill every gap of ``X`` with its column's constant; observed cells are kept as given.

        Raises
        ------
        InputDataError
            If the columns differ from those at fit, or a column's dtype cannot hold its fill.
        """
        check_is_fitted(self, "fill_values_")
        frame, info = self._check_frame(X, reset=False)
        out = frame.copy()
        for j in range(frame.shape[1]):
            series = frame.iloc[:, j]
            rows = np.flatnonzero(series.isna().to_numpy())
            if not rows.size:
                continue
            fill = self.fill_values_[frame.columns[j]]
            column = series.copy()
            if not series.notna().any() and pd.api.types.is_float_dtype(series.dtype):
                column = _holding(column, fill)  # a column with no observed value reads as float64
            if isinstance(column.dtype, pd.CategoricalDtype) and fill not in column.cat.categories:
                raise InputDataError(
                    f"column {frame.columns[j]!r} is categorical without the category {fill!r}; give a "
                    "fill_value among its categories, or add it first (series.cat.add_categories)"
                )
            try:
                column.iloc[rows] = fill
            except (TypeError, ValueError):
                raise InputDataError(
                    f"column {frame.columns[j]!r} ({column.dtype}) cannot hold the fill value {fill!r}; "
                    "give a fill_value of the column's type"
                ) from None
            out.isetitem(j, column)
        return as_requested(self, info.give_back(out))


def _holding(column: pd.Series, fill: Any) -> pd.Series:
    """An all-missing float64 ``column`` in the dtype the other imputers give a column of ``fill``'s kind.

    The kind is read from the fill value; :func:`~revimpute.encode.columns.holding_kind`
    chooses the dtype, as it does for ReverseImputer and the mixed-table baselines.
    """
    if isinstance(fill, (bool, np.bool_)):
        kind, zone = ColumnKind.BOOLEAN, None
    elif isinstance(fill, (int, np.integer)):
        kind, zone = ColumnKind.INTEGER, None
    elif isinstance(fill, pd.Timestamp):
        kind, zone = ColumnKind.DATETIME, None if fill.tz is None else str(fill.tz)
    elif isinstance(fill, str):
        kind, zone = ColumnKind.CATEGORICAL, None
    else:
        return column
    return holding_kind(column, ColumnCode(kind=kind, timezone=zone))
