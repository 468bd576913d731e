"""AutoImputer: the method chosen per column on a held-out split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from revimpute.exceptions import InputDataError, RevimputeError
from revimpute.impute import AutoImputer
from revimpute.impute._auto import better_than, holm_choice, p_value

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


def test_p_value_is_the_test_of_better_than():
    rng = np.random.default_rng(1)
    default = rng.random(60) + 1.0
    candidate = default - 0.1 + rng.normal(scale=0.6, size=60)
    p = p_value(candidate, default, seed=3)
    assert 0 < p < 1
    assert better_than(candidate, default, 1 - p, seed=3) and not better_than(candidate, default, 1 - p + 1e-9, seed=3)
    assert p_value(default + 0.1, default, seed=3) == 1.0 and p_value(np.array([]), np.array([]), seed=3) == 1.0


def _errors_with_p(lo, hi, n=40):
    """Default and candidate errors whose p-value lies in (lo, hi]."""
    rng = np.random.default_rng(0)
    default = rng.random(n) + 1.0
    noise = rng.normal(size=n)
    for shift in np.linspace(0.01, 1.0, 400):
        candidate = default - shift + noise
        if lo < p_value(candidate, default, seed=0) <= hi:
            return default, candidate
    raise AssertionError("no shift gives such a p-value")


def test_holm_corrects_for_the_number_of_candidates():
    default, candidate = _errors_with_p(0.05, 0.1)  # one test at 0.9 passes; not once Holm divides by 4
    alone = {"d": default, "c": candidate}
    assert holm_choice(alone, "d", 0.9, seed=0) == "c"  # one candidate: Holm is the plain test
    assert better_than(candidate, default, 0.9, seed=0)
    family = {"d": default, "c": candidate, "x": default + 1.0, "y": default + 2.0, "z": default + 3.0}
    assert holm_choice(family, "d", 0.9, seed=0) == "d"
    assert holm_choice(family, "d", 0.0, seed=0) == "c"  # confidence 0: the lowest mean error


def test_holm_takes_the_lowest_error_of_the_candidates_it_finds_better():
    rng = np.random.default_rng(2)
    default = rng.random(80) + 2.0
    errors = {"d": default, "a": default - 1.0, "b": default - 1.5, "c": default - 1.2 + rng.normal(scale=5, size=80)}
    assert holm_choice(errors, "d", 0.9, seed=0) == "b"
    assert holm_choice({"d": default, "a": default + 0.5}, "d", 0.9, seed=0) == "d"
    assert holm_choice({"d": default, "a": default}, "d", 0.0, seed=0) == "d"  # a tie keeps the default


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
    hide = AutoImputer(holdout=0.9, split="random")._hide(frame)
    assert not hide[:, 0].any() and hide[:, 1].sum() == 3
    patterns = AutoImputer(holdout=0.9)._hide(frame)  # "b" has no gap to copy, "a" one observed cell
    assert not patterns.any()


def test_the_patterns_split_copies_the_gaps_of_other_rows():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 5))
    X[rng.random(200) < 0.4, 1] = np.nan  # column 1 often missing, together with column 2
    X[np.isnan(X[:, 1]) & (rng.random(200) < 0.8), 2] = np.nan
    X[rng.random(200) < 0.05, 3] = np.nan
    frame = pd.DataFrame(X)
    observed = frame.notna().to_numpy()
    hide = AutoImputer(random_state=3)._hide(frame)
    assert not (hide & ~observed).any()
    assert 0 < hide.sum() <= 0.2 * observed.sum() + observed.shape[1]
    assert not hide[:, [0, 4]].any()  # columns without gaps lose no cell
    assert hide[:, 1].sum() > hide[:, 3].sum()  # in proportion to the gaps
    assert (observed & ~hide).sum(axis=0).min() >= np.ceil(observed.sum(axis=0) / 2).min()
    for row in np.flatnonzero(hide.any(axis=1)):  # each row's hidden cells are gaps of another row
        assert (~observed[:, hide[row]]).all(axis=1).any()
        assert (observed[row] & ~hide[row]).any()
    both = hide[:, 1] & hide[:, 2]
    assert both.sum() > 0.5 * hide[:, 2].sum()  # columns missing together are hidden together
    assert np.array_equal(hide, AutoImputer(random_state=3)._hide(frame))
    assert not np.array_equal(hide, AutoImputer(random_state=4)._hide(frame))


def test_a_table_without_gaps_is_split_at_random():
    frame = pd.DataFrame(np.arange(40.0).reshape(20, 2))
    assert np.array_equal(AutoImputer()._hide(frame), AutoImputer(split="random")._hide(frame))
    assert AutoImputer()._hide(frame).sum() == 8


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
    assert auto.choices_at(auto.confidence) == auto.column_methods_  # the default rule is unchanged
    # every column weighs alike: scaling one column by 1,000 changes no choice
    scaled = Xh.copy()
    scaled[:, 0] *= 1000.0
    again = AutoImputer(candidates=["mean", "iterative"], random_state=1).choose(scaled)
    assert again.table_choice_at(0.9) == auto.table_choice_at(0.9)


def test_the_split_is_a_parameter_checked_at_fit():
    from sklearn.base import clone

    auto = AutoImputer(split="random", confidence=0.5)
    assert clone(auto).get_params()["split"] == "random" and AutoImputer().get_params()["split"] == "patterns"
    Xh, _ = _table()
    with pytest.raises(ValueError, match="split"):
        AutoImputer(split="nope").choose(Xh)
