"""The stacked ensemble (training and search), the automatic budget and the thread choice."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import torch

from revimpute import ReverseImputer
from revimpute.encode.layout import UnitLayout
from revimpute.nn import TrainingConfig, train_autoencoder
from revimpute.nn.autoencoder import MLPAutoencoder
from revimpute.nn.budget import LARGE_TABLE_ROWS, TrainingBudget, automatic_hidden_sizes, automatic_training
from revimpute.nn.ensemble import (FrozenEnsemble, StackedAdam, StepBuffers, _member_loss, fused_adam_available,
                                   stack_parameters, stacked_forward, stacked_gradients, train_ensemble)
from revimpute.nn.heads import Heads
from revimpute.nn.threads import allowed_cpus, cgroup_cpu_limit, choose_threads, compute_threads, runnable_elsewhere
from revimpute.nn.training import EarlyStopping, init_parameters
from revimpute.reverse import ReverseConfig, reverse_impute, reverse_impute_ensemble

from conftest import low_rank_data, with_holes


def _data(n=240, d=9, seed=0):
    X = low_rank_data(n, d, seed=seed).astype(np.float32)
    observed = np.random.default_rng(seed + 1).random(X.shape) > 0.25
    return X, observed


def _weights(model):
    return [p.detach().clone() for p in model.state_dict().values()]


def test_a_network_trained_in_the_stack_follows_the_network_trained_alone_in_it():
    # each member has its own generator and the stacked products are per network, so a
    # member's training follows the one it has alone in a stack, also while others stop
    # early and leave it (patience 3: some stop, others go on); the batched products may
    # round an item differently with a different number of items, so to float rounding
    X, observed = _data()
    config = TrainingConfig(hidden_sizes=(32, 16), latent_size=4, max_epochs=40, batch_size=64, patience=3,
                            learning_rate=3e-3, lr_schedule="cosine")
    together = train_ensemble(X, observed, config, seeds=[11, 12, 13, 14])
    lengths = [len(history.train_loss) for _, history in together]
    assert len(set(lengths)) > 1  # the networks stopped at different epochs
    for k, seed in enumerate([11, 12, 13, 14]):
        (alone, history), = train_ensemble(X, observed, config, seeds=[seed])
        n = min(len(history.train_loss), len(together[k][1].train_loss))
        np.testing.assert_allclose(history.train_loss[:n], together[k][1].train_loss[:n], rtol=1e-4)
        if history.best_epoch == together[k][1].best_epoch:
            for a, b in zip(_weights(alone), _weights(together[k][0])):
                torch.testing.assert_close(a, b, rtol=1e-3, atol=1e-4)
    again = train_ensemble(X, observed, config, seeds=[11, 12, 13, 14])  # the same stack: the same bits
    for (first, _), (second, _) in zip(together, again):
        assert all(torch.equal(a, b) for a, b in zip(_weights(first), _weights(second)))


def test_fast_products_are_used_only_where_they_keep_float32_accuracy(monkeypatch):
    import revimpute.nn.ensemble as ensemble

    seen = []
    real = ensemble._train_ensemble
    monkeypatch.setattr(ensemble, "_train_ensemble",
                        lambda *a: seen.append(torch.get_float32_matmul_precision()) or real(*a))
    X, observed = _data(n=60)
    config = TrainingConfig(hidden_sizes=(8,), latent_size=2, max_epochs=1, batch_size=32)
    for tolerance, expected in ((0.0, "highest"), (1e-5, "medium" if ensemble.fast_products_keep_float32() else "highest")):
        monkeypatch.setattr(ensemble, "_FAST_PRODUCTS", [])  # probe again
        monkeypatch.setattr(ensemble, "FAST_PRODUCT_TOLERANCE", tolerance)
        train_ensemble(X, observed, config, seeds=[1])
        assert seen[-1] == expected
    assert torch.get_float32_matmul_precision() == "highest"


def test_training_restores_the_matmul_precision():
    # the stacked training runs its products at PyTorch's "medium" float32 precision (oneDNN's
    # kernels where the CPU has them) and gives the caller's setting back, also on an error
    X, observed = _data(n=60)
    config = TrainingConfig(hidden_sizes=(8,), latent_size=2, max_epochs=2, batch_size=32)
    before = torch.get_float32_matmul_precision()
    try:
        torch.set_float32_matmul_precision("high")
        train_ensemble(X, observed, config, seeds=[1])
        assert torch.get_float32_matmul_precision() == "high"
        with pytest.raises(ValueError):
            train_ensemble(X, observed, TrainingConfig(hidden_sizes=(8,), latent_size=2, corruption="nope"),
                           seeds=[1])  # raised inside the training
        assert torch.get_float32_matmul_precision() == "high"
    finally:
        torch.set_float32_matmul_precision(before)


def test_stacked_training_follows_the_single_network_trainer():
    # the same draws in the same order; the batched product agrees to float rounding
    X, observed = _data()
    config = TrainingConfig(hidden_sizes=(32, 16), latent_size=4, max_epochs=6, batch_size=64, patience=100)
    (stacked, history), = train_ensemble(X, observed, config, seeds=[5])
    single, single_history = train_autoencoder(X, observed, config, seed=5)
    np.testing.assert_allclose(history.validation_loss, single_history.validation_loss, rtol=1e-4)
    for a, b in zip(_weights(stacked), _weights(single)):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    assert not any(p.requires_grad for p in stacked.parameters())
    assert not stacked.training


def _stacked_case(n_members, n_rows, n_units, hidden, latent, mask_channel, seed):
    g = torch.Generator().manual_seed(seed)
    models = []
    for _ in range(n_members):
        model = MLPAutoencoder(n_units, hidden, latent, mask_channel)
        init_parameters(model, g)
        models.append(model)
    params = [p.requires_grad_(True) for p in stack_parameters(models)]
    x = torch.randn(n_members, n_rows, n_units, generator=g)
    observed = (torch.rand(n_members, n_rows, n_units, generator=g) > 0.2).float()
    visible = observed * (torch.rand(n_members, n_rows, n_units, generator=g) > 0.2).float()
    return models, params, x, observed, visible


MIXED = UnitLayout(np.array([0, 1, 2, 3, 3, 3]), np.array([0, 1]), np.array([2]), ((3, 6),))


@pytest.mark.parametrize("layout, n_units, hidden, latent, mask_channel, shapes", [
    (None, 10, (256, 128), 10, True, [(5, 128), (5, 52), (4, 128), (5, 128)]),
    (None, 4, (16, 8), 3, True, [(1, 63), (1, 7)]),
    (None, 9, (32, 16), 4, False, [(3, 40), (2, 40)]),
    (None, 5, (), 2, True, [(2, 16)]),  # no hidden layer: code layer and output layer only
    (MIXED, 6, (24, 12), 3, True, [(2, 30), (2, 11)]),
])
def test_the_hand_written_backward_gives_autograds_gradients(layout, n_units, hidden, latent, mask_channel, shapes):
    # the loss bitwise, the gradients to float rounding (autograd computes the weight's product transposed);
    # one StepBuffers reused over batches and stacks of different sizes, as the training does
    heads = Heads(layout)
    buffers = StepBuffers()
    fast = torch.get_float32_matmul_precision()
    for seed, (n_members, n_rows) in enumerate(shapes):
        models, params, x, observed, visible = _stacked_case(
            n_members, n_rows, n_units, hidden, latent, mask_channel, seed)
        if layout is not None:  # unit values the heads expect: a boolean and a one-hot group
            x[..., 2] = (x[..., 2] > 0).float()
            x[..., 3:6] = torch.nn.functional.one_hot(x[..., 3:6].argmax(dim=2), 3).float()
        for precision in ("highest", "medium"):
            torch.set_float32_matmul_precision(precision)
            try:
                recon, _ = stacked_forward(params, len(models[0].encoder), x, visible, mask_channel)
                losses = _member_loss(heads, recon, x, observed)
                expected = torch.autograd.grad(losses.sum(), params)
                grads = [torch.full_like(p, float("nan")) for p in params]
                mine = stacked_gradients([p.detach() for p in params], len(models[0].encoder), heads, x, visible,
                                         observed, grads, mask_channel, buffers)
            finally:
                torch.set_float32_matmul_precision(fast)
            assert torch.equal(mine, losses.detach())
            for a, b in zip(grads, expected):
                torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-7)


def test_stacked_training_keeps_each_networks_best_weights():
    X, observed = _data()
    config = TrainingConfig(hidden_sizes=(16,), latent_size=3, max_epochs=30, batch_size=256, patience=4,
                            learning_rate=0.05)
    for model, history in train_ensemble(X, observed, config, seeds=[1, 2]):
        assert history.best_epoch == int(np.argmin(history.validation_loss))
        if history.stopped_early:
            assert len(history.train_loss) == history.best_epoch + 1 + config.patience


def _stopping_run(losses, **fields):
    """Epochs whose weights become the best, and the epoch the rule stops at (None: never)."""
    stopping = EarlyStopping(TrainingConfig(**fields))
    best = []
    for epoch, loss in enumerate(losses):
        is_best, stop = stopping.update(loss)
        if is_best:
            best.append(epoch)
        if stop:
            return best, epoch
    return best, None


def test_early_stopping_on_the_raw_loss_keeps_the_lowest_epoch_and_counts_patience():
    losses = [1.0, 0.2, 0.9, 0.5, 0.4, 0.3, 0.25, 0.21]
    assert _stopping_run(losses, patience=3) == ([0, 1], 4)  # the lucky epoch 1 wins and stops the training
    assert _stopping_run(losses, patience=10) == ([0, 1], None)
    # a gain smaller than the relative threshold keeps the best weights but not the patience
    assert _stopping_run([1.0, 0.999, 0.998], patience=2, min_relative_improvement=0.01) == ([0, 1, 2], 2)


def test_smoothed_early_stopping_looks_past_one_lucky_epoch():
    losses = [1.0, 0.2, 0.9, 0.5, 0.4, 0.3, 0.25, 0.21, 0.2, 0.2]
    best, stop = _stopping_run(losses, patience=3, validation_smoothing=0.5)
    assert stop is None and best[-1] == len(losses) - 1  # the steady descent is followed to the end
    # the moving average: 1.0, 0.6, 0.75, 0.625, 0.5125, ... -- epoch 1 is best until epoch 4 beats it
    assert best[:3] == [0, 1, 4]


@pytest.mark.parametrize("smoothing", [0.0, 0.8])
def test_both_trainers_keep_the_weights_of_the_lowest_smoothed_loss(smoothing):
    X, observed = _data()
    config = TrainingConfig(hidden_sizes=(16,), latent_size=3, max_epochs=30, batch_size=256, patience=4,
                            learning_rate=0.05, validation_smoothing=smoothing)
    (_, stacked), = train_ensemble(X, observed, config, seeds=[1])
    _, single = train_autoencoder(X, observed, config, seed=1)
    for history in (stacked, single):
        smoothed = [history.validation_loss[0]]
        for loss in history.validation_loss[1:]:
            smoothed.append(smoothing * smoothed[-1] + (1 - smoothing) * loss)
        assert history.best_epoch == int(np.argmin(smoothed))
    assert stacked.best_epoch == single.best_epoch


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("weight_decay", [0.0, 1e-3])
def test_the_stacked_adam_is_pytorchs_adam_bitwise(weight_decay, fused):
    # fused: PyTorch's fused kernel on one flat buffer; not fused: the multi-tensor operations in their order;
    # the step size changed between steps as the cosine schedule does and the stack cut down half way
    if fused and not fused_adam_available():
        pytest.skip("this PyTorch has no fused Adam on the CPU")
    flavour = {"fused": True} if fused else {"foreach": True}
    g = torch.Generator().manual_seed(0)
    start = [torch.randn(3, 7, 5, generator=g), torch.randn(3, 7, generator=g)]
    theirs = [p.clone().requires_grad_(True) for p in start]
    mine = StackedAdam(start, lr=0.01, weight_decay=weight_decay, fused=fused)
    ours = mine.params  # views of its flat buffer
    assert all(torch.equal(a, b) for a, b in zip(ours, start))
    reference = torch.optim.Adam(theirs, lr=0.01, weight_decay=weight_decay, **flavour)
    for step in range(12):
        lr = 0.01 * (1 - step / 12)
        mine.lr = lr
        for group in reference.param_groups:
            group["lr"] = lr
        loss = lambda ps: sum((p.sin() ** 2).sum() for p in ps)  # noqa: E731
        mine.step(torch.autograd.grad(loss(ours), ours))
        reference.zero_grad(set_to_none=True)
        loss(theirs).backward()
        reference.step()
        for a, b in zip(ours, theirs):
            assert torch.equal(a.detach(), b.detach())
        if step == 5:  # keep networks 0 and 2: the reference is a fresh Adam on their slices and state
            ours = mine.keep([0, 2])
            index = torch.tensor([0, 2])
            smaller = [p.detach()[index].clone().requires_grad_(True) for p in theirs]
            fresh = torch.optim.Adam(smaller, lr=lr, weight_decay=weight_decay, **flavour)
            for old, new in zip(theirs, smaller):
                state = reference.state[old]
                fresh.state[new] = {"step": state["step"].clone(), "exp_avg": state["exp_avg"][index].clone(),
                                    "exp_avg_sq": state["exp_avg_sq"][index].clone()}
            theirs, reference = smaller, fresh


def test_frozen_ensemble_rows_are_each_networks_own_forward_pass():
    imputer = ReverseImputer(hidden_sizes=(24, 12), latent_size=3, max_epochs=3, n_models=3).fit(
        with_holes(low_rank_data(120, 7))[0]
    )
    x = torch.from_numpy(low_rank_data(45, 7, seed=3).astype(np.float32))
    observed = (torch.rand(x.shape, generator=torch.Generator().manual_seed(0)) > 0.3).float()
    shape = (3, *x.shape)
    recon, code = FrozenEnsemble(imputer.models_)(x.expand(shape), observed.expand(shape))
    for k, model in enumerate(imputer.models_):
        alone, z = model(x, observed, batch_invariant=True)
        assert torch.equal(recon[k], alone) and torch.equal(code[k], z)


@pytest.mark.parametrize("config", [
    ReverseConfig(estimate="mean"),
    ReverseConfig(estimate="mode", loss="all", n_restarts=2, max_steps=25),
    ReverseConfig(estimate="mode", loss="heldout", max_steps=20, chunk_size=17),
])
def test_the_ensemble_search_gives_each_network_its_own_result(config):
    # the networks search one tensor together; each (network, row) pair converges on
    # its own, so every network's result is bitwise its search alone
    X = low_rank_data(150, 8)
    Xh, mask = with_holes(X, 0.25)
    imputer = ReverseImputer(hidden_sizes=(24, 12), latent_size=3, max_epochs=5, n_models=3).fit(Xh)
    units = imputer.scaler_.transform(np.where(mask, 0.0, Xh)).astype(np.float32)
    radii, seeds = imputer.radii_, imputer._model_seeds()
    together, reports = reverse_impute_ensemble(imputer.models_, units, mask, config, radii, seeds,
                                                bounds=imputer.scaled_bounds())
    for k, model in enumerate(imputer.models_):
        alone, report = reverse_impute(model, units, mask, config, radii[k], seeds[k], bounds=imputer.scaled_bounds())
        assert np.array_equal(alone, together[k])
        assert report.row_steps == reports[k].row_steps
        assert report.rows_converged == reports[k].rows_converged


def test_the_ensemble_search_on_a_mixed_table_gives_each_network_its_own_result():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(with_holes(low_rank_data(160, 5), 0.2)[0], columns=list("abcde"))
    frame["kind"] = pd.Series(rng.choice(["x", "y", "z"], 160)).where(rng.random(160) > 0.2)
    frame["flag"] = pd.Series(rng.random(160) > 0.5, dtype="boolean").where(rng.random(160) > 0.2)
    imputer = ReverseImputer(hidden_sizes=(24, 12), latent_size=3, max_epochs=5, n_models=2).fit(frame)
    encoded = imputer.encoder_.encode(frame)
    layout, bounds = imputer.encoder_.layout_, imputer.scaled_bounds()
    config = imputer.reverse_config()
    together, _ = reverse_impute_ensemble(imputer.models_, encoded.values, encoded.missing, config,
                                          imputer.radii_, imputer._model_seeds(), bounds=bounds, layout=layout)
    for k, (model, radius, seed) in enumerate(imputer.networks()):
        alone, _ = reverse_impute(model, encoded.values, encoded.missing, config, radius, seed, bounds=bounds,
                                  layout=layout)
        assert np.array_equal(alone, together[k])


def test_automatic_budget_by_table_size():
    budget = TrainingBudget(steps=300, max_batch=512, lr_scale=10.0, patience_fraction=0.25, min_patience=10)
    small = automatic_training(200, 0.1, 1e-3, 500, None, budget)
    assert small["batch_size"] == 180  # every training row in one step
    assert small["max_epochs"] == 300 and small["patience"] == 75
    assert small["learning_rate"] == pytest.approx(1e-2) and small["lr_schedule"] == "cosine"
    middle = automatic_training(5000, 0.1, 1e-3, 500, None, budget)
    assert middle["batch_size"] == 512 and middle["max_epochs"] == 34  # 9 steps an epoch
    capped = automatic_training(200, 0.1, 1e-3, 50, 7, budget)
    assert capped["max_epochs"] == 50 and capped["patience"] == 7  # the parameters still bound it
    large = automatic_training(LARGE_TABLE_ROWS * 8, 0.1, 1e-3, 500, None, budget)
    assert large["batch_size"] == 1024 and large["max_epochs"] == 33
    assert large["learning_rate"] == pytest.approx(8e-3)
    default = automatic_training(200, 0.1, 1e-3, 500, None)  # 2 steps an epoch: max_epochs caps 1,600 steps
    assert default["batch_size"] == 128 and default["max_epochs"] == 500


def test_automatic_widths_grow_with_the_square_root_of_the_cells():
    assert automatic_hidden_sizes(150, 4) == (64, 32)  # sqrt(600) = 24.5: the lower bound
    assert automatic_hidden_sizes(500, 20) == (112, 56)  # sqrt(10,000) = 100, up to a multiple of 16
    assert automatic_hidden_sizes(1000, 30) == (176, 88)  # sqrt(30,000) = 173.2
    assert automatic_hidden_sizes(5000, 30) == (256, 128)  # sqrt(150,000) = 387: the upper bound
    wide = TrainingBudget(width_per_root_cell=2.0, min_width=32, max_width=1024)
    assert automatic_hidden_sizes(1000, 30, wide) == (352, 176)
    assert automatic_hidden_sizes(10, 2, wide) == (32, 16)


def test_automatic_widths_follow_the_networks_units_and_survive_save_load(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=120), "y": rng.normal(size=120),
                          "c": rng.choice([f"k{i}" for i in range(12)], size=120)})
    frame.loc[::9, "x"] = np.nan
    imputer = ReverseImputer(hidden_sizes=None, max_epochs=3, reverse_steps=3, n_models=2, random_state=0)
    config = imputer.training_config(3, 120, n_units=14)
    assert config.hidden_sizes == automatic_hidden_sizes(120, 14) == (64, 32)  # 14 units: sqrt(1,680) = 41
    assert imputer.training_config(3, 5000).hidden_sizes == (128, 64)  # sqrt(15,000) = 122.5
    filled = imputer.fit_transform(frame)
    widths = {tuple(layer.out_features for layer in model.modules() if isinstance(layer, torch.nn.Linear))[:2]
              for model in imputer.models_}
    assert widths == {(64, 32)}
    folder = imputer.save(tmp_path / "model")
    loaded = ReverseImputer.load(folder)
    assert loaded.get_params()["hidden_sizes"] is None
    pd.testing.assert_frame_equal(loaded.transform(frame), filled)


def test_cgroup_quota_is_read_in_cores(tmp_path):
    path = tmp_path / "cpu.max"
    path.write_text("150000 100000\n")
    assert cgroup_cpu_limit(path) == 1.5
    path.write_text("max 100000\n")
    assert cgroup_cpu_limit(path) is None
    assert cgroup_cpu_limit(tmp_path / "missing") is None


def test_busy_threads_are_counted_from_the_kernels_runnable_count(tmp_path):
    path = tmp_path / "loadavg"
    path.write_text("3.10 2.00 1.00 4/321 9999\n")
    assert runnable_elsewhere(samples=3, interval=0.0, path=path) == 3  # four runnable, one of them us
    path.write_text("garbage\n")
    assert runnable_elsewhere(samples=1, interval=0.0, path=path) is None


def test_thread_choice_never_exceeds_the_limit_or_the_cores(monkeypatch):
    import revimpute.nn.threads as threads

    monkeypatch.setattr(threads, "allowed_cpus", lambda: 4)
    monkeypatch.setattr(threads, "runnable_elsewhere", lambda: 3)
    assert choose_threads(limit=8) == 1  # three of the four cores are busy
    monkeypatch.setattr(threads, "runnable_elsewhere", lambda: 0)
    assert choose_threads(limit=8) == 4
    assert choose_threads(limit=2) == 2
    monkeypatch.setattr(threads, "runnable_elsewhere", lambda: None)
    assert choose_threads(limit=8) == 4
    monkeypatch.setattr(threads, "runnable_elsewhere", lambda: 9)
    assert choose_threads(limit=8) == 1
    assert 1 <= allowed_cpus()


def test_compute_threads_restores_the_callers_setting():
    before = torch.get_num_threads()
    with compute_threads(before + 1) as n:
        assert n == torch.get_num_threads() == before + 1
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError), compute_threads(before + 1):
        raise RuntimeError("inside")
    assert torch.get_num_threads() == before


def test_fit_and_transform_leave_the_thread_count_as_they_found_it(holed):
    _, Xh, _ = holed
    before = torch.get_num_threads()
    ReverseImputer(hidden_sizes=(16,), latent_size=3, max_epochs=2, reverse_steps=3, n_models=2).fit(Xh).transform(Xh)
    assert torch.get_num_threads() == before


def test_split_networks_cuts_the_seeds_into_near_equal_consecutive_groups():
    from revimpute.impute._ensemble_training import split_networks

    assert split_networks([1, 2, 3, 4, 5], 2) == [[1, 2, 3], [4, 5]]
    assert split_networks([1, 2, 3, 4, 5], 4) == [[1, 2], [3], [4], [5]]
    assert split_networks([1, 2], 8) == [[1], [2]]
    assert split_networks([7], 2) == [[7]]
    assert split_networks([1, 2, 3], 1) == [[1, 2, 3]]


@pytest.fixture
def cpu_threads(monkeypatch):
    # the searches run in jobs side by side only when the machine can spare more than
    # one thread; the suite runs on one, so ask for more here
    import revimpute.impute._reverse as reverse_module

    before = torch.get_num_threads()

    def use(n: int) -> None:
        torch.set_num_threads(n)
        monkeypatch.setattr(reverse_module, "choose_threads", lambda limit=None: n)

    yield use
    torch.set_num_threads(before)


@pytest.mark.parametrize(("mixed", "n_models", "threads", "jobs"), [
    (False, 5, 2, [2, 3]),  # two groups of networks
    (True, 5, 2, [2, 3]),
    (False, 1, 2, [1, 1]),  # one network, its rows in two parts
    (True, 2, 4, [1, 1, 1, 1]),  # two groups x two parts
])
def test_searches_side_by_side_give_the_bits_of_one_stack(cpu_threads, monkeypatch, mixed, n_models, threads, jobs):
    # a network's search of a row depends neither on the networks beside it, nor on the
    # other rows, nor on the thread count, so the jobs give the one stack's result bit for bit
    import revimpute.impute._ensemble_training as ensemble_training

    X, _ = with_holes(low_rank_data(180, 8, seed=4), 0.25, seed=5)
    if mixed:
        X = pd.DataFrame(X, columns=[f"c{k}" for k in range(8)])
        X["kind"] = pd.Series(np.where(np.arange(180) % 3 == 0, "a", "b"), dtype=object)
        X.loc[X.index % 7 == 0, "kind"] = None
    imputer = ReverseImputer(random_state=3, max_epochs=8, reverse_steps=6, n_models=n_models,
                             chunk_size=50).fit(X)
    calls = []
    real_search = ensemble_training.reverse_impute_ensemble
    monkeypatch.setattr(ensemble_training, "reverse_impute_ensemble",
                        lambda models, *a, **k: calls.append(len(models)) or real_search(models, *a, **k))
    cpu_threads(threads)
    side_by_side = imputer.transform(X)
    report = imputer.reverse_report_
    assert sorted(calls) == jobs
    cpu_threads(1)
    calls.clear()
    one_stack = imputer.transform(X)
    assert calls == [n_models]
    if mixed:
        pd.testing.assert_frame_equal(side_by_side, one_stack)
    else:
        assert np.array_equal(side_by_side, one_stack)
    assert report == imputer.reverse_report_


@pytest.mark.parametrize("n_models", [5, 1])
def test_progress_counts_each_epoch_and_row_once_with_searches_side_by_side(cpu_threads, capsys, n_models):
    cpu_threads(2)
    X, _ = with_holes(low_rank_data(150, 6, seed=2), 0.25, seed=3)
    imputer = ReverseImputer(random_state=0, max_epochs=4, reverse_steps=3, n_models=n_models, verbose=True)
    imputer.fit(X).transform(X)
    err = capsys.readouterr().err
    rows = int(np.isnan(X).any(axis=1).sum())
    assert re.search(r"^training\b.*\b4/4 epochs of the ensemble", err, re.MULTILINE), err
    assert not re.search(r"\b([5-9]|\d\d+)/4 epochs", err), err
    assert re.search(rf"^reverse training\b.*\b{rows}/{rows} rows", err, re.MULTILINE), err
