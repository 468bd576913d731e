"""Tests for revimpute.bench.metrics."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from revimpute.bench.datasets import load_table
from revimpute.bench.metrics import (
    binary_accuracy,
    categorical_accuracy,
    downstream_score,
    mae_missing,
    rmse_missing,
    wasserstein_columns,
)
from revimpute.bench.missingness import mcar
from revimpute.exceptions import InputDataError, RevimputeError

TRUE = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
IMPUTED = np.array([[9.0, 2.0], [0.0, 9.0], [4.0, 8.0]])
MASK = np.array([[False, True], [True, False], [False, True]])
# hidden cells: (0,1) 1 -> 2 (+1), (1,0) 2 -> 0 (-2), (2,1) 5 -> 8 (+3)


def test_rmse_and_mae_hand_checked():
    assert rmse_missing(TRUE, IMPUTED, MASK) == pytest.approx(math.sqrt((1 + 4 + 9) / 3))
    assert mae_missing(TRUE, IMPUTED, MASK) == pytest.approx((1 + 2 + 3) / 3)


def test_observed_cells_do_not_count():
    other = IMPUTED.copy()
    other[~MASK] = -100.0
    assert rmse_missing(TRUE, other, MASK) == rmse_missing(TRUE, IMPUTED, MASK)
    assert rmse_missing(TRUE, TRUE, MASK) == 0.0


def test_frames_are_accepted():
    frame = pd.DataFrame(TRUE, columns=["a", "b"])
    assert rmse_missing(frame, pd.DataFrame(IMPUTED), pd.DataFrame(MASK)) == pytest.approx(
        math.sqrt(14 / 3)
    )


def test_error_metrics_refuse_bad_input():
    with pytest.raises(InputDataError, match="shape"):
        rmse_missing(TRUE, IMPUTED[:2], MASK)
    with pytest.raises(InputDataError, match="boolean"):
        rmse_missing(TRUE, IMPUTED, MASK.astype(int))
    with pytest.raises(RevimputeError, match="hides no cell"):
        mae_missing(TRUE, IMPUTED, np.zeros_like(MASK))
    gap = IMPUTED.copy()
    gap[1, 0] = np.nan
    with pytest.raises(InputDataError, match="1 NaN"):
        rmse_missing(TRUE, gap, MASK)
    gap[1, 0] = 0.0
    gap[1, 1] = np.nan  # an observed cell: not scored, so fine
    assert rmse_missing(TRUE, gap, MASK) == pytest.approx(math.sqrt(14 / 3))


def test_wasserstein_hand_checked():
    # column 0: hidden true [2] vs imputed [0] -> 2; column 1: true [1, 5] vs [2, 8] -> 2.
    assert wasserstein_columns(TRUE, IMPUTED, MASK) == pytest.approx(4.0)
    # Whole columns (HyperImpute's ws_score): col 0 {0,2,4} vs {9,0,4} -> 7/3;
    # col 1 {1,3,5} vs {2,9,8} -> sorted pairs (1,2),(3,8),(5,9): 10/3.
    assert wasserstein_columns(TRUE, IMPUTED, MASK, on="all") == pytest.approx(17 / 3)
    assert wasserstein_columns(TRUE, TRUE, MASK) == 0.0
    with pytest.raises(RevimputeError, match="on must"):
        wasserstein_columns(TRUE, IMPUTED, MASK, on="some")


def test_wasserstein_is_about_distributions_not_cells():
    true = np.arange(10.0).reshape(-1, 1)
    swapped = true[::-1]  # every cell wrong, same distribution
    mask = np.ones_like(true, dtype=bool)
    assert wasserstein_columns(true, swapped, mask) == pytest.approx(0.0)
    assert rmse_missing(true, swapped, mask) > 5


def test_binary_accuracy_hand_checked():
    true = np.array([[0.2, 0.7, 0.5, 0.9]])
    imputed = np.array([[0.6, 0.8, 0.49, 0.1]])
    # binarised: true 0 1 1 1, imputed 1 1 0 0 -> only the second matches
    assert binary_accuracy(true, imputed) == pytest.approx(0.25)
    assert binary_accuracy(true, imputed, np.array([[True, True, False, False]])) == 0.5
    assert binary_accuracy(true, imputed, threshold=0.05) == pytest.approx(1.0)
    assert binary_accuracy(true, true) == 1.0


def test_binary_accuracy_counts_all_pixels_without_mask():
    rng = np.random.default_rng(0)
    true = rng.random((50, 784))
    mask = mcar(true.shape, 0.1, 1)
    imputed = true.copy()
    imputed[mask] = 1.0 - true[mask]  # every hidden pixel flipped
    assert binary_accuracy(true, imputed, mask) == 0.0
    assert binary_accuracy(true, imputed) == pytest.approx(1.0 - mask.mean())


@pytest.fixture
def mixed():
    true = pd.DataFrame(
        {
            "colour": pd.Categorical(["red", "blue", "red", "green"]),
            "size": [1.0, 2.0, 3.0, 4.0],
            "kind": ["a", "b", "a", "b"],
        }
    )
    imputed = true.copy()
    imputed["colour"] = pd.Categorical(["red", "red", "red", None])  # rows 1, 3 wrong
    imputed["kind"] = ["a", "b", "b", "b"]  # row 2 wrong
    imputed["size"] = [0.0, 0.0, 0.0, 0.0]
    mask = np.array(
        [[True, True, True], [True, False, False], [False, False, True], [True, True, True]]
    )
    return true, imputed, mask


def test_categorical_accuracy_hand_checked(mixed):
    true, imputed, mask = mixed
    # colour, hidden rows 0, 1, 3: right, wrong, NaN (wrong);
    # kind, hidden rows 0, 2, 3: right, wrong, right.
    assert categorical_accuracy(true, imputed, mask) == pytest.approx(3 / 6)
    assert categorical_accuracy(true, imputed, mask, ["colour"]) == pytest.approx(1 / 3)
    assert categorical_accuracy(true, imputed, pd.DataFrame(mask), ["kind"]) == pytest.approx(2 / 3)


def test_categorical_accuracy_errors(mixed):
    true, imputed, mask = mixed
    with pytest.raises(InputDataError, match="not in the table"):
        categorical_accuracy(true, imputed, mask, ["shape"])
    with pytest.raises(RevimputeError, match="hides no cell"):
        categorical_accuracy(true, imputed, np.zeros_like(mask), ["colour"])
    with pytest.raises(InputDataError, match="same columns"):
        categorical_accuracy(true, imputed[["colour", "size"]], mask)
    with pytest.raises(RevimputeError, match="no categorical column"):
        categorical_accuracy(true[["size"]], imputed[["size"]], mask[:, [1]])


def _split(name, n_train):
    data = load_table(name)
    X, y = data.frame.to_numpy(), data.target.to_numpy()
    order = np.random.default_rng(0).permutation(len(X))
    tr, te = order[:n_train], order[n_train:]
    return X[tr], y[tr], X[te], y[te], data.task


@pytest.mark.slow
def test_downstream_classification_rewards_good_imputation():
    X_tr, y_tr, X_te, y_te, task = _split("digits", 1200)
    perfect = downstream_score(X_tr, y_tr, X_te, y_te, task, 0)
    assert perfect > 0.95
    assert downstream_score(X_tr, y_tr, X_te, y_te, task, 0) == perfect  # deterministic
    mask = mcar(X_tr.shape, 0.9, 0)
    rng = np.random.default_rng(1)
    noisy = X_tr.copy()
    noisy[mask] = rng.permuted(X_tr, axis=0)[mask]  # hidden cells from random other rows
    assert downstream_score(noisy, y_tr, X_te, y_te, task, 0) < perfect - 0.2


def test_downstream_regression_r2():
    X_tr, y_tr, X_te, y_te, task = _split("diabetes", 300)
    assert task == "regression"
    perfect = downstream_score(X_tr, y_tr, X_te, y_te, task, np.random.default_rng(0))
    assert 0.3 < perfect < 0.7  # linear models reach about 0.5 on diabetes
    mean_filled = np.tile(X_tr.mean(axis=0), (len(X_tr), 1))
    assert downstream_score(mean_filled, y_tr, X_te, y_te, task) < 0.01


def test_downstream_errors():
    X = np.ones((4, 2))
    y = np.array([0, 1, 0, 1])
    with pytest.raises(RevimputeError, match="task"):
        downstream_score(X, y, X, y, "ranking")
    gap = X.copy()
    gap[0, 0] = np.nan
    with pytest.raises(InputDataError, match="X_imp_train holds NaN"):
        downstream_score(gap, y, X, y, "classification")
    with pytest.raises(InputDataError, match="columns"):
        downstream_score(X, y, X[:, :1], y, "classification")
    with pytest.raises(InputDataError, match="one target per row"):
        downstream_score(X, y[:3], X, y, "regression")
