"""The numeric imputers' family: float arrays in, the table given back as it came.

Subclasses implement ``_fit_values(X, missing)`` and
``_impute_values(X, missing) -> ndarray`` on float64 arrays of the columns
that have observed values (``missing`` marks the cells to fill; ``X`` holds
NaN or the ``missing_values`` placeholder there). :class:`_NumericImputer`
does the rest: the input checks (:func:`revimpute.impute._input.numeric_values`),
empty columns, the missing indicator, and the output, in which observed cells
are the given ones bitwise, a DataFrame keeps its index, column names and
dtypes, and an array keeps its dtype (whole numbers rounded).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import pandas as pd
from sklearn.impute import MissingIndicator
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from revimpute.encode.checks import all_empty_error, empty_columns_error
from revimpute.encode.frames import is_polars_frame, to_pandas
from revimpute.encode.integers import float_to_integer
from revimpute.exceptions import RevimputeError
from revimpute.impute._base import _BaseImputer
from revimpute.impute._input import TableInfo, numeric_values
from revimpute.impute._output import as_requested


class _NumericImputer(_BaseImputer):
    """Base of the imputers of numeric tables (not for direct use).

    Parameters
    ----------
    missing_values : float, int or None, default=np.nan
        The placeholder for missing values, as in scikit-learn's
        ``SimpleImputer``; NaN, ``None`` and ``pd.NA`` always count as missing.
    add_indicator : bool, default=False
        Append ``MissingIndicator`` columns for the features that had gaps at fit.
    keep_empty_features : bool, default=False
        A column with no observed value at fit is an error unless this is True;
        then it is kept and filled with 0.
    """

    _parameter_constraints: dict = {
        "missing_values": [numbers.Real, None, StrOptions({"NaN"})],
        "add_indicator": ["boolean"],
        "keep_empty_features": ["boolean"],
    }

    def __init__(
        self,
        *,
        missing_values: Any = np.nan,
        add_indicator: bool = False,
        keep_empty_features: bool = False,
    ) -> None:
        self.missing_values = missing_values
        self.add_indicator = add_indicator
        self.keep_empty_features = keep_empty_features

    # --- hooks for subclasses ---------------------------------------------------
    def _fit_values(self, X: np.ndarray, missing: np.ndarray) -> None:  # pragma: no cover
        raise NotImplementedError

    def _impute_values(self, X: np.ndarray, missing: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _method_name(self) -> str:
        """The method's name in messages."""
        return type(self).__name__

    # --- input ------------------------------------------------------------------
    def _check_input(self, X: Any, *, reset: bool) -> tuple[np.ndarray, np.ndarray, TableInfo]:
        """``X`` as float64 values, its missing mask and how to give it back; the columns recorded or checked."""
        table, values, missing, info = numeric_values(X, self.missing_values)
        self._check_features(table, reset=reset)
        return values, missing, info

    def _fit_input(self, X: Any) -> tuple[np.ndarray, np.ndarray, TableInfo]:
        """Check the parameters and the training table; learn the empty columns and the indicator.

        Raises
        ------
        InputDataError
            Bad input, or a column without observed values (unless
            ``keep_empty_features``).
        """
        self._validate_params()
        values, missing, info = self._check_input(X, reset=True)
        empty = missing.all(axis=0)
        if empty.all():
            raise all_empty_error()
        if empty.any() and not self.keep_empty_features:
            raise empty_columns_error([info.label(j) for j in np.flatnonzero(empty)], kept="filled with 0")
        self.empty_features_ = empty
        if self.add_indicator:
            self.indicator_ = MissingIndicator(error_on_new=False).fit(np.where(missing, np.nan, values))
        return values, missing, info

    # --- scikit-learn API -------------------------------------------------------
    def fit(self, X: Any, y: Any = None) -> _NumericImputer:
        """Learn what is needed to impute ``X``-like data.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data with missing cells.
        y : ignored

        Returns
        -------
        self

        Raises
        ------
        InputDataError
            If ``X`` is not a numeric table, holds an infinite value or has a
            column without observed values (unless ``keep_empty_features``).
        RevimputeError
            If a parameter is out of range.
        """
        values, missing, _ = self._fit_input(X)
        keep = ~self.empty_features_
        self._fit_values(values[:, keep], missing[:, keep])
        return self

    def transform(self, X: Any) -> Any:
        """Impute all missing cells of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray or DataFrame
            The same kind as ``X`` (unless ``set_output`` says otherwise), with
            every observed cell unchanged and no missing cell left. A DataFrame
            keeps its index, column names and dtypes; an array of floats keeps
            its float type, an array of whole numbers comes back as whole
            numbers of its type (imputed values rounded).

        Raises
        ------
        InputDataError
            If ``X`` is not a numeric table, holds an infinite value or has
            other columns than at fit.
        """
        check_is_fitted(self)
        values, missing, info = self._check_input(X, reset=False)
        keep = ~self.empty_features_
        imputed = None
        if missing[:, keep].any():
            imputed = self._impute_values(values[:, keep], missing[:, keep])
        return self._output(X, values, missing, info, imputed)

    # --- output -----------------------------------------------------------------
    def _output(
        self, X: Any, values: np.ndarray, missing: np.ndarray, info: TableInfo, imputed: np.ndarray | None
    ) -> Any:
        """:meth:`_filled`'s table as ``set_output`` asks (:func:`~revimpute.impute._output.as_requested`)."""
        return as_requested(self, self._filled(X, values, missing, info, imputed))

    def _filled(
        self, X: Any, values: np.ndarray, missing: np.ndarray, info: TableInfo, imputed: np.ndarray | None
    ) -> Any:
        """``X`` with its missing cells from ``imputed`` (the kept columns; None: no gap there).

        Given back in ``X``'s own kind (:meth:`_wrap`), with the missing
        indicator's columns when ``add_indicator`` is on.

        Raises
        ------
        RevimputeError
            If an imputed value is not finite.
        """
        keep = ~self.empty_features_
        filled = values.copy()
        if imputed is not None:
            imputed = np.asarray(imputed, dtype=np.float64)
            filled[:, keep] = np.where(missing[:, keep], imputed, values[:, keep])
        filled[:, ~keep] = 0.0
        if not np.isfinite(filled[missing]).all():
            raise RevimputeError(
                f"{self._method_name()} left {int((~np.isfinite(filled[missing])).sum())} cells without a "
                "finite value; the data is out of this method's reach (extreme magnitudes?) — try "
                "another method"
            )
        extra = None
        if self.add_indicator:
            extra = self.indicator_.transform(np.where(missing, np.nan, values)).astype(np.float64)
        return self._wrap(filled, missing, extra, info, X)

    def _wrap(
        self, filled: np.ndarray, missing: np.ndarray, extra: np.ndarray | None, info: TableInfo, X: Any
    ) -> Any:
        """The imputed cells written into ``X``'s own representation; observed cells are ``X``'s."""
        if not info.is_frame:
            array = np.asarray(X)
            if array.dtype.kind in "iu":
                out = array.copy()
                out[missing] = float_to_integer(filled[missing], array.dtype)
            elif array.dtype == np.float32:
                out = filled.astype(np.float32)
            else:
                out = filled
            return out if extra is None else np.hstack([out, extra.astype(out.dtype)])
        frame = (to_pandas(X)[0] if is_polars_frame(X) else X).copy()
        for j in np.flatnonzero(missing.any(axis=0)):
            series = frame.iloc[:, j].copy()
            rows = np.flatnonzero(missing[:, j])
            series.iloc[rows] = _as_dtype(filled[rows, j], series.dtype)
            frame.isetitem(int(j), series)
        if extra is not None:
            names = self.get_feature_names_out()[len(info.columns):]
            for k, name in enumerate(names):
                frame[name] = extra[:, k].astype(bool)
        return info.give_back(frame)

    def _extra_feature_names(self, names: np.ndarray) -> list[str]:
        """The missing indicator's columns, when ``add_indicator`` is on."""
        if not self.add_indicator:
            return []
        return [f"missingindicator_{names[j]}" for j in self.indicator_.features_]


def _as_dtype(values: np.ndarray, dtype: Any) -> Any:
    """Imputed float64 values as a column of ``dtype`` can hold them."""
    if pd.api.types.is_bool_dtype(dtype):
        return values >= 0.5
    if pd.api.types.is_integer_dtype(dtype):
        return float_to_integer(values, getattr(dtype, "numpy_dtype", dtype))
    if pd.api.types.is_float_dtype(dtype):
        return values.astype(getattr(dtype, "numpy_dtype", dtype))
    return np.array([float(v) for v in values], dtype=object)
