"""The root of revimpute's imputers, on the model of scikit-learn's own imputers (``sklearn.impute``).

:class:`_BaseImputer` holds what every imputer does alike:

* parameter validation from ``_parameter_constraints``, a bad value raising
  :class:`~revimpute.impute._errors.ParameterError` (a ``RevimputeError`` and
  scikit-learn's ``InvalidParameterError``);
* the ``random_state`` rule (:data:`RANDOM_STATE`, :func:`check_generator`);
* the columns seen at fit (``n_features_in_``, ``feature_names_in_``) and
  their check at transform, with the messages of :mod:`revimpute.encode.checks`;
* ``get_feature_names_out`` and the estimator tags.

What ``set_output`` asks of the output is :func:`revimpute.impute._output.as_requested`'s,
which both families apply.

Two families build on it: the numeric imputers (``_numeric.py``: float
arrays, with a DataFrame round trip) and the mixed-table imputers
(``_mixed.py``: columns of any kind).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted

from revimpute.encode.checks import columns_differ_error, feature_count_error
from revimpute.exceptions import RevimputeError
from revimpute.impute._errors import ParameterError

#: The values ``random_state`` accepts (scikit-learn constraint syntax): None,
#: an int in [0, 2**32 - 1], a ``numpy.random.RandomState`` or a ``numpy.random.Generator``.
RANDOM_STATE: list = ["random_state", np.random.Generator]


def check_generator(random_state: Any) -> np.random.Generator:
    """``random_state`` as a NumPy ``Generator``, drawing nothing from global state.

    As scikit-learn's ``check_random_state``: an int gives the same stream
    every time, an instance is drawn from (and so advanced). Unlike it, None
    gives fresh entropy from the operating system instead of NumPy's global
    generator.

    Parameters
    ----------
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator

    Returns
    -------
    numpy.random.Generator
        ``numpy.random.default_rng(random_state)`` for None, an int or a
        Generator (that Generator itself); for a RandomState, a Generator
        seeded from one draw of it.
    """
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(int(random_state.randint(np.iinfo(np.int32).max)))
    return np.random.default_rng(random_state)


class _BaseImputer(TransformerMixin, BaseEstimator):
    """Root of revimpute's imputers (not for direct use; see the module's docstring)."""

    _parameter_constraints: dict = {}

    def _validate_params(self) -> None:
        """scikit-learn's parameter checks; a bad value raises :class:`ParameterError`."""
        try:
            super()._validate_params()
        except InvalidParameterError as exc:
            if isinstance(exc, RevimputeError):
                raise
            raise ParameterError(str(exc)) from None

    def _check_features(self, table: pd.DataFrame | np.ndarray, *, reset: bool) -> None:
        """Record (fit) or check (transform) the number and the names of the columns.

        As scikit-learn's ``validate_data``: names are recorded when every
        column name is a string; at transform, names recorded at fit must come
        in the same order, and the number of columns must be the same.

        Raises
        ------
        InputDataError
            At transform, other columns than at fit.
        """
        columns = table.columns if isinstance(table, pd.DataFrame) else None
        if reset:
            self.n_features_in_ = table.shape[1]
            if columns is not None and all(isinstance(c, str) for c in columns):
                self.feature_names_in_ = np.asarray(columns, dtype=object)
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
            return
        names = getattr(self, "feature_names_in_", None)
        if names is not None and columns is not None and list(columns) != list(names):
            raise columns_differ_error(list(names), list(columns), estimator=type(self).__name__)
        if table.shape[1] != self.n_features_in_:
            raise feature_count_error(table.shape[1], self.n_features_in_, estimator=type(self).__name__)

    def _extra_feature_names(self, names: np.ndarray) -> list[str]:
        """Names of output columns after the input ones (none here)."""
        return []

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns: the input columns, then any added ones.

        Parameters
        ----------
        input_features : array-like of str or None
            As in scikit-learn: None gives the names seen at fit (or ``x0``,
            ``x1``, ... without names).

        Returns
        -------
        ndarray of str
        """
        check_is_fitted(self, "n_features_in_")
        names = _check_feature_names_in(self, input_features)
        extra = self._extra_feature_names(names)
        return np.concatenate([names, np.asarray(extra, dtype=object)]) if extra else names

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
