"""ReverseImputer: observed cells, shapes, dtypes, errors, persistence, sklearn API."""

from __future__ import annotations

import json
import re
from pathlib import Path

import warnings

import numpy as np
import torch
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.linear_model import Ridge

from revimpute import ReverseImputer
from revimpute.encode.kinds import ColumnKind
from revimpute.exceptions import InputDataError, ModelFileError

from conftest import FAST, low_rank_data, with_holes


def test_observed_cells_bitwise_unchanged_and_no_gap_left(holed, fitted):
    _, Xh, mask = holed
    out = fitted.transform(Xh)
    assert out.shape == Xh.shape
    assert not np.isnan(out).any()
    assert np.array_equal(out[~mask].view(np.uint64), Xh[~mask].view(np.uint64))
    assert not np.allclose(out[mask], 0.0)


def test_dataframe_round_trip_keeps_index_columns_dtypes(frame):
    imp = ReverseImputer(**FAST).fit(frame)
    out = imp.transform(frame)
    assert isinstance(out, pd.DataFrame)
    assert out.index.equals(frame.index) and out.index.name == "id"
    assert list(out.columns) == list(frame.columns)
    assert out.dtypes.equals(frame.dtypes)
    observed = frame.notna()
    for col in frame.columns:
        a = out.loc[observed[col], col].to_numpy()
        b = frame.loc[observed[col], col].to_numpy()
        assert np.array_equal(a, b) and a.dtype == b.dtype
    assert not out.isna().any().any()


def test_integer_column_with_placeholder_stays_integer():
    # the placeholder lies outside the observed range, so an imputed cell can never equal it
    X = np.round(low_rank_data(n=120, d=4) * 10).astype(np.int64)
    X[::7, 2] = -99
    df = pd.DataFrame(X, columns=list("abcd"))
    out = ReverseImputer(missing_values=-99, **FAST).fit_transform(df)
    assert out["c"].dtype == np.int64
    assert (out["c"] != -99).all()
    keep = df["c"] != -99
    assert out.loc[keep, "c"].equals(df.loc[keep, "c"])


def test_add_indicator_and_feature_names(frame):
    imp = ReverseImputer(add_indicator=True, **FAST).fit(frame)
    out = imp.transform(frame)
    names = list(imp.get_feature_names_out())
    assert names[: frame.shape[1]] == list(frame.columns)
    assert names[frame.shape[1]:] == [f"missingindicator_{c}" for c in frame.columns if frame[c].isna().any()]
    assert list(out.columns) == names
    assert out["missingindicator_c0"].equals(frame["c0"].isna())


def test_set_output_pandas_for_numpy_input(holed):
    _, Xh, _ = holed
    imp = ReverseImputer(**FAST).set_output(transform="pandas").fit(Xh)
    out = imp.transform(Xh)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == [f"x{j}" for j in range(Xh.shape[1])]


def test_keep_empty_features():
    X = low_rank_data(n=100, d=4)
    X[:, 2] = np.nan
    with pytest.raises(InputDataError, match="column.*2.*no observed value"):
        ReverseImputer(**FAST).fit(X)
    out = ReverseImputer(keep_empty_features=True, **FAST).fit_transform(X)
    assert out.shape == X.shape and np.all(out[:, 2] == 0.0)


def _with_text_cell(X, text):
    frame = pd.DataFrame(X).astype(object)
    frame.iloc[3, 2] = text
    return frame


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda X: np.where(np.arange(X.size).reshape(X.shape) == 5, np.inf, X), "infinite"),
        (lambda X: _with_text_cell(X, "abc"), "text 'abc'"),
        (lambda X: X[:0], "no rows|0 sample"),
    ],
    ids=["inf", "text", "zero-rows"],
)
def test_bad_input_is_a_clear_error(make, match):
    X = low_rank_data(n=60, d=4)
    with pytest.raises(InputDataError, match=match):
        ReverseImputer(**FAST).fit(make(X))


def test_text_error_names_the_column():
    df = pd.DataFrame({"age": [1.0, 2.0, np.nan, 4.0] * 5, "bp": ["80", "N/A", "90", "85"] * 5})
    with pytest.raises(InputDataError, match=r"column 'bp' holds text 'N/A'.*revimpute scan"):
        ReverseImputer(**FAST).fit(df)


