"""Tests of the generative peer imputers: GAIN, MIWAE and Sinkhorn (OT) imputation.

Each method runs with few iterations here; the paper-default figures come from
``benchmarks/bench_peers_breast_cancer.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.exceptions import NotFittedError

from revimpute.exceptions import InputDataError, RevimputeError
from revimpute.impute import GAINImputer, MIWAEImputer, SinkhornImputer
from revimpute.impute._sinkhorn import pick_epsilon, sinkhorn_divergence

# Settings small enough for the test-suite, large enough to learn the synthetic data.
FAST = {
    "gain": lambda seed=0: GAINImputer(n_iterations=1000, random_state=seed),
    "miwae": lambda seed=0: MIWAEImputer(
        n_epochs=30, latent_dim=2, n_imputation_samples=200, random_state=seed
    ),
    "sinkhorn": lambda seed=0: SinkhornImputer(n_iterations=150, batch_size=64, random_state=seed),
}
# Even smaller settings for tests that do not look at the quality.
TINY = {
    "gain": lambda seed=0: GAINImputer(n_iterations=10, random_state=seed),
    "miwae": lambda seed=0: MIWAEImputer(
        n_epochs=3, latent_dim=2, n_hidden=16, n_imputation_samples=20, random_state=seed
    ),
    "sinkhorn": lambda seed=0: SinkhornImputer(n_iterations=10, batch_size=16, random_state=seed),
}
METHODS = sorted(FAST)


def low_rank_data(n_rows: int, n_cols: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Rank-2 data plus small noise, and a 20% MCAR mask (every column keeps values)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, 2)) @ rng.normal(size=(2, n_cols)) + 0.05 * rng.normal(size=(n_rows, n_cols))
    missing = rng.random(X.shape) < 0.2
    return X, missing


def with_holes(X: np.ndarray, missing: np.ndarray) -> np.ndarray:
    X_missing = X.copy()
    X_missing[missing] = np.nan
    return X_missing


@pytest.fixture(scope="module")
def correlated():
    """Strongly correlated data, its holes, and each method's completion of it (seconds: tests using it are slow)."""
    X, missing = low_rank_data(300, 8, seed=42)
    X_missing = with_holes(X, missing)
    filled = {name: FAST[name]().fit_transform(X_missing) for name in METHODS}
    return X, missing, X_missing, filled


def rmse(X_true: np.ndarray, X_filled: np.ndarray, missing: np.ndarray) -> float:
    return float(np.sqrt(np.mean((X_filled[missing] - X_true[missing]) ** 2)))


# -- what every method must do ---------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", METHODS)
def test_fit_transform_keeps_observed_cells_and_fills_all(correlated, name):
    X, missing, X_missing, filled = correlated
    X_filled = filled[name]
    assert X_filled.shape == X.shape
    assert not np.isnan(X_filled).any()
    assert np.isfinite(X_filled).all()
    # Bitwise: the same bytes, not merely close.
    assert X_filled[~missing].tobytes() == X_missing[~missing].tobytes()
    # The missing cells really were imputed (not left at a constant per column).
    for col in range(X.shape[1]):
        assert np.unique(X_filled[missing[:, col], col]).size > 1


@pytest.mark.slow
@pytest.mark.parametrize("name", METHODS)
def test_beats_column_mean_on_correlated_data(correlated, name):
    X, missing, X_missing, filled = correlated
    mean_filled = np.where(missing, np.nanmean(X_missing, axis=0), X_missing)
    baseline = rmse(X, mean_filled, missing)
    score = rmse(X, filled[name], missing)
    assert score < 0.75 * baseline, f"{name}: RMSE {score:.3f} vs column mean {baseline:.3f}"


@pytest.mark.parametrize("name", METHODS)
def test_same_random_state_gives_bitwise_same_result(name):
    X, missing = low_rank_data(60, 5, seed=1)
    X_missing = with_holes(X, missing)
    first = TINY[name](seed=7).fit_transform(X_missing)
    second = TINY[name](seed=7).fit_transform(X_missing)
    assert first.tobytes() == second.tobytes()
    other = TINY[name](seed=8).fit_transform(X_missing)
    assert not np.array_equal(first[missing], other[missing])


