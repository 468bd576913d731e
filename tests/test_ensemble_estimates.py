"""reverse.ensemble's one call for the pass, the search and the mean gives bitwise what the
step-by-step computation it replaced gave (written out here as it stood in the MNIST experiment
and in ReverseImputer)."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pytest
import torch

from revimpute.impute import ReverseImputer
from revimpute.reverse import (
    ReverseConfig,
    cleanup_pass,
    ensemble_estimates,
    ensemble_mean,
    ensemble_pass,
    one_pass,
    reverse_impute,
)


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(80, 4))
    X[:, 1] += X[:, 0]
    mask = rng.random(X.shape) < 0.25
    imputer = ReverseImputer(n_models=2, hidden_sizes=(12,), latent_size=3, max_epochs=4, reverse_steps=15,
                             random_state=0).fit(np.where(mask, np.nan, X))
    x = imputer.scaler_.transform(np.where(mask, 0.0, X))
    return imputer, x, mask


def clip(values, bounds, mask):
    return values if bounds is None else np.where(mask, np.clip(values, bounds[0], bounds[1]), values)


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("clipped", [True, False])
def test_the_estimates_are_those_computed_step_by_step(fitted, clipped):
    imputer, x, mask = fitted
    nets = imputer.networks()
    bounds = imputer.scaled_bounds() if clipped else None
    config = imputer.reverse_config()

    first = clip(ensemble_mean([one_pass(m, x, mask) for m, _, _ in nets]), bounds, mask)
    raw_config = ReverseConfig(**{**asdict(config), "cleanup": False, "estimate": "mode"})
    raws = [reverse_impute(m, x, mask, raw_config, r, s, bounds=bounds)[0] for m, r, s in nets]
    cleans = [cleanup_pass(m, torch.from_numpy(raw), torch.from_numpy(mask)).numpy()
              for (m, _, _), raw in zip(nets, raws)]
    cleaned = clip(ensemble_mean(cleans), bounds, mask)
    mean = np.where(mask, 0.5 * (cleaned + first), x)

    estimates = ensemble_estimates(nets, x, mask, config, bounds, n_jobs=2)
    assert same(estimates.pass_, first)
    assert same(estimates.search, ensemble_mean(raws))
    assert same(estimates.cleaned, cleaned)
    assert same(estimates.mean, mean)
    assert set(estimates.seconds) == {"pass", "search", "cleanup", "mean"}
    assert not same(estimates.search, first)  # the search moved the cells


def test_the_pass_is_the_imputers_pass_estimate(fitted):
    imputer, x, mask = fitted
    bounds = imputer.scaled_bounds()
    members = [one_pass(model, x, mask) for model in imputer.models_]
    passed = np.clip(ensemble_mean(members), bounds[0], bounds[1])
    members = [np.where(mask, np.clip(m, bounds[0], bounds[1]), x).astype(np.float32) for m in members]
    got, got_members = ensemble_pass(imputer.models_, x, mask, bounds)
    assert same(got, np.where(mask, passed, x).astype(np.float32))
    assert all(same(a, b) for a, b in zip(got_members, members))
    # without bounds: the plain average of the one-pass fills (ReverseImputer.impute_pass)
    plain = ensemble_mean([one_pass(model, x, mask) for model in imputer.models_])
    assert same(ensemble_pass(imputer.models_, x, mask)[0], plain)