def test_text_in_a_numeric_array_is_refused_with_the_column_and_row(fitted, holed):
    _, Xh, _ = holed
    bad = Xh.astype(object)
    bad[3, 2] = "abc"
    message = r"column 2 holds text 'abc' \(row 3, 1 such cells\) where numbers are expected"
    with pytest.raises(InputDataError, match=message):
        ReverseImputer(**FAST).fit(bad)
    for method in (fitted.transform, fitted.impute_pass):
        with pytest.raises(InputDataError, match=message):
            method(bad)


def test_an_array_is_encoded_by_the_table_encoder_every_column_a_number(fitted, holed):
    _, Xh, _ = holed
    assert fitted.fitted_on_array_
    assert [(c.kind, c.width) for c in fitted.encoder_.codes_] == [(ColumnKind.NUMERIC, 1)] * Xh.shape[1]
    assert fitted.scaler_ is fitted.encoder_.scaler_
    assert fitted.encoder_.layout_.is_numeric and fitted.encoder_.layout_.n_units == Xh.shape[1]


def test_transform_with_other_number_of_columns(fitted, holed):
    _, Xh, _ = holed
    with pytest.raises(InputDataError, match="features"):
        fitted.transform(Xh[:, :-1])


def test_save_load_round_trip(tmp_path, fitted, holed):
    _, Xh, _ = holed
    folder = fitted.save(tmp_path / "model")
    assert sorted(p.name for p in folder.iterdir()) == ["model.json", "weights.safetensors"]
    loaded = ReverseImputer.load(folder)
    assert np.array_equal(loaded.transform(Xh), fitted.transform(Xh))
    assert loaded.get_params() == fitted.get_params()
    assert loaded.fitted_on_array_ and loaded.encoder_.to_json() == fitted.encoder_.to_json()
    assert json.loads((folder / "model.json").read_text())["encoder"] is None  # rebuilt from the arrays


def test_an_array_model_file_from_before_the_table_encoder_loads_and_saves_unchanged(tmp_path):
    """``data/array_model``: written by the former array path (format version 1) with an empty
    column, a placeholder, the indicator, two networks and calibration."""
    old = Path(__file__).with_name("data") / "array_model"
    model = ReverseImputer.load(old)
    assert model.fitted_on_array_ and [c.kind for c in model.encoder_.codes_] == [ColumnKind.NUMERIC] * 4
    assert [c.empty for c in model.encoder_.codes_] == [False, False, False, True]
    again = model.save(tmp_path / "again")
    assert (again / "weights.safetensors").read_bytes() == (old / "weights.safetensors").read_bytes()
    assert json.loads((again / "model.json").read_text()) == json.loads((old / "model.json").read_text())
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2)) @ rng.normal(size=(2, 4))
    X[rng.random(X.shape) < 0.2] = np.nan
    X[:, 3] = np.nan
    out = model.transform(X)
    observed = ~np.isnan(X)
    assert out.shape == (40, 8) and np.array_equal(out[:, :4][observed], X[observed])
    assert np.isfinite(out).all() and (out[:, 3] == 0).all()
    assert len(model.sample(X, n_imputations=2)) == 2


def test_save_over_existing_model_replaces_it(tmp_path, fitted):
    fitted.save(tmp_path / "m")
    fitted.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["model.json", "weights.safetensors"]
    assert [p.name for p in tmp_path.iterdir()] == ["m"]


def _corrupt_truncate(folder):
    w = folder / "weights.safetensors"
    w.write_bytes(w.read_bytes()[:100])


def _corrupt_flip_byte(folder):
    w = folder / "weights.safetensors"
    data = bytearray(w.read_bytes())
    data[-10] ^= 0xFF
    w.write_bytes(bytes(data))


def _corrupt_json(folder):
    (folder / "model.json").write_text("{not json")


def _wrong_shape(folder):
    meta = json.loads((folder / "model.json").read_text())
    meta["architecture"]["latent_size"] += 1
    (folder / "model.json").write_text(json.dumps(meta))


def _missing_weights(folder):
    (folder / "weights.safetensors").unlink()


def _other_format(folder):
    meta = json.loads((folder / "model.json").read_text())
    meta["format_version"] = 99
    (folder / "model.json").write_text(json.dumps(meta))


