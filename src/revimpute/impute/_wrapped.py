"""Any scikit-learn imputer behind revimpute's input handling."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import clone

from revimpute.impute._errors import as_input_error
from revimpute.impute._numeric import _NumericImputer


class SklearnImputer(_NumericImputer):
    """Run a scikit-learn imputer with revimpute's checks and DataFrame round trip.

    Parameters
    ----------
    estimator : scikit-learn imputer
        Cloned at fit; it receives float arrays with NaN for missing cells.
    missing_values, add_indicator, keep_empty_features
        As in scikit-learn's ``SimpleImputer``: the placeholder of a missing cell
        (NaN, None and ``pd.NA`` always count), ``MissingIndicator`` columns
        appended, columns without observed values kept (filled with 0).

    Attributes
    ----------
    estimator_ : the fitted clone of ``estimator``.
    """

    _parameter_constraints: dict = {**_NumericImputer._parameter_constraints, "estimator": [object]}

    def __init__(
        self,
        estimator: Any,
        *,
        missing_values: Any = np.nan,
        add_indicator: bool = False,
        keep_empty_features: bool = False,
    ) -> None:
        super().__init__(
            missing_values=missing_values, add_indicator=add_indicator, keep_empty_features=keep_empty_features
        )
        self.estimator = estimator

    def _method_name(self) -> str:
        return type(self.estimator).__name__

    def _fit_values(self, X: np.ndarray, missing: np.ndarray) -> None:
        est = clone(self.estimator)
        if "keep_empty_features" in est.get_params():
            est.set_params(keep_empty_features=True)
        with as_input_error(self._method_name(), "fit"), np.errstate(all="ignore"):
            self.estimator_ = est.fit(np.where(missing, np.nan, X))

    def _impute_values(self, X: np.ndarray, missing: np.ndarray) -> np.ndarray:
        with as_input_error(self._method_name(), "transform"), np.errstate(all="ignore"):
            return self.estimator_.transform(np.where(missing, np.nan, X))
