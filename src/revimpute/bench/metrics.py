"""How good an imputation is: errors on the hidden cells, distribution and downstream scores.

``mask`` is always a boolean array of the data's shape, True where a cell was
hidden from the imputer (as produced by :mod:`revimpute.bench.missingness`).
The error metrics follow HyperImpute's benchmark (``RMSE``, ``MAE`` over the
hidden cells; a sum of per-column 1-D Wasserstein distances).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import wasserstein_distance
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from revimpute.docstrings import fill_doc
from revimpute.exceptions import InputDataError, RevimputeError

__all__ = [
    "binary_accuracy",
    "categorical_accuracy",
    "downstream_score",
    "mae_missing",
    "rmse_missing",
    "wasserstein_columns",
]


def _numeric(values: Any, what: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputDataError(f"{what} must be numeric; encode non-numeric columns first") from None
    if array.ndim != 2:
        raise InputDataError(f"{what} must be 2-D (rows x columns), got shape {array.shape}")
    return array


def _mask(mask: Any, shape: tuple[int, ...]) -> np.ndarray:
    array = np.asarray(mask)
    if array.dtype != bool:
        raise InputDataError(f"mask must be boolean (True = hidden), got dtype {array.dtype}")
    if array.shape != shape:
        raise InputDataError(f"mask has shape {array.shape}, the data have shape {shape}")
    return array


def _hidden_pairs(X_true: Any, X_imp: Any, mask: Any) -> tuple[np.ndarray, np.ndarray]:
    """True and imputed values of the hidden cells, checked."""
    true = _numeric(X_true, "X_true")
    imputed = _numeric(X_imp, "X_imp")
    if imputed.shape != true.shape:
        raise InputDataError(f"X_imp has shape {imputed.shape}, X_true has shape {true.shape}")
    hidden = _mask(mask, true.shape)
    if not hidden.any():
        raise RevimputeError("the mask hides no cell, so there is nothing to score")
    truth, guess = true[hidden], imputed[hidden]
    if not np.isfinite(guess).all():
        raise InputDataError(
            f"X_imp still holds {int((~np.isfinite(guess)).sum())} NaN/inf values in hidden cells"
        )
    if not np.isfinite(truth).all():
        raise InputDataError("X_true holds NaN/inf values in hidden cells; it must be complete")
    return truth, guess


_hidden_cell_score = fill_doc(
    scored_cells="""
        Parameters
        ----------
        X_true : array-like of shape (n_rows, n_columns)
            The complete data.
        X_imp : array-like of shape (n_rows, n_columns)
            The imputed data.
        mask : bool array of shape (n_rows, n_columns)
            True where the cell was hidden.""",
    scoring_errors="""
        Raises
        ------
        InputDataError
            If shapes differ, the mask is not boolean, or hidden cells are not finite.
        RevimputeError
            If the mask hides no cell.""",
)


@_hidden_cell_score
def rmse_missing(X_true: Any, X_imp: Any, mask: Any) -> float:
    """Root mean squared error over the hidden cells.

    %(scored_cells)s

    Returns
    -------
    float
        ``sqrt(mean((X_imp - X_true)[mask] ** 2))``.

    %(scoring_errors)s
    """
    truth, guess = _hidden_pairs(X_true, X_imp, mask)
    return float(np.sqrt(np.mean((guess - truth) ** 2)))


@_hidden_cell_score
def mae_missing(X_true: Any, X_imp: Any, mask: Any) -> float:
    """Mean absolute error over the hidden cells.

    %(scored_cells)s

    Returns
    -------
    float
        ``mean(abs(X_imp - X_true)[mask])``.

    %(scoring_errors)s
    """
    truth, guess = _hidden_pairs(X_true, X_imp, mask)
    return float(np.mean(np.abs(guess - truth)))


@_hidden_cell_score
def wasserstein_columns(X_true: Any, X_imp: Any, mask: Any, on: str = "missing") -> float:
    """Sum over columns of the 1-D Wasserstein distance between true and imputed values.

    %(scored_cells)s
    on : {"missing", "all"}, default="missing"
        ``"missing"``: per column, compare the true and the imputed values of
        that column's hidden cells (columns with no hidden cell add nothing).
        ``"all"``: compare whole columns, observed cells included, as
        HyperImpute's ``ws_score`` does (the mask is then only checked).

    Returns
    -------
    float
        Sum of ``scipy.stats.wasserstein_distance`` over the columns.

    Raises
    ------
    InputDataError
        If shapes differ, the mask is not boolean, or compared cells are not finite.
    RevimputeError
        If the mask hides no cell or ``on`` is unknown.
    """
    if on not in ("missing", "all"):
        raise RevimputeError(f"on must be 'missing' or 'all', got {on!r}")
    _hidden_pairs(X_true, X_imp, mask)
    true, imputed, hidden = np.asarray(X_true, float), np.asarray(X_imp, float), np.asarray(mask)
    if on == "all":
        if not (np.isfinite(imputed).all() and np.isfinite(true).all()):
            raise InputDataError(
                "X_true or X_imp holds NaN/inf values; on='all' compares every cell"
            )
        hidden = np.ones_like(hidden)
    total = 0.0
    for j in np.flatnonzero(hidden.any(axis=0)):
        rows = hidden[:, j]
        total += wasserstein_distance(true[rows, j], imputed[rows, j])
    return float(total)


def binary_accuracy(
    X_true: Any, X_imp: Any, mask: Any = None, threshold: float = 0.5
) -> float:
    """Share of pixels whose black/white value (``>= threshold``) is recovered.

    The seed project's image metric: each intensity is turned into 0/1 by
    ``x >= threshold`` and compared with the original's. Without a mask every
    pixel counts (observed pixels are expected to be kept as they were, so
    they count as right); with a mask only the hidden ones.

    Parameters
    ----------
    X_true : array-like of shape (n_rows, n_columns)
        The complete images (intensities in [0, 1]).
    X_imp : array-like of shape (n_rows, n_columns)
        The imputed images.
    mask : bool array of shape (n_rows, n_columns), optional
        If given, score only the cells where it is True.
    threshold : float, default=0.5
        Intensity at or above which a pixel counts as 1.

    Returns
    -------
    float
        ``mean((X_imp >= threshold) == (X_true >= threshold))`` over the scored cells.

    Raises
    ------
    InputDataError
        If shapes differ, the mask is not boolean, or scored cells are not finite.
    RevimputeError
        If the mask hides no cell.
    """
    if mask is None:
        true = _numeric(X_true, "X_true")
        mask = np.ones(true.shape, dtype=bool)
    truth, guess = _hidden_pairs(X_true, X_imp, mask)
    return float(np.mean((guess >= threshold) == (truth >= threshold)))


def categorical_accuracy(
    true_frame: pd.DataFrame,
    imputed_frame: pd.DataFrame,
    mask: Any,
    columns: Sequence[Any] | None = None,
) -> float:
    """Share of hidden categorical cells imputed with exactly the true category.

    Parameters
    ----------
    true_frame : pandas.DataFrame
        The complete table.
    imputed_frame : pandas.DataFrame
        The imputed table, with the same columns and shape.
    mask : bool array or DataFrame of the tables' shape
        True where the cell was hidden (columns in ``true_frame``'s order).
    columns : sequence of column names, optional
        Columns to score; default every non-numeric column of ``true_frame``.

    Returns
    -------
    float
        Correct hidden cells / hidden cells, pooled over ``columns``. A hidden
        cell left missing in ``imputed_frame`` counts as wrong.

    Raises
    ------
    InputDataError
        If the tables or the mask do not match, or a column is unknown.
    RevimputeError
        If no cell of ``columns`` is hidden, or there is no categorical column.
    """
    if list(imputed_frame.columns) != list(true_frame.columns) or (
        imputed_frame.shape != true_frame.shape
    ):
        raise InputDataError("imputed_frame must have the same columns and shape as true_frame")
    hidden = _mask(mask.to_numpy() if isinstance(mask, pd.DataFrame) else mask, true_frame.shape)
    if columns is None:
        columns = [
            c for c in true_frame.columns if not pd.api.types.is_numeric_dtype(true_frame[c])
        ]
        if not columns:
            raise RevimputeError("true_frame has no categorical column; name the columns to score")
    unknown = [c for c in columns if c not in true_frame.columns]
    if unknown:
        raise InputDataError(f"columns {unknown} are not in the table")
    correct = total = 0
    for name in columns:
        rows = hidden[:, true_frame.columns.get_loc(name)]
        truth = true_frame[name].to_numpy(dtype=object)[rows]
        guess = imputed_frame[name].to_numpy(dtype=object)[rows]
        correct += int((pd.notna(guess) & (truth == guess)).sum())
        total += int(rows.sum())
    if total == 0:
        raise RevimputeError(f"the mask hides no cell in columns {list(columns)}")
    return correct / total


def downstream_score(
    X_imp_train: Any,
    y_train: Any,
    X_test: Any,
    y_test: Any,
    task: str,
    random_state: int | np.random.Generator | None = None,
) -> float:
    """Score of a fixed model trained on imputed data and tested on complete data.

    The model is ``StandardScaler`` followed by ``LogisticRegression(max_iter=1000)``
    for classification (scored by accuracy) or ``Ridge(alpha=1.0)`` for regression
    (scored by R^2). Better imputations of the training set give higher scores.

    Parameters
    ----------
    X_imp_train : array-like of shape (n_train, n_columns)
        Imputed training features.
    y_train : array-like of shape (n_train,)
        Training targets.
    X_test : array-like of shape (n_test, n_columns)
        Complete test features.
    y_test : array-like of shape (n_test,)
        Test targets.
    task : {"classification", "regression"}
        Which model and score to use.
    random_state : int, numpy.random.Generator or None
        Seeds the logistic regression (its lbfgs solver is deterministic; the
        argument keeps the call reproducible should the solver change).

    Returns
    -------
    float
        Test accuracy (classification) or R^2 (regression).

    Raises
    ------
    InputDataError
        If features are not finite numeric 2-D arrays, or lengths/widths disagree.
    RevimputeError
        If ``task`` is unknown.
    """
    if task not in ("classification", "regression"):
        raise RevimputeError(f"task must be 'classification' or 'regression', got {task!r}")
    train = _numeric(X_imp_train, "X_imp_train")
    test = _numeric(X_test, "X_test")
    y_tr, y_te = np.asarray(y_train), np.asarray(y_test)
    if train.shape[1] != test.shape[1]:
        raise InputDataError(
            f"X_imp_train has {train.shape[1]} columns, X_test has {test.shape[1]}"
        )
    if len(y_tr) != len(train) or len(y_te) != len(test):
        raise InputDataError("each feature array needs exactly one target per row")
    for what, array in (("X_imp_train", train), ("X_test", test)):
        if not np.isfinite(array).all():
            raise InputDataError(f"{what} holds NaN/inf values; impute or drop them first")
    if task == "classification":
        seed = (
            int(random_state)
            if isinstance(random_state, (int, np.integer))
            else int(np.random.default_rng(random_state).integers(2**31 - 1))
        )
        classifier = LogisticRegression(max_iter=1000, random_state=seed)
        model = make_pipeline(StandardScaler(), classifier)
    else:
        model = make_pipeline(StandardScaler(), Ridge(alpha=1.0))
    model.fit(train, y_tr)
    return float(model.score(test, y_te))