@pytest.mark.parametrize(
    "corrupt, match",
    [
        (_corrupt_truncate, "checksum"),
        (_corrupt_flip_byte, "checksum"),
        (_corrupt_json, "corrupt model description"),
        (_wrong_shape, "does not match"),
        (_missing_weights, "weights.safetensors is missing"),
        (_other_format, "format version 99"),
    ],
)
def test_corrupt_model_file_is_a_clear_error(tmp_path, fitted, corrupt, match):
    folder = fitted.save(tmp_path / "model")
    corrupt(folder)
    with pytest.raises(ModelFileError, match=match):
        ReverseImputer.load(folder)


def test_load_nonexistent(tmp_path):
    with pytest.raises(ModelFileError, match="no such model folder"):
        ReverseImputer.load(tmp_path / "nothing")


def test_pipeline_and_grid_search():
    X = low_rank_data(n=200, d=6)
    y = X[:, 0] * 2 + X[:, 1]
    Xh, _ = with_holes(X, rate=0.1)
    pipe = make_pipeline(ReverseImputer(**FAST), Ridge())
    search = GridSearchCV(pipe, {"reverseimputer__reverse_steps": [0, 10]}, cv=2)
    search.fit(Xh, y)
    assert search.best_score_ > 0.8
    assert search.predict(Xh).shape == (200,)


def test_fit_is_reproducible(holed):
    _, Xh, _ = holed
    a = ReverseImputer(**FAST).fit(Xh).transform(Xh)
    b = ReverseImputer(**FAST).fit(Xh).transform(Xh)
    assert np.array_equal(a, b)
    c = ReverseImputer(**{**FAST, "random_state": 1}).fit(Xh).transform(Xh)
    assert not np.array_equal(a, c)


def test_reverse_report_counts_rows(fitted, holed):
    _, Xh, mask = holed
    fitted.transform(Xh)
    report = fitted.reverse_report_
    assert report.rows == int(mask.any(axis=1).sum())
    assert report.cells == int(mask.sum())
    assert 1 <= report.steps_per_row <= FAST["reverse_steps"]


def test_verbose_progress_goes_to_stderr(holed, capsys):
    _, Xh, mask = holed
    ReverseImputer(**{**FAST, "max_epochs": 3, "verbose": True}).fit(Xh).transform(Xh[:20])
    captured = capsys.readouterr()
    assert captured.out == ""
    rows = int(mask[:20].any(axis=1).sum())
    assert re.search(r"^training\b.*\b[1-3]/3 epochs", captured.err, re.MULTILINE), captured.err
    assert re.search(rf"^reverse training\b.*\b{rows}/{rows} rows", captured.err, re.MULTILINE), captured.err
    ReverseImputer(**{**FAST, "max_epochs": 3}).fit(Xh).transform(Xh[:20])
    assert capsys.readouterr() == ("", "")  # silent unless asked


def test_ensemble_averages_its_networks_and_survives_save_load(holed, tmp_path):
    import copy

    X, Xh, mask = holed
    imputer = ReverseImputer(**{**FAST, "n_models": 3}).fit(Xh)
    assert len(imputer.models_) == len(imputer.radii_) == len(imputer.histories_) == 3
    first = [p.detach().clone() for p in imputer.models_[0].parameters()]
    assert not all(torch.equal(a, b) for a, b in zip(first, imputer.models_[1].parameters()))
    out = imputer.transform(Xh)
    singles = []
    for k in range(3):
        alone = copy.copy(imputer)
        alone.models_, alone.radii_ = [imputer.models_[k]], [imputer.radii_[k]]
        alone.seed_ = imputer._model_seeds()[k]
        singles.append(alone.transform(Xh))
    assert np.allclose(out, np.mean(singles, axis=0), rtol=0, atol=1e-5)
    assert np.array_equal(out[~mask], Xh[~mask])
    rows = [3, 50, 199]
    assert np.array_equal(imputer.transform(Xh[rows]), out[rows])  # still row-independent
    imputer.save(tmp_path / "ensemble")
    loaded = ReverseImputer.load(tmp_path / "ensemble")
    assert len(loaded.models_) == 3 and np.array_equal(loaded.transform(Xh), out)


def test_auto_model_count_follows_table_size():
    imputer = ReverseImputer()
    assert imputer.model_count(569, 30) == 5
    assert imputer.model_count(100_000, 30) == 1
    assert imputer.model_count(60_000, 784) == 1
    assert ReverseImputer(n_models=2).model_count(10, 2) == 2


