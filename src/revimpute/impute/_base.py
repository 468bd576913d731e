"""What every revimpute imputer shares: input checks, masks, empty features,
the missing indicator and the DataFrame round trip.

Subclasses implement ``_fit_values(X, missing)`` and
``_impute_values(X, missing) -> ndarray`` on plain float64 arrays; this class
guarantees that observed cells come back bitwise unchanged and that a
DataFrame comes back with its index, column names and dtypes.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.impute import MissingIndicator
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import (
    FLOAT_DTYPES,
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)

from revimpute.encode.finite import reject_infinite
from revimpute.encode.integers import float_to_integer
from revimpute.impute._output import as_requested
from revimpute.exceptions import InputDataError, RevimputeError


@dataclass
class _FrameInfo:
    """What is needed to give a DataFrame back as it came."""

    index: pd.Index
    columns: pd.Index
    dtypes: pd.Series


def _column_label(info: _FrameInfo | None, j: int) -> str:
    return repr(info.columns[j]) if info is not None else f"{j}"


def _is_missing_value(value: Any, missing_values: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return missing_values is not np.nan and value == missing_values


def _reject_text(X: Any, missing_values: Any) -> None:
    """Raise a clear error for text in what must be numeric columns."""
    if isinstance(X, pd.DataFrame):
        columns = [(c, X[c]) for c in X.columns if not (
            pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c])
        )]
    else:
        arr = np.asarray(X) if not hasattr(X, "__array__") else X
        arr = np.asarray(arr)
        if arr.dtype.kind not in "OUS" or arr.ndim != 2:
            return
        columns = [(j, pd.Series(arr[:, j])) for j in range(arr.shape[1])]
    for label, series in columns:
        is_text = series.map(lambda v: isinstance(v, (str, bytes))).to_numpy(dtype=bool)
        if not is_text.any():
            continue  # other objects are left to numpy's own conversion error
        if _is_categorical(series, label):
            raise InputDataError(
                f"column {label!r} is categorical (text such as {series[is_text].iloc[0]!r}); this "
                "imputer takes numeric columns only — use ReverseImputer (method 'reverse') or the "
                "mixed-table baselines 'mean_mode' and 'missforest_mixed', or encode the column"
            )
        converted = pd.to_numeric(series.where(is_text, None), errors="coerce")
        bad = is_text & converted.isna().to_numpy() & ~series.map(
            lambda v: _is_missing_value(v, missing_values)
        ).to_numpy(dtype=bool)
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            value = series.iloc[pos]
            row = series.index[pos]
            raise InputDataError(
                f"column {label!r} holds text {value!r} (row {row!r}, {int(bad.sum())} such "
                "cells); numeric columns are expected here — convert the column, or run "
                "`revimpute scan` to find disguised missing values"
            )


def _is_categorical(series: pd.Series, label: Any) -> bool:
    from revimpute.encode.kinds import ColumnKind, infer_column_kind

    try:
        kind = infer_column_kind(series.astype(object), label=label)
    except InputDataError:
        return False
    return kind in (ColumnKind.CATEGORICAL, ColumnKind.IDENTIFIER)


class BaseImputer(TransformerMixin, BaseEstimator):
    """Base class of revimpute's imputers (not for direct use).

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

    # --- hooks for subclasses --------------------------------------------------
    def _fit_values(self, X: np.ndarray, missing: np.ndarray) -> None:  # pragma: no cover
        raise NotImplementedError

    def _impute_values(self, X: np.ndarray, missing: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _method_name(self) -> str:
        """The method's name in messages."""
        return type(self).__name__

    # --- input ------------------------------------------------------------------
    def _missing_mask(self, X: np.ndarray) -> np.ndarray:
        mask = np.isnan(X)
        mv = self.missing_values
        if mv is not None and not (isinstance(mv, float) and np.isnan(mv)):
            mask |= X == mv
        return mask

    def _check_input(self, X: Any, *, reset: bool) -> tuple[np.ndarray, np.ndarray, _FrameInfo | None]:
        info = None
        if isinstance(X, pd.DataFrame):
            info = _FrameInfo(X.index, X.columns, X.dtypes)
            if X.shape[0] == 0:
                raise InputDataError("the table has no rows; there is nothing to impute")
            for label, dtype in X.dtypes.items():
                if isinstance(dtype, pd.SparseDtype):
                    raise InputDataError(
                        f"column {label!r} is sparse ({dtype}); convert it first, e.g. frame.sparse.to_dense()"
                    )
                if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
                    raise InputDataError(
                        f"column {label!r} holds {dtype} values; this imputer takes numeric columns only — use "
                        "ReverseImputer (method 'reverse') or the mixed-table baselines 'mean_mode' and "
                        "'missforest_mixed', or convert the column to numbers"
                    )
            _reject_text(X, self.missing_values)
        elif isinstance(X, (list, np.ndarray)):
            _reject_text(X, self.missing_values)
        try:
            values = validate_data(
                self,
                X,
                reset=reset,
                dtype=FLOAT_DTYPES,
                ensure_all_finite=False,
                copy=True,
            )
        except InputDataError:
            raise
        except ValueError as exc:
            raise InputDataError(str(exc)) from None
        values = np.asarray(values, dtype=np.float64)
        reject_infinite(values, lambda j: _column_label(info, j))
        return values, self._missing_mask(values), info

    # --- scikit-learn API -------------------------------------------------------
    def fit(self, X: Any, y: Any = None) -> BaseImputer:
        """Learn what is needed to impute ``X``-like data.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data with missing cells.
        y : ignored

        Returns
        -------
        self
        """
        self._validate_params()
        values, missing, info = self._check_input(X, reset=True)
        empty = missing.all(axis=0)
        if empty.all():
            raise InputDataError("every column of the table is empty; there is nothing to learn from or impute")
        if empty.any() and not self.keep_empty_features:
            names = [_column_label(info, j) for j in np.flatnonzero(empty)]
            raise InputDataError(
                f"column(s) {', '.join(names)} have no observed value; drop them or pass "
                "keep_empty_features=True to keep them filled with 0"
            )
        self.empty_features_ = empty
        self._fit_values(values[:, ~empty], missing[:, ~empty])
        if self.add_indicator:
            self.indicator_ = MissingIndicator(error_on_new=False).fit(
                np.where(missing, np.nan, values)
            )
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
        """
        check_is_fitted(self)
        values, missing, info = self._check_input(X, reset=False)
        keep = ~self.empty_features_
        filled = values.copy()
        if missing[:, keep].any():
            imputed = np.asarray(self._impute_values(values[:, keep], missing[:, keep]), dtype=np.float64)
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
        return as_requested(self, self._wrap(filled, missing, extra, info, X))

    def _wrap(
        self, filled: np.ndarray, missing: np.ndarray, extra: np.ndarray | None, info: _FrameInfo | None, X: Any
    ) -> Any:
        """The imputed cells written into ``X``'s own representation; observed cells are ``X``'s."""
        if info is None:
            array = np.asarray(X) if isinstance(X, (list, np.ndarray)) else None
            if array is not None and array.dtype.kind in "iu" and array.shape == filled.shape:
                out = array.copy()
                out[missing] = float_to_integer(filled[missing], array.dtype)
            elif array is not None and array.dtype == np.float32:
                out = filled.astype(np.float32)
            else:
                out = filled
            return out if extra is None else np.hstack([out, extra.astype(out.dtype)])
        frame = X.copy()
        for j in np.flatnonzero(missing.any(axis=0)):
            series = frame.iloc[:, j].copy()
            rows = np.flatnonzero(missing[:, j])
            series.iloc[rows] = _as_dtype(filled[rows, j], series.dtype)
            frame.isetitem(int(j), series)
        if extra is not None:
            names = self.get_feature_names_out()[len(info.columns):]
            for k, name in enumerate(names):
                frame[name] = extra[:, k].astype(bool)
        return frame

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns (the inputs, then any indicator columns)."""
        check_is_fitted(self, "n_features_in_")
        names = _check_feature_names_in(self, input_features)
        if not self.add_indicator:
            return names
        ind = [f"missingindicator_{names[j]}" for j in self.indicator_.features_]
        return np.concatenate([names, np.asarray(ind, dtype=object)])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def _as_dtype(values: np.ndarray, dtype: Any) -> Any:
    """Imputed float64 values as a column of ``dtype`` can hold them."""
    if pd.api.types.is_bool_dtype(dtype):
        return values >= 0.5
    if pd.api.types.is_integer_dtype(dtype):
        return float_to_integer(values, getattr(dtype, "numpy_dtype", dtype))
    if pd.api.types.is_float_dtype(dtype):
        return values.astype(getattr(dtype, "numpy_dtype", dtype))
    return np.array([float(v) for v in values], dtype=object)
