"""The reverse-training engine itself (``revimpute.reverse.reverse_impute``), through its public API.

Each test states what a row's result must satisfy: observed cells kept, rows independent of their
batch, a converged row frozen, missing cells inside the bounds, restarts that differ only by their
start noise and dropout draws, and the three estimates ("pass", "mode", "mean").
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from conftest import low_rank_data, with_holes
from revimpute.encode.layout import UnitLayout
from revimpute.nn import MLPAutoencoder, TrainingConfig, code_radius, train_autoencoder
from revimpute.reverse import ReverseConfig, one_pass, reverse_impute

SEED = 7
#: A search short enough for the tests, long enough that rows converge at different steps.
CONFIG = ReverseConfig(max_steps=60, patience=5, tol=1e-3, chunk_size=4096, estimate="mode")


@pytest.fixture(scope="module")
def engine_case():
    """A small network trained on a low-rank table, the table with holes, and its code radius."""
    X = low_rank_data(n=120, d=6, seed=3)
    X = ((X - X.mean(axis=0)) / X.std(axis=0)).astype(np.float32)
    Xh, mask = with_holes(X, rate=0.25, seed=4)
    mask[:5] = False  # a few complete rows
    observed = ~mask
    config = TrainingConfig(hidden_sizes=(24,), latent_size=3, max_epochs=25, patience=25, batch_size=32)
    model, _ = train_autoencoder(np.where(observed, X, 0.0), observed, config, seed=0)
    model.eval()
    radius = code_radius(model, np.where(observed, X, 0.0), observed)
    return model, X, mask, radius


def run(case, config=CONFIG, rows=slice(None), **kwargs):
    model, X, mask, radius = case
    return reverse_impute(model, X[rows], mask[rows], config, radius, SEED, **kwargs)


def objective(model, filled, mask):
    """Mean squared reconstruction error of each row on its observed cells (no dropout, no penalty)."""
    with torch.no_grad():
        x = torch.from_numpy(filled)
        recon, _ = model(x, torch.ones_like(x), batch_invariant=True)
    weight = torch.from_numpy((~mask).astype(np.float32))
    return (((recon - x) ** 2 * weight).sum(dim=1) / weight.sum(dim=1).clamp_min(1.0)).numpy()


# --------------------------------------------------------------------------- every row
@pytest.mark.parametrize("estimate", ["mode", "mean", "pass"])
def test_observed_cells_are_returned_bitwise_and_missing_cells_filled(engine_case, estimate):
    _, X, mask, _ = engine_case
    filled, report = run(engine_case, replace(CONFIG, estimate=estimate))
    assert filled.dtype == np.float32 and filled.shape == X.shape
    assert filled[~mask].tobytes() == X[~mask].tobytes()
    assert np.isfinite(filled).all()
    assert report.rows == int(mask.any(axis=1).sum()) and report.cells == int(mask.sum())


def test_values_under_the_missing_cells_are_ignored(engine_case):
    model, X, mask, radius = engine_case
    filled, _ = run(engine_case, replace(CONFIG, n_restarts=2))
    for junk in (np.nan, 1e6, 0.0):
        other = np.where(mask, np.float32(junk), X)
        again, _ = reverse_impute(model, other, mask, replace(CONFIG, n_restarts=2), radius, SEED)
        assert again.tobytes() == filled.tobytes(), junk


def test_complete_rows_cost_nothing(engine_case):
    _, X, mask, _ = engine_case
    complete = ~mask.any(axis=1)
    filled, report = run(engine_case, rows=complete)
    assert np.array_equal(filled, X[complete])
    assert report.rows == 0 and report.row_steps == 0


def test_a_row_is_the_same_alone_in_any_batch_order_or_chunk(engine_case):
    _, X, mask, _ = engine_case
    config = replace(CONFIG, n_restarts=2)
    full, _ = run(engine_case, config)
    for r in np.flatnonzero(mask.any(axis=1))[:6]:
        alone, _ = run(engine_case, config, rows=slice(r, r + 1))
        assert alone[0].tobytes() == full[r].tobytes(), r
    perm = np.random.default_rng(0).permutation(len(X))
    shuffled, _ = run(engine_case, config, rows=perm)
    assert shuffled.tobytes() == full[perm].tobytes()
    chunked, _ = run(engine_case, replace(config, chunk_size=7))
    assert chunked.tobytes() == full.tobytes()


def test_the_search_lowers_each_rows_reconstruction_error(engine_case):
    model, _, mask, _ = engine_case
    config = replace(CONFIG, max_steps=200, patience=20, input_dropout=0.0, sphere_weight=0.0, cleanup=False)
    start, _ = run(engine_case, replace(config, estimate="pass"))
    searched, _ = run(engine_case, config)
    rows = mask.any(axis=1)
    before, after = objective(model, start, mask)[rows], objective(model, searched, mask)[rows]
    assert after.mean() < 0.95 * before.mean(), (after.mean(), before.mean())
    assert (after < before).mean() >= 0.95


# --------------------------------------------------------------------------- per-row freezing
def test_a_converged_row_is_frozen_whatever_the_budget(engine_case):
    """A row that converged after k steps gets bitwise the same result from any budget >= k."""
    _, X, mask, _ = engine_case
    rows = np.flatnonzero(mask.any(axis=1))[:20]
    steps = {}
    for r in rows:
        _, report = run(engine_case, rows=slice(r, r + 1))
        steps[r] = report.row_steps
    frozen = [r for r in rows if steps[r] < CONFIG.max_steps]
    assert len(frozen) >= 5 and len(set(steps.values())) >= 3  # rows stop at different steps
    changed_before = 0
    for r in frozen:
        reference, _ = run(engine_case, rows=slice(r, r + 1))
        for budget in (steps[r], steps[r] + 40):
            again, report = run(engine_case, replace(CONFIG, max_steps=budget), rows=slice(r, r + 1))
            assert again.tobytes() == reference.tobytes(), (r, budget)
            assert report.row_steps == steps[r]
        shorter, _ = run(engine_case, replace(CONFIG, max_steps=steps[r] - 1), rows=slice(r, r + 1))
        changed_before += not np.array_equal(shorter, reference)
    assert changed_before >= len(frozen) // 2  # the steps before freezing do move the cells
    # in a batch each row keeps its own count: the batch's total is the sum of the rows' own
    _, report = run(engine_case, rows=rows)
    assert report.row_steps == sum(steps.values())


def test_progress_reports_rows_done_of_rows_to_search(engine_case):
    _, _, mask, _ = engine_case
    calls = []
    run(engine_case, replace(CONFIG, chunk_size=16), progress=lambda done, total: calls.append((done, total)))
    total = int(mask.any(axis=1).sum())
    assert calls[-1] == (total, total)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert len(calls) == -(-total // 16)


# --------------------------------------------------------------------------- bounds
@pytest.mark.parametrize("estimate", ["mode", "mean", "pass"])
@pytest.mark.parametrize("n_restarts", [1, 3])
def test_missing_cells_stay_inside_the_bounds(engine_case, estimate, n_restarts):
    _, X, mask, _ = engine_case
    free, _ = run(engine_case, replace(CONFIG, estimate=estimate, n_restarts=n_restarts))
    # bounds tighter than the unbounded fill on every column
    lower = np.quantile(free, 0.3, axis=0).astype(np.float32)
    upper = np.quantile(free, 0.7, axis=0).astype(np.float32)
    filled, _ = run(engine_case, replace(CONFIG, estimate=estimate, n_restarts=n_restarts), bounds=(lower, upper))
    cols = np.nonzero(mask)[1]
    assert (filled[mask] >= lower[cols]).all() and (filled[mask] <= upper[cols]).all()
    assert ((free[mask] < lower[cols]) | (free[mask] > upper[cols])).any()  # the bounds did bind
    assert filled[~mask].tobytes() == X[~mask].tobytes()  # observed cells outside the bounds are kept


def test_a_pinned_column_gets_its_one_value_and_infinite_bounds_change_nothing(engine_case):
    _, X, mask, _ = engine_case
    d = X.shape[1]
    lower, upper = np.full(d, -np.inf, np.float32), np.full(d, np.inf, np.float32)
    free, _ = run(engine_case)
    unbounded, _ = run(engine_case, bounds=(lower, upper))
    assert unbounded.tobytes() == free.tobytes()
    lower[2] = upper[2] = np.float32(0.25)
    pinned, _ = run(engine_case, bounds=(lower, upper))
    assert (pinned[mask[:, 2], 2] == np.float32(0.25)).all()
    others = mask.copy()
    others[:, 2] = False
    assert not np.array_equal(pinned[others], free[others])  # the other cells were searched with it


# --------------------------------------------------------------------------- restarts
def test_restarts_differ_only_by_their_start_noise_and_dropout_draws(engine_case):
    _, _, mask, _ = engine_case
    plain = replace(CONFIG, input_dropout=0.0)
    one, _ = run(engine_case, plain)
    # no start noise and no dropout: every restart runs the same search, the average is that search
    same, report = run(engine_case, replace(plain, n_restarts=3, restart_noise=0.0))
    np.testing.assert_allclose(same, one, rtol=1e-6, atol=1e-6)
    assert report.rows == int(mask.any(axis=1).sum())
    # with start noise the restarts differ, and their average differs from a single search
    noisy, _ = run(engine_case, replace(plain, n_restarts=3))
    assert not np.allclose(noisy[mask], one[mask], atol=1e-4)
    again, _ = run(engine_case, replace(plain, n_restarts=3))
    assert again.tobytes() == noisy.tobytes()  # the noise is a function of the seed and the row


def test_the_seed_keys_the_dropout_draws(engine_case):
    model, X, mask, radius = engine_case
    a, _ = reverse_impute(model, X, mask, CONFIG, radius, seed=1)
    b, _ = reverse_impute(model, X, mask, CONFIG, radius, seed=2)
    assert not np.array_equal(a, b)
    no_dropout = replace(CONFIG, input_dropout=0.0)
    c, _ = reverse_impute(model, X, mask, no_dropout, radius, seed=1)
    d, _ = reverse_impute(model, X, mask, no_dropout, radius, seed=2)
    assert c.tobytes() == d.tobytes()  # without dropout (and one start) the seed has nothing to key


# --------------------------------------------------------------------------- estimates
def test_pass_is_the_one_pass_fill_without_any_search(engine_case):
    model, X, mask, _ = engine_case
    expected = one_pass(model, X, mask)
    passed, report = run(engine_case, replace(CONFIG, estimate="pass"))
    assert passed.tobytes() == expected.tobytes()
    assert report.row_steps == 0
    for estimate in ("mode", "mean"):  # no step budget: the search is skipped, the pass remains
        zero, report = run(engine_case, replace(CONFIG, estimate=estimate, max_steps=0))
        assert zero.tobytes() == expected.tobytes() and report.row_steps == 0


def test_mean_is_the_average_of_mode_and_pass(engine_case):
    model, X, mask, _ = engine_case
    mode, _ = run(engine_case, replace(CONFIG, estimate="mode"))
    mean, _ = run(engine_case, replace(CONFIG, estimate="mean"))
    passed = one_pass(model, X, mask)
    np.testing.assert_allclose(mean[mask], 0.5 * (mode[mask] + passed[mask]), rtol=1e-6, atol=1e-7)
    assert not np.allclose(mode[mask], passed[mask], atol=1e-4)  # so mean is neither of them


def test_cleanup_replaces_the_searched_cells_by_the_networks_output(engine_case):
    model, X, mask, _ = engine_case
    raw, _ = run(engine_case, replace(CONFIG, cleanup=False))
    cleaned, _ = run(engine_case, replace(CONFIG, cleanup=True))
    with torch.no_grad():
        x = torch.from_numpy(raw)
        out, _ = model(x, torch.ones_like(x), batch_invariant=True)
    np.testing.assert_allclose(cleaned[mask], out.numpy()[mask], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("field,value", [("estimate", "median"), ("loss", "everything")])
def test_unknown_estimate_or_loss_is_refused(engine_case, field, value):
    with pytest.raises(ValueError, match=field):
        run(engine_case, replace(CONFIG, **{field: value}))


# --------------------------------------------------------------------------- mixed layouts
def test_mixed_units_come_back_as_probabilities():
    # columns: two numbers, a boolean, a categorical of three: units 0, 1 | 2 | 3-5
    layout = UnitLayout(np.array([0, 1, 2, 3, 3, 3]), np.array([0, 1]), np.array([2]), ((3, 6),))
    rng = np.random.default_rng(0)
    n = 40
    X = np.zeros((n, 6), np.float32)
    X[:, :2] = rng.normal(size=(n, 2))
    X[:, 2] = rng.random(n) < 0.5
    X[np.arange(n), 3 + rng.integers(0, 3, n)] = 1.0
    cell_missing = rng.random((n, 4)) < 0.3
    missing = layout.expand(cell_missing)
    torch.manual_seed(0)
    model = MLPAutoencoder(6, (16,), 3)
    model.eval()
    for estimate in ("mode", "mean", "pass"):
        filled, _ = reverse_impute(model, X, missing, replace(CONFIG, estimate=estimate), 1.0, SEED, layout=layout)
        assert filled[~missing].tobytes() == X[~missing].tobytes()
        boolean = filled[cell_missing[:, 2], 2]
        assert ((boolean >= 0) & (boolean <= 1)).all()
        group = filled[cell_missing[:, 3], 3:6]
        assert ((group >= 0) & (group <= 1)).all()
        np.testing.assert_allclose(group.sum(axis=1), 1.0, atol=1e-5)
