"""`revimpute impute` with --intervals, --multiple, --report, --report-json, --method auto, --calibration."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from revimpute.cli import app
from revimpute.cli._uncertainty import imputation_paths

from conftest import low_rank_data

runner = CliRunner()
FAST_FIT = ["--max-epochs", "20"]


@pytest.fixture()
def mixed_csv(tmp_path):
    rng = np.random.default_rng(0)
    n = 150
    X = low_rank_data(n=n, d=3)
    frame = pd.DataFrame({
        "price $": np.round(10 + 3 * X[:, 0], 2),
        "count": np.round(20 + 5 * X[:, 1]).astype(int),
        "kind": np.where(X[:, 2] > 0, "a", "b"),
        "day": (pd.Timestamp("2021-01-01") + pd.to_timedelta(np.round(50 + 10 * X[:, 1]), unit="D"))
        .strftime("%Y-%m-%d"),
    })
    text = frame.astype(object)
    for column in text.columns:
        text.loc[rng.random(n) < 0.15, column] = ""
    path = tmp_path / "mixed.csv"
    text.to_csv(path, index=False)
    return path, pd.read_csv(path, dtype=str, keep_default_na=False)


def _impute(path, out, *options):
    return runner.invoke(app, ["impute", str(path), "-o", str(out), "-q", "--detect", "off", *options])


def test_imputation_paths_keep_the_extension():
    assert imputation_paths("out.csv", 2) == ["out.imp1.csv", "out.imp2.csv"]
    assert imputation_paths("dir/t.csv.gz", 1) == ["dir/t.imp1.csv.gz"]
    assert imputation_paths("x.parquet", 1) == ["x.imp1.parquet"]


@pytest.mark.slow
def test_intervals_multiple_and_report(mixed_csv, tmp_path):
    path, written = mixed_csv
    out = tmp_path / "out.csv"
    result = _impute(path, out, "--intervals", "0.9", "--multiple", "3", "--report", str(tmp_path / "r.html"),
                     "--report-json", str(tmp_path / "r.json"))
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(table.columns) == ["price $", "price $_lower", "price $_upper", "count", "count_lower",
                                   "count_upper", "kind", "kind_set", "day", "day_lower", "day_upper"]
    for column in written.columns:
        observed = written[column] != ""
        assert (table.loc[observed, column] == written.loc[observed, column]).all()  # as written
        assert (table[column] != "").all()
    for column in ("price $", "count"):
        low, mid, high = (pd.to_numeric(table[c]) for c in (f"{column}_lower", column, f"{column}_upper"))
        assert (low <= mid).all() and (mid <= high).all()
        observed = written[column] != ""
        assert (low[observed] == mid[observed]).all() and (high[observed] == mid[observed]).all()
    low, mid, high = (pd.to_datetime(table[c]) for c in ("day_lower", "day", "day_upper"))
    assert (low <= mid).all() and (mid <= high).all()
    sets = table["kind_set"].map(json.loads)
    assert all(row["kind"] in options for options, (_, row) in zip(sets, table.iterrows()))
    assert all(sets[written["kind"] != ""].map(len) == 1)
    draws = [pd.read_csv(tmp_path / f"out.imp{k}.csv", dtype=str, keep_default_na=False) for k in (1, 2, 3)]
    for draw in draws:
        assert list(draw.columns) == list(written.columns)
        for column in written.columns:
            observed = written[column] != ""
            assert (draw.loc[observed, column] == written.loc[observed, column]).all()
    assert not draws[0].equals(draws[1])
    doc = json.loads((tmp_path / "r.json").read_text())
    assert [c["column"] for c in doc["columns"]] == list(written.columns)
    for column in doc["columns"]:
        assert column["method"] == "reverse" and column["imputed"] == int((written[column["column"]] == "").sum())
        assert column["error"]["cells"] > 0 and column["error"]["low"] <= column["error"]["high"]
    page = (tmp_path / "r.html").read_text()
    assert "price $" in page and page.count("data:image/png;base64,") == 4
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.slow
def test_method_auto_reports_every_candidate(mixed_csv, tmp_path):
    path, written = mixed_csv
    out = tmp_path / "auto.csv"
    result = runner.invoke(app, ["impute", str(path), "-o", str(out), "--detect", "off", "--method", "auto",
                                 "--report-json", str(tmp_path / "a.json")])
    assert result.exit_code == 0, result.output
    assert "--method auto chose per column" in result.output
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(table.columns) == list(written.columns) and (table != "").all().all()
    doc = json.loads((tmp_path / "a.json").read_text())
    for column in doc["columns"]:
        assert column["method"] in column["candidates"]
        assert set(column["candidates"]) == {"reverse", "mean_mode", "missforest_mixed"}
    assert any("choosing" in key for key in doc["seconds"])


def test_report_for_another_method(mixed_csv, tmp_path):
    path, _ = mixed_csv
    result = _impute(path, tmp_path / "o.csv", "--method", "mean_mode", "--report-json", str(tmp_path / "m.json"))
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "m.json").read_text())
    assert {c["method"] for c in doc["columns"]} == {"mean_mode"}
    assert all(c["error"]["cells"] > 0 for c in doc["columns"])


@pytest.mark.slow
def test_fit_with_calibration_then_intervals_from_the_model(mixed_csv, tmp_path):
    path, _ = mixed_csv
    model = tmp_path / "model"
    result = runner.invoke(app, ["fit", str(path), "--model", str(model), "-q", "--detect", "off",
                                 "--calibration", "0.2", *FAST_FIT])
    assert result.exit_code == 0, result.output
    out = tmp_path / "o.parquet"
    result = _impute(path, out, "--model", str(model), "--intervals", "0.8")
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out)
    assert {"price $_lower", "count_upper", "kind_set"} <= set(table.columns)


@pytest.mark.parametrize("options, message", [
    (["--intervals", "1.5"], "--intervals is a coverage strictly between 0 and 1"),
    (["--intervals", "0"], "--intervals is a coverage strictly between 0 and 1"),
    (["--multiple", "0"], "--multiple must be a whole number of imputations >= 1"),
    (["--calibration", "0.7"], "--calibration is a share of the rows"),
    (["--method", "knn", "--intervals", "0.9"], "use --method reverse"),
    (["--method", "auto", "--multiple", "2"], "use --method reverse"),
    (["--intervals", "0.9", "--chunk-rows", "50"], "run in memory"),
    (["--method", "nope", "--report", "r.html"], "unknown method"),
])
def test_bad_uncertainty_options_are_one_line_errors(mixed_csv, tmp_path, options, message):
    path, _ = mixed_csv
    out = tmp_path / "o.csv"
    result = _impute(path, out, *options)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output
    assert not out.exists()


def test_intervals_from_an_uncalibrated_model_are_a_one_line_error(mixed_csv, tmp_path):
    path, _ = mixed_csv
    model = tmp_path / "model"
    assert runner.invoke(app, ["fit", str(path), "--model", str(model), "-q", "--detect", "off", *FAST_FIT]).exit_code == 0
    out = tmp_path / "o.csv"
    result = _impute(path, out, "--model", str(model), "--intervals", "0.9")
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "fitted without calibration" in lines[0]
    assert not out.exists()


def test_report_path_equal_to_the_output_is_refused(mixed_csv, tmp_path):
    path, _ = mixed_csv
    out = tmp_path / "o.csv"
    result = _impute(path, out, "--report", str(out))
    assert result.exit_code == 2 and "would replace the input or the output" in result.output
