"""The drop-or-impute advice: empty and nearly empty columns first, then rows; bounded
cost (Little's test and the per-column tests on samples, vectorised); --no-advice;
impute --drop-empty-columns."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from revimpute.cli import app
from revimpute.detect import drop_advice
from revimpute.detect.advice import (
    LITTLE_MAX_COLUMNS,
    LITTLE_MAX_ROWS,
    _categorical_tests,
    _numeric_tests,
)
from revimpute.io import read_table

runner = CliRunner()


def gappy(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    frame = pd.DataFrame({"x": x, "y": x + rng.normal(size=n), "z": rng.normal(size=n)})
    frame.loc[rng.random(n) < 0.02, "y"] = np.nan
    frame["empty"] = np.nan
    frame["sparse"] = np.where(rng.random(n) < 0.95, np.nan, rng.normal(size=n))
    return frame


def test_empty_and_nearly_empty_columns_are_proposed_first():
    advice = drop_advice(gappy())
    assert advice.empty_columns == ("empty",)
    assert [name for name, _ in advice.sparse_columns] == ["sparse"]
    assert advice.sparse_columns[0][1] == pytest.approx(0.95, abs=0.03)
    assert advice.recommendation.startswith("Drop the column(s) 'empty' first")
    assert "--drop-empty-columns" in advice.recommendation and "'sparse'" in advice.recommendation
    # the rows are judged on the other columns: only y's few gaps count
    assert advice.rows_lost == int(gappy()["y"].isna().sum()) < 20
    assert advice.drop_ok and "drop the rows with gaps" in advice.recommendation
    doc = json.loads(json.dumps(advice.to_dict()))
    assert doc["empty_columns"] == ["empty"] and doc["sparse_columns"][0]["column"] == "sparse"


def test_a_table_whose_only_gaps_are_an_empty_column():
    frame = gappy().drop(columns="sparse")
    frame["y"] = frame["x"]
    advice = drop_advice(frame)
    assert advice.rows_lost == 0
    assert advice.recommendation.startswith("Drop the column(s) 'empty' first")
    assert advice.recommendation.endswith("nothing to drop or impute: no row has a gap in them.")


def test_vectorised_tests_match_scipy():
    rng = np.random.default_rng(3)
    x = rng.normal(size=300).round(1)
    x[rng.random(300) < 0.1] = np.nan
    gaps = rng.random((300, 4)) < 0.3
    got = _numeric_tests(x, gaps)
    for j in range(4):
        seen = ~np.isnan(x)
        want = stats.mannwhitneyu(x[gaps[:, j] & seen], x[~gaps[:, j] & seen], method="asymptotic").pvalue
        assert got[j] == pytest.approx(want, rel=1e-12)
    for levels in (["a", "b"], ["a", "b", "c"]):
        cats = pd.Series(rng.choice(levels, 300), dtype=object)
        cats[rng.random(300) < 0.1] = None
        got = _categorical_tests(cats, gaps)
        seen = cats.notna().to_numpy()
        for j in range(4):
            table = pd.crosstab(cats[seen].to_numpy(), gaps[seen, j]).to_numpy()
            assert got[j] == pytest.approx(stats.chi2_contingency(table).pvalue, rel=1e-12)


def test_advice_on_a_mid_size_table_is_fast_and_sampled():
    rng = np.random.default_rng(0)
    n, p = 10_000, 30
    data = rng.normal(size=(n, p)) @ rng.normal(size=(p, p))
    data[rng.random(data.shape) < 0.1] = np.nan
    frame = pd.DataFrame(data, columns=[f"c{i}" for i in range(p)])
    frame["kind"] = rng.choice(["a", "b", "c"], n)
    begin = time.perf_counter()
    advice = drop_advice(frame)
    seconds = time.perf_counter() - begin
    assert seconds < 20  # 76 s at 2de601a on the 2-core machine; ~1 s now (docs/cleaning.md)
    assert advice.little_rows == LITTLE_MAX_ROWS and len(advice.little_columns) == LITTLE_MAX_COLUMNS
    assert advice.tested_rows == 5_000 and len(advice.column_tests) == 30
    assert advice.rows_lost == int(frame.isna().any(axis=1).sum())  # every row counted


def write_with_empty_column(path):
    rng = np.random.default_rng(1)
    n = 120
    x = rng.normal(size=n)
    frame = pd.DataFrame({"x": x.round(3), "y": (2 * x + rng.normal(size=n)).round(3), "notes": [""] * n})
    frame.loc[rng.random(n) < 0.1, "y"] = np.nan
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("stream", [False, True])
def test_impute_refuses_an_empty_column_by_name_or_drops_it(tmp_path, stream):
    path = write_with_empty_column(tmp_path / "t.csv")
    out = tmp_path / "out.csv"
    extra = ["--chunk-rows", "50"] if stream else []
    result = runner.invoke(app, ["impute", str(path), "-o", str(out), "--method", "mean", "-q", *extra])
    assert result.exit_code == 2
    assert "column(s) 'notes' have no observed value" in result.stderr
    assert "--drop-empty-columns" in result.stderr and "keep_empty_features" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not out.exists()
    result = runner.invoke(app, ["impute", str(path), "-o", str(out), "--method", "mean",
                                 "--drop-empty-columns", *extra])
    assert result.exit_code == 0, result.output
    assert "left out 1 column(s) with no observed value: 'notes'" in result.stderr
    written = read_table(out)
    assert list(written.columns) == ["x", "y"] and not written.isna().any().any()


def test_scan_advice_names_the_empty_column_and_can_be_skipped(tmp_path):
    path = write_with_empty_column(tmp_path / "t.csv")
    result = runner.invoke(app, ["scan", str(path)])
    assert result.exit_code == 0, result.output
    assert "Columns with no observed value: 'notes'." in result.stdout
    assert "Recommendation: Drop the column(s) 'notes' first" in result.stdout
    result = runner.invoke(app, ["scan", str(path), "--no-advice"])
    assert result.exit_code == 0 and "Recommendation" not in result.stdout
    doc = json.loads(runner.invoke(app, ["scan", str(path), "--json", "--no-advice"]).stdout)
    assert doc["advice"] is None
