"""The MNIST experiment machinery on a small subset (the full run is a benchmark)."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from revimpute.bench.mnist import DatasetDownloadError, load_mnist
from revimpute.bench.mnist_experiment import (
    CORRUPTIONS,
    MNIST_MODEL_PARAMS,
    MNIST_REVERSE_PARAMS,
    corruption_mask,
    demo_methods,
    mnist_model,
    model_folder,
    run_corruption,
    save_figure,
)
from revimpute.cli import app
from revimpute.reverse import one_pass
from revimpute.exceptions import RevimputeError

TINY = {**MNIST_MODEL_PARAMS, "hidden_sizes": (64,), "latent_size": 8, "max_epochs": 2}


@pytest.fixture(scope="module")
def mnist():
    try:
        return load_mnist()
    except DatasetDownloadError as exc:  # offline and not cached
        pytest.skip(f"MNIST unavailable: {exc}")


def test_corruption_masks():
    band = corruption_mask("bottom", 3).reshape(3, 28, 28)
    assert band[:, 14:24].all() and not band[:, :14].any() and not band[:, 24:].any()
    for name in CORRUPTIONS:
        mask = corruption_mask(name, 5)
        assert mask.shape == (5, 784) and 0.15 < mask.mean() < 0.5
    with pytest.raises(RevimputeError, match="unknown corruption"):
        corruption_mask("diagonal", 2)


def test_model_is_trained_once_then_loaded(mnist, tmp_path):
    imputer, seconds = mnist_model(TINY, cache_dir=tmp_path, train=mnist.train[:2000], verbose=False)
    assert seconds is not None and model_folder(TINY, tmp_path).exists()
    again, seconds2 = mnist_model(TINY, cache_dir=tmp_path, verbose=False)
    assert seconds2 is None
    x = np.where(corruption_mask("top", 20), np.nan, mnist.test[:20])
    assert np.array_equal(imputer.transform(x), again.transform(x))
    for model in (imputer, again):  # the search settings apply to trained and loaded networks
        assert {k: model.get_params()[k] for k in MNIST_REVERSE_PARAMS} == MNIST_REVERSE_PARAMS


def test_reverse_settings_do_not_retrain(mnist, tmp_path):
    mnist_model(TINY, cache_dir=tmp_path, train=mnist.train[:2000], verbose=False)
    other, seconds = mnist_model(TINY, cache_dir=tmp_path, verbose=False, reverse_params={"reverse_steps": 7})
    assert seconds is None and other.reverse_steps == 7


def test_run_scores_every_method_and_writes_figure(mnist, tmp_path):
    imputer, _ = mnist_model(TINY, cache_dir=tmp_path, train=mnist.train[:2000], verbose=False)
    test = mnist.test[:60]
    run = run_corruption(imputer, test, mnist.train[:2000], "middle", figure_rows=4)
    names = [s.method for s in run.scores]
    assert names == ["mean", "knn", "pass", "reverse_input", "reverse_cleaned", "reverse_mean"]
    mask = corruption_mask("middle", 60)
    for s in run.scores:
        # observed pixels are kept, so whole-image accuracy = 64% + 36% * missing accuracy
        assert s.accuracy == pytest.approx(1 - mask.mean() * (1 - s.missing_accuracy), abs=1e-9)
        assert 0 <= s.missing_rmse < 1
    assert run.scores[2].whole_output_accuracy is not None
    path = tmp_path / "fig.png"
    save_figure(run, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(run.images) == {"original", "corrupted", "pass", "reverse_input", "reverse_cleaned"}
    assert all(v.shape == (4, 784) for v in run.images.values())


def test_demo_mnist_rejects_bad_band():
    result = CliRunner().invoke(app, ["demo", "mnist", "--band", "left"])
    assert result.exit_code == 2 and "--band must be" in result.output


def test_demo_leaves_knn_out_on_large_test_sets_unless_asked():
    assert "knn" in demo_methods(500)
    assert "knn" not in demo_methods(10_000)
    assert "knn" in demo_methods(10_000, knn=True)
    assert "knn" not in demo_methods(20, knn=False)
    assert {"pass", "reverse_mean"} <= set(demo_methods(10_000))


def test_run_uses_every_network_of_an_ensemble(mnist, tmp_path):
    imputer, _ = mnist_model({**TINY, "n_models": 2}, cache_dir=tmp_path, train=mnist.train[:2000], verbose=False)
    assert len(imputer.models_) == 2
    test = mnist.test[:30]
    run = run_corruption(imputer, test, mnist.train[:2000], "middle", methods=("pass", "reverse_mean"), figure_rows=30)
    mask = corruption_mask("middle", len(test))
    x = np.where(mask, 0.0, test).astype(np.float32)
    low, high = imputer.scaled_bounds()
    ensemble = np.clip(imputer._one_pass(x, mask, None), low, high)  # the imputer's own ensemble average
    first_only = np.clip(one_pass(imputer.models_[0], x, mask), low, high)
    assert np.array_equal(run.images["pass"], ensemble)
    assert not np.array_equal(run.images["pass"], first_only)


def test_generative_peers_are_fitted_once_and_reused(mnist, tmp_path, monkeypatch):
    import revimpute.bench.mnist_experiment as experiment

    monkeypatch.setattr(experiment, "MNIST_PEER_PARAMS", {"gain": {"n_iterations": 20},
                                                          "miwae": {"n_epochs": 1, "n_imputation_samples": 5}})
    imputer, _ = mnist_model(TINY, cache_dir=tmp_path, train=mnist.train[:2000], verbose=False)
    test, train = mnist.test[:20], mnist.train[:500]
    peers: dict = {}
    first = run_corruption(imputer, test, train, "top", methods=("gain", "miwae", "pass"), fitted_peers=peers)
    assert [s.method for s in first.scores] == ["gain", "miwae", "pass"] and set(peers) == {"gain", "miwae"}
    fitted = {name: peer for name, (peer, _) in peers.items()}
    assert fitted["miwae"].get_params()["estimator__n_epochs"] == 1
    second = run_corruption(imputer, test, train, "bottom", methods=("gain", "miwae"), fitted_peers=peers)
    assert all(peers[name][0] is fitted[name] for name in fitted)  # not fitted again
    mask = corruption_mask("bottom", len(test))
    for s in second.scores:
        assert s.accuracy == pytest.approx(1 - mask.mean() * (1 - s.missing_accuracy), abs=1e-9)
        assert s.seconds >= peers[s.method][1]  # the fit is counted
    trans = run_corruption(imputer, test, train, "bottom", methods=("gain_trans",), fitted_peers=peers)
    assert trans.scores[0].method == "gain_trans" and set(peers) == {"gain", "miwae"}
    assert trans.scores[0].accuracy == pytest.approx(1 - mask.mean() * (1 - trans.scores[0].missing_accuracy))
    with pytest.raises(RevimputeError, match="unknown MNIST method"):
        run_corruption(imputer, test, train, "top", methods=("pass", "gan"))