@pytest.mark.parametrize(
    ("n_rows", "patience"), [(150, 200), (1_250, 200), (2_500, 100), (5_000, 50), (100_000, 5)]
)
def test_automatic_patience_follows_table_size(n_rows, patience):
    # with an explicit batch size, small tables hold out few rows, so their held-out loss is
    # noisy: they get a long patience
    assert ReverseImputer(batch_size=128).training_config(4, n_rows).patience == patience
    assert ReverseImputer(patience=7).training_config(4, n_rows).patience == 7
    # the automatic budget: a quarter of the epochs (at least 10); large tables keep the row rule
    config = ReverseImputer().training_config(4, n_rows)
    expected = patience if n_rows > 12_800 else max(10, -(-config.max_epochs // 4))
    assert config.patience == expected


# --------------------------------------------------------------------------- clip
def _beyond_the_observed_range():
    """Five copies of one factor; the last column is hidden where the factor is largest, so a
    model that follows the other columns puts those cells above the column's observed maximum."""
    rng = np.random.default_rng(0)
    t = rng.normal(size=300)
    X = np.column_stack([t + 0.05 * rng.normal(size=300) for _ in range(4)] + [t])
    top = t > np.quantile(t, 0.85)
    Xh = X.copy()
    Xh[top, 4] = np.nan
    return Xh, top


@pytest.mark.parametrize("estimate", ["mean", "mode", "pass"])
def test_clip_keeps_imputed_values_inside_the_observed_range(estimate):
    Xh, top = _beyond_the_observed_range()
    low, high = np.nanmin(Xh[:, 4]), np.nanmax(Xh[:, 4])
    clipped = ReverseImputer(**FAST, estimate=estimate, random_state=0).fit(Xh)
    free = ReverseImputer(**FAST, estimate=estimate, clip=False, random_state=0).fit(Xh)
    for out in (clipped.transform(Xh), clipped.impute_pass(Xh)):
        assert ((out[top, 4] >= low) & (out[top, 4] <= high)).all()
        assert (out[top, 4] == high).any()  # the cells that would go beyond stop exactly at the limit
    for out in (free.transform(Xh), free.impute_pass(Xh)):
        assert (out[top, 4] > high).mean() > 0.5  # without clip the model's own values come back
        assert np.array_equal(out[~top], Xh[~top])


# --------------------------------------------------------------------------- device
def test_device_auto_without_cuda_runs_on_the_cpu_silently(holed, capsys, monkeypatch):
    _, Xh, _ = holed
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    cpu = ReverseImputer(**FAST, device="cpu").fit(Xh)
    auto = ReverseImputer(**FAST, device="auto").fit(Xh)
    assert np.array_equal(cpu.transform(Xh), auto.transform(Xh))
    assert next(auto.models_[0].parameters()).device.type == "cpu"
    assert capsys.readouterr().err == ""


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("device", ["auto", "cuda"])
def test_device_auto_and_cuda_use_the_gpu_when_there_is_one(holed, device):
    X, Xh, mask = holed
    imputer = ReverseImputer(**FAST, device=device).fit(Xh)
    out = imputer.transform(Xh)
    assert np.array_equal(out[~mask], Xh[~mask]) and np.isfinite(out).all()
    cpu_error = np.sqrt(np.mean((ReverseImputer(**FAST).fit(Xh).transform(Xh)[mask] - X[mask]) ** 2))
    gpu_error = np.sqrt(np.mean((out[mask] - X[mask]) ** 2))
    assert gpu_error < 1.5 * cpu_error  # the same method, other kernels: close, not bitwise


def test_device_cuda_without_cuda_says_so_and_runs_on_the_cpu(holed, capsys, monkeypatch):
    _, Xh, _ = holed
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    from revimpute.impute import _ensemble_training

    monkeypatch.setattr(_ensemble_training, "_CUDA_FALLBACK_SAID", [])
    expected = ReverseImputer(**FAST).fit(Xh).transform(Xh)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")  # each warning once per place, as Python shows them
        out = ReverseImputer(**FAST, device="cuda").fit(Xh).transform(Xh)
    assert np.array_equal(out, expected)
    said = [str(w.message) for w in caught if "CUDA is not available" in str(w.message)]
    assert said == ["CUDA is not available; running on the CPU"]  # once (fit and transform), as a warning
    assert capsys.readouterr().err == ""


def test_unknown_device_is_refused():
    with pytest.raises(ValueError, match="device"):
        ReverseImputer(**FAST, device="tpu").fit(low_rank_data(n=20, d=3))
