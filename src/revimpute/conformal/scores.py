"""Conformity scores of held-out cells and the intervals and prediction sets they give.

A :class:`Calibration` holds, for cells whose true value is known and that no
network trained on (observed cells of held-out rows, hidden one at a time),
what the imputation got wrong:

* number cells (numeric, integer, datetime columns): the residual
  ``truth - imputed`` in network units, the ensemble's spread on that cell
  (the standard deviation of the networks' imputations) and each network's
  own residual; the conformity score is ``|residual| / max(spread, floor)``
  (locally adaptive split conformal: an interval is wide where the networks
  disagree), where ``floor`` is a low quantile of the column's spreads;
* boolean and categorical cells: ``1 - p(true value)`` under the ensemble's
  mean probabilities (prediction sets, Vovk's "LAC" score).

Quantiles are the finite-sample split-conformal ones: the
``ceil((n + 1) * coverage)``-th smallest of ``n`` scores, taken per column
when the column has at least :data:`MIN_COLUMN_SCORES` scores and that rank
exists, else over every column of the same kind pooled; infinite when even
the pooled scores are too few (the interval is then the column's whole range).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

MIN_COLUMN_SCORES = 30
"""A column with fewer held-out scores uses the quantile of all columns pooled."""

MIN_DRAW_SCORES = 10
"""A column with fewer held-out residuals draws from all number columns' residuals (:meth:`Calibration.residual_pool`)."""

FLOOR_QUANTILE = 0.1
"""The spread floor of a column: this quantile of its held-out cells' spreads."""

_TINY = 1e-6


def conformal_quantile(scores: np.ndarray, coverage: float) -> float:
    """The split-conformal quantile: the ``ceil((n + 1) * coverage)``-th smallest score.

    Parameters
    ----------
    scores : ndarray of float, shape (n,)
    coverage : float in (0, 1)

    Returns
    -------
    float
        ``inf`` when ``ceil((n + 1) * coverage) > n`` (too few scores for this coverage).
    """
    scores = np.asarray(scores, dtype=np.float64)
    n = scores.size
    rank = math.ceil((n + 1) * coverage - 1e-12)
    if n == 0 or rank > n:
        return math.inf
    return float(np.partition(scores, rank - 1)[rank - 1])


def _column_quantiles(columns: np.ndarray, scores: np.ndarray, n_columns: int, coverage: float) -> np.ndarray:
    """Per-column quantile where a column has enough scores, the pooled one elsewhere."""
    pooled = conformal_quantile(scores, coverage)
    out = np.full(n_columns, pooled, dtype=np.float64)
    for j in np.unique(columns):
        own = scores[columns == j]
        if own.size >= MIN_COLUMN_SCORES and math.ceil((own.size + 1) * coverage - 1e-12) <= own.size:
            out[j] = conformal_quantile(own, coverage)
    return out


