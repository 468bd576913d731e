"""`revimpute impute` with --intervals, --multiple, --report, --report-json, --method auto, --calibration."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from revimpute import ReverseImputer
from revimpute.cli import app, main
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


TINY = dict(hidden_sizes=(8,), latent_size=2, max_epochs=2, reverse_steps=2, n_models=1)


def _uncalibrated_model(folder):
    frame = pd.read_csv(folder / "mixed.csv")
    ReverseImputer(**TINY).fit(frame).save(folder / "model")
    return folder / "model"


BAD = [
    (["--intervals", "1.5"], "--intervals is a coverage strictly between 0 and 1"),
    (["--intervals", "0"], "--intervals is a coverage strictly between 0 and 1"),
    (["--intervals", "-0.2"], "--intervals is a coverage strictly between 0 and 1"),
    (["--intervals", "ninety"], "--intervals"),
    (["--multiple", "0"], "--multiple must be a whole number of imputations >= 1"),
    (["--multiple", "-3"], "--multiple must be a whole number of imputations >= 1"),
    (["--multiple", "2.5"], "--multiple"),
    (["--calibration", "0.7"], "--calibration is a share of the rows"),
    (["--calibration", "0"], "--calibration is a share of the rows"),
    (["--method", "knn", "--intervals", "0.9"], "use --method reverse"),
    (["--method", "mean_mode", "--multiple", "2"], "use --method reverse"),
    (["--method", "auto", "--multiple", "2"], "use --method reverse"),
    (["--method", "mean_mode", "--calibration", "0.1"], "use --method reverse"),
    (["--intervals", "0.9", "--chunk-rows", "50"], "run in memory"),
    (["--method", "nope", "--report", "{tmp}/r.html"], "unknown method"),
    (["--report", "{tmp}/r.txt", "--method", "mean_mode"], "ending in .html"),
    (["--report-json", "{tmp}/r.html", "--method", "mean_mode"], "ending in .json"),
    (["--report", "{tmp}/mixed.html", "--report-json", "{tmp}/mixed.html.json", "-o", "{tmp}/mixed.html"],
     "unknown file type"),
    (["--report-json", "{out}.json", "--report", "{out}.json.html", "-o", "{in}"], "replace the input"),
    (["--report", "{tmp}/mixed.csv.html", "--report-json", "{tmp}/r.json", "--multiple", "1", "-o",
      "{tmp}/r.csv", "--model", "{model}"], "fitted without calibration"),
    (["--method", "auto", "--model", "{model}"], "--method auto chooses and fits its own"),
    (["--model", "{model}", "--intervals", "0.9"], "fitted without calibration"),
    (["--model", "{model}", "--multiple", "2"], "fitted without calibration"),
    (["--model", "{model}", "--report", "{tmp}/r.html"], "fitted without calibration"),
    (["--model", "{model}", "--calibration", "0.2"], "--calibration applies when the model is fitted here"),
    (["--method", "mean", "--report-json", "{tmp}/r.json"], "numeric columns only"),
]


@pytest.mark.parametrize("options, message", BAD, ids=[" ".join(o) for o, _ in BAD])
def test_bad_uncertainty_options_are_one_line_errors(mixed_csv, tmp_path, capsys, options, message):
    path, _ = mixed_csv
    out = tmp_path / "o.csv"
    model = _uncalibrated_model(tmp_path) if "{model}" in options else None
    before = {p.name: (p.read_bytes() if p.is_file() else None) for p in tmp_path.iterdir()}
    argv = ["impute", str(path), "-o", str(out), "--detect", "off"]
    argv += [o.format(**{"in": path, "out": out, "tmp": tmp_path, "model": model}) for o in options]
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0] and "Traceback" not in err, err
    assert message in errors[0], errors[0]
    after = {p.name: (p.read_bytes() if p.is_file() else None) for p in tmp_path.iterdir()}
    assert after == before  # no output, no imputation, no report, no temporary file


def test_an_imputation_that_would_replace_the_input_is_refused(tmp_path, capsys):
    source = tmp_path / "t.imp1.csv"
    source.write_text("a,b\n1,2\n,3\n4,5\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["impute", str(source), "-o", str(tmp_path / "t.csv"), "--multiple", "2"])
    assert exit_info.value.code == 2
    assert "would replace the input or the output" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.imp1.csv"]
