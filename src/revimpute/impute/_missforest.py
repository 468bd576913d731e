"""MissForest (Stekhoven & Bühlmann 2012) for tables of mixed column types."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils._param_validation import Interval, StrOptions

from revimpute.encode.codes import CLASS_KINDS, NUMBER_KINDS, CodedTable
from revimpute.encode.kinds import DEFAULT_MAX_CATEGORIES, ColumnKind
from revimpute.impute._base import RANDOM_STATE, check_generator
from revimpute.impute._errors import as_input_error
from revimpute.impute._mixed import HANDLE_UNKNOWN, _MixedImputer


class MissForestImputer(_MixedImputer):
    """MissForest (Stekhoven & Bühlmann 2012) for tables of mixed column types.

    Gaps are first filled with the mean (numeric, integer, datetime columns)
    or the most frequent value (categorical, boolean). Then, column by column
    in order of increasing number of gaps, a random forest is fitted on the
    rows where the column is observed, using every other imputed column as
    predictor (categorical columns one-hot encoded, booleans as 0/1), and it
    predicts the column's gaps: ``RandomForestRegressor`` for numeric, integer
    and datetime columns, ``RandomForestClassifier`` for categorical and
    boolean ones. One pass over the columns is one iteration.

    Iterations stop as in the paper: after each one, the change of the
    numeric part, ``sum((new - old)**2) / sum(new**2)``, and the share of
    imputed categorical cells whose value changed are measured; when both have
    grown for the first time (only the kinds that have gaps count), the
    previous iterate is returned. Otherwise it stops after ``max_iter``
    iterations. One deviation: the numeric change is measured on columns
    min-max scaled by their observed range at fit, so that one column in
    large units (a datetime in nanoseconds) does not decide alone.

    Parameters
    ----------
    n_estimators : int, default=100
        Trees per forest.
    max_iter : int, default=10
        Most iterations (passes over the columns).
    max_features : {"sqrt", "log2"}, int, float or None, default="sqrt"
        Predictors tried at each split, as in scikit-learn's forests; the
        paper's default is the square root of the number of predictors.
    handle_unknown : {"missing", "error"}, default="missing"
        What transform does with a category never seen at fit: treat the cell
        as missing and impute it (with a ``UserWarning`` naming the column and
        values), or raise :class:`~revimpute.exceptions.InputDataError`.
    max_categories : int, default=200
        A text column with more distinct values is an identifier, left alone.
    n_jobs : int, default=1
        Passed to the forests.
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator, default=None
        Seeds every forest (:func:`revimpute.impute._base.check_generator`:
        nothing global is drawn from); an int gives the same imputation every time.

    Attributes
    ----------
    kinds_ : list of ColumnKind
        The kind of every column.
    order_ : ndarray of int
        Positions (among the imputed columns) in the order they are visited.
    forests_ : dict
        Column name -> the forest fitted for it in the iteration whose result
        fit returned; columns complete at fit get a forest fitted on the final
        iterate, so that transform can fill them too.
    n_iter_ : int
        Iterations run at fit (the last one is discarded when the stopping
        rule fired).
    convergence_ : list of (float, float)
        Per iteration at fit: numeric change and share of changed categorical
        cells (NaN for a kind without gaps).
    columns_ : pandas.Index
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when every column name is a string.

    Notes
    -----
    ``fit_transform(X)`` returns the iterate MissForest reached on ``X``
    itself. ``transform(Y)`` on another table (or on ``X`` again) runs the
    same iterations on ``Y`` with the forests of ``forests_`` held fixed:
    gaps start from the fit's mean / most frequent values, then each column's
    forest predicts its gaps from the current values of the other columns,
    pass after pass, with the same stopping rule and ``max_iter``. Nothing is
    refitted at transform.

    References
    ----------
    D. J. Stekhoven and P. Bühlmann (2012). MissForest — non-parametric
    missing value imputation for mixed-type data. Bioinformatics 28(1), 112–118.
    """

    _parameter_constraints: dict = {
        **_MixedImputer._parameter_constraints,
        "handle_unknown": HANDLE_UNKNOWN,
        "n_estimators": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_features": [
            StrOptions({"sqrt", "log2"}),
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(numbers.Real, 0.0, 1.0, closed="right"),
            None,
        ],
        "n_jobs": [numbers.Integral, None],
        "random_state": RANDOM_STATE,
    }

    def __init__(
        self,
        n_estimators: int = 100,
        *,
        max_iter: int = 10,
        max_features: Any = "sqrt",
        handle_unknown: str = "missing",
        max_categories: int = DEFAULT_MAX_CATEGORIES,
        n_jobs: int = 1,
        random_state: Any = None,
    ) -> None:
        super().__init__(max_categories=max_categories)
        self.n_estimators = n_estimators
        self.max_iter = max_iter
        self.max_features = max_features
        self.handle_unknown = handle_unknown
        self.n_jobs = n_jobs
        self.random_state = random_state

    # --- scikit-learn API ---------------------------------------------------------------
    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Run MissForest on ``X`` and return the iterate it reached (see Notes).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_rows, n_columns)
        y : ignored

        Returns
        -------
        DataFrame or ndarray
            Same kind, index, columns and dtypes as ``X``; observed cells unchanged.

        Raises
        ------
        InputDataError
            As :meth:`fit`.
        """
        frame, info = self._fit_table(X)
        encoded, filled = self._learn(frame)
        self._warn_identifiers(frame)
        return self._output(frame, encoded, filled, info)

    def _impute_encoded(self, encoded: CodedTable) -> np.ndarray:
        """The forests of ``forests_`` iterated on ``encoded`` (see Notes)."""
        forests = [self.forests_[label] for label in self.code_encoder_.labels_]
        filled, _, _, _ = self._iterate(self._initial_fill(encoded), encoded, forests, rng=None)
        return filled

    # --- the algorithm --------------------------------------------------------------------
    def _learn(self, frame: pd.DataFrame) -> tuple[CodedTable, np.ndarray]:
        """Run MissForest on ``frame``, keep the forests for :meth:`transform`; the work matrix and its iterate."""
        encoded = self._encode(frame, at_fit=True)
        self.encoders_ = self._make_encoders()
        gaps = encoded.missing.sum(axis=0)
        self.order_ = np.argsort(gaps, kind="stable")
        rng = check_generator(self.random_state)
        filled, forests, n_iter, history = self._iterate(
            self._initial_fill(encoded), encoded, [None] * len(self.code_encoder_.codes_), rng=rng
        )
        for k in self.order_:  # columns complete at fit: a forest for transform
            if forests[k] is None:
                predictors = self._predictors(filled, k)
                forests[k] = self._fit_forest(k, rng, predictors, self._target(filled, k))
        self.forests_ = dict(zip(self.code_encoder_.labels_, forests))
        self.n_iter_ = n_iter
        self.convergence_ = history
        return encoded, filled

    def _make_encoders(self) -> list[OneHotEncoder | None]:
        encoders: list[OneHotEncoder | None] = []
        for code in self.code_encoder_.codes_:
            if code.kind == ColumnKind.CATEGORICAL:
                codes = np.arange(len(code.categories))
                encoder = OneHotEncoder(categories=[codes], sparse_output=False, dtype=np.float64)
                encoders.append(encoder.fit(codes.reshape(-1, 1)))
            else:
                encoders.append(None)
        return encoders

    def _block(self, filled: np.ndarray, k: int) -> np.ndarray:
        """Column ``k`` of the work matrix as predictors: one-hot for categoricals."""
        encoder = self.encoders_[k]
        if encoder is None:
            return filled[:, k : k + 1]
        return encoder.transform(np.rint(filled[:, k : k + 1]).astype(np.int64))

    def _predictors(self, filled: np.ndarray, k: int, blocks: list[np.ndarray] | None = None) -> np.ndarray:
        if blocks is None:
            blocks = [self._block(filled, i) for i in range(filled.shape[1])]
        others = [b for i, b in enumerate(blocks) if i != k]
        if not others:
            return np.zeros((filled.shape[0], 1))
        return np.hstack(others)

    def _target(self, filled: np.ndarray, k: int) -> np.ndarray:
        if self.code_encoder_.codes_[k].kind in CLASS_KINDS:
            return np.rint(filled[:, k]).astype(np.int64)
        return filled[:, k]

    def _new_forest(self, k: int, rng: np.random.Generator) -> Any:
        seed = int(rng.integers(np.iinfo(np.int32).max))
        params = dict(n_estimators=self.n_estimators, max_features=self.max_features,
                      n_jobs=self.n_jobs, random_state=seed)
        if self.code_encoder_.codes_[k].kind in CLASS_KINDS:
            return RandomForestClassifier(**params)
        return RandomForestRegressor(**params)

    def _fit_forest(self, k: int, rng: np.random.Generator, predictors: np.ndarray, target: np.ndarray) -> Any:
        forest = self._new_forest(k, rng)
        with warnings.catch_warnings():
            # the column is categorical by its kind; many classes per row is no sign of a regression
            warnings.filterwarnings("ignore", message="The number of unique classes is greater than 50%")
            with as_input_error(type(forest).__name__, "fit"):
                return forest.fit(predictors, target)

    def _predict(self, forest: Any, predictors: np.ndarray, k: int, allowed: np.ndarray | None) -> np.ndarray:
        if self.code_encoder_.codes_[k].kind not in CLASS_KINDS:
            with as_input_error(type(forest).__name__, "predict"):
                return forest.predict(predictors)
        scores = np.zeros((predictors.shape[0], len(self.code_encoder_.codes_[k].categories)))
        with as_input_error(type(forest).__name__, "predict"):
            scores[:, forest.classes_] = forest.predict_proba(predictors)
        if allowed is not None:
            scores[:, ~allowed] = -1.0
        return np.argmax(scores, axis=1).astype(np.float64)

    def _iterate(
        self,
        filled: np.ndarray,
        encoded: CodedTable,
        forests: list[Any],
        rng: np.random.Generator | None,
    ) -> tuple[np.ndarray, list[Any], int, list[tuple[float, float]]]:
        """MissForest iterations from the initial fill ``filled``.

        With ``rng`` (fit) a new forest is fitted per column and iteration;
        without (transform) the given ``forests`` predict. Returns the chosen
        iterate, the forests that produced it, the iterations run and the
        convergence history.
        """
        missing = encoded.missing
        visit = [int(k) for k in self.order_ if missing[:, k].any()]
        if not visit:
            return filled, forests, 0, []
        codes = self.code_encoder_.codes_
        numeric = np.array([code.kind in NUMBER_KINDS for code in codes])
        kinds_with_gaps = [bool(missing[:, numeric].any()), bool(missing[:, ~numeric].any())]
        low = np.where(numeric, [code.low for code in codes], 0.0)
        span = np.where(numeric, [code.high - code.low for code in codes], 1.0)
        span = np.where(span > 0, span, 1.0)
        n_class_gaps = max(int(missing[:, ~numeric].sum()), 1)

        previous, previous_forests = filled, list(forests)
        old = (np.inf, np.inf)
        history: list[tuple[float, float]] = []
        for iteration in range(self.max_iter):
            current = previous.copy()
            used = list(previous_forests)
            blocks = [self._block(current, i) for i in range(current.shape[1])]
            for k in visit:
                rows = missing[:, k]
                predictors = self._predictors(current, k, blocks)
                if rng is not None:
                    used[k] = self._fit_forest(k, rng, predictors[~rows], self._target(current, k)[~rows])
                current[rows, k] = self._predict(used[k], predictors[rows], k, encoded.allowed[k])
                blocks[k] = self._block(current, k)
            new_scaled = (current[:, numeric] - low[numeric]) / span[numeric]
            old_scaled = (previous[:, numeric] - low[numeric]) / span[numeric]
            change_numeric = (
                float(np.sum((new_scaled - old_scaled) ** 2) / max(np.sum(new_scaled**2), 1e-300))
                if kinds_with_gaps[0] else np.nan
            )
            change_classes = (
                float(np.sum(current[:, ~numeric] != previous[:, ~numeric]) / n_class_gaps)
                if kinds_with_gaps[1] else np.nan
            )
            new = (change_numeric, change_classes)
            history.append(new)
            grew = [new[t] >= old[t] for t in (0, 1) if kinds_with_gaps[t]]
            if iteration > 0 and all(grew):
                return previous, previous_forests, iteration + 1, history
            old = new
            previous, previous_forests = current, used
        return previous, previous_forests, self.max_iter, history
