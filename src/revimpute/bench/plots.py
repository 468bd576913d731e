"""Benchmark figures (matplotlib ``Figure`` objects rendered by Agg to PNG; pyplot is not used).

* ``rmse_vs_rate.png`` - one panel per mechanism: mean RMSE over the datasets
  against the missing rate, one line per method.
* ``rmse_by_dataset.png`` - one panel per mechanism: each method's RMSE per
  dataset divided by that of mean imputation (at the rate with most cells).
* ``accuracy_vs_time.png`` - mean RMSE rank and mean downstream rank of each
  method against its median wall time per run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from revimpute.bench.summary import CELL, mean_ranks
from revimpute.docstrings import fill_doc

__all__ = ["plot_accuracy_vs_time", "plot_rmse_by_dataset", "plot_rmse_vs_rate", "write_plots"]


def _pyplot():
    """The ``Figure`` class: figures made without pyplot render PNGs through Agg
    and leave the global backend alone."""
    from matplotlib.figure import Figure

    return Figure


def _colours(methods: list[str]) -> dict[str, tuple]:
    from matplotlib import colormaps

    cmap = colormaps["tab20"]
    return {m: cmap(i % 20) for i, m in enumerate(methods)}


def _legend(fig: Any, axes: Any) -> None:
    """One legend right of the panels, each label once (in the order the panels first show it)."""
    handles, labels = [], []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="outside right center", fontsize=8)


def _save(fig: Any, path: str | os.PathLike) -> Path:
    target = Path(path)
    fig.savefig(target, dpi=110)
    return target


_figure_file = fill_doc(
    figure_file="""
        Parameters
        ----------
        summary : pandas.DataFrame
            From :func:`revimpute.bench.summary.summarise`.
        path : path
            Where to write the PNG.

        Returns
        -------
        pathlib.Path""",
)


@_figure_file
def plot_rmse_vs_rate(summary: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Mean RMSE (over the datasets a method finished) against the missing rate, per mechanism.

    %(figure_file)s
    """
    Figure = _pyplot()
    mechanisms = list(dict.fromkeys(summary["mechanism"]))
    methods = list(dict.fromkeys(summary["method"]))
    colours = _colours(methods)
    fig = Figure(figsize=(4.2 * len(mechanisms), 4.0), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(mechanisms), sharey=True, squeeze=False)[0])
    finished = summary[summary["completed"]]
    n_datasets = summary["dataset"].nunique()
    for ax, mechanism in zip(axes, mechanisms):
        part = finished[finished["mechanism"] == mechanism]
        for method in methods:
            rows = part[part["method"] == method].groupby("rate")["rmse_mean"].agg(["mean", "size"])
            if rows.empty:
                continue
            style = "-" if method in ("reverse", "autoencoder") else "--"
            ax.plot(rows.index, rows["mean"], style, marker="o", color=colours[method], label=method,
                    linewidth=2.2 if method == "reverse" else 1.2)
        ax.set_title(mechanism)
        ax.set_xlabel("missing rate (nominal)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(f"RMSE on hidden cells (mean over ≤{n_datasets} datasets)")
    _legend(fig, axes)
    return _save(fig, path)


@_figure_file
def plot_accuracy_vs_time(summary: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Mean RMSE rank and mean downstream rank against median seconds per run.

    %(figure_file)s
    """
    Figure = _pyplot()
    ranks = mean_ranks(summary)
    seconds = summary[summary["completed"]].groupby("method")["seconds_mean"].median()
    colours = _colours(list(dict.fromkeys(summary["method"])))
    fig = Figure(figsize=(10.0, 4.2), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, metric, label in ((axes[0], "rmse", "mean RMSE rank"),
                              (axes[1], "downstream", "mean downstream-score rank")):
        for method in ranks.index:
            if method not in seconds.index:
                continue
            x, y = max(float(seconds[method]), 1e-3), float(ranks.loc[method, metric])
            ax.scatter([x], [y], color=colours[method], s=60 if method == "reverse" else 30, zorder=3)
            ax.annotate(method, (x, y), textcoords="offset points", xytext=(4, 3), fontsize=8)
        ax.set_xscale("log")
        ax.invert_yaxis()
        ax.set_xlabel("median seconds per run (fit + imputation, one thread)")
        ax.set_ylabel(f"{label} (1 = best)")
        ax.grid(alpha=0.3, which="both")
    n_cells = summary[CELL].drop_duplicates().shape[0]
    fig.suptitle(f"Accuracy against time over {n_cells} cell(s); unfinished cells count as last")
    return _save(fig, path)


@_figure_file
def plot_rmse_by_dataset(summary: pd.DataFrame, path: str | os.PathLike) -> Path:
    """RMSE of every method per dataset, relative to mean imputation, one panel per mechanism.

    Uses the rate with the most cells. Methods that did not finish a cell are
    left out of it (their absence is the report's "status" column).

    %(figure_file)s
    """
    Figure = _pyplot()
    rate = summary.groupby("rate")["dataset"].nunique().idxmax()
    part = summary[(summary["rate"] == rate) & summary["completed"]]
    mechanisms = list(dict.fromkeys(part["mechanism"]))
    methods = list(dict.fromkeys(summary["method"]))
    colours = _colours(methods)
    relative = "mean" in set(part["method"])
    fig = Figure(figsize=(4.6 * max(len(mechanisms), 1), 4.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, max(len(mechanisms), 1), sharey=True, squeeze=False)[0])
    for ax, mechanism in zip(axes, mechanisms):
        cell = part[part["mechanism"] == mechanism]
        datasets = list(dict.fromkeys(cell["dataset"]))
        base = cell[cell["method"] == "mean"].set_index("dataset")["rmse_mean"] if relative else None
        width = 0.8 / max(len(methods), 1)
        for k, method in enumerate(methods):
            rows = cell[cell["method"] == method].set_index("dataset")["rmse_mean"]
            xs = [i + (k - (len(methods) - 1) / 2) * width for i, d in enumerate(datasets) if d in rows.index]
            ys = [rows[d] / (base[d] if relative else 1.0) for d in datasets if d in rows.index]
            marker = "*" if method == "reverse" else "o"
            ax.scatter(xs, ys, color=colours[method], marker=marker, s=70 if method == "reverse" else 22,
                       label=method, zorder=3)
        ax.set_xticks(range(len(datasets)), datasets, rotation=30, ha="right")
        ax.set_title(f"{mechanism}, {rate:.0%} missing")
        ax.grid(alpha=0.3, axis="y")
    axes[0].set_ylabel("RMSE / RMSE of mean imputation" if relative else "RMSE on hidden cells")
    _legend(fig, axes)
    return _save(fig, path)


def write_plots(summary: pd.DataFrame, out_dir: str | os.PathLike) -> list[Path]:
    """Draw the figures into ``out_dir``; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [plot_rmse_vs_rate(summary, out / "rmse_vs_rate.png"),
            plot_rmse_by_dataset(summary, out / "rmse_by_dataset.png"),
            plot_accuracy_vs_time(summary, out / "accuracy_vs_time.png")]
