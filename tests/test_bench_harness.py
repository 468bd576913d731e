"""The benchmark harness: `revimpute bench --quick`, masks, ranks, timeouts, resume."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from revimpute.bench import load_table, minmax_scale
from revimpute.bench.cases import CROSSCHECK_CASE, HARNESS_MECHANISMS, Case, block_mask, make_mask, prepare_case
from revimpute.bench.config import QUICK_DATASETS, QUICK_METHODS, BenchConfig, quick_config
from revimpute.bench.metrics import mae_missing, rmse_missing
from revimpute.bench.report import markdown_report, write_outputs
from revimpute.bench.results import BenchResults, RunRecord
from revimpute.bench.runner import run_benchmark
from revimpute.bench.summary import cell_ranks, mean_ranks, summarise
from revimpute.bench.worker import Outcome, seeded_imputer
from revimpute.cli import app
from revimpute.exceptions import RevimputeError

runner = CliRunner()


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """`revimpute bench --quick` once for the module: its folder and parsed results.

    It takes seconds (worker start-up, network training): every test that uses it is marked slow.
    """
    out = tmp_path_factory.mktemp("bench") / "quick"
    result = runner.invoke(app, ["bench", "--quick", "--quiet", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, BenchResults.load(out), result.output


# --------------------------------------------------------------------------- the quick run
@pytest.mark.slow
def test_quick_writes_every_output(quick_run):
    out, _results, output = quick_run
    for name in ("results.json", "results.csv", "summary.csv", "ranks.csv", "report.md"):
        assert (out / name).stat().st_size > 100, name
    for name in ("rmse_vs_rate.png", "accuracy_vs_time.png"):
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000, name
    assert "mean rank across cells" in output


@pytest.mark.slow
def test_quick_runs_every_method_on_every_case(quick_run):
    _out, results, _ = quick_run
    frame = results.frame()
    assert sorted(frame["dataset"].unique()) == sorted(QUICK_DATASETS)
    assert set(frame["mechanism"]) == {"mcar"} and set(frame["rate"]) == {0.2}
    assert set(frame["seed"]) == {0}
    for dataset in QUICK_DATASETS:
        assert sorted(frame.loc[frame["dataset"] == dataset, "method"]) == sorted(QUICK_METHODS)
    assert (frame["status"] == "ok").all(), frame[frame["status"] != "ok"][["method", "error"]]
    assert len(frame) == len(QUICK_DATASETS) * len(QUICK_METHODS)


@pytest.mark.slow
def test_quick_scores_are_sane_and_observed_cells_untouched(quick_run):
    _out, results, _ = quick_run
    frame = results.frame()
    assert (frame["observed_max_change"] == 0.0).all()
    assert (frame["rmse"] > 0).all() and (frame["rmse"] < 1).all()  # min-max scaled data
    assert (frame["mae"] <= frame["rmse"] + 1e-12).all()
    assert (frame["wasserstein"] >= 0).all()
    assert frame["downstream"].between(0, 1).all()  # accuracies of two classification tables
    assert (frame["seconds"] > 0).all() and frame["peak_mib"].notna().all()
    # A method that learns from the other columns beats the column mean on both tables.
    rmse = frame.set_index(["dataset", "method"])["rmse"]
    for dataset in QUICK_DATASETS:
        assert rmse[(dataset, "knn")] < rmse[(dataset, "mean")]
        assert rmse[(dataset, "iterative")] < rmse[(dataset, "mean")]
    # Shared network: one fit timed into both; the reverse search costs more than the one pass.
    seconds = frame.set_index(["dataset", "method"])["seconds"]
    for dataset in QUICK_DATASETS:
        assert seconds[(dataset, "reverse")] > seconds[(dataset, "autoencoder")]


@pytest.mark.slow
def test_quick_cases_record_the_truth_of_each_mask(quick_run):
    _out, results, _ = quick_run
    assert len(results.cases) == 2
    for info in results.cases:
        data = prepare_case(Case(info["dataset"], "mcar", 0.2, 0))
        assert info["n_missing"] == int(data.mask.sum())
        assert info["missing_share"] == pytest.approx(data.mask.mean())
        assert 0.5 < info["complete_downstream"] <= 1.0
    env = results.environment
    assert env["torch"] and env["scikit-learn"] and env["threads_per_case"] == 1


@pytest.mark.slow
def test_quick_ranks_are_consistent(quick_run):
    out, results, _ = quick_run
    summary = summarise(results)
    ranks = cell_ranks(summary, "rmse")
    n = len(QUICK_METHODS)
    assert ranks.shape == (2, n)
    for _cell, row in ranks.iterrows():  # every cell uses ranks 1..n exactly once (ties averaged)
        assert row.sum() == pytest.approx(n * (n + 1) / 2)
        assert row.min() >= 1 and row.max() <= n
    table = mean_ranks(summary)
    assert list(table.index) == list(table.sort_values("rmse").index)
    pd.testing.assert_series_equal(table["rmse"], ranks.mean(axis=0).reindex(table.index), check_names=False)
    saved = pd.read_csv(out / "ranks.csv", index_col="method")
    np.testing.assert_allclose(saved.loc[table.index, "rmse"], table["rmse"])
    report = (out / "report.md").read_text()
    for dataset in QUICK_DATASETS:
        assert f"### {dataset} — mcar — 20%" in report
    for method in QUICK_METHODS:
        assert f"| {method} |" in report
    assert "revimpute bench --quick" in report


@pytest.mark.slow
def test_resume_skips_runs_already_recorded(quick_run):
    _out, results, _ = quick_run
    seen: list[RunRecord] = []
    again = run_benchmark(quick_config(), previous=results, on_record=seen.append)
    assert seen == []
    assert [r.to_dict() for r in again.records] == [r.to_dict() for r in results.records]
    assert again.cases == results.cases
    assert again.environment["earlier_runs"][0]["command"] == results.command


# --------------------------------------------------------------------------- masks and cases
@pytest.mark.parametrize("mechanism", ["mcar", "mar", "mnar_logistic", "mnar_quantile", "column_block"])
def test_masks_are_deterministic_per_seed(mechanism):
    X = minmax_scale(load_table("wine").frame).to_numpy()
    first = make_mask(X, mechanism, 0.3, 7)
    assert first.dtype == bool and first.shape == X.shape and first.any()
    np.testing.assert_array_equal(first, make_mask(X, mechanism, 0.3, 7))
    assert not np.array_equal(first, make_mask(X, mechanism, 0.3, 8))
    np.testing.assert_array_equal(prepare_case(Case("wine", mechanism, 0.3, 7)).mask, first)


def test_crosscheck_mask_is_gains_published_one():
    data = prepare_case(CROSSCHECK_CASE)
    assert data.truth.shape == (569, 30)
    expected = np.random.default_rng(0).random((569, 30)) < 0.2
    np.testing.assert_array_equal(data.mask, expected)
    assert int(data.mask.sum()) == 3403
    np.testing.assert_allclose(data.truth.min(axis=0), 0.0)
    np.testing.assert_allclose(data.truth.max(axis=0), 1.0)


def test_block_mask_hides_adjacent_columns_in_a_share_of_rows():
    X = np.zeros((200, 10))
    for rate in (0.1, 0.3, 0.5):
        mask = block_mask(X, rate, 3)
        cols = np.flatnonzero(mask.any(axis=0))
        assert len(cols) == 6 and np.all(np.diff(cols) == 1)  # ceil(0.6 * 10) adjacent columns
        rows = mask.any(axis=1)
        assert (mask[rows][:, cols]).all() and not mask[~rows].any()  # whole block per chosen row
        assert mask.mean() == pytest.approx(rate, abs=0.005)
    assert not block_mask(X, 0.9, 0).all(axis=0).any()  # capped: no column hidden in every row
    with pytest.raises(RevimputeError):
        block_mask(np.zeros((5, 1)), 0.3)


def test_prepare_case_hides_exactly_the_mask_and_stratifies_the_split():
    data = prepare_case(Case("iris", "mnar_logistic", 0.3, 1))
    np.testing.assert_array_equal(np.isnan(data.holed), data.mask)
    np.testing.assert_array_equal(data.holed[~data.mask], data.truth[~data.mask])
    assert set(data.train_rows).isdisjoint(data.test_rows)
    assert len(data.train_rows) + len(data.test_rows) == 150
    # iris is sorted by class: a plain head/tail split would test on one class only.
    assert sorted(pd.Series(data.target[data.test_rows]).value_counts()) == [15, 15, 15]


def test_config_rejects_bad_names_and_numbers():
    with pytest.raises(RevimputeError, match="unknown datasets 'nope'"):
        BenchConfig(datasets=["nope"]).validate()
    with pytest.raises(RevimputeError, match="unknown methods"):
        BenchConfig(methods=["mean", "magic"]).validate()
    with pytest.raises(RevimputeError, match="rates"):
        BenchConfig(rates=[0.0]).validate()
    with pytest.raises(RevimputeError, match="seeds"):
        BenchConfig(seeds=[1, 1]).validate()
    with pytest.raises(RevimputeError, match="time budget"):
        BenchConfig(time_budget=0).validate()
    assert set(BenchConfig().validate().mechanisms) <= set(HARNESS_MECHANISMS)


def test_config_takes_an_old_method_name_as_the_current_one():
    config = BenchConfig(methods=["missforest", "mean"], method_params={"missforest": {"max_iter": 2}})
    with pytest.warns(FutureWarning, match="'missforest' is deprecated"):
        config.validate()
    assert config.methods == ("iterative_trees", "mean")
    assert config.method_params == {"iterative_trees": {"max_iter": 2}}


# --------------------------------------------------------------------------- ranks by hand
def _record(method, seed, status="ok", rmse=None, downstream=None, dataset="d", seconds=1.0):
    return RunRecord(dataset=dataset, mechanism="mcar", rate=0.3, seed=seed, method=method, status=status,
                     missing_share=0.3, rmse=rmse, mae=rmse, wasserstein=rmse, downstream=downstream,
                     downstream_metric="accuracy", seconds=seconds if status == "ok" else 9.0, peak_mib=1.0)


def test_ranks_put_unfinished_methods_last_and_respect_direction():
    records = []
    for seed in (0, 1):
        records += [_record("a", seed, rmse=0.10, downstream=0.70), _record("b", seed, rmse=0.20, downstream=0.90),
                    _record("c", seed, rmse=0.10, downstream=0.80)]
    records += [_record("d", 0, rmse=0.01, downstream=0.99), _record("d", 1, status="timeout")]
    results = BenchResults({"methods": ["a", "b", "c", "d"]}, {}, "", [], records)
    summary = summarise(results)
    d = summary.set_index("method").loc["d"]
    assert not d["completed"] and d["n_timeout"] == 1 and d["rmse_mean"] == pytest.approx(0.01)
    rmse = cell_ranks(summary, "rmse").iloc[0]
    assert rmse.to_dict() == {"a": 1.5, "b": 3.0, "c": 1.5, "d": 4.0}  # d's best RMSE does not count
    downstream = cell_ranks(summary, "downstream").iloc[0]
    assert downstream.to_dict() == {"a": 3.0, "b": 1.0, "c": 2.0, "d": 4.0}  # higher is better
    report = markdown_report(results)
    assert "timeout 1/2" in report and "**0.1000 ± 0.0000**" in report


def test_two_cells_average_into_mean_ranks():
    records = [_record("a", 0, rmse=0.1, downstream=0.5), _record("b", 0, rmse=0.2, downstream=0.5),
               _record("a", 0, rmse=0.3, downstream=0.5, dataset="e"),
               _record("b", 0, status="error", dataset="e")]
    summary = summarise(BenchResults({"methods": ["a", "b"]}, {}, "", [], records))
    table = mean_ranks(summary)
    assert table.loc["a", "rmse"] == 1.0 and table.loc["b", "rmse"] == 2.0
    assert table.loc["b", "downstream"] == pytest.approx(1.75)  # tie 1.5, then last 2
    assert (table.loc["a", "completed"], table.loc["b", "completed"], table.loc["b", "cells"]) == (2, 1, 2)


def test_outputs_and_figures_from_records(tmp_path):
    records = [
        dataclasses.replace(
            _record(method, seed, rmse=base + 0.01 * seed, downstream=0.9 - base, dataset=dataset, seconds=base),
            mechanism=mechanism,
        )
        for dataset in ("d", "e") for mechanism in ("mcar", "mar") for method, base in (("a", 0.1), ("b", 0.2))
        for seed in (0, 1)
    ]
    results = BenchResults({"methods": ["a", "b"], "datasets": ["d", "e"]}, {}, "cmd", [], records)
    written = write_outputs(results, tmp_path / "out")
    names = {path.name for path in written}
    assert {"results.json", "results.csv", "summary.csv", "ranks.csv", "report.md"} <= names
    figures = sorted(name for name in names if name.endswith(".png"))
    assert figures == ["accuracy_vs_time.png", "rmse_by_dataset.png", "rmse_vs_rate.png"]
    for name in figures:
        data = (tmp_path / "out" / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000, name
    ranks = pd.read_csv(tmp_path / "out" / "ranks.csv", index_col="method")
    assert ranks.loc["a", "rmse"] == 1.0 and ranks.loc["b", "rmse"] == 2.0
    assert BenchResults.load(tmp_path / "out").records == records


# --------------------------------------------------------------------------- timeouts and the CLI
@pytest.mark.slow
def test_timeout_then_next_method_runs_and_rerun_replaces_kept_runs(quick_run):
    """On top of the quick results: MissForest over a tiny budget, and "mean" run again."""
    _out, quick, _ = quick_run
    config = BenchConfig(datasets=["wine"], methods=["iterative_trees", "mean"], mechanisms=["mcar"],
                         rates=[0.2], seeds=[0], time_budget=0.5)
    results = run_benchmark(config, previous=quick, rerun=["mean"])
    new = {r.method: r for r in results.records if r.dataset == "wine" and r.method in ("iterative_trees", "mean")}
    assert new["iterative_trees"].status == "timeout"
    assert new["iterative_trees"].rmse is None and new["iterative_trees"].seconds == 0.5
    # The worker was stopped; a fresh one ran "mean" again, with the same (deterministic) result.
    old_mean = next(r for r in quick.records if r.dataset == "wine" and r.method == "mean")
    assert new["mean"].status == "ok" and new["mean"].time_budget == 0.5
    assert new["mean"].rmse == old_mean.rmse and new["mean"].downstream == old_mean.downstream
    assert len(results.records) == len(quick.records) + 1
    assert sum(r.method == "mean" and r.dataset == "wine" for r in results.records) == 1
    summary = summarise(results)
    assert "timeout 1/1" in markdown_report(results)
    wine = cell_ranks(summary, "rmse").loc[("wine", "mcar", 0.2)]
    assert wine["iterative_trees"] == len(QUICK_METHODS) + 1  # unfinished: last of the nine
    assert set(cell_ranks(summary, "rmse").loc[("iris", "mcar", 0.2)].dropna().index) == set(QUICK_METHODS)


class InProcessWorker:
    """Stands in for the worker process: runs each method here, untimed (the runner's bookkeeping only)."""

    jobs: list = []

    def run(self, job, budget):
        InProcessWorker.jobs.append(list(job["methods"]))
        outcomes = []
        for name in job["methods"]:
            imputer = seeded_imputer(name, job["params"].get(name, {}), job["seed"])
            outcomes.append(Outcome(name, "ok", np.asarray(imputer.fit_transform(job["X"]), dtype=float), 0.01))
        return outcomes

    def stop(self):
        pass


def test_runner_scores_each_method_on_each_case_and_resumes(monkeypatch):
    import revimpute.bench.runner as runner_module

    monkeypatch.setattr(runner_module, "Worker", InProcessWorker)
    InProcessWorker.jobs = []
    config = BenchConfig(datasets=["iris"], methods=["mean", "knn"], mechanisms=["mcar"], rates=[0.2], seeds=[0, 1])
    seen = []
    results = run_benchmark(config, command="here", on_record=seen.append)
    assert [(r.seed, r.method) for r in results.records] == [(0, "mean"), (0, "knn"), (1, "mean"), (1, "knn")]
    assert seen == results.records and results.command == "here" and len(results.cases) == 2
    for record in results.records:  # scored against the truth of its case
        data = prepare_case(Case("iris", "mcar", 0.2, record.seed))
        filled = seeded_imputer(record.method, {}, record.seed).fit_transform(data.holed)
        assert record.status == "ok" and record.observed_max_change == 0.0
        assert record.rmse == rmse_missing(data.truth, filled, data.mask)
        assert record.mae == mae_missing(data.truth, filled, data.mask)
    assert results.records[0].rmse != results.records[2].rmse  # seeds give other masks
    # resume: nothing left to run; --rerun knn: knn only, replacing its kept runs
    InProcessWorker.jobs = []
    again = run_benchmark(config, previous=results)
    assert InProcessWorker.jobs == [] and again.records == results.records
    rerun = run_benchmark(config, previous=results, rerun=["knn"])
    assert InProcessWorker.jobs == [["knn"], ["knn"]]
    assert [(r.seed, r.method) for r in rerun.records] == [(0, "mean"), (1, "mean"), (0, "knn"), (1, "knn")]
    assert rerun.environment["earlier_runs"][0]["command"] == "here"


def test_seeded_imputer_seeds_every_nested_random_state():
    imputer = seeded_imputer("iterative_trees", {"max_iter": 3}, 11)
    params = imputer.get_params(deep=True)
    seeds = {k: v for k, v in params.items() if k == "random_state" or k.endswith("__random_state")}
    assert len(seeds) >= 2 and set(seeds.values()) == {11}  # the iterative imputer and its trees
    assert params["estimator__max_iter"] == 3


def test_shared_network_pass_equals_the_registered_autoencoder():
    from revimpute.impute import get_imputer

    data = prepare_case(Case("iris", "mcar", 0.3, 0))
    params = {"max_epochs": 5, "reverse_steps": 3, "random_state": 0}
    shared = get_imputer("reverse", **params).fit(data.holed)
    alone = get_imputer("autoencoder", **params).fit_transform(data.holed)
    np.testing.assert_array_equal(shared.impute_pass(data.holed), alone)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--datasets", "iris,nope"], "unknown datasets 'nope'"),
        (["--rates", "0.3,x"], "--rates takes a comma-separated list"),
        (["--mechanisms", "mcar,weird"], "unknown mechanisms 'weird'"),
        (["--time-budget", "-1"], "time budget"),
        (["--rerun", "reverse"], "--rerun needs --resume"),
    ],
)
def test_cli_input_errors_exit_2_with_one_line(tmp_path, args, message):
    result = runner.invoke(app, ["bench", "--out", str(tmp_path / "o"), *args])
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_results_json_round_trips(quick_run):
    out, results, _ = quick_run
    data = json.loads((out / "results.json").read_text())
    assert data["config"]["methods"] == list(QUICK_METHODS)
    assert len(data["records"]) == len(results.records)
    csv = pd.read_csv(out / "results.csv")
    assert list(csv["rmse"].round(12)) == [round(r.rmse, 12) for r in results.records]
