"""A row's imputation never depends on its batch, order or chunk size."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from revimpute import ReverseImputer

from conftest import FAST


def test_same_call_twice_is_bitwise_identical(fitted, holed):
    _, Xh, _ = holed
    assert np.array_equal(fitted.transform(Xh), fitted.transform(Xh))


@pytest.mark.slow
def test_rows_alone_in_batch_shuffled_or_chunked_are_identical(fitted, holed):
    _, Xh, mask = holed
    full = fitted.transform(Xh)
    rows = np.flatnonzero(mask.any(axis=1))[:12]
    for r in rows:
        alone = fitted.transform(Xh[r : r + 1])
        assert np.array_equal(alone[0], full[r]), f"row {r} alone differs"
    perm = np.random.default_rng(3).permutation(len(Xh))
    shuffled = fitted.transform(Xh[perm])
    assert np.array_equal(shuffled, full[perm])
    subset = np.sort(np.random.default_rng(4).choice(len(Xh), 77, replace=False))
    assert np.array_equal(fitted.transform(Xh[subset]), full[subset])
    imputer = copy.deepcopy(fitted)  # the session's fitted imputer is shared: change a copy
    for chunk in (1, 7, 64, 1000):
        other = imputer.set_params(chunk_size=chunk).transform(Xh)
        assert np.array_equal(other, full), f"chunk_size={chunk} differs"


def test_duplicate_rows_get_identical_values(fitted, holed):
    _, Xh, mask = holed
    r = int(np.flatnonzero(mask.any(axis=1))[0])
    stacked = np.vstack([Xh[r], Xh[:50], Xh[r]])
    out = fitted.transform(stacked)
    assert np.array_equal(out[0], out[-1])


@pytest.mark.parametrize("params", [{"n_restarts": 3}, {"reverse_loss": "all"}, {"estimate": "pass"}])
def test_batch_invariance_holds_for_variants(holed, params):
    _, Xh, mask = holed
    imp = ReverseImputer(**{**FAST, **params}).fit(Xh[:150])
    full = imp.transform(Xh)
    perm = np.random.default_rng(5).permutation(len(Xh))[:40]
    assert np.array_equal(imp.transform(Xh[perm]), full[perm])


@pytest.mark.slow
@pytest.mark.parametrize("n_features", [3, 5, 6, 7, 9, 10, 11, 12])
def test_narrow_tables_rows_alone_equal_whole(n_features):
    # MKL's narrow-output kernels once gave even and odd tile rows different bits
    rng = np.random.default_rng(n_features)
    X = rng.normal(size=(90, n_features))
    X[rng.random(X.shape) < 0.25] = np.nan
    imp = ReverseImputer(hidden_sizes=(32,), max_epochs=3, reverse_steps=8).fit(X)
    whole = imp.transform(X)
    alone = np.vstack([imp.transform(X[i : i + 1]) for i in range(len(X))])
    assert np.array_equal(whole, alone)


def test_thread_count_does_not_change_results(holed):
    import torch

    _, Xh, _ = holed
    imp = ReverseImputer(**{**FAST, "hidden_sizes": (600, 64)}).fit(Xh[:100])
    big = np.vstack([Xh] * 4)  # wide enough layers and rows to run elementwise kernels threaded
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = imp.transform(big)
        torch.set_num_threads(4)
        four = imp.transform(big)
        chunked = imp.set_params(chunk_size=333).transform(big)
    finally:
        torch.set_num_threads(before)
    assert np.array_equal(one, four)
    assert np.array_equal(one, chunked)


def test_multi_tensor_adam_trains_bitwise_the_same_weights(monkeypatch):
    # training uses Adam(foreach=True) for speed; the published numbers were made with
    # PyTorch's per-tensor loop, so the two must give the same bits
    import torch

    import revimpute.nn.training as training
    from revimpute.nn import TrainingConfig, train_autoencoder

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 12)).astype(np.float32)
    observed = rng.random(X.shape) > 0.2
    config = TrainingConfig(hidden_sizes=(32, 16), latent_size=4, max_epochs=3, batch_size=32)
    fast, _ = train_autoencoder(X, observed, config, seed=5)
    adam = torch.optim.Adam
    monkeypatch.setattr(training.torch.optim, "Adam", lambda params, **kw: adam(params, **{**kw, "foreach": False}))
    loop, _ = train_autoencoder(X, observed, config, seed=5)
    for name, value in fast.state_dict().items():
        assert torch.equal(value, loop.state_dict()[name]), name


@pytest.fixture
def two_threads():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_mnist_network_weights_do_not_depend_on_thread_count(two_threads):
    # the MNIST pair trains side by side on one thread each (n_jobs=-1) and is
    # bitwise the pair trained one after the other on two threads: true of these
    # layer shapes (full batches of 128 and, as on MNIST's 57,000 rows, a last one of
    # 40: 312 rows = 16 held out + 2 x 128 + 40), not of every shape
    import torch

    from revimpute.bench.mnist_experiment import MNIST_MODEL_PARAMS
    from revimpute.nn import TrainingConfig, train_autoencoder

    rng = np.random.default_rng(1)
    X = rng.random(size=(312, 784)).astype(np.float32)
    observed = np.ones(X.shape, dtype=bool)
    keys = ("hidden_sizes", "latent_size", "batch_size", "learning_rate", "corruption", "corruption_rate",
            "validation_fraction")
    config = TrainingConfig(**{k: MNIST_MODEL_PARAMS[k] for k in keys}, max_epochs=2)
    two, _ = train_autoencoder(X, observed, config, seed=3)
    torch.set_num_threads(1)
    one, _ = train_autoencoder(X, observed, config, seed=3)
    for name, value in two.state_dict().items():
        assert torch.equal(value, one.state_dict()[name]), name


@pytest.mark.slow
@pytest.mark.parametrize("n_jobs", [2, -1])
def test_networks_side_by_side_are_bitwise_one_after_the_other(holed, two_threads, n_jobs):
    # side by side, each network trains on its share of the threads (here one):
    # the same bits as training them one after the other on that many threads;
    # the search gives the same bits whatever the thread count
    import torch

    _, Xh, _ = holed
    params = {**FAST, "hidden_sizes": (600, 64), "n_models": 3}
    together = ReverseImputer(**params, n_jobs=n_jobs).fit(Xh[:150])
    assert torch.get_num_threads() == 2  # restored after the jobs
    torch.set_num_threads(1)
    alone = ReverseImputer(**params).fit(Xh[:150])
    torch.set_num_threads(2)
    for a, b in zip(alone.models_, together.models_, strict=True):
        for name, value in a.state_dict().items():
            assert torch.equal(value, b.state_dict()[name]), name
    assert alone.radii_ == together.radii_
    assert [h.validation_loss for h in alone.histories_] == [h.validation_loss for h in together.histories_]
    big = np.vstack([Xh] * 2)
    assert np.array_equal(alone.transform(big), together.transform(big))
    assert alone.reverse_report_ == together.reverse_report_
    assert torch.get_num_threads() == 2


def test_map_networks_keeps_order_and_restores_threads_on_error(two_threads):
    import torch

    from revimpute.nn.parallel import effective_workers, map_networks

    assert map_networks(lambda i, _stop: (i, torch.get_num_threads()), [0, 1, 2], n_jobs=-1) == [
        (0, 1), (1, 1), (2, 1)]
    assert map_networks(lambda i, _stop: torch.get_num_threads(), [0, 1], n_jobs=None) == [2, 2]

    def boom(i: int, _stop) -> int:
        raise RuntimeError(f"job {i}")

    with pytest.raises(RuntimeError, match="job"):
        map_networks(boom, [0, 1], n_jobs=2)
    assert torch.get_num_threads() == 2
    assert [effective_workers(j, 5, n_threads=8) for j in (None, 1, 3, -1, -3, 20)] == [1, 1, 3, 5, 5, 5]
    assert effective_workers(-1, 2, n_threads=8) == 2
    assert effective_workers(-8, 4, n_threads=8) == 1
    with pytest.raises(ValueError, match="n_jobs"):
        effective_workers(0, 2)


def test_a_failing_network_stops_the_others_and_its_error_is_raised(holed, two_threads, monkeypatch):
    # side by side (an explicit batch size trains each network on its own), one network
    # failing must not leave the caller waiting for the others' training (here: 100,000
    # epochs) or the search
    import time

    import revimpute.impute._ensemble_training as reverse_module

    _, Xh, _ = holed
    real_train = reverse_module.train_autoencoder
    calls = []

    def train_or_fail(*args, seed, **kwargs):
        calls.append(seed)
        if len(calls) == 2:
            time.sleep(0.2)  # the first network is training by now
            raise MemoryError("no room for the second network")
        return real_train(*args, seed=seed, **kwargs)

    monkeypatch.setattr(reverse_module, "train_autoencoder", train_or_fail)
    start = time.perf_counter()
    with pytest.raises(MemoryError, match="second network"):
        ReverseImputer(
            **{**FAST, "max_epochs": 100_000, "patience": 100_000, "n_models": 2}, batch_size=64, n_jobs=2
        ).fit(Xh)
    assert time.perf_counter() - start < 30


def test_n_jobs_zero_is_rejected(holed):
    _, Xh, _ = holed
    with pytest.raises(ValueError, match="n_jobs"):
        ReverseImputer(**FAST, n_jobs=0).fit(Xh[:50])
