"""Shared fixtures: small data sets and a fitted small ReverseImputer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from revimpute import ReverseImputer

# Tests share two cores; keep torch from oversubscribing them.
torch.set_num_threads(1)

FAST = dict(hidden_sizes=(32, 16), latent_size=4, max_epochs=30, patience=10, reverse_steps=30, n_models=1)


def low_rank_data(n: int = 300, d: int = 8, rank: int = 2, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, rank)) @ rng.normal(size=(rank, d)) + 0.05 * rng.normal(size=(n, d))


def with_holes(X: np.ndarray, rate: float = 0.2, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    mask = np.random.default_rng(seed).random(X.shape) < rate
    return np.where(mask, np.nan, X), mask


@pytest.fixture(scope="session")
def holed() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X = low_rank_data()
    Xh, mask = with_holes(X)
    return X, Xh, mask


@pytest.fixture(scope="session")
def fitted(holed) -> ReverseImputer:
    _, Xh, _ = holed
    return ReverseImputer(**FAST).fit(Xh)


@pytest.fixture(scope="session")
def frame(holed) -> pd.DataFrame:
    _, Xh, _ = holed
    df = pd.DataFrame(Xh, columns=[f"c{j}" for j in range(Xh.shape[1])])
    df.index = pd.Index(np.arange(1000, 1000 + len(df)) * 3, name="id")
    df["c1"] = df["c1"].astype("float32")
    return df


# Hypothesis: a CI profile (the default) and a long one for benchmarks:
#     HYPOTHESIS_PROFILE=long python -m pytest -q tests/test_properties.py
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "ci", max_examples=25, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "long", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.load_profile(__import__("os").environ.get("HYPOTHESIS_PROFILE", "ci"))
