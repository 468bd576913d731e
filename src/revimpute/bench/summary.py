"""Benchmark results as numbers: per-cell summaries over seeds and mean ranks.

A *cell* is one (dataset, mechanism, rate); its seeds are pooled into mean and
sample standard deviation (``ddof=1``). Within a cell, the methods that
finished every seed are ranked by their mean (1 = best, ties share the mean
rank); a method that timed out or failed on any seed of the cell is ranked
after all of them (tied last), so a slow or broken method is never silently
dropped from the mean ranks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from revimpute.bench.results import BenchResults

__all__ = [
    "CELL",
    "METRICS",
    "RANKED_METRICS",
    "Metric",
    "cell_ranks",
    "mean_ranks",
    "mechanism_ranks",
    "method_order",
    "summarise",
]


class Metric(NamedTuple):
    """How a metric is named, compared and printed."""

    label: str
    higher_is_better: bool
    digits: int


METRICS: dict[str, Metric] = {
    "rmse": Metric("RMSE", False, 4),
    "mae": Metric("MAE", False, 4),
    "wasserstein": Metric("W1 sum", False, 3),
    "downstream": Metric("downstream", True, 3),
    "seconds": Metric("seconds", False, 2),
    "peak_mib": Metric("peak MiB", False, 0),
}
"""The per-run numbers summarised for every cell."""

RANKED_METRICS: tuple[str, ...] = ("rmse", "mae", "wasserstein", "downstream", "seconds")
"""The metrics whose per-cell ranks are averaged."""

CELL = ["dataset", "mechanism", "rate"]


def method_order(frame: pd.DataFrame, methods: Sequence[str] | None) -> list[str]:
    """The methods present in ``frame``: those of ``methods`` in that order, then the others as they appear."""
    present = list(dict.fromkeys(frame["method"]))
    if methods:
        return [m for m in methods if m in present] + [m for m in present if m not in methods]
    return present


def summarise(results: BenchResults, group: str = "grid") -> pd.DataFrame:
    """Mean and standard deviation over seeds for every cell and method.

    Parameters
    ----------
    results : BenchResults
    group : {"grid", "crosscheck"} or None
        Which records to use; None for all.

    Returns
    -------
    pandas.DataFrame
        One row per (dataset, mechanism, rate, method) in the order of the
        configuration; columns ``n_runs``, ``n_ok``, ``n_timeout``,
        ``n_error``, ``completed`` (every seed ok), ``missing_share`` and, for
        every metric of :data:`METRICS`, ``<metric>_mean`` and ``<metric>_std``
        (over the seeds that finished; std is NaN with one seed).
    """
    frame = results.frame()
    if group is not None:
        frame = frame[frame["group"] == group]
    columns = [*CELL, "method", "n_runs", "n_ok", "n_timeout", "n_error", "completed", "missing_share",
               "downstream_metric"]
    for name in METRICS:
        columns += [f"{name}_mean", f"{name}_std"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for keys, part in frame.groupby([*CELL, "method"], sort=False):
        ok = part[part["status"] == "ok"]
        row = dict(zip([*CELL, "method"], keys))
        row.update(
            n_runs=len(part), n_ok=len(ok), n_timeout=int((part["status"] == "timeout").sum()),
            n_error=int((part["status"] == "error").sum()), completed=len(ok) == len(part),
            missing_share=float(part["missing_share"].mean()),
            downstream_metric=part["downstream_metric"].iloc[0],
        )
        for name in METRICS:
            values = pd.to_numeric(ok[name], errors="coerce").dropna()
            row[f"{name}_mean"] = float(values.mean()) if len(values) else np.nan
            row[f"{name}_std"] = float(values.std(ddof=1)) if len(values) > 1 else np.nan
        rows.append(row)
    summary = pd.DataFrame(rows, columns=columns)
    config = results.config
    keys = {
        "dataset": _order(summary["dataset"], config.get("datasets")),
        "mechanism": _order(summary["mechanism"], config.get("mechanisms")),
        "method": method_order(frame, config.get("methods")),
    }
    for name, order in keys.items():
        summary[f"_{name}"] = summary[name].map({v: i for i, v in enumerate(order)})
    summary = summary.sort_values(["_dataset", "_mechanism", "rate", "_method"], kind="stable")
    return summary.drop(columns=[f"_{name}" for name in keys]).reset_index(drop=True)


def _order(values: pd.Series, preferred: Sequence[str] | None) -> list[str]:
    """``preferred`` (the configuration's order) first, then any other value in order of appearance."""
    present = list(dict.fromkeys(values))
    first = [v for v in (preferred or []) if v in present]
    return first + [v for v in present if v not in first]


def cell_ranks(summary: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Rank of every method in every cell by ``metric`` (1 = best).

    Parameters
    ----------
    summary : pandas.DataFrame
        From :func:`summarise`.
    metric : str
        A key of :data:`METRICS`.

    Returns
    -------
    pandas.DataFrame
        Index (dataset, mechanism, rate), one column per method; methods not
        run in a cell are NaN, methods that did not finish it are tied last.
    """
    info = METRICS[metric]
    methods = list(dict.fromkeys(summary["method"]))
    out = {}
    for cell, part in summary.groupby(CELL, sort=False):
        finished = part[part["completed"] & part[f"{metric}_mean"].notna()]
        values = finished[f"{metric}_mean"].to_numpy(dtype=float)
        ranks = rankdata(-values if info.higher_is_better else values, method="average")
        row = dict(zip(finished["method"], ranks))
        rest = [m for m in part["method"] if m not in row]
        if rest:
            last = (len(finished) + 1 + len(part)) / 2.0  # mean of positions n_finished+1 .. n
            row.update({m: last for m in rest})
        out[cell] = row
    table = pd.DataFrame.from_dict(out, orient="index").reindex(columns=methods)
    table.index = pd.MultiIndex.from_tuples(table.index, names=CELL) if len(table) else table.index
    return table


def mean_ranks(summary: pd.DataFrame) -> pd.DataFrame:
    """Mean rank of every method across all cells, per ranked metric.

    Returns
    -------
    pandas.DataFrame
        Index: method, sorted by mean RMSE rank; columns: one per
        :data:`RANKED_METRICS`, ``cells`` (cells it ran in) and ``completed``
        (cells it finished on every seed).
    """
    if summary.empty:
        return pd.DataFrame(columns=[*RANKED_METRICS, "cells", "completed"])
    table = pd.DataFrame({m: cell_ranks(summary, m).mean(axis=0) for m in RANKED_METRICS})
    counts = summary.groupby("method", sort=False)["completed"].agg(["size", "sum"])
    table["cells"] = counts["size"].reindex(table.index).astype(int)
    table["completed"] = counts["sum"].reindex(table.index).astype(int)
    table.index.name = "method"
    return table.sort_values("rmse", kind="stable")


def mechanism_ranks(summary: pd.DataFrame, metric: str = "rmse") -> pd.DataFrame:
    """Mean rank by ``metric`` of every method within each mechanism (rows) across its cells."""
    ranks = cell_ranks(summary, metric)
    if ranks.empty:
        return ranks
    return ranks.groupby(level="mechanism", sort=False).mean()
