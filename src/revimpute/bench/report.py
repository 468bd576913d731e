"""Benchmark results as a markdown report, and every output file of a run.

The numbers come from :mod:`revimpute.bench.summary` (per-cell means over
seeds, mean ranks); this module renders them and writes ``results.json``,
``results.csv``, ``summary.csv``, ``ranks.csv``, ``report.md`` and the plots
(:mod:`revimpute.bench.plots`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from revimpute.bench.cases import CROSSCHECK_CASE, PUBLISHED_CROSSCHECK
from revimpute.bench.results import BenchResults
from revimpute.bench.summary import CELL, RANKED_METRICS, mean_ranks, mechanism_ranks, method_order, summarise

# ``summarise`` and ``mean_ranks`` stay importable from here for the command line.
__all__ = ["markdown_report", "mean_ranks", "summarise", "write_outputs"]


def _fmt(mean: float, std: float, digits: int) -> str:
    if mean is None or not np.isfinite(mean):
        return "–"
    text = f"{mean:.{digits}f}"
    if std is not None and np.isfinite(std):
        text += f" ± {std:.{digits}f}"
    return text


def _status(row: pd.Series) -> str:
    if row["completed"]:
        return "ok"
    parts = []
    if row["n_timeout"]:
        parts.append(f"timeout {row['n_timeout']}/{row['n_runs']}")
    if row["n_error"]:
        parts.append(f"error {row['n_error']}/{row['n_runs']}")
    return ", ".join(parts)


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str | None = None) -> str:
    align = align or "l" + "r" * (len(header) - 1)
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell_table(part: pd.DataFrame) -> str:
    finished = part[part["completed"]]
    best = finished["rmse_mean"].min() if len(finished) else np.nan
    header = ["method", "RMSE", "MAE", "W1 sum", part["downstream_metric"].iloc[0] or "downstream",
              "seconds", "peak MiB", "status"]
    rows = []
    for _, row in part.iterrows():
        rmse = _fmt(row["rmse_mean"], row["rmse_std"], 4)
        if row["completed"] and np.isfinite(best) and row["rmse_mean"] == best:
            rmse = f"**{rmse}**"
        rows.append([
            row["method"], rmse, _fmt(row["mae_mean"], row["mae_std"], 4),
            _fmt(row["wasserstein_mean"], row["wasserstein_std"], 3),
            _fmt(row["downstream_mean"], row["downstream_std"], 3),
            _fmt(row["seconds_mean"], row["seconds_std"], 2),
            _fmt(row["peak_mib_mean"], row["peak_mib_std"], 0), _status(row),
        ])
    return _markdown_table(header, rows, "l" + "r" * 6 + "l")


def _case_notes(results: BenchResults, dataset: str, mechanism: str, rate: float) -> str:
    cases = [c for c in results.cases if (c["dataset"], c["mechanism"], c["rate"]) == (dataset, mechanism, rate)
             and c.get("group", "grid") == "grid"]
    if not cases:
        return ""
    share = np.mean([c["missing_share"] for c in cases])
    complete = [c["complete_downstream"] for c in cases]
    metric = cases[0]["downstream_metric"]
    text = (f"{cases[0]['n_rows']} rows × {cases[0]['n_columns']} columns, {len(cases)} seed(s), "
            f"actual missing share {share:.1%}; downstream = {metric} of a fixed model on 30% held-out "
            f"complete rows (complete data: {_fmt(np.mean(complete), np.std(complete, ddof=1) if len(complete) > 1 else np.nan, 3)})")
    empty = sum(c.get("rows_all_missing", 0) for c in cases)
    if empty:
        text += f"; {empty} row(s) entirely hidden over the seeds"
    return text


def _provenance(results: BenchResults) -> list[str]:
    env = results.environment
    lines = []
    if results.command:
        lines += ["Command:", "", "```", results.command, "```", ""]
    commit = env.get("git_commit") or "unknown"
    changed = env.get("uncommitted_source_changes") or []
    lines.append(
        f"revimpute {env.get('revimpute')} at commit `{commit}`"
        + (f" with uncommitted changes in {', '.join(changed)}" if changed else " (no uncommitted source changes)")
        + f"; run {env.get('date')}."
    )
    lines.append(
        f"Python {env.get('python')}, numpy {env.get('numpy')}, pandas {env.get('pandas')}, "
        f"scikit-learn {env.get('scikit-learn')}, scipy {env.get('scipy')}, torch {env.get('torch')}; "
        f"{env.get('platform')}, {env.get('cpu_count')} CPUs, one thread per run."
    )
    for earlier in env.get("earlier_runs", []):
        if (earlier.get("git_commit"), earlier.get("uncommitted_source_changes")) != (
            env.get("git_commit"), env.get("uncommitted_source_changes")
        ):
            lines.append(
                f"Runs kept from an earlier invocation ({earlier.get('date')}) came from commit "
                f"`{earlier.get('git_commit')}`"
                + (f" with uncommitted changes in {', '.join(earlier['uncommitted_source_changes'])}"
                   if earlier.get("uncommitted_source_changes") else "")
                + "; each run's parameters are listed at the end."
            )
    cfg = results.config
    budget = cfg.get("time_budget")
    lines.append(
        (f"Time budget {budget:g} s per method and case; " if budget else "")
        + ("registry defaults for every method" if not cfg.get("method_params")
           else f"parameters changed from the registry defaults: {cfg.get('method_params')}")
        + " (plus random_state = seed)."
    )
    return lines


def _crosscheck_section(results: BenchResults) -> list[str]:
    c = CROSSCHECK_CASE
    frame = results.frame()
    part = frame[(frame["dataset"] == c.dataset) & (frame["mechanism"] == c.mechanism)
                 & (frame["rate"] == c.rate) & (frame["seed"] == c.seed)]
    if part.empty:
        return []
    order = method_order(part, results.config.get("methods"))
    part = part.assign(_m=part["method"].map({m: i for i, m in enumerate(order)})).sort_values("_m", kind="stable")
    rows = []
    for _, r in part.iterrows():
        rmse = f"{r['rmse']:.4f}" if r["status"] == "ok" else r["status"]
        published = PUBLISHED_CROSSCHECK.get(r["method"])
        rows.append([r["method"], rmse, f"{published:.4f}" if published else "–",
                     f"{r['seconds']:.1f}" if pd.notna(r["seconds"]) else "–"])
    return [
        "## Cross-check: GAIN's published setting",
        "",
        "Breast cancer (569 × 30), min-max scaled, 20% MCAR from "
        "`np.random.default_rng(0).random(X.shape) < 0.2`, RMSE on the missing cells, one run "
        "(seed 0). Published: Yoon et al. (2018), GAIN, Table 2, \"Breast\".",
        "",
        _markdown_table(["method", "RMSE (here)", "RMSE (published)", "seconds"], rows),
        "",
    ]


def markdown_report(results: BenchResults) -> str:
    """The whole report as markdown: provenance, mean ranks, cross-check, one table per cell.

    Parameters
    ----------
    results : BenchResults

    Returns
    -------
    str
    """
    summary = summarise(results)
    lines = ["# revimpute bench results", "", *_provenance(results), ""]
    if not summary.empty:
        ranks = mean_ranks(summary)
        n_cells = summary[CELL].drop_duplicates().shape[0]
        lines += [
            f"## Mean rank across {n_cells} cell(s) (1 = best)",
            "",
            "Per cell (dataset, mechanism, rate) the methods are ranked by their mean over seeds; "
            "a method that timed out or failed on any seed of a cell is tied last there.",
            "",
        ]
        rows = [[m, *(f"{ranks.loc[m, k]:.2f}" for k in RANKED_METRICS),
                 f"{ranks.loc[m, 'completed']}/{ranks.loc[m, 'cells']}"] for m in ranks.index]
        lines += [_markdown_table(["method", "RMSE", "MAE", "W1 sum", "downstream", "time", "cells finished"],
                                  rows), ""]
        by_mech = mechanism_ranks(summary)
        if len(by_mech) > 1:
            lines += ["Mean RMSE rank per mechanism:", ""]
            methods = list(ranks.index)
            rows = [[mech, *(f"{by_mech.loc[mech, m]:.2f}" for m in methods)] for mech in by_mech.index]
            lines += [_markdown_table(["mechanism", *methods], rows), ""]
    lines += _crosscheck_section(results)
    if not summary.empty:
        lines += ["## Results per dataset, mechanism and rate", "",
                  "Mean ± standard deviation over seeds; best mean RMSE in bold. RMSE, MAE and "
                  "W1 (sum over columns of the 1-D Wasserstein distance) on the hidden cells of "
                  "the min-max scaled table; seconds = fit + imputation; peak MiB = extra resident "
                  "memory of the run.", ""]
        for (dataset, mechanism, rate), part in summary.groupby(CELL, sort=False):
            lines += [f"### {dataset} — {mechanism} — {rate:.0%}", "",
                      _case_notes(results, dataset, mechanism, rate), "", _cell_table(part), ""]
    failures = [r for r in results.records if r.status != "ok"]
    if failures:
        lines += ["## Runs that did not finish", ""]
        rows = [[r.dataset, r.mechanism, f"{r.rate:g}", r.seed, r.method, r.status, (r.error or "").replace("|", "/")]
                for r in failures]
        lines += [_markdown_table(["dataset", "mechanism", "rate", "seed", "method", "status", "why"], rows,
                                  "lllrlll"), ""]
    lines += _parameters_section(results)
    return "\n".join(lines).rstrip() + "\n"


def _parameters_section(results: BenchResults) -> list[str]:
    """Each method's parameters as its runs reported them (the seed shown as ``<seed>``)."""
    seen: dict[str, list[str]] = {}
    for record in results.records:
        if not record.params:
            continue
        text = re.sub(r"random_state=\d+", "random_state=<seed>", record.params)
        if text not in seen.setdefault(record.method, []):
            seen[record.method].append(text)
    if not seen:
        return []
    lines = ["", "<details><summary>Parameters of every method, as run (random_state is the case's seed)</summary>", ""]
    for method, variants in seen.items():
        for text in variants:
            lines.append(f"- `{method}`: `{text}`")
    return [*lines, "", "</details>"]


def write_outputs(results: BenchResults, out_dir: str | os.PathLike, plots: bool = True) -> list[Path]:
    """Write results.json/.csv, summary.csv, ranks.csv, report.md and (optionally) the plots.

    Parameters
    ----------
    results : BenchResults
    out_dir : path
        Folder to write into (created if needed).
    plots : bool, default=True
        Also draw the PNG figures (:mod:`revimpute.bench.plots`).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    from revimpute.io import atomic_path

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results.save(out)
    written = [out / "results.json", out / "results.csv"]
    summary = summarise(results)
    with atomic_path(out / "summary.csv") as tmp:
        summary.to_csv(tmp, index=False)
    with atomic_path(out / "ranks.csv") as tmp:
        mean_ranks(summary).to_csv(tmp)
    with atomic_path(out / "report.md") as tmp:
        tmp.write_text(markdown_report(results), encoding="utf-8")
    written += [out / "summary.csv", out / "ranks.csv", out / "report.md"]
    if plots and not summary.empty:
        from revimpute.bench.plots import write_plots

        written += write_plots(summary, out)
    return written
