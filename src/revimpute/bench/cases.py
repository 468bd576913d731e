"""Benchmark cases: a table, a missingness mechanism, a rate and a seed, made ready to run.

A *case* is one (dataset, mechanism, rate, seed). :func:`prepare_case` min-max
scales the complete table (as in GAIN and HyperImpute), draws the mask of the
mechanism with ``random_state=seed`` (:func:`make_mask`), sets the masked cells
to NaN and splits the rows once into training and test rows for the downstream
score (70/30, shuffled, stratified by class for classification tables, which
are stored sorted by class).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split

from revimpute.bench.datasets import load_table, minmax_scale
from revimpute.bench.metrics import downstream_score
from revimpute.bench.block_masks import column_block
from revimpute.bench.missingness import MECHANISMS, simulate
from revimpute.exceptions import RevimputeError

__all__ = [
    "BLOCK_COLUMN_FRACTION",
    "CROSSCHECK_CASE",
    "HARNESS_MECHANISMS",
    "PUBLISHED_CROSSCHECK",
    "TEST_FRACTION",
    "Case",
    "CaseData",
    "block_mask",
    "make_mask",
    "prepare_case",
]

BLOCK_COLUMN_FRACTION = 0.6
"""Share of the columns in the block hidden by :func:`block_mask`."""

HARNESS_MECHANISMS: tuple[str, ...] = (*MECHANISMS, "column_block")
"""Mechanism names the harness accepts: those of :func:`~revimpute.bench.missingness.simulate`
and ``"column_block"`` (:func:`block_mask`)."""

TEST_FRACTION = 0.3
"""Share of the rows held out to test the downstream model."""


@dataclass(frozen=True)
class Case:
    """One benchmark case: a table, a missingness mechanism, a rate and a seed."""

    dataset: str
    mechanism: str
    rate: float
    seed: int

    @property
    def cell(self) -> tuple[str, str, float]:
        """The (dataset, mechanism, rate) cell this case belongs to (seeds pooled)."""
        return (self.dataset, self.mechanism, self.rate)


CROSSCHECK_CASE = Case("breast_cancer", "mcar", 0.2, 0)
"""GAIN's published setting: breast cancer, min-max scaled, 20% MCAR from
``np.random.default_rng(0).random(X.shape) < 0.2`` (our :func:`mcar` with seed 0)."""

PUBLISHED_CROSSCHECK: dict[str, float] = {"gain": 0.0546, "iterative_trees": 0.0608, "missforest": 0.0608}
"""RMSE published for :data:`CROSSCHECK_CASE` (Yoon et al. 2018, GAIN, Table 2, "Breast"): GAIN's
and MissForest's, the latter set beside ``iterative_trees``, called ``missforest`` in results
written before that name changed."""


# --------------------------------------------------------------------------- masks
def block_mask(X: Any, rate: float, random_state: int | np.random.Generator | None = None) -> np.ndarray:
    """Structured missingness: a block of adjacent columns hidden in a share of the rows.

    ``k = ceil(BLOCK_COLUMN_FRACTION * d)`` adjacent columns (at most ``d - 1``,
    so one column always stays observed), starting at a random column, are
    hidden together in ``round(min(rate * d / k, 0.9) * n)`` randomly chosen
    rows (:func:`~revimpute.bench.block_masks.column_block`). The expected
    overall missing share is ``rate`` as long as ``rate <= 0.9 * k / d``; above
    that it is capped (no column is ever hidden in every row).

    Parameters
    ----------
    X : array-like of shape (n_rows, n_columns), n_columns >= 2
        Complete data (only its shape is used).
    rate : float in [0, 1]
        Target share of hidden cells.
    random_state : int, numpy.random.Generator or None
        Seed or generator.

    Returns
    -------
    numpy.ndarray of bool, shape (n_rows, n_columns)
        True where the cell is missing.

    Raises
    ------
    RevimputeError
        If ``rate`` is not in [0, 1] or ``X`` has fewer than two columns.
    """
    shape = np.shape(X)
    if len(shape) != 2 or shape[1] < 2:
        raise RevimputeError(f"column_block needs a 2-D table with at least 2 columns, got shape {shape}")
    if not 0.0 <= float(rate) <= 1.0:
        raise RevimputeError(f"rate must be in [0, 1], got {rate!r}")
    n_rows, n_cols = int(shape[0]), int(shape[1])
    rng = np.random.default_rng(random_state)
    width = min(max(math.ceil(BLOCK_COLUMN_FRACTION * n_cols), 1), n_cols - 1)
    start = int(rng.integers(0, n_cols - width + 1))
    share = min(float(rate) * n_cols / width, 0.9)
    rows = np.sort(rng.choice(n_rows, int(round(share * n_rows)), replace=False))
    return column_block((n_rows, n_cols), slice(start, start + width), rows)


def make_mask(X: np.ndarray, mechanism: str, rate: float, seed: int) -> np.ndarray:
    """The mask of a case: ``simulate(X, mechanism, rate, random_state=seed)`` or :func:`block_mask`.

    Parameters
    ----------
    X : numpy.ndarray of shape (n_rows, n_columns)
        The complete, scaled table.
    mechanism : str
        One of :data:`HARNESS_MECHANISMS`.
    rate : float
        Nominal missing rate.
    seed : int
        Seed of the mask.

    Returns
    -------
    numpy.ndarray of bool
        True where the cell is hidden.

    Raises
    ------
    RevimputeError
        If the mechanism is unknown or the rate is out of range.
    """
    if mechanism == "column_block":
        return block_mask(X, rate, seed)
    return simulate(X, mechanism, rate, random_state=seed)


# --------------------------------------------------------------------------- cases
@dataclass
class CaseData:
    """Everything the harness needs about one case.

    Attributes
    ----------
    case : Case
    truth : numpy.ndarray
        The complete table, min-max scaled.
    mask : numpy.ndarray of bool
        True where the cell is hidden.
    holed : numpy.ndarray
        ``truth`` with the hidden cells set to NaN: what every method gets.
    target : numpy.ndarray
        The downstream target.
    task : {"classification", "regression"}
    train_rows, test_rows : numpy.ndarray of int
        The downstream split.
    columns : list of str
    """

    case: Case
    truth: np.ndarray
    mask: np.ndarray
    holed: np.ndarray
    target: np.ndarray
    task: str
    train_rows: np.ndarray
    test_rows: np.ndarray
    columns: list[str]

    def complete_downstream(self) -> float:
        """Downstream score of the complete data (the ceiling of every method)."""
        return downstream_score(
            self.truth[self.train_rows], self.target[self.train_rows],
            self.truth[self.test_rows], self.target[self.test_rows], self.task,
            random_state=self.case.seed,
        )


def prepare_case(case: Case) -> CaseData:
    """Load, scale, mask and split one case (deterministic in ``case``).

    Parameters
    ----------
    case : Case

    Returns
    -------
    CaseData

    Raises
    ------
    RevimputeError
        If the dataset or mechanism is unknown, or the mask hides no cell.
    """
    table = load_table(case.dataset)
    if table.target is None or table.task is None:
        raise RevimputeError(f"table {case.dataset!r} has no target; the harness needs one")
    truth = minmax_scale(table.frame).to_numpy(dtype=np.float64)
    mask = make_mask(truth, case.mechanism, case.rate, case.seed)
    if not mask.any():
        raise RevimputeError(
            f"{case.mechanism} at rate {case.rate} hid no cell of {case.dataset}; raise the rate"
        )
    target = table.target.to_numpy()
    stratify = target if table.task == "classification" else None
    rows = np.arange(len(truth))
    train_rows, test_rows = train_test_split(
        rows, test_size=TEST_FRACTION, shuffle=True, stratify=stratify, random_state=case.seed
    )
    return CaseData(
        case=case,
        truth=truth,
        mask=mask,
        holed=np.where(mask, np.nan, truth),
        target=target,
        task=table.task,
        train_rows=np.sort(train_rows),
        test_rows=np.sort(test_rows),
        columns=[str(c) for c in table.frame.columns],
    )
