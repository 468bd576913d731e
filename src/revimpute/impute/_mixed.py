"""The mixed-table imputers' family: tables mixing numeric, integer, boolean,
categorical and datetime columns.

:class:`_MixedImputer` takes a pandas (or polars) DataFrame, or an array, and
gives back the same kind of object with the same index, columns, column
order and dtypes; observed cells come back bitwise unchanged and identifier
columns (text with more distinct values than ``max_categories``) are left
alone, gaps included. Its members: :class:`~revimpute.impute.MeanModeImputer`
(``_mean_mode.py``), :class:`~revimpute.impute.MissForestImputer`
(``_missforest.py``) and :class:`~revimpute.impute.ConstantImputer`
(``_constant.py``).

The members that model columns work on :class:`~revimpute.encode.codes.CodeEncoder`'s
work matrix: one float column per imputed column, numbers as their values,
datetimes as nanoseconds, categories and booleans as class codes; decoding
maps codes back to categories and rounds and clips integers to the range
observed at fit.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from revimpute.encode.checks import columns_differ_error, unknown_categories, unknown_categories_error
from revimpute.encode.codes import CLASS_KINDS, CodedTable, CodeEncoder
from revimpute.encode.kinds import DEFAULT_MAX_CATEGORIES, ColumnKind
from revimpute.impute._base import _BaseImputer
from revimpute.impute._input import TableInfo, as_frame
from revimpute.impute._output import as_requested

#: ``handle_unknown`` of the members that encode categories (scikit-learn constraint syntax).
HANDLE_UNKNOWN = [StrOptions({"missing", "error"})]


def _numeric_fill(observed: np.ndarray, strategy: str) -> float:
    """The fill of a numeric column: mean, median, or most frequent value (the smallest on ties)."""
    if strategy == "median":
        return float(np.median(observed))
    if strategy == "most_frequent":
        values, counts = np.unique(observed, return_counts=True)
        return float(values[np.argmax(counts)])
    return float(observed.mean())


# --- the family ------------------------------------------------------------------------


class _MixedImputer(_BaseImputer):
    """Base of the imputers of mixed tables (not for direct use; see the module's docstring).

    Members with ``handle_unknown`` (what transform does with a category
    never seen at fit) declare it with the :data:`HANDLE_UNKNOWN` constraint.

    Parameters
    ----------
    max_categories : int, default=200
        A text column with more distinct values is an identifier, left alone.
    """

    _parameter_constraints: dict = {
        "max_categories": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(self, *, max_categories: int = DEFAULT_MAX_CATEGORIES) -> None:
        self.max_categories = max_categories

    # --- input --------------------------------------------------------------------------
    def _check_frame(self, X: Any, *, reset: bool) -> tuple[pd.DataFrame, TableInfo]:
        """``X`` as a DataFrame and how to give it back; its columns recorded (fit) or checked.

        Raises
        ------
        InputDataError
            Bad input (:func:`revimpute.impute._input.read_table`), or at
            transform other columns than at fit.
        """
        frame, info = as_frame(X)
        self._check_features(frame, reset=reset)
        if reset:
            self.columns_ = frame.columns.copy()
        elif list(frame.columns) != list(self.columns_):
            raise columns_differ_error(list(self.columns_), list(frame.columns), estimator=type(self).__name__)
        return frame, info

    def _fit_table(self, X: Any) -> tuple[pd.DataFrame, TableInfo]:
        """Check the parameters and ``X``; learn its columns (:meth:`_learn_columns`)."""
        self._validate_params()
        frame, info = self._check_frame(X, reset=True)
        self._learn_columns(frame)
        return frame, info

    def _learn_columns(self, frame: pd.DataFrame) -> None:
        """Kinds, classes, ranges (:class:`~revimpute.encode.codes.CodeEncoder`) and initial fills of ``frame``."""
        self.code_encoder_ = CodeEncoder(self.max_categories).fit(frame)
        self.kinds_ = self.code_encoder_.kinds_
        self.imputed_columns_ = self.code_encoder_.columns_
        work = self.code_encoder_.encode(frame, at_fit=True).values
        counts: list[np.ndarray | None] = []
        fills = np.empty(work.shape[1])
        for k, code in enumerate(self.code_encoder_.codes_):
            observed = work[~np.isnan(work[:, k]), k]
            if code.kind in CLASS_KINDS:
                counts.append(np.bincount(observed.astype(np.intp), minlength=len(code.categories)))
                fills[k] = float(np.argmax(counts[k]))
            else:
                counts.append(None)
                fills[k] = _numeric_fill(observed, self._numeric_strategy())
        self.class_counts_ = counts
        self.fills_ = fills

    def _numeric_strategy(self) -> str:
        """The initial fill of numeric, integer and datetime columns."""
        return "mean"

    def _encode(self, frame: pd.DataFrame, *, at_fit: bool) -> CodedTable:
        """The work matrix of ``frame``; unknown categories refused or warned about per ``handle_unknown``."""
        encoded = self.code_encoder_.encode(frame, at_fit=at_fit)
        for label, values in encoded.unknown.items():
            if self.handle_unknown == "error":
                raise unknown_categories_error(label, values, len(values))
            warnings.warn(
                f"{unknown_categories(label, values, len(values))}; they are treated as missing and imputed",
                UserWarning,
                stacklevel=3,
            )
        return encoded

    def _warn_identifiers(self, frame: pd.DataFrame) -> None:
        """Say which identifier columns keep their gaps."""
        for j, kind in enumerate(self.kinds_):
            gaps = int(frame.iloc[:, j].isna().sum())
            if kind == ColumnKind.IDENTIFIER and gaps:
                warnings.warn(
                    f"column {frame.columns[j]!r} has more than {self.max_categories} distinct "
                    f"values and is treated as an identifier; its {gaps} missing cells are left "
                    "as they are",
                    UserWarning,
                    stacklevel=3,
                )

    def _initial_fill(self, encoded: CodedTable) -> np.ndarray:
        """The work matrix with every gap at its column's fill (the most frequent class a dtype can hold)."""
        filled = encoded.values.copy()
        for k, code in enumerate(self.code_encoder_.codes_):
            rows = encoded.missing[:, k]
            if not rows.any():
                continue
            if code.kind in CLASS_KINDS and encoded.allowed[k] is not None:
                counts = np.where(encoded.allowed[k], self.class_counts_[k], -1)
                filled[rows, k] = float(np.argmax(counts))
            else:
                filled[rows, k] = self.fills_[k]
        return filled

    # --- fit --------------------------------------------------------------------------------
    def _learn(self, frame: pd.DataFrame) -> Any:  # pragma: no cover
        """Learn from the checked training table ``frame``, its columns known (subclasses)."""
        raise NotImplementedError

    def fit(self, X: Any, y: Any = None) -> _MixedImputer:
        """Learn from ``X`` what :meth:`transform` needs.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_rows, n_columns)
        y : ignored

        Returns
        -------
        self

        Raises
        ------
        InputDataError
            If ``X`` is not a table, has no rows, has a column with no
            observed value, or infinite numbers.
        """
        frame, _ = self._fit_table(X)
        self._learn(frame)
        return self

    # --- transform ----------------------------------------------------------------------
    def _impute_encoded(self, encoded: CodedTable) -> np.ndarray:  # pragma: no cover
        """The work matrix with every cell of ``encoded.missing`` filled (subclasses)."""
        raise NotImplementedError

    def transform(self, X: Any) -> Any:
        """Fill every gap of ``X`` (identifier columns excepted).

        Parameters
        ----------
        X : DataFrame or array-like with the columns seen at fit

        Returns
        -------
        DataFrame or ndarray
            Same kind, index, columns and dtypes as ``X``; observed cells unchanged.

        Raises
        ------
        InputDataError
            If the columns differ from fit, a numeric column holds text or inf,
            or (``handle_unknown="error"``) a category was never seen at fit.
        """
        check_is_fitted(self)
        frame, info = self._check_frame(X, reset=False)
        self._warn_identifiers(frame)
        encoded = self._encode(frame, at_fit=False)
        return self._output(frame, encoded, self._impute_encoded(encoded), info)

    def _output(self, frame: pd.DataFrame, encoded: CodedTable, filled: np.ndarray, info: TableInfo) -> Any:
        """The decoded table, as the kind of table that came in (and as ``set_output`` asks)."""
        return as_requested(self, info.give_back(self.code_encoder_.decode(frame, filled, encoded.missing)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags
