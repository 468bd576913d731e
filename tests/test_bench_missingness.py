"""Tests for revimpute.bench.missingness and revimpute.bench.image_masks."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from revimpute.bench import image_masks as I
from revimpute.bench import missingness as M
from revimpute.bench.datasets import load_table, minmax_scale
from revimpute.exceptions import InputDataError, RevimputeError


@pytest.fixture(scope="module")
def X():
    """Correlated Gaussian data, 4000 x 10, on a deliberately unscaled range."""
    rng = np.random.default_rng(123)
    latent = rng.standard_normal((4000, 3))
    data = latent @ rng.standard_normal((3, 10)) + 0.5 * rng.standard_normal((4000, 10))
    return 100.0 + 20.0 * data


@pytest.fixture(scope="module")
def breast():
    return minmax_scale(load_table("breast_cancer").frame).to_numpy()


# --------------------------------------------------------------------------- MCAR
def test_mcar_is_exactly_protocol_a(breast):
    mask = M.mcar(breast.shape, 0.2, 0)
    np.testing.assert_array_equal(mask, np.random.default_rng(0).random(breast.shape) < 0.2)
    assert mask.dtype == bool and int(mask.sum()) == 3403  # the count of protocol A


def test_mcar_rate_generator_and_edges():
    mask = M.mcar((2000, 50), 0.3, 7)
    assert abs(mask.mean() - 0.3) < 0.01
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    np.testing.assert_array_equal(M.mcar((10, 4), 0.5, rng_a), M.mcar((10, 4), 0.5, rng_b))
    assert not M.mcar((20, 3), 0.0, 1).any()
    assert M.mcar((20, 3), 1.0, 1).all()
    for bad in (-0.1, 1.5, "x"):
        with pytest.raises(RevimputeError, match="rate"):
            M.mcar((3, 3), bad, 0)


# --------------------------------------------------------------------------- MAR
@pytest.mark.parametrize("rate", [0.1, 0.3, 0.6])
def test_mar_observed_columns_and_rate(X, rate):
    mask = M.mar_logistic(X, rate, 0)
    n_obs = max(int(0.3 * X.shape[1]), 1)
    never = ~mask.any(axis=0)
    assert never.sum() == n_obs
    per_column = mask[:, ~never].mean(axis=0)
    assert np.all(np.abs(per_column - rate) < 0.035)
    assert abs(mask.mean() - rate * (X.shape[1] - n_obs) / X.shape[1]) < 0.01
    assert not mask.all(axis=1).any()


def test_mar_depends_on_observed_values():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(5000)
    data = np.column_stack([x, rng.standard_normal(5000)])
    mask = M.mar_logistic(data, 0.3, 1, obs_fraction=0.5)
    observed_col = int(np.flatnonzero(~mask.any(axis=0))[0])
    hidden = mask[:, 1 - observed_col]
    driver = data[:, observed_col]
    # Positive weights: rows with a large observed value lose the other cell more often.
    assert driver[hidden].mean() > driver[~hidden].mean() + 0.5
    # ... and the value of the hidden cell itself plays no part.
    other = data[:, 1 - observed_col]
    assert abs(other[hidden].mean() - other[~hidden].mean()) < 0.1


def test_mar_deterministic_and_scale_free(X):
    a = M.mar_logistic(X, 0.4, 11)
    np.testing.assert_array_equal(a, M.mar_logistic(X, 0.4, 11))
    assert (a != M.mar_logistic(X, 0.4, 12)).any()
    rescaled = M.mar_logistic((X - 100.0) / 20.0, 0.4, 11)
    assert (a != rescaled).sum() <= 2  # only float round-off at the decision edge


def test_mar_obs_fraction_and_errors(X):
    mask = M.mar_logistic(X, 0.5, 0, obs_fraction=0.5)
    assert (~mask.any(axis=0)).sum() == 5
    mask = M.mar_logistic(X, 0.5, 0, obs_fraction=1.0)
    assert (~mask.any(axis=0)).sum() == 9  # at least one column can go missing
    with pytest.raises(InputDataError, match="2 column"):
        M.mar_logistic(X[:, :1], 0.2, 0)
    with pytest.raises(RevimputeError, match="obs_fraction"):
        M.mar_logistic(X, 0.2, 0, obs_fraction=0.0)
    gappy = X.copy()
    gappy[3, 4] = np.nan
    with pytest.raises(InputDataError, match=r"complete data; columns \[4\]"):
        M.mar_logistic(gappy, 0.2, 0)
    with pytest.raises(InputDataError, match="numeric"):
        M.mar_logistic(np.array([["a", "b"], ["c", "d"]]), 0.2, 0)


def test_mar_rate_zero_and_one(X):
    assert not M.mar_logistic(X, 0.0, 0).any()
    full = M.mar_logistic(X, 1.0, 0)
    assert full.any(axis=0).sum() == X.shape[1] - 3
    assert full[:, full.any(axis=0)].all()


# --------------------------------------------------------------------------- intercepts
@pytest.mark.parametrize("rate", [1e-4, 0.05, 0.5, 0.95, 0.9999])
def test_fit_intercepts_hits_rate(rate):
    rng = np.random.default_rng(3)
    predictor = rng.standard_normal((3000, 6)) * [0.1, 1, 5, 30, 0, 1]
    predictor[:, 5] = rng.standard_cauchy(3000) * 50  # heavy tails
    predictor -= predictor.mean(axis=0)
    intercepts = M._fit_intercepts(predictor, rate)
    reached = expit(predictor + intercepts).mean(axis=0)
    np.testing.assert_allclose(reached, rate, rtol=0, atol=1e-9)


# --------------------------------------------------------------------------- MNAR
def test_self_masking_rate_and_direction(X):
    mask = M.mnar_self_masking(X, 0.3, 4)
    assert np.all(np.abs(mask.mean(axis=0) - 0.3) < 0.035)
    for j in range(X.shape[1]):
        assert X[mask[:, j], j].mean() > X[~mask[:, j], j].mean()
    np.testing.assert_array_equal(mask, M.mnar_self_masking(X, 0.3, 4))


def test_self_masking_constant_column_gets_the_rate():
    rng = np.random.default_rng(0)
    data = np.column_stack([np.full(5000, 3.0), rng.standard_normal(5000)])
    mask = M.mnar_self_masking(data, 0.25, 0)
    assert abs(mask[:, 0].mean() - 0.25) < 0.02


def test_masked_inputs_rate_everywhere(X):
    mask = M.mnar_masked_inputs(X, 0.3, 2)
    assert np.all(np.abs(mask.mean(axis=0) - 0.3) < 0.035)
    np.testing.assert_array_equal(mask, M.mnar_masked_inputs(X, 0.3, 2))


@pytest.mark.parametrize("cut", ["both", "upper", "lower"])
def test_quantile_censoring(X, cut):
    q, rate = 0.25, 0.6
    mask = M.mnar_quantile(X, rate, 8, q=q, cut=cut)
    censored = np.flatnonzero(mask.any(axis=0))
    assert len(censored) == 5  # params_fraction 0.5 of 10 columns
    hi = np.quantile(X, 1 - q, axis=0)
    lo = np.quantile(X, q, axis=0)
    beyond = {"both": (X >= hi) | (X <= lo), "upper": X >= hi, "lower": X <= lo}[cut]
    assert not (mask & ~beyond).any()  # only cells beyond the cut go missing
    share = mask[:, censored].sum() / beyond[:, censored].sum()
    assert abs(share - rate) < 0.03


def test_quantile_errors(X):
    with pytest.raises(RevimputeError, match="cut"):
        M.mnar_quantile(X, 0.5, 0, cut="middle")
    with pytest.raises(RevimputeError, match="q must"):
        M.mnar_quantile(X, 0.5, 0, q=0.7)


# --------------------------------------------------------------------------- structured masks
def test_column_block():
    mask = M.column_block((5, 4), [1, -1], rows=slice(1, 3))
    expected = np.zeros((5, 4), dtype=bool)
    expected[1:3, [1, 3]] = True
    np.testing.assert_array_equal(mask, expected)
    np.testing.assert_array_equal(M.column_block((3, 2), 0)[:, 0], [True] * 3)
    assert M.column_block((3, 2), 0)[:, 1].sum() == 0
    rows = np.array([True, False, True])
    assert M.column_block((3, 2), [0, 1], rows=rows).sum(axis=1).tolist() == [2, 0, 2]
    with pytest.raises(RevimputeError, match="columns"):
        M.column_block((3, 2), [2])


@pytest.mark.parametrize(
    ("position", "first"), [("top", 4), ("middle", 9), ("bottom", 14)]
)
def test_image_band_rows_exact(position, first):
    mask = I.image_band(3, 10, position)
    assert mask.shape == (3, 784)
    images = mask.reshape(3, 28, 28)
    rows = np.flatnonzero(images[0].any(axis=1))
    assert rows.tolist() == list(range(first, first + 10))
    assert images[:, first : first + 10, :].all()
    assert images.sum() == 3 * 10 * 28
    assert (images == images[0]).all()


def test_band_rows_other_heights():
    assert list(I.band_rows(5, "middle")) == [11, 12, 13, 14, 15]
    assert list(I.band_rows(4, "top")) == [7, 8, 9, 10]
    assert list(I.band_rows(20, "bottom")) == list(range(8, 28))  # kept inside
    assert list(I.band_rows(28, "top")) == list(range(28))
    with pytest.raises(RevimputeError, match="position"):
        I.image_band(2, 10, "left")
    with pytest.raises(RevimputeError, match="k must"):
        I.image_band(2, 0)


def test_image_random_rows():
    mask = I.image_random_rows(200, 7, 0)
    images = mask.reshape(200, 28, 28)
    row_hidden = images.all(axis=2)
    assert (row_hidden.sum(axis=1) == 7).all()
    assert (images.any(axis=2) == row_hidden).all()  # whole rows only
    assert len({tuple(np.flatnonzero(r)) for r in row_hidden}) > 150
    np.testing.assert_array_equal(mask, I.image_random_rows(200, 7, 0))


def test_image_center_square_and_random_pixels():
    images = I.image_center_square(2, 10).reshape(2, 28, 28)
    assert images.sum() == 2 * 100
    assert images[:, 9:19, 9:19].all()
    np.testing.assert_array_equal(
        I.image_random_pixels(6, 0.25, 3), M.mcar((6, 784), 0.25, 3)
    )
    assert I.image_center_square(1, 28).all()
    assert I.image_center_square(1, 1).reshape(28, 28)[13, 13]


# --------------------------------------------------------------------------- dispatch
@pytest.mark.parametrize(
    ("name", "function"),
    [
        ("mar", M.mar_logistic),
        ("mnar_logistic", M.mnar_self_masking),
        ("mnar_self_masking", M.mnar_self_masking),
        ("mnar_masked_inputs", M.mnar_masked_inputs),
        ("mnar_quantile", M.mnar_quantile),
    ],
)
def test_simulate_dispatches(breast, name, function):
    np.testing.assert_array_equal(M.simulate(breast, name, 0.3, 5), function(breast, 0.3, 5))


def test_simulate_mcar_options_and_errors(breast):
    np.testing.assert_array_equal(
        M.simulate(breast, "MCAR", 0.2, 0), M.mcar(breast.shape, 0.2, 0)
    )
    np.testing.assert_array_equal(
        M.simulate(breast, "mar", 0.2, 0, obs_fraction=0.5),
        M.mar_logistic(breast, 0.2, 0, obs_fraction=0.5),
    )
    with pytest.raises(RevimputeError, match="unknown missingness mechanism 'mnar'.*mcar"):
        M.simulate(breast, "mnar", 0.2, 0)
    with pytest.raises(RevimputeError, match="does not take"):
        M.simulate(breast, "mcar", 0.2, 0, q=0.3)