@dataclass
class Calibration:
    """Held-out conformity scores of a fitted imputer (see the module's description).

    Columns are the encoded columns in order (for an imputer fitted on an
    array, the columns that are not empty).

    Attributes
    ----------
    n_columns : int
        Encoded columns of the table.
    n_rows : int
        Rows held out from every network's training.
    column : ndarray of int, shape (n,)
        Column of each number score.
    residual : ndarray of float, shape (n,)
        ``truth - imputed`` (the ensemble's estimate) in network units.
    spread : ndarray of float, shape (n,)
        Standard deviation of the networks' imputations of that cell, network units.
    member_residual : ndarray of float, shape (n, n_networks)
        ``truth - imputed`` of each network on its own.
    table_residual : ndarray of float, shape (n,)
        ``truth - imputed`` in the column's own units (seconds for datetimes).
    class_column : ndarray of int, shape (k,)
        Column of each boolean or categorical score.
    class_score : ndarray of float, shape (k,)
        ``1 - p(true value)``.
    class_correct : ndarray of bool, shape (k,)
        Whether the imputed (most probable) value was the true one.
    floor : ndarray of float, shape (n_columns,)
        Smallest spread a number cell of each column is divided by.
    """

    n_columns: int
    n_rows: int
    column: np.ndarray
    residual: np.ndarray
    spread: np.ndarray
    member_residual: np.ndarray
    table_residual: np.ndarray
    class_column: np.ndarray
    class_score: np.ndarray
    class_correct: np.ndarray
    floor: np.ndarray

    @classmethod
    def from_scores(
        cls, n_columns: int, n_rows: int, column: np.ndarray, residual: np.ndarray, spread: np.ndarray,
        member_residual: np.ndarray, table_residual: np.ndarray, class_column: np.ndarray,
        class_score: np.ndarray, class_correct: np.ndarray,
    ) -> Calibration:
        """A calibration from its scores; the spread floors are computed here.

        A column's floor is the :data:`FLOOR_QUANTILE` quantile of its spreads
        (of all columns pooled when it has fewer than :data:`MIN_COLUMN_SCORES`),
        and 1 when the spreads are all zero (a single network: plain residuals).
        """
        column = np.asarray(column, dtype=np.int64)
        spread = np.asarray(spread, dtype=np.float64)
        positive = spread[spread > 0]
        pooled = float(np.quantile(positive, FLOOR_QUANTILE)) if positive.size else 1.0
        floor = np.full(n_columns, max(pooled, _TINY), dtype=np.float64)
        for j in np.unique(column):
            own = spread[(column == j) & (spread > 0)]
            if own.size >= MIN_COLUMN_SCORES:
                floor[j] = max(float(np.quantile(own, FLOOR_QUANTILE)), _TINY)
        return cls(
            int(n_columns), int(n_rows), column, np.asarray(residual, dtype=np.float64), spread,
            np.asarray(member_residual, dtype=np.float64).reshape(len(column), -1),
            np.asarray(table_residual, dtype=np.float64), np.asarray(class_column, dtype=np.int64),
            np.asarray(class_score, dtype=np.float64), np.asarray(class_correct, dtype=bool), floor,
        )

    @property
    def n_networks(self) -> int:
        return int(self.member_residual.shape[1])

    def cell_scale(self, columns: np.ndarray, spread: np.ndarray) -> np.ndarray:
        """What a number cell's residual is divided by: ``max(spread, floor of its column)``."""
        return np.maximum(np.asarray(spread, dtype=np.float64), self.floor[np.asarray(columns, dtype=np.int64)])

    def scores(self) -> np.ndarray:
        """The number cells' conformity scores ``|residual| / cell_scale``."""
        return np.abs(self.residual) / self.cell_scale(self.column, self.spread)

    def number_quantiles(self, coverage: float) -> np.ndarray:
        """Per column, the score quantile for ``coverage`` (pooled where a column has too few)."""
        return _column_quantiles(self.column, self.scores(), self.n_columns, coverage)

    def class_quantiles(self, coverage: float) -> np.ndarray:
        """Per column, the quantile of ``1 - p(true value)`` for ``coverage``."""
        return _column_quantiles(self.class_column, self.class_score, self.n_columns, coverage)

    def residual_pool(self, j: int) -> np.ndarray:
        """Signed residuals ``truth - imputed`` (network units) to draw from for column ``j``.

        The column's own when it has :data:`MIN_DRAW_SCORES` of them, else
        every number column's (draws need no rank of a high quantile, and
        other columns' residuals can be of another size). They are not divided by the cells' spread: a
        residual divided by a held-out cell's small spread and multiplied by a
        missing cell's larger one gives draws with heavy tails (see
        docs/uncertainty.md, the Rubin simulation).
        """
        own = self.residual[self.column == j]
        return own if own.size >= MIN_DRAW_SCORES else self.residual

    def counts(self) -> np.ndarray:
        """Held-out scores per column (numbers and classes together)."""
        return (np.bincount(self.column, minlength=self.n_columns)
                + np.bincount(self.class_column, minlength=self.n_columns))

    # --- persistence -----------------------------------------------------------------------
    ARRAYS: ClassVar[tuple[str, ...]] = ("column", "residual", "spread", "member_residual", "table_residual", "class_column",
              "class_score", "class_correct", "floor")

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The scores as named arrays (booleans as uint8), for a weights file."""
        out = {name: np.ascontiguousarray(getattr(self, name)) for name in self.ARRAYS}
        out["class_correct"] = out["class_correct"].astype(np.uint8)
        return out

    @classmethod
    def from_arrays(cls, n_columns: int, n_rows: int, arrays: dict[str, np.ndarray]) -> Calibration:
        """Inverse of :meth:`to_arrays` (the caller checks shapes and values)."""
        values = {name: np.asarray(arrays[name]) for name in cls.ARRAYS}
        values["class_correct"] = values["class_correct"].astype(bool)
        return cls(int(n_columns), int(n_rows), **values)
