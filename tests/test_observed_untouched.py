"""One test per defect of "observed means untouched": the value domain's edges,
model files, and what the command line does with real files.

Each of these failed before the fix it guards.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from revimpute import ReverseImputer, get_imputer
from revimpute.cli import app, main
from revimpute.exceptions import InputDataError, ModelFileError, RevimputeError

TINY = dict(hidden_sizes=(16,), latent_size=3, max_epochs=3, reverse_steps=3, n_models=1)
runner = CliRunner()
BASELINES = ["mean", "median", "most_frequent", "knn", "iterative", "mean_mode", "missforest_mixed", "cluster"]


def mixed_frame(n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "x": rng.normal(size=n),
        "i": pd.array(rng.integers(0, 10, n), dtype="Int64"),
        "b": pd.array(rng.random(n) < 0.5, dtype="boolean"),
        "t": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D"),
        "c": rng.choice(["red", "green", "blue"], n),
    })
    for j, column in enumerate(frame.columns):
        frame.loc[np.arange(n) % 7 == j, column] = None
    return frame


def assert_observed_kept(out: pd.DataFrame, given: pd.DataFrame) -> None:
    assert list(out.dtypes) == list(given.dtypes)
    assert out.index.equals(given.index) and out.columns.equals(given.columns)
    for column in given.columns:
        seen = given[column].notna().to_numpy()
        assert out[column][seen].tolist() == given[column][seen].tolist(), column
    assert not out.isna().any().any()


# --- huge magnitudes ------------------------------------------------------------------


@pytest.mark.parametrize("magnitude", [1e154, 1e200, 1e300])
def test_a_huge_column_does_not_spoil_the_other_columns(magnitude):
    frame = mixed_frame()
    frame["huge"] = np.random.default_rng(1).normal(size=len(frame)) * magnitude
    frame.loc[3::9, "huge"] = np.nan
    out = ReverseImputer(**TINY).fit_transform(frame)
    assert_observed_kept(out, frame)
    gaps = frame["huge"].isna()
    assert out["huge"][gaps].between(frame["huge"].min(), frame["huge"].max()).all()
    assert out["i"].between(0, 9).all()  # not int64's minimum


def test_a_huge_numpy_column_is_imputed():
    X = np.random.default_rng(0).normal(size=(40, 3)) * np.array([1.0, 1e250, 1e-300])
    X[::4, 1] = np.nan
    X[1::5, 0] = np.nan
    out = ReverseImputer(**TINY).fit_transform(X)
    assert np.isfinite(out).all()
    assert np.array_equal(out[~np.isnan(X)], X[~np.isnan(X)])


def test_values_beyond_float32_without_scaling_are_refused_by_name():
    frame = pd.DataFrame({"a": [1e200, 2e200, np.nan, 4e200], "b": [1.0, 2.0, 3.0, np.nan]})
    with pytest.raises(InputDataError, match="column 'a'.*float32.*scaling"):
        ReverseImputer(**TINY, scaling="none").fit(frame)


# --- a model that gives non-finite values ------------------------------------------------


def _nan_weights(model_dir: Path) -> None:
    from safetensors.torch import load_file, save_file

    from revimpute.impute._persistence import _sha256

    tensors = load_file(str(model_dir / "weights.safetensors"))
    tensors["model.decoder.0.weight"] = torch.full_like(tensors["model.decoder.0.weight"], float("nan"))
    save_file(tensors, str(model_dir / "weights.safetensors"))
    meta = json.loads((model_dir / "model.json").read_text())
    meta["weights_sha256"] = _sha256(model_dir / "weights.safetensors")  # a consistent checksum
    (model_dir / "model.json").write_text(json.dumps(meta))


def test_a_model_file_with_nan_weights_is_refused(tmp_path):
    frame = mixed_frame()
    ReverseImputer(**TINY).fit(frame).save(tmp_path / "m")
    _nan_weights(tmp_path / "m")
    with pytest.raises(ModelFileError, match="not finite"):
        ReverseImputer.load(tmp_path / "m")


def test_a_network_giving_nan_is_an_error_not_a_gap():
    frame = mixed_frame()
    imputer = ReverseImputer(**TINY).fit(frame)
    with torch.no_grad():
        for p in imputer.models_[0].parameters():
            p.fill_(float("nan"))
    with pytest.raises(ModelFileError, match="non-finite"):
        imputer.transform(frame)


# --- number-like text, duplicate headers -------------------------------------------------


def test_text_that_reads_as_numbers_stays_text():
    codes = pd.Series(["00501", "01577", "7e1", "+16", "1", None, "00501", "01577"] * 5, dtype=object)
    frame = pd.DataFrame({"zip": codes, "x": np.arange(40, dtype=float)})
    for name in ("reverse", "mean_mode", "missforest_mixed"):
        params = TINY if name == "reverse" else {}
        out = get_imputer(name, **params).fit_transform(frame)
        assert out["zip"].dtype == object, name
        seen = codes.notna().to_numpy()
        assert out["zip"][seen].tolist() == codes[seen].tolist(), name
        assert set(out["zip"][~seen]) <= set(codes.dropna()), name


def test_cli_writes_observed_cells_as_they_were_written(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(
        "zip,x,flag,n\n"
        + "".join(f"{z},{x},{f},{n}\n" for z, x, f, n in [
            ("01577", "7e1", "true", "1"), ("00501", "+16", "false", "2"), ("02134", "", "true", ""),
            ("01577", "3.50", "", "4"), ("00501", "1", "false", "5"), ("02134", "2.0", "true", "6"),
        ] * 4)
    )
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["impute", str(source), "-o", str(out), "-q", "--method", "mean_mode"])
    assert result.exit_code == 0, result.output
    given = pd.read_csv(source, dtype=str, keep_default_na=False)
    written = pd.read_csv(out, dtype=str, keep_default_na=False)
    kept = given != ""
    assert written.where(kept, "").equals(given.where(kept, ""))  # "7e1", "+16", "true", "01577", "1" as written
    assert (written != "").all().all()


# --- baselines and big integers ---------------------------------------------------------


@pytest.mark.parametrize("name", BASELINES)
def test_big_integers_keep_every_digit(name):
    top = np.iinfo(np.int64).max
    frame = pd.DataFrame({
        "big": pd.array([top, 2**53 + 1, None, 5, 2**60 + 3, None, 7, 9] * 3, dtype="Int64"),
        "f": [1.0, 2.0, 3.0, np.nan, 5.0, 6.0, 7.0, 8.0] * 3,
        "o": pd.Series([1, 2, None, 4, 5, 6, 7, 8] * 3, dtype=object),
    })
    if name == "most_frequent":
        frame = frame.drop(columns="o")
    out = get_imputer(name).fit_transform(frame)
    assert_observed_kept(out, frame)
    assert (out["big"] >= 0).all()  # no wrap-around to int64's minimum


def test_imputed_whole_numbers_at_int64_max_do_not_wrap():
    top = np.iinfo(np.int64).max
    frame = pd.DataFrame({"v": pd.array([top, top - 1, None, top - 5, top, None] * 5, dtype="Int64"),
                          "w": np.arange(30, dtype=float)})
    out = ReverseImputer(**TINY).fit_transform(frame)
    assert_observed_kept(out, frame)
    assert out["v"].between(top - 5, top).all()


# --- clipping in the column's own units ---------------------------------------------------


def test_imputed_values_stay_inside_the_observed_range_exactly():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"const": np.full(50, 0.1), "x": rng.normal(size=50) * 1e-3 + 123.456,
                          "f32": rng.normal(size=50).astype(np.float32)})
    frame.loc[::5, "const"] = np.nan
    frame.loc[1::5, "x"] = np.nan
    frame.loc[2::5, "f32"] = np.nan
    out = ReverseImputer(**TINY).fit_transform(frame)
    assert (out["const"] == 0.1).all()
    for column in ("x", "f32"):
        assert out[column].between(frame[column].min(), frame[column].max()).all()
    arrays = ReverseImputer(**TINY).fit_transform(frame.to_numpy(dtype=float))
    assert (arrays[:, 0] == 0.1).all()
    assert ((arrays[:, 1] >= frame["x"].min()) & (arrays[:, 1] <= frame["x"].max())).all()


# --- the command line: plain one-line errors ------------------------------------------------


def _one_line_error(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.strip().splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_markup_in_names_and_values_is_printed_as_written(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("[/x],[red]b\n1,hello\n2,world\n")
    result = runner.invoke(app, ["impute", str(source), "-o", str(tmp_path / "o.csv"), "--method", "mean",
                                 "--detect", "off"])
    _one_line_error(result, "'[red]b'", "hello")


def test_a_dollar_in_a_column_name_draws_the_report(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("price $US,$x$\n1,2\n,3\n4,\n")
    result = runner.invoke(app, ["scan", str(source), "--report", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    assert "$x$" in (tmp_path / "r.html").read_text()


def test_empty_columns_at_transform_are_imputed_from_the_model(tmp_path):
    frame = mixed_frame()
    frame.to_csv(tmp_path / "train.csv", index=False)
    assert runner.invoke(app, ["fit", str(tmp_path / "train.csv"), "--model", str(tmp_path / "m"), "-q",
                               "--max-epochs", "3"]).exit_code == 0
    empty = pd.DataFrame({column: [None] * 4 for column in frame.columns})
    empty.to_csv(tmp_path / "empty.csv", index=False)
    only_text_empty = frame.head(6).copy()
    only_text_empty["c"] = None
    only_text_empty.to_csv(tmp_path / "textless.csv", index=False)
    for name in ("empty.csv", "textless.csv"):
        out = tmp_path / f"out-{name}"
        result = runner.invoke(app, ["impute", str(tmp_path / name), "-o", str(out), "--model", str(tmp_path / "m"),
                                     "-q"])
        assert result.exit_code == 0, result.output
        written = pd.read_csv(out, keep_default_na=False, dtype=str)
        assert (written != "").all().all()
        assert set(written["c"]) <= {"red", "green", "blue"}


def _edit_meta(folder: Path, change) -> None:
    meta = json.loads((folder / "model.json").read_text())
    change(meta)
    (folder / "model.json").write_text(json.dumps(meta))


@pytest.mark.parametrize("change, needle", [
    (lambda m: m.pop("seed"), "'seed'"),
    (lambda m: m["params"].update(estimate="bogus"), "estimate"),
    (lambda m: m.update(scaling="evil"), "'scaling'"),
    (lambda m: m["architecture"].update(hidden_sizes=[10**9]), "hidden_sizes"),
    (lambda m: m.update(radii=[1.0] * 10_000), "'radii'"),
    (lambda m: m["params"].update(reverse_steps=10**12), "reverse_steps"),
    (lambda m: m.update(histories="x"), "'histories'"),
    (lambda m: m["histories"][0].pop("best_epoch"), "corrupt training history in model.json"),
])
def test_a_tampered_model_description_is_a_model_file_error(tmp_path, change, needle):
    frame = mixed_frame()
    ReverseImputer(**TINY).fit(frame).save(tmp_path / "m")
    _edit_meta(tmp_path / "m", change)
    with pytest.raises(ModelFileError, match=needle):
        ReverseImputer.load(tmp_path / "m")
    frame.to_csv(tmp_path / "in.csv", index=False)
    result = runner.invoke(app, ["impute", str(tmp_path / "in.csv"), "-o", str(tmp_path / "o.csv"),
                                 "--model", str(tmp_path / "m")])
    _one_line_error(result, needle)
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize("args, needle", [
    (["fit", "{csv}", "--model", "{tmp}/m", "--max-epochs", "0"], "--max-epochs"),
    (["impute", "{csv}", "-o", "{tmp}/o.csv", "--jobs", "-7"], "--jobs"),
    (["impute", "{csv}", "-o", "{tmp}/o.csv", "--jobs", "0"], "--jobs"),
    (["impute", "{csv}", "-o", "{csv}"], "replace the input"),
])
def test_bad_options_are_one_line(tmp_path, args, needle):
    csv = tmp_path / "in.csv"
    mixed_frame().to_csv(csv, index=False)
    before = csv.read_bytes()
    result = runner.invoke(app, [a.format(csv=csv, tmp=tmp_path) for a in args])
    _one_line_error(result, needle)
    assert csv.read_bytes() == before
    assert not (tmp_path / "m").exists() and not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize("sizes", [(0,), ("a",), (-3,), (True,)])
def test_hidden_sizes_values_are_checked(sizes):
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="hidden_sizes"):
        ReverseImputer(hidden_sizes=sizes).fit(np.random.default_rng(0).normal(size=(10, 3)))


def test_sparse_columns_are_a_clear_error():
    frame = pd.DataFrame({"a": pd.arrays.SparseArray([1.0, np.nan, 0.0, 2.0]), "b": [1.0, 2.0, 3.0, np.nan]})
    for name in ("mean", "reverse", "mean_mode"):
        with pytest.raises(InputDataError, match="column 'a' is sparse"):
            get_imputer(name).fit(frame)


def test_fit_refuses_to_replace_a_file_that_is_not_a_model(tmp_path):
    csv = tmp_path / "in.csv"
    mixed_frame().to_csv(csv, index=False)
    precious = tmp_path / "notes.txt"
    precious.write_text("keep me")
    result = runner.invoke(app, ["fit", str(csv), "--model", str(precious), "-q", "--max-epochs", "2"])
    _one_line_error(result, "not a model folder")
    assert precious.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "notes.txt"]


def test_usage_errors_and_column_mismatches_are_one_line(tmp_path, capsys):
    csv = tmp_path / "in.csv"
    frame = mixed_frame()
    frame.to_csv(csv, index=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["impute", str(csv), "-o", str(tmp_path / "o.csv"), "--chunk-rows", "abc"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "--chunk-rows" in err[0]
    ReverseImputer(**TINY).fit(frame).save(tmp_path / "m")
    frame.drop(columns="c").to_csv(tmp_path / "fewer.csv", index=False)
    result = runner.invoke(app, ["impute", str(tmp_path / "fewer.csv"), "-o", str(tmp_path / "o.csv"),
                                 "--model", str(tmp_path / "m"), "-q"])
    _one_line_error(result)


@pytest.mark.slow
def test_sigterm_leaves_no_partial_output(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(3000, 8)), columns=list("abcdefgh"))
    frame[frame > 1.5] = np.nan
    frame.to_csv(tmp_path / "in.csv", index=False)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "revimpute", "impute", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"),
         "--chunk-rows", "100", "-q", "--jobs", "1"],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
    )
    time.sleep(6)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err.decode()
    assert "terminated" in err.decode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_formula_like_cells_are_noted_or_escaped(tmp_path):
    csv = tmp_path / "in.csv"
    csv.write_text("cmd,x\n=1+1,1\n@SUM(A1),2\n-5,3\n=1+1,\nplain,5\n")
    result = runner.invoke(app, ["impute", str(csv), "-o", str(tmp_path / "o.csv"), "--method", "mean_mode"])
    assert result.exit_code == 0, result.output
    assert "formulas" in result.output and "'cmd' (3)" in result.output
    assert pd.read_csv(tmp_path / "o.csv", dtype=str)["cmd"].tolist()[:2] == ["=1+1", "@SUM(A1)"]
    result = runner.invoke(app, ["impute", str(csv), "-o", str(tmp_path / "e.csv"), "--method", "mean_mode",
                                 "--escape-formulas", "-q"])
    assert result.exit_code == 0, result.output
    escaped = pd.read_csv(tmp_path / "e.csv", dtype=str)["cmd"].tolist()
    assert escaped == ["'=1+1", "'@SUM(A1)", "-5", "'=1+1", "plain"]


# --- raw exceptions of the baselines --------------------------------------------------------


@pytest.mark.parametrize("name", ["iterative", "iterative_trees", "missforest_mixed", "miwae"])
def test_extreme_columns_give_a_clear_error_or_a_full_table(name):
    X = np.array([[1e300, 1.0], [np.nan, 2.0], [3e300, np.nan], [-1e300, 4.0]] * 5)
    try:
        out = get_imputer(name).fit_transform(X)
    except RevimputeError as exc:
        assert "\n" not in str(exc)
    else:
        assert np.isfinite(out).all()


@pytest.mark.parametrize("name", ["mean", "knn", "reverse"])
def test_an_all_empty_table_is_a_clear_error(name):
    with pytest.raises(InputDataError, match="every column"):
        get_imputer(name, keep_empty_features=True).fit(np.full((5, 2), np.nan))


# --- no global side effects -----------------------------------------------------------------


def test_fit_and_load_leave_torchs_global_generator_alone(tmp_path):
    state = torch.get_rng_state().clone()
    imputer = ReverseImputer(**{**TINY, "n_models": 2}).fit(mixed_frame())
    imputer.save(tmp_path / "m")
    ReverseImputer.load(tmp_path / "m").transform(mixed_frame())
    assert torch.equal(state, torch.get_rng_state())


def test_decoding_clips_in_the_column_units_exactly():
    from revimpute.encode import TableEncoder

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"near_zero": np.r_[1e-6, rng.uniform(1, 10, 39)], "const": np.full(40, 0.7),
                          "big": rng.normal(size=40) * 1e3 + 1e9})
    frame.iloc[5:8] = np.nan
    encoder = TableEncoder().fit(frame)
    encoded = encoder.encode(frame)
    for extreme in (-1e6, 1e6):
        filled = np.where(encoded.missing, np.float32(extreme), encoded.values)
        out, _ = encoder.decode(frame, filled, encoded.cell_missing)
        bound = frame.min() if extreme < 0 else frame.max()
        for column in frame.columns:
            assert (out[column].iloc[5:8] == bound[column]).all(), column


def test_imputed_cells_of_formatted_columns_are_written_in_their_format(tmp_path):
    rows = ["share,amount,count"] + [
        f'{s},"{a}","{c}"' for s, a, c in [
            ("12.5%", "$1,234.50", "1,200"), ("s", "$987.25", "3,400"), ("7.0%", "", "2,050"),
            ("33.3%", "$12,000.00", "-"), ("20.1%", "$45.10", "10,000"), ("5.5%", "$2,500.75", "8,800"),
        ] * 5
    ]
    (tmp_path / "in.csv").write_text("\n".join(rows) + "\n")
    result = runner.invoke(app, ["impute", str(tmp_path / "in.csv"), "-o", str(tmp_path / "o.csv"), "-q",
                                 "--method", "mean_mode"])
    assert result.exit_code == 0, result.output
    given = pd.read_csv(tmp_path / "in.csv", dtype=str, keep_default_na=False)
    written = pd.read_csv(tmp_path / "o.csv", dtype=str, keep_default_na=False)
    imputed = given.isin(["s", "", "-"])
    assert written.where(~imputed, "").equals(given.where(~imputed, ""))
    assert written["share"][imputed["share"]].str.fullmatch(r"\d+\.\d%").all()
    assert written["amount"][imputed["amount"]].str.fullmatch(r"\$[\d,]+\.\d\d").all()
    assert written["count"][imputed["count"]].str.fullmatch(r"\d{1,3}(,\d{3})*").all()
