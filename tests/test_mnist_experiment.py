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
    MnistRun,
    corruption_mask,
    demo_methods,
    mnist_model,
    model_folder,
    run_corruption,
    save_figure,
)
from revimpute.cli import app
from revimpute.impute import get_imputer
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


@pytest.mark.slow
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


def fill_scores(fill: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> tuple[float, float, float]:
    """(accuracy of all pixels, accuracy of the missing pixels, RMSE on them) of a fill, pixels rounded at 0.5."""
    hit = (fill >= 0.5) == (truth >= 0.5)
    return float(hit.mean()), float(hit[mask].mean()), float(np.sqrt(np.mean((fill[mask] - truth[mask]) ** 2)))


def assert_scores_of(score, fill, truth, mask) -> None:
    accuracy, missing_accuracy, rmse = fill_scores(fill, truth, mask)
    assert score.accuracy == pytest.approx(accuracy, abs=1e-12), score.method
    assert score.missing_accuracy == pytest.approx(missing_accuracy, abs=1e-12), score.method
    assert score.missing_rmse == pytest.approx(rmse, rel=1e-6), score.method


@pytest.mark.slow
def test_run_scores_every_method_and_writes_figure(mnist, tmp_path):
    imputer, _ = mnist_model(TINY, cache_dir=tmp_path, train=mnist.train[:2000], verbose=False)
    test, train = mnist.test[:60], mnist.train[:2000]
    run = run_corruption(imputer, test, train, "middle", figure_rows=len(test))
    names = [s.method for s in run.scores]
    assert names == ["mean", "knn", "pass", "reverse_input", "reverse_cleaned", "reverse_mean"]
    scores = {s.method: s for s in run.scores}
    mask = corruption_mask("middle", 60)
    # every score is that of the fill the method returned: the images hold every test row here
    fills = {
        "mean": np.where(mask, train.mean(axis=0), test),  # the column means of the training images
        "pass": run.images["pass"],
        "reverse_input": run.images["reverse_input"],
        "reverse_cleaned": run.images["reverse_cleaned"],
    }
    for name, fill in fills.items():
        assert_scores_of(scores[name], fill, test, mask)
    # the mean estimate is halfway between the one-pass fill and the cleaned search
    halfway = fill_scores(0.5 * (fills["pass"] + fills["reverse_cleaned"]), test, mask)
    assert scores["reverse_mean"].missing_rmse == pytest.approx(halfway[2], rel=1e-5)
    assert scores["reverse_mean"].missing_accuracy == pytest.approx(halfway[1], abs=3 / mask.sum())
    # the whole output rounds the network's own values on the observed pixels too
    assert scores["pass"].whole_output_accuracy < scores["pass"].accuracy
    assert len({round(s.missing_rmse, 6) for s in run.scores}) == len(run.scores)  # six different fills
    path = tmp_path / "fig.png"
    save_figure(MnistRun(run.corruption, run.n_images, run.scores, {k: v[:4] for k, v in run.images.items()}), path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(run.images) == {"original", "corrupted", "pass", "reverse_input", "reverse_cleaned"}
    assert all(v.shape == (60, 784) for v in run.images.values())


def test_every_fill_keeps_the_observed_pixels(mnist, tmp_path):
    imputer, _ = mnist_model(TINY, cache_dir=tmp_path, train=mnist.train[:2000], verbose=False)
    test = mnist.test[:60]
    run = run_corruption(imputer, test, mnist.train[:2000], "middle", methods=("pass", "reverse_cleaned"),
                         figure_rows=len(test))
    observed = ~corruption_mask("middle", len(test))
    for name in ("pass", "reverse_input", "reverse_cleaned"):
        np.testing.assert_allclose(run.images[name][observed], test[observed], atol=1e-6, err_msg=name)


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
    passed = imputer._one_pass(x, mask, None)  # the imputer's own ensemble average, imputed cells clipped
    ensemble = np.where(mask, np.clip(passed, low, high), passed)
    first = one_pass(imputer.models_[0], x, mask)
    first_only = np.where(mask, np.clip(first, low, high), first)
    assert np.array_equal(run.images["pass"], ensemble)
    assert not np.array_equal(run.images["pass"], first_only)


@pytest.mark.slow
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
    assert fitted["miwae"].get_params()["n_epochs"] == 1
    second = run_corruption(imputer, test, train, "bottom", methods=("gain", "miwae"), fitted_peers=peers)
    assert all(peers[name][0] is fitted[name] for name in fitted)  # not fitted again
    mask = corruption_mask("bottom", len(test))
    holed = np.where(mask, np.nan, test)
    for s in second.scores:  # scored on the kept peer's fill of this corruption
        assert_scores_of(s, peers[s.method][0].transform(holed), test, mask)
        assert s.seconds >= peers[s.method][1]  # the fit is counted
    trans = run_corruption(imputer, test, train, "bottom", methods=("gain_trans",), fitted_peers=peers)
    assert trans.scores[0].method == "gain_trans" and set(peers) == {"gain", "miwae"}
    # a new GAIN fitted on the training images stacked with the corrupted digits, scored on the digits
    stacked = get_imputer("gain", n_iterations=20).fit_transform(np.vstack([train, holed]))[len(train):]
    assert_scores_of(trans.scores[0], stacked, test, mask)
    with pytest.raises(RevimputeError, match="unknown MNIST method"):
        run_corruption(imputer, test, train, "top", methods=("pass", "gan"))
