"""AutoImputer: choose the imputation method per column on a held-out split of the table.

``fit`` hides a share of the table's observed cells, fits every candidate
method of the registry on the table with those extra holes, and scores each
candidate per column on the hidden cells (RMSE for numbers and datetimes, the
share wrong for booleans and categories). Each column is then imputed by its
best method, each chosen method fitted once on the whole table. A candidate
that cannot handle the table (a numeric-only method on text columns) is left
out, with the reason in ``failed_``.

The cells are hidden the way the table's own gaps fall (``split="patterns"``):
rows with the fewest gaps first, each takes the gaps of another row that has
some, on its observed cells, so a column loses cells in proportion to its
gaps and together with the columns it is missing with. ``split="random"``
hides the same share of each column completely at random.

A candidate other than the first (the default method) replaces it in a
column only when its squared errors there are lower by a paired bootstrap
test (one-sided), corrected by Holm's procedure over all the candidates so
that the chance of leaving the default on noise alone is at most
``1 - confidence`` per column, not per candidate (:func:`holm_choice`): with
a few dozen hidden cells per column the plain smallest RMSE is often chance,
and chance costs accuracy on the real gaps.
"""

from __future__ import annotations

import numbers
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from revimpute.encode.frames import is_frame, like_input, to_pandas
from revimpute.encode.checks import check_shape
from revimpute.exceptions import InputDataError, RevimputeError
from revimpute.impute._output import as_requested
from revimpute.impute._registry import available_imputers, get_imputer

NUMERIC_CANDIDATES: tuple[str, ...] = ("reverse", "mean", "knn", "iterative", "iterative_trees")
"""Candidates for a table of numbers (the first is the default a column keeps unless beaten)."""

MIXED_CANDIDATES: tuple[str, ...] = ("reverse", "mean_mode", "missforest_mixed")
"""Candidates for a table with boolean, categorical, text or datetime columns."""

_BOOTSTRAPS = 1000


def _is_number_column(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)


def _cell_errors(truth: pd.Series, guess: pd.Series) -> np.ndarray:
    """Per hidden cell: squared error (numbers, datetimes in days) or 0/1 wrong (other columns)."""
    if pd.api.types.is_datetime64_any_dtype(truth.dtype):
        delta = (pd.to_datetime(guess) - pd.to_datetime(truth)) / pd.Timedelta(days=1)
        return np.asarray(delta, dtype=np.float64) ** 2
    if _is_number_column(truth):
        return (guess.to_numpy(dtype=np.float64) - truth.to_numpy(dtype=np.float64)) ** 2
    return (truth.astype(object).to_numpy() != guess.astype(object).to_numpy()).astype(np.float64)


def p_value(errors: np.ndarray, default: np.ndarray, seed: int) -> float:
    """One-sided paired bootstrap p-value of ``errors`` being lower than ``default`` (same cells).

    The share of bootstrap resamples of the cells in which the candidate's mean
    error is not below the default's; 1 when its mean error is not below, or
    there is no cell. The resamples depend only on ``seed`` and the number of
    cells, so candidates scored on the same cells share them.
    """
    diff = np.asarray(errors, dtype=np.float64) - np.asarray(default, dtype=np.float64)
    if diff.size == 0 or diff.mean() >= 0:
        return 1.0
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, diff.size, size=(_BOOTSTRAPS, diff.size))].mean(axis=1)
    return float(np.mean(means >= 0))


def better_than(errors: np.ndarray, default: np.ndarray, confidence: float, seed: int) -> bool:
    """True when ``errors`` are lower than ``default`` (paired, same cells) by a one-sided bootstrap test.

    The share of bootstrap resamples of the cells in which the candidate's mean
    error is not below the default's (:func:`p_value`) must be at most
    ``1 - confidence``; at ``confidence`` 0 a lower mean is enough.
    """
    diff = np.asarray(errors, dtype=np.float64) - np.asarray(default, dtype=np.float64)
    if diff.size == 0 or diff.mean() >= 0:
        return False
    if confidence <= 0:
        return True
    return p_value(errors, default, seed) <= 1 - confidence


def holm_choice(errors: dict[str, np.ndarray], default: str, confidence: float, seed: int) -> str:
    """The method of one column: ``default``, unless others beat it by Holm's test over all of them.

    Each other candidate (``errors``: name -> squared errors or 0/1 wrongs on
    the same hidden cells) is tested against ``default`` (:func:`p_value`);
    Holm's step-down procedure keeps the chance that any of them is wrongly
    found better at most ``1 - confidence``. Of those it finds better, the one
    with the lowest mean error; at ``confidence`` 0, the lowest mean error of
    all (``default`` on a tie).
    """
    base = float(np.mean(errors[default])) if np.size(errors[default]) else np.inf
    others = [n for n in errors if n != default and np.size(errors[n]) == np.size(errors[default])]
    if confidence <= 0:
        found = [n for n in others if float(np.mean(errors[n])) < base]
    else:
        p = {n: p_value(errors[n], errors[default], seed) for n in others}
        found = []
        for k, name in enumerate(sorted(others, key=lambda n: p[n])):
            if p[name] > (1 - confidence) / (len(others) - k):
                break
            found.append(name)
    return min(found, key=lambda n: float(np.mean(errors[n]))) if found else default