@pytest.mark.parametrize("name", METHODS)
def test_transform_new_rows(name):
    X, missing = low_rank_data(80, 5, seed=2)
    X_train = with_holes(X[:60], missing[:60])
    X_new = with_holes(X[60:], missing[60:])
    X_new[0, :] = np.nan  # a row with nothing observed
    imputer = TINY[name]().fit(X_train)
    out = imputer.transform(X_new)
    again = imputer.transform(X_new)
    assert out.shape == X_new.shape
    assert not np.isnan(out).any()
    observed = ~np.isnan(X_new)
    assert out[observed].tobytes() == X_new[observed].tobytes()
    assert out.tobytes() == again.tobytes()  # a fitted imputer is a fixed function
    assert imputer.n_features_in_ == 5


@pytest.mark.parametrize("name", METHODS)
def test_dataframe_and_int_input_come_back_as_given(name):
    X, missing = low_rank_data(40, 4, seed=3)
    df = pd.DataFrame(with_holes(X, missing), columns=list("abcd"), index=np.arange(40) * 3 + 1)
    df["d"] = df["d"].astype("float32")
    out = TINY[name]().fit_transform(df)
    assert isinstance(out, pd.DataFrame)
    assert out.index.equals(df.index) and out.columns.equals(df.columns) and out.dtypes.equals(df.dtypes)
    assert not out.isna().any().any()
    observed = df.notna().to_numpy()
    assert (out.to_numpy()[observed] == df.to_numpy()[observed]).all()
    complete_ints = np.arange(40 * 4).reshape(40, 4)
    same = TINY[name]().fit(complete_ints).transform(complete_ints)
    assert same.dtype == complete_ints.dtype and np.array_equal(same, complete_ints)


@pytest.mark.parametrize("name", METHODS)
def test_input_is_not_modified_and_global_state_is_left_alone(name):
    X, missing = low_rank_data(40, 4, seed=4)
    X_missing = with_holes(X, missing)
    before = X_missing.copy()
    torch_state = torch.get_rng_state()
    np_state = np.random.get_state()[1].copy()
    threads = torch.get_num_threads()
    TINY[name]().fit_transform(X_missing)
    assert np.array_equal(X_missing, before, equal_nan=True)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], np_state)
    assert torch.get_num_threads() == threads


@pytest.mark.parametrize("name", METHODS)
def test_constant_column_does_not_break_the_scaling(name):
    X, missing = low_rank_data(40, 4, seed=5)
    X[:, 2] = 3.5
    out = TINY[name]().fit_transform(with_holes(X, missing))
    assert np.isfinite(out).all()
    assert np.abs(out[:, 2] - 3.5).max() < 0.5


# -- errors ----------------------------------------------------------------------


@pytest.mark.parametrize("name", METHODS)
def test_infinite_value_is_refused(name):
    X, missing = low_rank_data(30, 4, seed=6)
    X_missing = with_holes(X, missing)
    X_missing[3, 1] = np.inf
    with pytest.raises(InputDataError, match=r"column 1 .*infinite.*row 3"):
        TINY[name]().fit(X_missing)
    imputer = TINY[name]().fit(with_holes(X, missing))
    with pytest.raises(InputDataError, match="infinite"):
        imputer.transform(X_missing)


@pytest.mark.parametrize("name", METHODS)
def test_column_without_observed_value_is_refused_at_fit(name):
    X, missing = low_rank_data(30, 4, seed=7)
    X_missing = with_holes(X, missing)
    X_missing[:, 2] = np.nan
    with pytest.raises(InputDataError, match=r"column 2 has no observed value"):
        TINY[name]().fit(X_missing)


