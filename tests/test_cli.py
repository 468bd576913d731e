"""The command line: fit, impute, methods, demo — as a user runs them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from revimpute.cli import app

from conftest import low_rank_data, with_holes

runner = CliRunner()
FAST_FIT = ["--max-epochs", "20"]


@pytest.fixture()
def holes_csv(tmp_path):
    X = low_rank_data(n=120, d=4)
    Xh, _ = with_holes(X, rate=0.15)
    df = pd.DataFrame(Xh, columns=["a", "b", "c", "d"])
    df["n"] = np.arange(120)  # complete integer column
    path = tmp_path / "holes.csv"
    df.to_csv(path, index=False)
    return path, df


def test_impute_with_a_baseline_writes_full_csv(holes_csv, tmp_path):
    path, df = holes_csv
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["impute", str(path), "-o", str(out), "--method", "knn", "-q"])
    assert result.exit_code == 0, result.output
    repaired = pd.read_csv(out)
    assert list(repaired.columns) == list(df.columns)
    assert not repaired.isna().any().any()
    observed = df.notna().to_numpy()
    assert np.allclose(repaired.to_numpy()[observed], df.to_numpy()[observed], rtol=0, atol=1e-12)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_fit_then_impute_parquet_with_model(holes_csv, tmp_path):
    path, df = holes_csv
    model = tmp_path / "model"
    result = runner.invoke(app, ["fit", str(path), "--model", str(model), "-q", *FAST_FIT])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out.parquet"
    result = runner.invoke(app, ["impute", str(path), "-o", str(out), "--model", str(model), "-q"])
    assert result.exit_code == 0, result.output
    repaired = pd.read_parquet(out)
    assert repaired.shape == df.shape and not repaired.isna().any().any()
    assert repaired["n"].dtype == np.int64 and repaired["n"].equals(df["n"])


def test_impute_treats_disguised_values_as_missing(tmp_path):
    X = low_rank_data(n=200, d=3) * 10 + 50
    df = pd.DataFrame(X.round(2), columns=["x", "y", "z"]).astype(object)
    df.loc[::9, "y"] = "?"
    df.loc[::13, "z"] = "NULL"
    path = tmp_path / "dirty.csv"
    df.to_csv(path, index=False)
    out = tmp_path / "clean.csv"
    result = runner.invoke(app, ["impute", str(path), "-o", str(out), "--method", "mean"])
    assert result.exit_code == 0, result.output
    assert "'?'" in result.output and "NULL" in result.output
    repaired = pd.read_csv(out)
    assert repaired["y"].dtype == np.float64 and not repaired.isna().any().any()
    result = runner.invoke(app, ["impute", str(path), "-o", str(tmp_path / "o2.csv"), "--detect", "off", "--method", "mean"])
    assert result.exit_code == 2
    assert "holds text '?'" in result.output


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "empty"),
        ("a,b\n", "no rows"),
        ("a,b\n1,2\n3,4,5\n", "ragged"),
        ("a,b\n1,inf\n2,3\n", "infinite"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["impute", str(path), "-o", str(out), "--method", "mean", "--detect", "off"])
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert not out.exists()


def test_failure_leaves_no_output_file(holes_csv, tmp_path):
    path, _ = holes_csv
    out = tmp_path / "out.csv"
    out.write_text("previous content\n")
    result = runner.invoke(app, ["impute", str(path), "-o", str(out), "--model", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "no such model folder" in result.output
    assert out.read_text() == "previous content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["holes.csv", "out.csv"]


def test_corrupt_model_exits_2(holes_csv, tmp_path):
    path, _ = holes_csv
    model = tmp_path / "model"
    assert runner.invoke(app, ["fit", str(path), "--model", str(model), "-q", *FAST_FIT]).exit_code == 0
    (model / "weights.safetensors").write_bytes(b"garbage")
    result = runner.invoke(app, ["impute", str(path), "-o", str(tmp_path / "o.csv"), "--model", str(model)])
    assert result.exit_code == 2 and "checksum" in result.output


def test_old_method_name_builds_the_renamed_method_with_a_warning():
    from revimpute.cli._steps import build_imputer

    with pytest.warns(FutureWarning, match="'missforest' is deprecated.*use 'iterative_trees'"):
        old = build_imputer("missforest", None, 3, True, 1)
    new = build_imputer("iterative_trees", None, 3, True, 1)
    assert repr(old.get_params()) == repr(new.get_params())


def test_unknown_method_and_output_type(holes_csv, tmp_path):
    path, _ = holes_csv
    result = runner.invoke(app, ["impute", str(path), "-o", str(tmp_path / "o.csv"), "--method", "magic"])
    assert result.exit_code == 2 and "unknown method 'magic'" in result.output
    result = runner.invoke(app, ["impute", str(path), "-o", str(tmp_path / "o.xlsx")])
    assert result.exit_code == 2 and "unknown file type" in result.output


def test_methods_lists_registry():
    result = runner.invoke(app, ["methods"])
    assert result.exit_code == 0
    for name in ("reverse", "autoencoder", "knn", "iterative_trees", "missforest_mixed", "gain", "miwae"):
        assert name in result.output
    assert "missforest (now iterative_trees)" in " ".join(result.output.split())


def test_python_dash_m_revimpute_is_the_command_line():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "revimpute", "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Usage: revimpute" in done.stdout
    assert all(command in done.stdout for command in ("impute", "fit", "scan", "bench", "methods"))


@pytest.mark.slow
def test_impute_streaming_equals_in_memory(holes_csv, tmp_path):
    path, _ = holes_csv
    model = tmp_path / "model"
    assert runner.invoke(app, ["fit", str(path), "--model", str(model), "-q", *FAST_FIT]).exit_code == 0
    whole, streamed = tmp_path / "whole.csv", tmp_path / "streamed.csv"
    args = ["--model", str(model), "-q", "--detect", "off"]
    assert runner.invoke(app, ["impute", str(path), "-o", str(whole), *args]).exit_code == 0
    result = runner.invoke(app, ["impute", str(path), "-o", str(streamed), "--chunk-rows", "17", *args])
    assert result.exit_code == 0, result.output
    assert streamed.read_bytes() == whole.read_bytes()


def test_impute_bad_dask_spec(holes_csv, tmp_path):
    path, _ = holes_csv
    result = runner.invoke(app, ["impute", str(path), "-o", str(tmp_path / "o.csv"), "--method", "mean", "--dask", "banana"])
    assert result.exit_code == 2 and "banana" in result.output
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.slow
def test_impute_on_local_dask_cluster_equals_single_process(holes_csv, tmp_path):
    path, _ = holes_csv
    model = tmp_path / "model"
    assert runner.invoke(app, ["fit", str(path), "--model", str(model), "-q", *FAST_FIT]).exit_code == 0
    whole, distributed = tmp_path / "whole.parquet", tmp_path / "dask.parquet"
    args = ["--model", str(model), "-q", "--detect", "off"]
    assert runner.invoke(app, ["impute", str(path), "-o", str(whole), *args]).exit_code == 0
    result = runner.invoke(app, ["impute", str(path), "-o", str(distributed), "--dask", "local:2", *args])
    assert result.exit_code == 0, result.output
    assert pd.read_parquet(distributed).equals(pd.read_parquet(whole))


def test_gzip_csv_output_round_trips(holes_csv, tmp_path):
    from revimpute.io import read_table

    path, df = holes_csv
    out = tmp_path / "out.csv.gz"
    result = runner.invoke(app, ["impute", str(path), "-o", str(out), "--method", "mean", "-q"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:2] == b"\x1f\x8b"
    assert read_table(out).shape == df.shape


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_impute_keeps_column_types_of_a_mixed_table(tmp_path, suffix):
    rng = np.random.default_rng(0)
    n = 150
    size = rng.normal(size=n)
    frame = pd.DataFrame({
        "size": size.round(3),
        "kind": np.where(size > 0, "big", "small"),
        "count": (3 * size + 10).round().astype(int),
        "flag": size > 0.5,
        "day": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n) % 20, unit="D"),
    })
    holed = frame.astype({"count": "Int64", "flag": "boolean"})
    for j, column in enumerate(holed.columns):
        series = holed[column].copy()
        series[rng.random(n) < 0.15] = None
        holed[column] = series
    source = tmp_path / f"in{suffix}"
    holed.to_csv(source, index=False) if suffix == ".csv" else holed.to_parquet(source)
    out, model = tmp_path / f"out{suffix}", tmp_path / "model"
    result = runner.invoke(app, ["fit", str(source), "-m", str(model), "-q", *FAST_FIT])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["impute", str(source), "-o", str(out), "-m", str(model), "-q"])
    assert result.exit_code == 0, result.output
    if suffix == ".csv":
        text = out.read_text().splitlines()
        assert text[0] == "size,kind,count,flag,day"
        cells = [line.split(",") for line in text[1:]]
        assert all(c[2].lstrip("-").isdigit() for c in cells)  # integers, not 12.0
        assert {c[3] for c in cells} <= {"True", "False"}
        assert all(len(c[4]) == 10 for c in cells)  # dates stay dates
        assert {c[1] for c in cells} <= {"big", "small"}
    else:
        repaired = pd.read_parquet(out)
        assert pd.api.types.is_integer_dtype(repaired["count"].dtype)
        assert pd.api.types.is_bool_dtype(repaired["flag"].dtype)
        assert pd.api.types.is_datetime64_any_dtype(repaired["day"].dtype)
        assert set(repaired["kind"]) <= {"big", "small"}
        assert not repaired.isna().any().any()


@pytest.mark.slow
def test_jobs_side_by_side(holes_csv, tmp_path):
    import torch

    path, _ = holes_csv
    model = tmp_path / "model"
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        result = runner.invoke(app, ["fit", str(path), "-m", str(model), "-q", "--jobs", "2", *FAST_FIT])
        assert result.exit_code == 0, result.output
        outputs = []
        for jobs in ("1", "2"):  # the search gives the same bits side by side
            out = tmp_path / f"out{jobs}.csv"
            result = runner.invoke(app, ["impute", str(path), "-o", str(out), "-m", str(model), "-q", "-j", jobs])
            assert result.exit_code == 0, result.output
            outputs.append(out.read_bytes())
        assert outputs[0] == outputs[1]
    finally:
        torch.set_num_threads(before)
    for command in (["impute", str(path), "-o", str(tmp_path / "o.csv")], ["fit", str(path), "-m", str(tmp_path / "m")]):
        result = runner.invoke(app, [*command, "--jobs", "0"])
        assert result.exit_code == 2 and "--jobs must be" in result.output
    assert not (tmp_path / "o.csv").exists() and not (tmp_path / "m").exists()


def test_demo_says_when_each_method_starts_and_ends_and_shows_the_imputers_bars(monkeypatch):
    # the real demo, with a short reverse training so the test stays quick
    import functools

    import revimpute.bench.demo as demo_module

    short = functools.partial(demo_module.table_demo, methods=("mean", "autoencoder", "reverse"),
                              reverse_params={"max_epochs": 3, "reverse_steps": 3, "n_models": 2})
    monkeypatch.setattr(demo_module, "table_demo", short)
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    for method in ("mean", "autoencoder", "reverse"):
        assert f"{method}: running" in result.stderr and f"{method}: done in" in result.stderr
    assert result.stderr.index("mean: done in") < result.stderr.index("autoencoder: running")
    assert "epochs of the ensemble" in result.stderr  # the training bar, in its unit
    assert "reverse training" in result.stderr and "rows" in result.stderr  # the search bar
    assert "running" not in result.stdout and "cells imputed" in result.stdout  # the table alone on stdout