class AutoImputer(TransformerMixin, BaseEstimator):
    """Impute every column with the method that imputes it best on this table.

    Parameters
    ----------
    candidates : sequence of str or None, default=None
        Registry names (:func:`~revimpute.available_imputers`) to try; the
        first is the default a column keeps unless another is better. None:
        :data:`NUMERIC_CANDIDATES` for a table of numbers,
        :data:`MIXED_CANDIDATES` otherwise.
    holdout : float, default=0.2
        Share of the observed cells hidden to score the candidates.
    split : {"patterns", "random"}, default="patterns"
        How the cells are hidden. ``"patterns"``: the gaps of other rows
        copied onto the rows with the fewest gaps, until ``holdout`` of the
        table's observed cells are hidden (a column keeps at least half of its
        observed cells; a column without gaps, none hidden, keeps the first
        candidate); a table without any gap falls back to ``"random"``.
        ``"random"``: ``holdout`` of each column's observed cells, completely
        at random (never a column's last).
    confidence : float, default=0.95
        How sure the paired bootstrap tests must be, together, that a
        candidate beats the default in a column: the chance that any
        candidate is wrongly found better is at most ``1 - confidence``
        (Holm's procedure over the candidates, :func:`holm_choice`; 0: the
        smallest error wins).
    method_params : dict or None, default=None
        Extra parameters per candidate name.
    random_state : int, default=0
        Seeds the hidden cells, the tests and every candidate with a ``random_state``.
    verbose : bool, default=False
        Say each candidate's time and errors (as warnings-free prints to stderr).

    Attributes
    ----------
    scores_ : pandas DataFrame
        Candidates x columns: RMSE on the hidden cells (numbers, datetimes in
        days) or the share wrong (other columns); NaN for a column with no
        hidden cell or a failed candidate.
    choices_ : dict
        Column label -> chosen method.
    column_methods_ : list of str
        The chosen method of each column, by position.
    cell_errors_ : dict
        (method, column position) -> the hidden cells' errors (squared, or 0/1).
    failed_ : dict
        Candidate -> why it could not impute the table.
    seconds_ : dict
        Candidate -> seconds it took on the held-out split.
    imputers_ : dict
        Chosen method -> the imputer fitted on the whole table.

    Examples
    --------
    >>> import numpy as np
    >>> from revimpute.impute import AutoImputer
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(80, 3)) @ rng.normal(size=(3, 4))
    >>> X[rng.random(X.shape) < 0.1] = np.nan
    >>> auto = AutoImputer(candidates=["mean", "iterative"]).fit(X)
    >>> list(auto.scores_.index), len(auto.choices_)
    (['mean', 'iterative'], 4)
    >>> bool(np.isnan(auto.transform(X)).any())
    False
    """

    _parameter_constraints: dict = {
        "candidates": [list, tuple, None],
        "holdout": [Interval(numbers.Real, 0, 1, closed="neither")],
        "split": [StrOptions({"patterns", "random"})],
        "confidence": [Interval(numbers.Real, 0, 1, closed="left")],
        "method_params": [dict, None],
        "random_state": [Interval(numbers.Integral, 0, None, closed="left")],
        "verbose": ["boolean"],
    }

    def __init__(self, candidates: Any = None, holdout: float = 0.2, split: str = "patterns",
                 confidence: float = 0.95, method_params: dict | None = None, random_state: int = 0,
                 verbose: bool = False) -> None:
        self.candidates = candidates
        self.holdout = holdout
        self.split = split
        self.confidence = confidence
        self.method_params = method_params
        self.random_state = random_state
        self.verbose = verbose

    # --- helpers --------------------------------------------------------------------------
    def _frame(self, X: Any) -> tuple[pd.DataFrame, Any, bool]:
        """``X`` as a pandas DataFrame, the schema to give it back, and whether it was an array."""
        if is_frame(X):
            frame, schema = to_pandas(X)
            return frame, schema, False
        array = np.asarray(X)
        if array.ndim != 2:
            raise InputDataError(f"expected a 2-D table, got an array with {array.ndim} dimension(s)")
        return pd.DataFrame(array), None, True

    def _candidates(self, frame: pd.DataFrame) -> list[str]:
        if self.candidates is not None:
            names = list(self.candidates)
        elif all(_is_number_column(frame[c]) for c in frame.columns):
            names = list(NUMERIC_CANDIDATES)
        else:
            names = list(MIXED_CANDIDATES)
        unknown = [n for n in names if n not in available_imputers()]
        if not names or unknown or len(set(names)) != len(names):
            raise InputDataError(
                f"candidates must be distinct registry names ({', '.join(available_imputers())}); got {names}"
            )
        return names

    def candidate(self, name: str) -> Any:
        """A fresh, unfitted imputer ``name`` with ``method_params`` and every ``random_state`` set to this one's."""
        params = dict((self.method_params or {}).get(name, {}))
        imputer = get_imputer(name, **params)
        keys = [k for k in imputer.get_params(deep=True) if k == "random_state" or k.endswith("__random_state")]
        if keys:
            imputer.set_params(**{k: int(self.random_state) for k in keys})
        return imputer

    def _as_given(self, frame: pd.DataFrame, is_array: bool) -> Any:
        return frame.to_numpy() if is_array else frame

    def _say(self, message: str) -> None:
        if self.verbose:
            import sys

            print(message, file=sys.stderr)

    def _hide(self, frame: pd.DataFrame) -> np.ndarray:
        """Cells to hide, by ``split``."""
        observed = frame.notna().to_numpy()
        if self.split == "patterns" and not observed.all():
            return self._hide_patterns(observed)
        return self._hide_random(frame)

    def _hide_patterns(self, observed: np.ndarray) -> np.ndarray:
        """Other rows' gaps copied onto the rows with the fewest gaps, up to ``holdout`` of the observed cells.

        Rows are taken in order of fewest gaps (random among ties); each gets the
        gaps of a random row that has some, on its observed cells, except those
        that would leave a column less than half of its observed cells; a row
        none of whose observed cells would stay is skipped.
        """
        rng = np.random.default_rng([int(self.random_state), 0xA070, 3])
        missing = ~observed
        donors = np.flatnonzero(missing.any(axis=1))
        hide = np.zeros(observed.shape, dtype=bool)
        target = int(round(self.holdout * observed.sum()))
        floor = np.ceil(observed.sum(axis=0) / 2)
        left = observed.sum(axis=0).astype(np.int64)
        hidden = 0
        for r in np.lexsort((rng.random(observed.shape[0]), missing.sum(axis=1))):
            if hidden >= target:
                break
            cells = missing[rng.choice(donors)] & observed[r] & (left - 1 >= floor)
            if not cells.any() or cells.sum() >= observed[r].sum():
                continue
            hide[r, cells] = True
            left -= cells
            hidden += int(cells.sum())
        return hide

    def _hide_random(self, frame: pd.DataFrame) -> np.ndarray:
        """A ``holdout`` share of each column's observed cells, completely at random, never its last one."""
        rng = np.random.default_rng([int(self.random_state), 0xA070])
        hide = np.zeros(frame.shape, dtype=bool)
        for j in range(frame.shape[1]):
            rows = np.flatnonzero(frame.iloc[:, j].notna().to_numpy())
            n = min(int(round(self.holdout * rows.size)), rows.size - 1)
            if n > 0:
                hide[rng.choice(rows, n, replace=False), j] = True
        return hide

    # --- fit --------------------------------------------------------------------------------
    def choose(self, X: Any) -> AutoImputer:
        """Score the candidates on a held-out split of ``X`` and choose per column (no final fit).

        Sets ``scores_``, ``choices_``, ``cell_errors_``, ``failed_``, ``seconds_``.

        Raises
        ------
        RevimputeError
            If no candidate can impute the table.
        """
        self._validate_params()
        frame, _, is_array = self._frame(X)
        check_shape(frame.shape)
        names = self._candidates(frame)
        hide = self._hide(frame)
        holed = frame.mask(hide) if not is_array else pd.DataFrame(np.where(hide, np.nan, frame.to_numpy()))
        self.scores_ = pd.DataFrame(np.nan, index=names, columns=frame.columns, dtype=np.float64)
        self.cell_errors_: dict = {}
        self.failed_: dict = {}
        self.seconds_: dict = {}
        for name in names:
            start = time.perf_counter()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    out = self.candidate(name).fit_transform(self._as_given(holed, is_array))
            except RevimputeError as exc:
                self.failed_[name] = " ".join(str(exc).split())
                self._say(f"auto: {name} cannot impute this table ({self.failed_[name]})")
                continue
            self.seconds_[name] = time.perf_counter() - start
            out = pd.DataFrame(np.asarray(out)) if is_array else to_pandas(out)[0]
            for j in range(frame.shape[1]):
                rows = np.flatnonzero(hide[:, j])
                if rows.size == 0:
                    continue
                errors = _cell_errors(frame.iloc[rows, j], out.iloc[rows, j])
                self.cell_errors_[(name, j)] = errors
                column = frame.iloc[:, j]
                number = _is_number_column(column) or pd.api.types.is_datetime64_any_dtype(column.dtype)
                self.scores_.iloc[names.index(name), j] = float(np.sqrt(errors.mean()) if number else errors.mean())
            self._say(f"auto: {name} {self.seconds_[name]:.1f} s")
        working = [n for n in names if n not in self.failed_]
        if not working:
            raise RevimputeError(
                "no candidate method can impute this table: "
                + "; ".join(f"{n}: {why}" for n, why in self.failed_.items())
            )
        self.column_methods_ = self.choices_at(self.confidence)
        self.choices_ = dict(zip(frame.columns, self.column_methods_))
        return self

    def choices_at(self, confidence: float, table_default: bool = False) -> list[str]:
        """The method of each column (by position) that the held-out errors give at ``confidence``.

        The first working candidate, unless others beat it in the column by
        Holm's test over all of them at familywise ``confidence``
        (:func:`holm_choice`: the chance that any of them is wrongly found
        better is at most ``1 - confidence``); of those, the lowest held-out error.
        With ``table_default``, the column's starting point is instead the
        method of :meth:`table_choice_at` (the one that beats the first over
        the whole table), which the others must then beat in the column.
        """
        check_is_fitted(self, "cell_errors_")
        working = [n for n in self.scores_.index if n not in self.failed_]
        start = self.table_choice_at(confidence) if table_default else working[0]
        chosen = []
        for j in range(self.scores_.shape[1]):
            if (start, j) not in self.cell_errors_:
                chosen.append(start)
                continue
            errors = {n: self.cell_errors_[(n, j)] for n in working if (n, j) in self.cell_errors_}
            chosen.append(holm_choice(errors, start, confidence, seed=int(self.random_state) + j))
        return chosen

    def table_choice_at(self, confidence: float) -> str:
        """The method that imputes the whole held-out split best at ``confidence``.

        Each column's cell errors are divided by the first candidate's mean
        error in that column, so that every column weighs alike; a candidate
        replaces the current choice when :func:`better_than` says so over all
        cells of the table.
        """
        check_is_fitted(self, "cell_errors_")
        working = [n for n in self.scores_.index if n not in self.failed_]
        columns = [j for j in range(self.scores_.shape[1]) if (working[0], j) in self.cell_errors_]

        def relative(name: str) -> np.ndarray | None:
            if any((name, j) not in self.cell_errors_ for j in columns):
                return None
            parts = []
            for j in columns:
                scale = float(np.mean(self.cell_errors_[(working[0], j)]))
                parts.append(self.cell_errors_[(name, j)] / (scale if scale > 0 else 1.0))
            return np.concatenate(parts) if parts else None

        best, best_errors = working[0], relative(working[0])
        for name in working[1:]:
            errors = relative(name)
            if errors is not None and best_errors is not None and better_than(
                errors, best_errors, confidence, seed=int(self.random_state)
            ):
                best, best_errors = name, errors
        return best

    def fit(self, X: Any, y: Any = None) -> AutoImputer:
        """Choose a method per column (:meth:`choose`), then fit each chosen method on all of ``X``."""
        return self.choose(X).fit_chosen(X)

    def fit_chosen(self, X: Any) -> AutoImputer:
        """Fit each method :meth:`choose` picked on all of ``X`` (the second half of :meth:`fit`)."""
        check_is_fitted(self, "column_methods_")
        self.imputers_ = {}
        for name in dict.fromkeys(self.column_methods_):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.imputers_[name] = self.candidate(name).fit(X)
        self.n_features_in_ = len(self.column_methods_)
        return self

    def transform(self, X: Any) -> Any:
        """Impute ``X``: each column from the method chosen for it.

        Returns
        -------
        ndarray or DataFrame
            The same kind as ``X``; observed cells unchanged (every chosen
            method keeps them), no gap left.
        """
        check_is_fitted(self, "imputers_")
        frame, schema, is_array = self._frame(X)
        if frame.shape[1] != self.n_features_in_:
            raise InputDataError(
                f"the table has {frame.shape[1]} columns; AutoImputer was fitted on {self.n_features_in_}"
            )
        outputs = {name: imputer.transform(X) for name, imputer in self.imputers_.items()}
        if is_array:
            result = np.asarray(outputs[self.column_methods_[0]]).copy()
            for j, name in enumerate(self.column_methods_):
                result[:, j] = np.asarray(outputs[name])[:, j]
            return result
        frames = {name: to_pandas(out)[0] for name, out in outputs.items()}
        result = frame.copy()
        for j, name in enumerate(self.column_methods_):
            result.isetitem(j, frames[name].iloc[:, j])
        return as_requested(self, like_input(result, schema))
