"""Coverage of revimpute's calibrated intervals on the benchmark grid (docs/uncertainty.md).

For every case of the grid (``wine, glass, cpus, iris, crabs, penguins`` x ``mcar, mar,
mnar_logistic`` at 30% x seeds ``0, 1, 2``, the cases of ``run_full_benchmark.sh``) and of the
held-out tables (``diabetes, pima``, same mechanisms and seeds), on the min-max scaled table
with the mechanism's cells hidden (:func:`revimpute.bench.cases.prepare_case`):

* ``ReverseImputer(calibration=SHARE, random_state=seed)`` is fitted on the holed table and
  ``impute_with_uncertainty`` gives intervals at 80%, 90% and 95%; the share of the hidden
  cells' true values inside them is the coverage, and their median width is reported
  (``adaptive``: the estimator's intervals; ``plain``: the same held-out residuals with one
  width per column, ``|residual|`` quantiles without the ensemble's spread);
* ``ReverseImputer(random_state=seed)`` without calibration is fitted too: the RMSE of both on
  the hidden cells is the accuracy cost of holding rows out;
* ``IterativeImputer(sample_posterior=True, random_state=k)``, ``k = 0..4`` (BayesianRidge,
  10 rounds), gives 5 draws per hidden cell: their standard deviation, the width and coverage
  of ``mean -/+ 1.645 sd`` (a normal 90% interval) and of ``[min, max]`` of the draws.

One case at a time, niced, one thread; results are written after every case (start the
script again to continue). From the repository root:

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/bench_uncertainty.py \\
        --out benchmarks/results/uncertainty/coverage.json
    python benchmarks/bench_uncertainty.py --summary benchmarks/results/uncertainty/coverage.json

``--datasets``, ``--mechanisms``, ``--seeds`` and ``--share`` narrow or change the run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer
from sklearn.linear_model import BayesianRidge

from revimpute import ReverseImputer
from revimpute.bench.cases import Case, prepare_case
from revimpute.bench.provenance import environment_info

GRID = ["wine", "glass", "cpus", "iris", "crabs", "penguins"]
HELD_OUT = ["diabetes", "pima"]
MECHANISMS = ["mcar", "mar", "mnar_logistic"]
COVERAGES = [0.8, 0.9, 0.95]


def rmse(truth: np.ndarray, guess: np.ndarray, mask: np.ndarray) -> float:
    return float(np.sqrt(np.mean((guess[mask] - truth[mask]) ** 2)))


def interval_stats(truth: np.ndarray, lower: np.ndarray, upper: np.ndarray, mask: np.ndarray) -> dict:
    inside = (truth >= lower) & (truth <= upper)
    width = (upper - lower)[mask]
    return {"coverage": float(inside[mask].mean()), "median_width": float(np.median(width)),
            "mean_width": float(np.mean(width)),
            "column_coverage": [float(inside[mask[:, j], j].mean()) if mask[:, j].any() else None
                                for j in range(mask.shape[1])]}


def plain(imputer: ReverseImputer) -> ReverseImputer:
    """A copy of ``imputer`` whose calibration ignores the spread (one width per column)."""
    other = dataclasses.replace(imputer.calibration_, floor=np.full_like(imputer.calibration_.floor, 1e3))
    clone = ReverseImputer.__new__(ReverseImputer)
    clone.__dict__.update(imputer.__dict__)
    clone.calibration_ = other
    return clone


def run_case(case: Case, share: float) -> dict:
    data = prepare_case(case)
    truth, holed, mask = data.truth, data.holed, data.mask
    row: dict = {"dataset": case.dataset, "mechanism": case.mechanism, "rate": case.rate, "seed": case.seed,
                 "shape": list(holed.shape), "missing_share": float(mask.mean()), "hidden_cells": int(mask.sum())}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        reference = ReverseImputer(random_state=case.seed).fit(holed)
        filled = reference.transform(holed)
        row["seconds_uncalibrated"] = time.perf_counter() - start
        row["rmse_uncalibrated"] = rmse(truth, filled, mask)
        start = time.perf_counter()
        imputer = ReverseImputer(random_state=case.seed, calibration=share).fit(holed)
        row["seconds_fit_calibrated"] = time.perf_counter() - start
        start = time.perf_counter()
        row["adaptive"], row["plain"] = {}, {}
        for coverage in COVERAGES:
            result = imputer.impute_with_uncertainty(holed, coverage)
            row["adaptive"][str(coverage)] = interval_stats(truth, result.lower, result.upper, mask)
            other = plain(imputer).impute_with_uncertainty(holed, coverage)
            row["plain"][str(coverage)] = interval_stats(truth, other.lower, other.upper, mask)
        row["seconds_intervals"] = (time.perf_counter() - start) / (2 * len(COVERAGES))
        row["rmse_calibrated"] = rmse(truth, result.imputed, mask)
        row["calibration_scores"] = int(len(imputer.calibration_.column))
        start = time.perf_counter()
        draws = np.stack(imputer.sample(holed, 5, random_state=0))
        row["seconds_sample5"] = time.perf_counter() - start
        row["reverse_draws"] = draw_stats(truth, draws, mask)
        start = time.perf_counter()
        iterative = np.stack([
            IterativeImputer(estimator=BayesianRidge(), max_iter=10, sample_posterior=True, random_state=k)
            .fit_transform(holed) for k in range(5)
        ])
        row["seconds_iterative5"] = time.perf_counter() - start
        row["iterative_draws"] = draw_stats(truth, iterative, mask)
        row["rmse_iterative_mean"] = rmse(truth, iterative.mean(axis=0), mask)
    return row


def draw_stats(truth: np.ndarray, draws: np.ndarray, mask: np.ndarray) -> dict:
    """Spread of m draws per hidden cell and the coverage of the intervals they give."""
    mean, sd = draws.mean(axis=0), draws.std(axis=0, ddof=1)
    normal = interval_stats(truth, mean - 1.645 * sd, mean + 1.645 * sd, mask)
    ranged = interval_stats(truth, draws.min(axis=0), draws.max(axis=0), mask)
    return {"median_sd": float(np.median(sd[mask])), "normal90": normal, "range": ranged}


def cases(datasets: list[str], mechanisms: list[str], seeds: list[int]) -> list[Case]:
    return [Case(d, m, 0.3, s) for s in seeds for d in datasets for m in mechanisms]


def summarise(path: Path) -> str:
    doc = json.loads(path.read_text())
    rows = doc["cases"]
    lines = [f"code at {doc['environment']['git_commit']}, calibration share {doc['share']}; {len(rows)} cases:"]
    for seed in sorted({r["seed"] for r in rows}):
        done = [r for r in rows if r["seed"] == seed]
        tables = list(dict.fromkeys(r["dataset"] for r in done))
        lines.append(f"seed {seed}: {len(done)} cases, tables {', '.join(tables)}")
    lines.append("")
    lines.append("| tables | mechanism | cases | adaptive 80% | adaptive 90% | adaptive 95% | plain 90% | "
                 "median width 90% (adaptive / plain) | iterative m=5: median sd, normal-90% coverage, width | "
                 "reverse m=5: median sd, normal-90% coverage | RMSE calibrated / uncalibrated |")
    lines.append("|" + "---|" * 11)
    for group, names in (("grid", GRID), ("held-out", HELD_OUT)):
        for mechanism in MECHANISMS:
            sel = [r for r in rows if r["dataset"] in names and r["mechanism"] == mechanism]
            if not sel:
                continue
            cov = {c: np.mean([r["adaptive"][str(c)]["coverage"] for r in sel]) for c in COVERAGES}
            plain90 = np.mean([r["plain"]["0.9"]["coverage"] for r in sel])
            width = np.median([r["adaptive"]["0.9"]["median_width"] for r in sel])
            pwidth = np.median([r["plain"]["0.9"]["median_width"] for r in sel])
            it_sd = np.median([r["iterative_draws"]["median_sd"] for r in sel])
            it_cov = np.mean([r["iterative_draws"]["normal90"]["coverage"] for r in sel])
            it_w = np.median([r["iterative_draws"]["normal90"]["median_width"] for r in sel])
            rev_sd = np.median([r["reverse_draws"]["median_sd"] for r in sel])
            rev_cov = np.mean([r["reverse_draws"]["normal90"]["coverage"] for r in sel])
            cost = np.median([r["rmse_calibrated"] / r["rmse_uncalibrated"] for r in sel])
            lines.append(
                f"| {group} | {mechanism} | {len(sel)} | {cov[0.8]:.1%} | {cov[0.9]:.1%} | {cov[0.95]:.1%} | "
                f"{plain90:.1%} | {width:.3f} / {pwidth:.3f} | {it_sd:.3f}, {it_cov:.1%}, {it_w:.3f} | "
                f"{rev_sd:.3f}, {rev_cov:.1%} | {cost:.3f} |"
            )
    ratios = [r["rmse_calibrated"] / r["rmse_uncalibrated"] for r in rows]
    lines += ["", f"RMSE with calibration / without, over {len(rows)} cases: median {np.median(ratios):.3f}, "
              f"mean {np.mean(ratios):.3f}, worse in {np.mean(np.array(ratios) > 1):.0%} of cases",
              f"seconds per case (median): uncalibrated fit+transform "
              f"{np.median([r['seconds_uncalibrated'] for r in rows]):.1f}, calibrated fit "
              f"{np.median([r['seconds_fit_calibrated'] for r in rows]):.1f}, intervals "
              f"{np.median([r['seconds_intervals'] for r in rows]):.2f}, sample m=5 "
              f"{np.median([r['seconds_sample5'] for r in rows]):.2f}, IterativeImputer x5 "
              f"{np.median([r['seconds_iterative5'] for r in rows]):.2f}"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/uncertainty/coverage.json"))
    parser.add_argument("--datasets", nargs="+", default=GRID + HELD_OUT)
    parser.add_argument("--mechanisms", nargs="+", default=MECHANISMS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--share", type=float, default=0.1)
    parser.add_argument("--summary", type=Path, help="only print the summary of this results file")
    args = parser.parse_args()
    if args.summary:
        print(summarise(args.summary))
        return
    torch.set_num_threads(1)
    doc = {"environment": environment_info(), "share": args.share, "cases": []}
    if args.out.exists():
        doc = json.loads(args.out.read_text())
    done = {(r["dataset"], r["mechanism"], r["seed"]) for r in doc["cases"]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for case in cases(args.datasets, args.mechanisms, args.seeds):
        if (case.dataset, case.mechanism, case.seed) in done:
            continue
        start = time.perf_counter()
        row = run_case(case, args.share)
        doc["cases"].append(row)
        args.out.write_text(json.dumps(doc, indent=1))
        print(f"{case.dataset:9s} {case.mechanism:14s} seed {case.seed}: 90% coverage "
              f"{row['adaptive']['0.9']['coverage']:.3f} (plain {row['plain']['0.9']['coverage']:.3f}), "
              f"width {row['adaptive']['0.9']['median_width']:.3f}; RMSE {row['rmse_calibrated']:.4f} vs "
              f"{row['rmse_uncalibrated']:.4f}; {time.perf_counter() - start:.0f} s", flush=True)
    print(summarise(args.out))


if __name__ == "__main__":
    main()
