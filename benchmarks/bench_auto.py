"""``--method auto`` scored on the real hidden cells of the benchmark grid (docs/uncertainty.md).

For every case (``wine, glass, cpus, iris, crabs, penguins`` and the held-out ``diabetes, pima``
x ``mcar, mar, mnar_logistic`` at 30% x seeds ``0, 1, 2``; :func:`revimpute.bench.cases.prepare_case`):

* every candidate of :data:`revimpute.impute.NUMERIC_CANDIDATES` (``reverse, mean, knn,
  iterative, iterative_trees``) is fitted on the holed table with ``random_state=seed`` and scored on
  the hidden cells (RMSE, min-max scaled table, as the grid): the single methods;
* ``AutoImputer(random_state=seed).choose(holed)`` hides 20% of the observed cells, fits every
  candidate on that and chooses per column; its imputation takes each column from the single
  method chosen for it (what ``fit_chosen`` + ``transform`` give: the same fits, checked bitwise
  on the first case). The choice is made three ways from the same held-out errors: the smallest
  RMSE (``confidence=0``), and a candidate replacing ``reverse`` only when a paired bootstrap
  test says it is better at 50% or at 90% (the default); and each of the three again with the
  table's default taken from ``table_choice_at`` (the candidate that beats ``reverse`` over all the
  held-out cells of the table) instead of ``reverse``;
* time: the choice's seconds (every candidate on the held-out split), and ``auto``'s total
  (choice + the chosen methods fitted) against ``reverse`` alone.

Reported: per case ``RMSE(auto) / RMSE(best single method of that case)`` and ``/ RMSE(reverse)``,
their medians, and how often auto is worse than the best single method by more than 2%.
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

DATASETS = ["wine", "glass", "cpus", "iris", "crabs", "penguins", "diabetes", "pima"]
MECHANISMS = ["mcar", "mar", "mnar_logistic"]
CONFIDENCES = [0.0, 0.5, 0.9]


def rmse(truth: np.ndarray, guess: np.ndarray, mask: np.ndarray) -> float:
    return float(np.sqrt(np.mean((guess[mask] - truth[mask]) ** 2)))


def run_case(case: Case, check: bool) -> dict:
    data = prepare_case(case)
    truth, holed, mask = data.truth, data.holed, data.mask
    row: dict = {"dataset": case.dataset, "mechanism": case.mechanism, "seed": case.seed, "single": {},
                 "seconds": {}}
    outputs = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probe = AutoImputer(random_state=case.seed)
        for name in NUMERIC_CANDIDATES:
            start = time.perf_counter()
            outputs[name] = np.asarray(probe.candidate(name).fit_transform(holed), dtype=np.float64)
            row["seconds"][name] = time.perf_counter() - start
            row["single"][name] = rmse(truth, outputs[name], mask)
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
    if check:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            full = auto.fit_chosen(holed).transform(holed)
        combined = np.column_stack([outputs[m][:, j] for j, m in enumerate(auto.column_methods_)])
        assert np.array_equal(full, combined), "AutoImputer.transform differs from the combined single methods"
        row["checked_against_transform"] = True
    return row


def summarise(path: Path) -> str:
    doc = json.loads(path.read_text())
    rows = doc["cases"]
    lines = [f"code at {doc['environment']['git_commit']}; {len(rows)} cases", "",
             "| choice | median RMSE auto / best single (per case) | mean | worse than best by > 2% | "
             "median auto / reverse | median auto / best-on-median single |", "|---|---|---|---|---|---|"]
    singles = list(rows[0]["single"])
    overall = {m: np.median([r["single"][m] for r in rows]) for m in singles}
    best_overall = min(overall, key=overall.get)
    for key in rows[0]["auto"]:
        best = np.array([r["auto"][key] / min(r["single"].values()) for r in rows])
        vs_reverse = np.array([r["auto"][key] / r["single"]["reverse"] for r in rows])
        vs_overall = np.array([r["auto"][key] / r["single"][best_overall] for r in rows])
        rule = f"table default, confidence {key[6:]}" if key.startswith("table_") else f"confidence {key}"
        lines.append(f"| {rule} | {np.median(best):.4f} | {best.mean():.4f} | "
                     f"{np.mean(best > 1.02):.0%} | {np.median(vs_reverse):.4f} | {np.median(vs_overall):.4f} |")
    lines += ["", "median RMSE of the single methods: " + ", ".join(f"{m} {v:.4f}" for m, v in overall.items())
              + f" (best on the median: {best_overall})",
              "how often each single method is the best of its case: " + ", ".join(
                  f"{m} {np.mean([min(r['single'], key=r['single'].get) == m for r in rows]):.0%}" for m in singles),
              "median seconds: " + ", ".join(f"{k} {np.median([r['seconds'][k] for r in rows]):.1f}"
                                             for k in rows[0]["seconds"]),
              f"median auto total / reverse alone (default confidence): "
              f"{np.median([r['seconds']['auto_total_0.9'] / r['seconds']['reverse'] for r in rows]):.2f}"]
    shares = {}
    for r in rows:
        for m in r["choices"]["0.9"]:
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
                print(f"{dataset:9s} {mechanism:14s} seed {seed}: auto {row['auto']['0.9']:.4f} best single "
                      f"{best} {row['single'][best]:.4f} reverse {row['single']['reverse']:.4f}; "
                      f"{time.perf_counter() - start:.0f} s", flush=True)
    print(summarise(args.out))


if __name__ == "__main__":
    main()
