"""``--method auto`` scored on the real hidden cells of the benchmark grid (docs/uncertainty.md).

For every case (``wine, glass, cpus, iris, crabs, penguins`` and the held-out ``diabetes, pima``
x ``mcar, mar, mnar_logistic`` at 30% x seeds ``0, 1, 2``; :func:`revimpute.bench.cases.prepare_case`):

* every candidate of :data:`revimpute.impute.NUMERIC_CANDIDATES` (``reverse, mean, knn,
  iterative, iterative_trees``) is fitted on the holed table with ``random_state=seed`` and scored on
  the hidden cells (RMSE, min-max scaled table, as the grid): the single methods;
* ``AutoImputer(random_state=seed).choose(holed)`` hides 20% of the observed cells (the default
  ``split="patterns"``: other rows' gaps copied onto the rows with the fewest gaps), fits every
  candidate on that and chooses per column; its imputation takes each column from the single
  method chosen for it (what ``fit_chosen`` + ``transform`` give: the same fits, checked bitwise
  on the first case). The choice is made several ways from the same held-out errors: the smallest
  RMSE (``confidence=0``), and candidates replacing ``reverse`` only when paired bootstrap tests,
  Holm-corrected over the candidates, say so at familywise 90% or 95% (the default); each of the
  three again with the table's default taken from ``table_choice_at`` (the candidate that beats
  ``reverse`` over all the held-out cells of the table) instead of ``reverse``; and the rule before
  Holm's (each candidate in turn against the current best at 90%, uncorrected) on the same errors;
* time: the choice's seconds (every candidate on the held-out split), and ``auto``'s total
  (choice + the chosen methods fitted) against ``reverse`` alone.

Each case also stores every single method's per-column sum of squared errors on the hidden cells
and their count (``sse``, ``n``). Reported, for the tables the rule was chosen on (wine, glass,
cpus), those that confirm it (iris, crabs, penguins; diabetes, pima), the grid and all: per case
``RMSE(auto) / RMSE(best single method of that case)`` and ``/ RMSE(reverse)``, their medians, and
how often auto is worse than the best single method by more than 2%.
From the repository root:

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/bench_auto.py --out benchmarks/results/uncertainty/auto.json
    python benchmarks/bench_auto.py --summary benchmarks/results/uncertainty/auto.json

Results are written after every case; the script continues a file it finds.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from revimpute.bench.cases import Case, prepare_case
from revimpute.bench.provenance import environment_info
from revimpute.impute import NUMERIC_CANDIDATES, AutoImputer
from revimpute.impute._auto import better_than

DATASETS = ["wine", "glass", "cpus", "iris", "crabs", "penguins", "diabetes", "pima"]
MECHANISMS = ["mcar", "mar", "mnar_logistic"]
CONFIDENCES = [0.0, 0.9, 0.95]
DEFAULT = str(AutoImputer().confidence)


def rmse(truth: np.ndarray, guess: np.ndarray, mask: np.ndarray) -> float:
    return float(np.sqrt(np.mean((guess[mask] - truth[mask]) ** 2)))


def sequential_choices(auto: AutoImputer, confidence: float) -> list[str]:
    """The rule before ``holm_choice``: each candidate in turn must beat the current best at ``confidence``."""
    names = [n for n in auto.scores_.index if n not in auto.failed_]
    chosen = []
    for j in range(auto.scores_.shape[1]):
        best = names[0]
        for name in names:
            errors = auto.cell_errors_.get((name, j))
            if name != best and errors is not None and (best, j) in auto.cell_errors_ and better_than(
                    errors, auto.cell_errors_[(best, j)], confidence, seed=int(auto.random_state) + j):
                best = name
        chosen.append(best)
    return chosen


def run_case(case: Case, check: bool) -> dict:
    data = prepare_case(case)
    truth, holed, mask = data.truth, data.holed, data.mask
    row: dict = {"dataset": case.dataset, "mechanism": case.mechanism, "seed": case.seed, "single": {},
                 "seconds": {}, "n": mask.sum(axis=0).tolist(), "sse": {}}
    outputs = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probe = AutoImputer(random_state=case.seed)
        for name in NUMERIC_CANDIDATES:
            start = time.perf_counter()
            outputs[name] = np.asarray(probe.candidate(name).fit_transform(holed), dtype=np.float64)
            row["seconds"][name] = time.perf_counter() - start
            row["single"][name] = rmse(truth, outputs[name], mask)
            row["sse"][name] = (np.where(mask, outputs[name] - truth, 0.0) ** 2).sum(axis=0).tolist()
        start = time.perf_counter()
        auto = AutoImputer(random_state=case.seed).choose(holed)
        row["seconds"]["choose"] = time.perf_counter() - start
    row["auto"], row["choices"] = {}, {}
    for confidence in CONFIDENCES:
        for key, table_default in ((str(confidence), False), (f"table_{confidence}", True)):
            methods = auto.choices_at(confidence, table_default=table_default)
            combined = np.column_stack([outputs[m][:, j] for j, m in enumerate(methods)])
            row["auto"][key] = rmse(truth, combined, mask)
            row["choices"][key] = methods
            row["seconds"][f"auto_total_{key}"] = row["seconds"]["choose"] + sum(
                row["seconds"][m] for m in set(methods))
    methods = sequential_choices(auto, 0.9)
    combined = np.column_stack([outputs[m][:, j] for j, m in enumerate(methods)])
    row["auto"]["sequential_0.9"], row["choices"]["sequential_0.9"] = rmse(truth, combined, mask), methods
    row["seconds"]["auto_total_sequential_0.9"] = row["seconds"]["choose"] + sum(
        row["seconds"][m] for m in set(methods))
    if check:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            full = auto.fit_chosen(holed).transform(holed)
        combined = np.column_stack([outputs[m][:, j] for j, m in enumerate(auto.column_methods_)])
        assert np.array_equal(full, combined), "AutoImputer.transform differs from the combined single methods"
        row["checked_against_transform"] = True
    return row


GROUPS = {
    "rule chosen on (wine, glass, cpus)": {"wine", "glass", "cpus"},
    "confirming grid tables (iris, crabs, penguins)": {"iris", "crabs", "penguins"},
    "grid": {"wine", "glass", "cpus", "iris", "crabs", "penguins"},
    "held-out tables (diabetes, pima)": {"diabetes", "pima"},
    "all": set(DATASETS),
}


def summarise(path: Path) -> str:
    doc = json.loads(path.read_text())
    rows = doc["cases"]
    lines = [f"code at {doc['environment']['git_commit']}; {len(rows)} cases", "",
             "| cases | choice | median RMSE auto / best single (per case) | mean | worse than best by > 2% | "
             "median auto / reverse | median auto / best-on-median single |", "|---|---|---|---|---|---|---|"]
    singles = list(rows[0]["single"])
    overall = {m: np.median([r["single"][m] for r in rows]) for m in singles}
    best_overall = min(overall, key=overall.get)
    for group, tables in GROUPS.items():
        part = [r for r in rows if r["dataset"] in tables]
        if not part:
            continue
        for key in rows[0]["auto"]:
            best = np.array([r["auto"][key] / min(r["single"].values()) for r in part])
            vs_reverse = np.array([r["auto"][key] / r["single"]["reverse"] for r in part])
            vs_overall = np.array([r["auto"][key] / r["single"][best_overall] for r in part])
            if key.startswith("sequential_"):
                rule = f"before: sequential tests at {key[11:]}"
            elif key.startswith("table_"):
                rule = f"table default, confidence {key[6:]}"
            else:
                rule = f"confidence {key}"
            lines.append(f"| {group}, {len(part)} | {rule} | {np.median(best):.4f} | {best.mean():.4f} | "
                         f"{np.mean(best > 1.02):.0%} | {np.median(vs_reverse):.4f} | {np.median(vs_overall):.4f} |")
        lines.append(f"| {group}, {len(part)} | (reverse alone) | "
                     f"{np.median([r['single']['reverse'] / min(r['single'].values()) for r in part]):.4f} | | | | |")
        lines.append(f"| {group}, {len(part)} | (median seconds: reverse / auto total) | "
                     f"{np.median([r['seconds']['reverse'] for r in part]):.1f} / "
                     f"{np.median([r['seconds'][f'auto_total_{DEFAULT}'] for r in part]):.1f} | | | | |")
    lines += ["", "median RMSE of the single methods: " + ", ".join(f"{m} {v:.4f}" for m, v in overall.items())
              + f" (best on the median: {best_overall})",
              "how often each single method is the best of its case: " + ", ".join(
                  f"{m} {np.mean([min(r['single'], key=r['single'].get) == m for r in rows]):.0%}" for m in singles),
              "median seconds: " + ", ".join(f"{k} {np.median([r['seconds'][k] for r in rows]):.1f}"
                                             for k in rows[0]["seconds"]),
              f"median auto total / reverse alone (default confidence): "
              f"{np.median([r['seconds'][f'auto_total_{DEFAULT}'] / r['seconds']['reverse'] for r in rows]):.2f}"]
    shares = {}
    for r in rows:
        for m in r["choices"][DEFAULT]:
            shares[m] = shares.get(m, 0) + 1
    total = sum(shares.values())
    lines.append("columns chosen (default confidence): " + ", ".join(
        f"{m} {n / total:.0%}" for m, n in sorted(shares.items(), key=lambda x: -x[1])))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/uncertainty/auto.json"))
    parser.add_argument("--datasets", nargs="+", default=DATASETS)
    parser.add_argument("--mechanisms", nargs="+", default=MECHANISMS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--summary", type=Path, help="only print the summary of this results file")
    args = parser.parse_args()
    if args.summary:
        print(summarise(args.summary))
        return
    torch.set_num_threads(1)
    doc = {"environment": environment_info(), "candidates": list(NUMERIC_CANDIDATES), "cases": []}
    if args.out.exists():
        doc = json.loads(args.out.read_text())
    done = {(r["dataset"], r["mechanism"], r["seed"]) for r in doc["cases"]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for seed in args.seeds:
        for dataset in args.datasets:
            for mechanism in args.mechanisms:
                if (dataset, mechanism, seed) in done:
                    continue
                start = time.perf_counter()
                row = run_case(Case(dataset, mechanism, 0.3, seed), check=not doc["cases"])
                doc["cases"].append(row)
                args.out.write_text(json.dumps(doc, indent=1))
                best = min(row["single"], key=row["single"].get)
                print(f"{dataset:9s} {mechanism:14s} seed {seed}: auto {row['auto'][DEFAULT]:.4f} best single "
                      f"{best} {row['single'][best]:.4f} reverse {row['single']['reverse']:.4f}; "
                      f"{time.perf_counter() - start:.0f} s", flush=True)
    print(summarise(args.out))


if __name__ == "__main__":
    main()