@pytest.mark.parametrize("name", METHODS)
def test_shape_errors(name):
    X, missing = low_rank_data(30, 4, seed=8)
    imputer = TINY[name]()
    with pytest.raises(NotFittedError):
        imputer.transform(X)
    with pytest.raises(InputDataError, match="2D array.*Reshape your data"):
        imputer.fit(X[:, 0])
    with pytest.raises(InputDataError, match="no rows: 0 sample"):
        imputer.fit(np.empty((0, 4)))
    with pytest.raises(InputDataError, match="column 0 is categorical.*'mean_mode'"):
        imputer.fit(np.array([["a", "b"], ["c", "d"]]))
    imputer.fit(with_holes(X, missing))
    with pytest.raises(InputDataError, match="X has 3 features, but .* expecting 4 features"):
        imputer.transform(X[:, :3])


@pytest.mark.parametrize(
    "estimator",
    [
        GAINImputer(hint_rate=1.5),
        GAINImputer(batch_size=0),
        MIWAEImputer(latent_dim=0),
        MIWAEImputer(random_state="seed"),
        SinkhornImputer(scaling=1.0),
        SinkhornImputer(eps=-0.1),
    ],
)
def test_bad_parameters_raise_revimpute_error(estimator):
    X, missing = low_rank_data(20, 3, seed=9)
    with pytest.raises(RevimputeError, match=type(estimator).__name__):
        estimator.fit(with_holes(X, missing))


def test_sinkhorn_needs_two_rows():
    with pytest.raises(InputDataError, match="at least 2 rows"):
        SinkhornImputer(n_iterations=1).fit(np.array([[1.0, 2.0]]))


def test_random_state_generator_is_accepted_and_advanced():
    X, missing = low_rank_data(30, 3, seed=10)
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    GAINImputer(n_iterations=5, random_state=rng).fit(with_holes(X, missing))
    assert rng.bit_generator.state != state


# -- pieces of the algorithms ----------------------------------------------------


def test_sinkhorn_divergence_of_a_translation_is_half_squared_shift():
    # For the quadratic cost, S(a, a shifted by d) = |d|^2 / 2 exactly, at any temperature.
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(100, 3, generator=gen, dtype=torch.float64)
    shift = torch.tensor([0.3, -0.2, 0.5], dtype=torch.float64)
    for blur in (0.05, 0.3, 1.0):
        assert float(sinkhorn_divergence(x, x + shift, blur)) == pytest.approx(0.19, abs=1e-9)
        assert float(sinkhorn_divergence(x, x.clone(), blur)) == pytest.approx(0.0, abs=1e-12)


def test_sinkhorn_divergence_gradient_moves_points_towards_the_other_cloud():
    gen = torch.Generator().manual_seed(1)
    y = torch.randn(50, 2, generator=gen, dtype=torch.float64)
    x = (y + torch.tensor([1.0, 0.0], dtype=torch.float64)).requires_grad_(True)
    (grad,) = torch.autograd.grad(sinkhorn_divergence(x, y, 0.1), [x])
    # d/dx_i of |d|^2/2 spread over n uniform points: (x_i - T(x_i)) / n = shift / n.
    assert torch.allclose(grad, torch.tensor([1.0, 0.0], dtype=torch.float64) / 50, atol=1e-6)


def test_pick_epsilon_is_median_halved_squared_distance_times_multiplier():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    # Halved squared distances: 0.5, 2, 2.5 (each pair twice); the 3rd smallest is 2.
    assert pick_epsilon(X, 0.5, 0.05, torch.Generator().manual_seed(0)) == pytest.approx(0.1)


def test_miwae_bound_improves_during_training():
    X, missing = low_rank_data(120, 6, seed=11)
    imputer = MIWAEImputer(
        n_epochs=25, latent_dim=2, n_hidden=32, batch_size=16, n_imputation_samples=10, random_state=0
    )
    imputer.fit(with_holes(X, missing))
    history = imputer.bound_history_
    assert len(history) == 25
    assert np.mean(history[-5:]) > np.mean(history[:5]) + 1.0


def test_gain_records_losses_and_generator_fits_observed_cells():
    X, missing = low_rank_data(120, 6, seed=12)
    imputer = GAINImputer(n_iterations=400, random_state=0).fit(with_holes(X, missing))
    mse = imputer.loss_history_["mse"]
    assert len(mse) == 400
    assert np.mean(mse[-50:]) < 0.5 * np.mean(mse[:50])
