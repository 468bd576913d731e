"""Mean / most frequent imputation for tables of mixed column types."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import StrOptions

from revimpute.encode.codes import CLASS_KINDS, CodedTable
from revimpute.encode.columns import ColumnCode
from revimpute.encode.integers import float_to_integer
from revimpute.encode.kinds import DEFAULT_MAX_CATEGORIES, ColumnKind
from revimpute.impute._mixed import HANDLE_UNKNOWN, _MixedImputer


def fill_value(code: ColumnCode, fill: float) -> Any:
    """A column's fill ``fill`` (in work units) in its own type (datetimes as UTC timestamps)."""
    if code.kind in CLASS_KINDS:
        return code.categories[int(fill)]
    if code.kind == ColumnKind.DATETIME:
        return pd.Timestamp(int(round(fill)), unit="ns", tz="UTC")
    if code.kind == ColumnKind.INTEGER:
        clipped = np.clip([fill], code.low, code.high)
        return int(float_to_integer(clipped, np.int64, code.exact_low, code.exact_high)[0])
    return float(fill)


class MeanModeImputer(_MixedImputer):
    """Fill numeric columns with their mean (or median), the others with their most frequent value.

    Numeric, integer and datetime columns take the mean (or median) of their
    observed values at fit; integers are rounded and clipped to the observed
    range. Categorical and boolean columns take their most frequent observed
    value; ties go to the first class in the column's category order
    (categorical dtype) or in sorted order (other text, and ``False`` before
    ``True``). Identifier columns are left alone.

    Parameters
    ----------
    numeric_strategy : {"mean", "median", "most_frequent"}, default="mean"
        The fill of numeric, integer and datetime columns (``"most_frequent"``:
        the most frequent observed value, the smallest on ties, as
        scikit-learn's ``SimpleImputer`` chooses).
    handle_unknown : {"missing", "error"}, default="missing"
        What transform does with a category never seen at fit: treat the cell
        as missing and impute it (with a ``UserWarning`` naming the column and
        values), or raise :class:`~revimpute.exceptions.InputDataError`.
    max_categories : int, default=200
        A text column with more distinct values is an identifier, left alone.

    Attributes
    ----------
    kinds_ : list of ColumnKind
        The kind of every column, as :func:`revimpute.encode.kinds.infer_column_kinds` says.
    fill_values_ : dict
        Column name -> the value its gaps get (datetimes as UTC timestamps;
        a categorical transform column whose dtype lacks the value gets the
        most frequent value it can hold).
    columns_ : pandas.Index
        The columns seen at fit.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when every column name is a string.
    """

    _parameter_constraints: dict = {
        **_MixedImputer._parameter_constraints,
        "handle_unknown": HANDLE_UNKNOWN,
        "numeric_strategy": [StrOptions({"mean", "median", "most_frequent"})],
    }

    def __init__(
        self,
        numeric_strategy: str = "mean",
        *,
        handle_unknown: str = "missing",
        max_categories: int = DEFAULT_MAX_CATEGORIES,
    ) -> None:
        super().__init__(max_categories=max_categories)
        self.numeric_strategy = numeric_strategy
        self.handle_unknown = handle_unknown

    def _numeric_strategy(self) -> str:
        return self.numeric_strategy

    def _learn(self, frame: pd.DataFrame) -> None:
        """Each column's fill value."""
        codes = self.code_encoder_.codes_
        self.fill_values_ = {
            label: fill_value(code, fill) for label, code, fill in zip(self.code_encoder_.labels_, codes, self.fills_)
        }

    def _impute_encoded(self, encoded: CodedTable) -> np.ndarray:
        return self._initial_fill(encoded)
