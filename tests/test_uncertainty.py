"""Calibrated intervals, prediction sets and multiple imputation of ReverseImputer."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from safetensors.numpy import load_file, save_file

from revimpute import ReverseImputer
from revimpute.conformal import MIN_DRAW_SCORES, Calibration, conformal_quantile, hidden_cells, resample
from revimpute.exceptions import ModelFileError, RevimputeError

from conftest import FAST, low_rank_data, with_holes

CALIBRATED = {**FAST, "n_models": 3, "calibration": 0.2}


@pytest.fixture(scope="module")
def calibrated_array():
    X = low_rank_data(n=300, d=6)
    Xh, mask = with_holes(X, 0.2)
    return X, Xh, mask, ReverseImputer(**CALIBRATED).fit(Xh)


def mixed_frame(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 2))
    full = pd.DataFrame({
        "x": z[:, 0] + 0.1 * rng.normal(size=n),
        "n": np.round(5 + 3 * z[:, 1]).astype("int64"),
        "b": z[:, 0] > 0,
        "c": pd.Categorical(np.where(z[:, 1] > 0.5, "hi", np.where(z[:, 1] < -0.5, "lo", "mid"))),
        "d": pd.Timestamp("2020-01-01") + pd.to_timedelta(np.round(100 + 30 * z[:, 0]), unit="D"),
    }, index=pd.Index(np.arange(n) * 7 + 3, name="id"))
    mask = rng.random(full.shape) < 0.2
    holed = full.copy()
    holed["n"] = holed["n"].astype("Int64")
    holed["b"] = holed["b"].astype("boolean")
    for j, column in enumerate(full.columns):
        holed[column] = holed[column].mask(mask[:, j])
    return full, holed, mask


@pytest.fixture(scope="module")
def calibrated_frame():
    full, holed, mask = mixed_frame()
    return full, holed, mask, ReverseImputer(**CALIBRATED).fit(holed)


# --- the conformal pieces -----------------------------------------------------------------
def test_conformal_quantile_is_the_finite_sample_rank():
    scores = np.arange(1.0, 11.0)  # 10 scores
    assert conformal_quantile(scores, 0.9) == 10.0  # ceil(11 * 0.9) = 10th smallest
    assert conformal_quantile(scores, 0.5) == 6.0  # ceil(5.5) = 6th
    assert conformal_quantile(scores, 0.95) == np.inf  # ceil(10.45) = 11 > 10
    assert conformal_quantile(np.array([]), 0.5) == np.inf


def test_hidden_cells_are_the_observed_cells_capped_at_random():
    missing = np.array([[False, True, False], [True, True, False]])
    rows, columns = hidden_cells(missing, seed=0)
    assert list(zip(rows, columns)) == [(0, 0), (0, 2), (1, 2)]
    rows, columns = hidden_cells(np.zeros((100, 5), dtype=bool), seed=0, max_cells=40)
    assert len(rows) == 40 and (np.diff(rows) >= 0).all()
    again = hidden_cells(np.zeros((100, 5), dtype=bool), seed=0, max_cells=40)
    assert np.array_equal(rows, again[0]) and np.array_equal(columns, again[1])


def test_few_scores_fall_back_to_the_pooled_quantile():
    rng = np.random.default_rng(0)
    column = np.r_[np.zeros(200, dtype=int), np.ones(5, dtype=int)]
    residual = np.r_[rng.normal(size=200), 10 * rng.normal(size=5)]
    spread = np.ones(205)
    cal = Calibration.from_scores(2, 50, column, residual, spread, residual[:, None], residual,
                                  np.zeros(0, int), np.zeros(0), np.zeros(0, bool))
    q = cal.number_quantiles(0.9)
    assert q[0] == conformal_quantile(np.abs(residual[:200]) / cal.floor[0], 0.9)
    assert q[1] == conformal_quantile(cal.scores(), 0.9)  # pooled: column 1 has 5 scores


# --- calibration at fit -------------------------------------------------------------------
def test_calibration_is_deterministic_and_survives_save_and_load(calibrated_array, tmp_path):
    _, Xh, _, imp = calibrated_array
    again = ReverseImputer(**CALIBRATED).fit(Xh)
    for name in Calibration.ARRAYS:
        assert np.array_equal(getattr(imp.calibration_, name), getattr(again.calibration_, name)), name
    loaded = ReverseImputer.load(imp.save(tmp_path / "model"))
    for name in Calibration.ARRAYS:
        assert np.array_equal(getattr(imp.calibration_, name), getattr(loaded.calibration_, name)), name
    assert loaded.calibration_.n_rows == imp.calibration_.n_rows == 60
    first, second = imp.impute_with_uncertainty(Xh), loaded.impute_with_uncertainty(Xh)
    for a, b in zip(first[:3], second[:3]):
        assert np.array_equal(a, b)
    for a, b in zip(imp.sample(Xh, 3, random_state=4), loaded.sample(Xh, 3, random_state=4)):
        assert np.array_equal(a, b)


def test_calibration_scores_every_observed_cell_of_the_held_out_rows(calibrated_array):
    _, Xh, _, imp = calibrated_array
    cal = imp.calibration_
    assert cal.n_rows == 60 and cal.member_residual.shape == (len(cal.column), 3)
    observed_cells = len(cal.column)
    assert 60 * 6 * 0.6 < observed_cells < 60 * 6  # about 80% of the held-out cells are observed
    assert (cal.spread >= 0).all() and (cal.floor > 0).all()


def test_without_calibration_the_fit_is_unchanged(holed):
    _, Xh, _ = holed
    plain = ReverseImputer(**FAST).fit(Xh)
    assert plain.calibration_ is None
    with pytest.raises(RevimputeError, match="fitted without calibration"):
        plain.impute_with_uncertainty(Xh)
    with pytest.raises(RevimputeError, match="fitted without calibration"):
        plain.sample(Xh, 2)


def test_too_small_a_table_for_calibration_is_a_clear_error():
    X = low_rank_data(n=4, d=3)
    with pytest.raises(RevimputeError, match="calibration"):
        ReverseImputer(**{**FAST, "calibration": 0.1}).fit(X)


@pytest.mark.parametrize("share", [0.0, 0.5, 0.7, -1, "a"])
def test_calibration_share_is_checked(share):
    with pytest.raises(ValueError, match="calibration"):
        ReverseImputer(calibration=share).fit(low_rank_data(n=50, d=3))


# --- intervals ----------------------------------------------------------------------------
def test_intervals_hold_the_imputation_and_observed_cells_are_points(calibrated_array):
    _, Xh, mask, imp = calibrated_array
    result = imp.impute_with_uncertainty(Xh, coverage=0.9)
    assert np.array_equal(result.imputed, imp.transform(Xh))
    assert (result.lower <= result.imputed).all() and (result.imputed <= result.upper).all()
    assert (result.upper - result.lower)[mask].min() > 0
    for table in result[:3]:
        assert np.array_equal(table[~mask].view(np.uint64), Xh[~mask].view(np.uint64))
    assert result.confidence is None and result.sets is None
    wider = imp.impute_with_uncertainty(Xh, coverage=0.97)
    assert ((wider.upper - wider.lower) >= (result.upper - result.lower) - 1e-12).all()


@pytest.mark.slow
def test_coverage_on_a_gaussian_table_is_within_three_points_of_nominal():
    rng = np.random.default_rng(7)
    n, d = 2000, 6
    X = rng.normal(size=(n, 2)) @ rng.normal(size=(2, d)) + 0.5 * rng.normal(size=(n, d))
    mask = rng.random(X.shape) < 0.2
    Xh = np.where(mask, np.nan, X)
    imp = ReverseImputer(**{**FAST, "n_models": 3, "calibration": 0.2, "max_epochs": 60}).fit(Xh)
    for coverage in (0.8, 0.9):
        result = imp.impute_with_uncertainty(Xh, coverage=coverage)
        covered = ((X >= result.lower) & (X <= result.upper))[mask].mean()
        assert abs(covered - coverage) <= 0.03, (coverage, covered)


def test_mixed_frame_intervals_and_sets(calibrated_frame):
    full, holed, mask, imp = calibrated_frame
    result = imp.impute_with_uncertainty(holed, coverage=0.9)
    pd.testing.assert_frame_equal(result.imputed, imp.transform(holed))
    for table in (result.lower, result.upper):
        assert table.index.equals(holed.index) and table.dtypes.equals(holed.dtypes)
        for j, column in enumerate(holed.columns):
            observed = ~mask[:, j]
            pd.testing.assert_series_equal(table[column][observed], holed[column][observed])
    for column in ("x", "n", "d"):
        m = mask[:, list(holed.columns).index(column)]
        low, mid, high = result.lower[column][m], result.imputed[column][m], result.upper[column][m]
        assert (low <= mid).all() and (mid <= high).all()
    m_d = mask[:, 4]
    assert (result.lower["d"][m_d] == result.lower["d"][m_d].dt.normalize()).all()  # whole days, outward
    for column in ("b", "c"):
        j = list(holed.columns).index(column)
        assert result.lower[column][mask[:, j]].isna().all()
        sets = result.sets[column]
        assert sets[~mask[:, j]].isna().all()
        for chosen, options in zip(result.imputed[column][mask[:, j]], sets[mask[:, j]]):
            assert isinstance(options, tuple) and options[0] == chosen
    assert result.confidence.shape == holed.shape


def test_integer_bounds_are_rounded_outward():
    rng = np.random.default_rng(3)
    X = np.round(low_rank_data(n=200, d=4) * 5).astype(np.int64)
    mask = rng.random(X.shape) < 0.2
    frame = pd.DataFrame(X, columns=list("abcd")).astype("Int64").mask(mask)
    imp = ReverseImputer(**CALIBRATED).fit(frame)
    result = imp.impute_with_uncertainty(frame, 0.8)
    for column in frame.columns:
        assert result.lower[column].dtype == "Int64"
        assert (result.lower[column] <= result.imputed[column]).all()
        assert (result.imputed[column] <= result.upper[column]).all()


@pytest.mark.parametrize("coverage", [0, 1, 1.5, -0.2, "0.9", True, float("nan")])
def test_coverage_outside_zero_one_is_a_one_line_error(calibrated_array, coverage):
    _, Xh, _, imp = calibrated_array
    with pytest.raises(RevimputeError, match="coverage must be") as info:
        imp.impute_with_uncertainty(Xh, coverage=coverage)
    assert "\n" not in str(info.value)


# --- multiple imputation ------------------------------------------------------------------
def test_imputations_differ_only_in_imputed_cells(calibrated_array):
    X, Xh, mask, imp = calibrated_array
    tables = imp.sample(Xh, n_imputations=7, random_state=1)
    assert len(tables) == 7
    for table in tables:
        assert np.array_equal(table[~mask].view(np.uint64), Xh[~mask].view(np.uint64))
        assert np.isfinite(table).all()
        assert (table >= imp.data_min_).all() and (table <= imp.data_max_).all()
    stack = np.stack(tables)
    assert (stack[:, mask].std(axis=0) > 0).mean() > 0.95
    assert not np.array_equal(stack[0], stack[5])  # a second search pass with its own dropout
    # the draws' spread is of the size of the imputation's error
    error = np.sqrt(np.mean((imp.transform(Xh)[mask] - X[mask]) ** 2))
    assert 0.3 * error < stack[:, mask].std(axis=0).mean() < 3 * error


def test_residual_resample_is_a_bootstrap_keyed_by_seed_imputation_and_column():
    pool = np.arange(40, dtype=np.float64)
    first = resample(pool, 3, 0, 1)
    assert first.shape == pool.shape and np.isin(first, pool).all()
    assert np.array_equal(first, resample(pool, 3, 0, 1))
    assert len(np.unique(first)) < pool.size  # with replacement
    for other in (resample(pool, 4, 0, 1), resample(pool, 3, 1, 1), resample(pool, 3, 0, 2)):
        assert not np.array_equal(first, other)
    assert resample(np.zeros(0), 3, 0, 1).size == 0


def test_residual_pool_is_the_column_own_unless_too_few():
    column = np.array([0] * MIN_DRAW_SCORES + [1] * (MIN_DRAW_SCORES - 1))
    residual = np.arange(column.size, dtype=np.float64)
    cal = Calibration.from_scores(
        2, 5, column, residual, np.ones(column.size), residual[:, None], residual, np.zeros(0, dtype=np.int64),
        np.zeros(0), np.zeros(0, dtype=bool),
    )
    assert np.array_equal(cal.residual_pool(0), residual[:MIN_DRAW_SCORES])
    assert np.array_equal(cal.residual_pool(1), residual)  # too few of its own: every column's


def test_draws_spread_around_the_imputation_as_the_held_out_errors(calibrated_array):
    # random_state=None: the first pass is transform's search, so the draws' deviation from the
    # imputation is the residual (plus e(k)'s shift), of the size of the held-out errors
    _, Xh, mask, imp = calibrated_array
    n = len(imp.models_)
    tables = imp.sample(Xh, n, random_state=None)
    point = imp.transform(Xh)
    cal = imp.calibration_
    for j in range(Xh.shape[1]):
        held = np.sqrt(np.mean(cal.table_residual[cal.column == j] ** 2))
        drawn = np.sqrt(np.mean([(t[mask[:, j], j] - point[mask[:, j], j]) ** 2 for t in tables]))
        assert 0.5 * held < drawn < 2.0 * held, (j, held, drawn)  # one resample of ~50 residuals: loose


def test_imputations_are_deterministic_per_row_and_seed(calibrated_frame):
    _, holed, mask, imp = calibrated_frame
    first = imp.sample(holed, 3, random_state=11)
    shuffled = holed.iloc[np.random.default_rng(0).permutation(len(holed))]
    again = imp.sample(shuffled, 3, random_state=11)
    alone = imp.sample(holed.iloc[[5]], 3, random_state=11)
    other = imp.sample(holed, 3, random_state=12)
    for k in range(3):
        pd.testing.assert_frame_equal(first[k], again[k].loc[holed.index])
        pd.testing.assert_frame_equal(first[k].iloc[[5]], alone[k])
    assert not all(first[k].equals(other[k]) for k in range(3))


def test_mixed_frame_imputations_keep_observed_cells_and_types(calibrated_frame):
    _, holed, mask, imp = calibrated_frame
    tables = imp.sample(holed, 4, random_state=2)
    for table in tables:
        assert table.dtypes.equals(holed.dtypes) and table.index.equals(holed.index)
        assert not table.isna().any().any()
        for j, column in enumerate(holed.columns):
            observed = ~mask[:, j]
            pd.testing.assert_series_equal(table[column][observed], holed[column][observed])
    categories = pd.concat([t["c"][mask[:, 3]] for t in tables])
    assert categories.nunique() >= 2


@pytest.mark.parametrize("m", [0, -1, 2.5, True, "3"])
def test_bad_number_of_imputations_is_a_one_line_error(calibrated_array, m):
    _, Xh, _, imp = calibrated_array
    with pytest.raises(RevimputeError, match="n_imputations") as info:
        imp.sample(Xh, n_imputations=m)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("seed", [-1, 1.5, "a"])
def test_bad_random_state_of_sample_is_an_error(calibrated_array, seed):
    _, Xh, _, imp = calibrated_array
    with pytest.raises(RevimputeError, match="random_state"):
        imp.sample(Xh, 2, random_state=seed)


# --- model files --------------------------------------------------------------------------
def _rewrite(folder, change_tensors=None, change_meta=None):
    weights = folder / "weights.safetensors"
    tensors = load_file(str(weights))
    if change_tensors:
        change_tensors(tensors)
    save_file(tensors, str(weights))
    meta = json.loads((folder / "model.json").read_text())
    meta["weights_sha256"] = hashlib.sha256(weights.read_bytes()).hexdigest()
    if change_meta:
        change_meta(meta)
    (folder / "model.json").write_text(json.dumps(meta))


@pytest.mark.parametrize("change_tensors, change_meta, match", [
    (lambda t: t.__setitem__("calibration.spread", -t["calibration.spread"] - 1), None, "spreads must be"),
    (lambda t: t.__setitem__("calibration.column", t["calibration.column"] + 100), None, "out of range"),
    (lambda t: t.pop("calibration.floor"), None, "calibration.floor is missing"),
    (lambda t: t.__setitem__("calibration.residual", t["calibration.residual"][:3]), None, "residual has shape"),
    (lambda t: t.__setitem__("calibration.class_score", t["calibration.class_score"] + np.inf), None, "finite"),
    (None, lambda m: m.__setitem__("calibration", {"n_columns": 99, "n_rows": 5}), "n_columns"),
    (None, lambda m: m.__setitem__("calibration", "yes"), "JSON object"),
    (None, lambda m: m.__setitem__("calibration", None), "not described"),
])
def test_tampered_calibration_is_a_model_file_error(calibrated_frame, tmp_path, change_tensors, change_meta, match):
    *_, imp = calibrated_frame
    folder = imp.save(tmp_path / "model")
    _rewrite(folder, change_tensors, change_meta)
    with pytest.raises(ModelFileError, match=match):
        ReverseImputer.load(folder)


def test_interval_bounds_may_pass_the_observed_range_the_imputation_may_not(calibrated_array):
    _, Xh, mask, imp = calibrated_array
    result = imp.impute_with_uncertainty(Xh, coverage=0.97)
    assert (result.imputed >= imp.data_min_).all() and (result.imputed <= imp.data_max_).all()
    assert (result.upper[mask] > np.broadcast_to(imp.data_max_, Xh.shape)[mask]).any()
    assert (result.lower[mask] < np.broadcast_to(imp.data_min_, Xh.shape)[mask]).any()


def test_mixed_frame_bounds_may_pass_the_observed_range(calibrated_frame):
    _, holed, mask, imp = calibrated_frame
    result = imp.impute_with_uncertainty(holed, coverage=0.97)
    for column in ("x", "n", "d"):
        missing = holed[column].isna().to_numpy()
        seen = holed[column].dropna()
        assert (result.imputed[column] >= seen.min()).all() and (result.imputed[column] <= seen.max()).all()
        assert (result.upper[column][missing] > seen.max()).any() or (result.lower[column][missing] < seen.min()).any()
