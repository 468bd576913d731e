"""AutoImputer: the method chosen per column on a held-out split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from revimpute.exceptions import InputDataError, RevimputeError
from revimpute.impute import AutoImputer
from revimpute.impute._auto import better_than

from conftest import low_rank_data, with_holes


def test_better_than_needs_lower_errors_with_confidence():
    rng = np.random.default_rng(0)
    default = rng.random(200) + 1.0
    assert better_than(default - 0.5, default, 0.9, seed=0)
    assert not better_than(default + 0.1, default, 0.0, seed=0)
    noisy = default + np.tile([1.0, -1.0], 100)
    noisy[-1] -= 0.5  # lower on average, by far less than the noise
    assert noisy.mean() < default.mean()
    assert better_than(noisy, default, 0.0, seed=0) and not better_than(noisy, default, 0.9, seed=0)
    assert better_than(default - 1e-9, default, 0.0, seed=0)
    assert not better_than(np.array([]), np.array([]), 0.5, seed=0)


def _table():
    X = low_rank_data(n=160, d=4)
    X[:, 3] = np.random.default_rng(3).normal(size=160)  # a column nothing predicts: the mean is as good as any
    return with_holes(X, 0.15, seed=2)


def test_choices_scores_and_transform():
    Xh, mask = _table()
    auto = AutoImputer(candidates=["mean", "iterative"], confidence=0.0, random_state=1).fit(Xh)
    assert list(auto.scores_.index) == ["mean", "iterative"]
    best = [auto.scores_.iloc[:, j].idxmin() for j in range(Xh.shape[1])]
    assert auto.column_methods_ == best  # confidence 0: the smallest held-out RMSE
    assert auto.column_methods_[0] == "iterative"  # a low-rank column: regression beats the mean
    out = auto.transform(Xh)
    assert not np.isnan(out).any()
    assert np.array_equal(out[~mask].view(np.uint64), Xh[~mask].view(np.uint64))
    for j, name in enumerate(auto.column_methods_):
        assert np.array_equal(out[:, j], auto.imputers_[name].transform(Xh)[:, j])
    again = AutoImputer(candidates=["mean", "iterative"], confidence=0.0, random_state=1).fit(Xh)
    assert again.column_methods_ == auto.column_methods_ and np.array_equal(again.transform(Xh), out)


def test_the_default_is_kept_unless_clearly_beaten():
    Xh, _ = _table()
    auto = AutoImputer(candidates=["iterative", "mean"], random_state=1).choose(Xh)
    for j in range(Xh.shape[1]):
        errors = auto.cell_errors_[("mean", j)], auto.cell_errors_[("iterative", j)]
        if auto.column_methods_[j] == "mean":
            assert errors[0].mean() < errors[1].mean()
    assert auto.choices_at(1 - 1e-12) == ["iterative"] * Xh.shape[1]
    assert auto.choices_at(0.0) == [auto.scores_.iloc[:, j].idxmin() for j in range(Xh.shape[1])]


def test_hidden_cells_leave_every_column_an_observed_cell():
    frame = pd.DataFrame({"a": [1.0, np.nan, np.nan, np.nan], "b": [1.0, 2.0, 3.0, 4.0]})
    hide = AutoImputer(holdout=0.9)._hide(frame)
    assert not hide[:, 0].any() and hide[:, 1].sum() == 3


def test_a_candidate_that_cannot_impute_is_left_out_with_its_reason():
    frame = pd.DataFrame({"x": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0] * 5, "c": ["a", "b", "a", None, "b", "a"] * 5})
    auto = AutoImputer(candidates=["mean_mode", "mean"]).fit(frame)
    assert "mean" in auto.failed_ and "numeric columns only" in auto.failed_["mean"]
    out = auto.transform(frame)
    assert list(out.columns) == ["x", "c"] and out.notna().all().all() and out.index.equals(frame.index)
    assert out["x"].dtype == frame["x"].dtype


def test_no_working_candidate_is_an_error():
    frame = pd.DataFrame({"c": ["a", "b", None, "a"] * 5})
    with pytest.raises(RevimputeError, match="no candidate method can impute"):
        AutoImputer(candidates=["mean"]).fit(frame)


@pytest.mark.parametrize("candidates", [["mean", "mean"], ["nope"], []])
def test_bad_candidates_are_an_input_error(candidates):
    Xh, _ = _table()
    with pytest.raises(InputDataError, match="candidates must be distinct registry names"):
        AutoImputer(candidates=candidates).fit(Xh)


def test_the_table_default_is_the_method_that_beats_the_first_over_the_whole_table():
    # mean first: on a low-rank table IterativeImputer beats it over all held-out cells, so it
    # becomes the table's default, and a column keeps it unless another beats it there
    Xh, _ = _table()
    auto = AutoImputer(candidates=["mean", "iterative"], random_state=1).choose(Xh)
    assert auto.table_choice_at(0.9) == "iterative"
    table = auto.choices_at(0.9, table_default=True)
    for j, name in enumerate(table):
        if name == "mean":  # left the table's default: mean beat it in this column
            assert auto.cell_errors_[("mean", j)].mean() < auto.cell_errors_[("iterative", j)].mean()
    assert table[1:3] == ["iterative", "iterative"]
    first_is_best = AutoImputer(candidates=["iterative", "mean"], random_state=1).choose(Xh)
    assert first_is_best.table_choice_at(0.0) == "iterative"  # the mean does not beat it over the table
    assert auto.choices_at(0.9) == auto.column_methods_  # the default rule is unchanged
    # every column weighs alike: scaling one column by 1,000 changes no choice
    scaled = Xh.copy()
    scaled[:, 0] *= 1000.0
    again = AutoImputer(candidates=["mean", "iterative"], random_state=1).choose(scaled)
    assert again.table_choice_at(0.9) == auto.table_choice_at(0.9)
