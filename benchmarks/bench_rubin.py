"""Multiple imputation with known truth: does the 95% Rubin interval cover the coefficient?

Each repetition draws a fresh table of ``N`` rows (default 500):

* ``x1, x2, a`` jointly normal, unit variances, correlations ``x1-x2 0.5``, ``x1-a 0.6``,
  ``x2-a 0.3`` (``a`` is an auxiliary column, not in the analysis);
* ``y = 1 + 1 * x1 + 0.5 * x2 + e``, ``e`` standard normal;
* ``x1`` and ``x2`` each lose 30% of their cells at random given the always observed ``y`` and
  ``a`` (MAR): ``P(missing) = expit(b + (y_std + a) / sqrt(2))``, ``b`` set so that the expected
  share is 0.3 (``revimpute.bench.missingness`` fits it the same way).

The analysis is the least-squares regression ``y ~ x1 + x2``; the quantity is the coefficient
of ``x1`` (truth 1), its variance the usual ``sigma^2 (X'X)^-1``. Methods:

* ``revimpute``: ``ReverseImputer(calibration=0.1, random_state=rep).fit(holed)``, then
  ``sample(holed, 5, random_state=rep)``, the 5 analyses pooled with
  :func:`revimpute.uncertainty.pool` (``dfcom = N - 3``, Barnard-Rubin degrees of freedom);
* ``iterative``: 5 runs of ``IterativeImputer(sample_posterior=True, random_state=5 * rep + k)``
  (BayesianRidge, 10 rounds), pooled the same way;
* ``complete_case``: the rows with no gap;
* ``revimpute_single``: the one ``transform`` of the calibrated model analysed as if complete
  (what an analysis that ignores the imputation's uncertainty gets).

Reported per method: coverage of the 95% interval, bias, empirical SD of the estimate, mean
standard error, mean interval width. From the repository root:

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/bench_rubin.py \\
        --out benchmarks/results/uncertainty/rubin.json
    python benchmarks/bench_rubin.py --summary benchmarks/results/uncertainty/rubin.json

Results are written after every repetition; the script continues a file it finds. ``--first K``
starts at repetition ``K`` (a second process can run ``--first 100 --out rubin-2.json`` beside the
first); ``--summary`` takes several files and counts each repetition once.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from scipy import stats
from scipy.optimize import brentq
from scipy.special import expit
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer
from sklearn.linear_model import BayesianRidge

from revimpute import ReverseImputer
from revimpute.bench.provenance import environment_info
from revimpute.uncertainty import pool

TRUE_BETA = 1.0
METHODS = ["revimpute", "iterative", "complete_case", "revimpute_single"]


def make_table(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The complete table ``[y, x1, x2, a]`` and the table with its MAR holes."""
    corr = np.array([[1.0, 0.5, 0.6], [0.5, 1.0, 0.3], [0.6, 0.3, 1.0]])
    x1, x2, a = (rng.standard_normal((n, 3)) @ np.linalg.cholesky(corr).T).T
    y = 1.0 + TRUE_BETA * x1 + 0.5 * x2 + rng.standard_normal(n)
    full = np.column_stack([y, x1, x2, a])
    drive = ((y - y.mean()) / y.std() + a) / np.sqrt(2.0)
    holed = full.copy()
    for j in (1, 2):
        shift = brentq(lambda b: expit(drive + b).mean() - 0.3, -20, 20)
        holed[rng.random(n) < expit(drive + shift), j] = np.nan
    return full, holed


def ols(table: np.ndarray) -> tuple[float, float]:
    """Coefficient of x1 in ``y ~ 1 + x1 + x2`` and its variance."""
    y, X = table[:, 0], np.column_stack([np.ones(len(table)), table[:, 1], table[:, 2]])
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ coef
    sigma2 = resid @ resid / (len(y) - X.shape[1])
    return float(coef[1]), float(sigma2 * np.linalg.inv(X.T @ X)[1, 1])


def pooled(tables: list[np.ndarray], dfcom: float) -> dict:
    estimates, variances = zip(*(ols(t) for t in tables))
    result = pool(list(estimates), list(variances), dfcom=dfcom)
    low, high = result.confidence_interval(0.95)
    return {"estimate": result.estimate, "se": result.std_error, "low": float(low), "high": float(high),
            "fmi": result.fmi, "df": result.df}


def single(table: np.ndarray) -> dict:
    estimate, variance = ols(table)
    half = stats.t.ppf(0.975, len(table) - 3) * np.sqrt(variance)
    return {"estimate": estimate, "se": float(np.sqrt(variance)), "low": estimate - half, "high": estimate + half}


def repetition(rep: int, n: int, m: int, share: float) -> dict:
    rng = np.random.default_rng([2024, rep])
    _, holed = make_table(n, rng)
    row: dict = {"rep": rep, "missing_share": float(np.isnan(holed).mean())}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        imputer = ReverseImputer(calibration=share, random_state=rep).fit(holed)
        row["revimpute"] = pooled(imputer.sample(holed, m, random_state=rep), n - 3)
        row["revimpute"]["seconds"] = time.perf_counter() - start
        row["revimpute_single"] = single(imputer.transform(holed))
        start = time.perf_counter()
        draws = [IterativeImputer(estimator=BayesianRidge(), max_iter=10, sample_posterior=True,
                                  random_state=m * rep + k).fit_transform(holed) for k in range(m)]
        row["iterative"] = pooled(draws, n - 3)
        row["iterative"]["seconds"] = time.perf_counter() - start
    complete = holed[~np.isnan(holed).any(axis=1)]
    row["complete_case"] = single(complete)
    return row


def summarise(paths: list[Path]) -> str:
    """The table of one results file, or of several runs of the same settings (each repetition once)."""
    docs = [json.loads(path.read_text()) for path in paths]
    doc = docs[0]
    settings = [(d["n"], d["m"], d["share"]) for d in docs]
    if len(set(settings)) != 1:
        raise SystemExit(f"the files were run with different settings: {settings}")
    rows = list({r["rep"]: r for d in docs for r in d["reps"]}.values())
    commits = ", ".join(dict.fromkeys(d["environment"]["git_commit"] for d in docs))
    lines = [f"code at {commits}; {len(rows)} repetitions of {doc['n']} rows, "
             f"m = {doc['m']}, calibration share {doc['share']}, true coefficient {TRUE_BETA}", "",
             "| method | 95% CI coverage | bias | empirical SD | mean SE | mean CI width | seconds per rep |",
             "|---|---|---|---|---|---|---|"]
    for method in METHODS:
        est = np.array([r[method]["estimate"] for r in rows])
        covered = np.mean([r[method]["low"] <= TRUE_BETA <= r[method]["high"] for r in rows])
        width = np.mean([r[method]["high"] - r[method]["low"] for r in rows])
        se = np.mean([r[method]["se"] for r in rows])
        seconds = np.mean([r[method].get("seconds", np.nan) for r in rows])
        interval = 1.96 * np.sqrt(covered * (1 - covered) / len(rows))
        lines.append(f"| {method} | {covered:.1%} (+/- {interval:.1%}) | {est.mean() - TRUE_BETA:+.4f} | "
                     f"{est.std(ddof=1):.4f} | {se:.4f} | {width:.4f} | "
                     f"{'' if np.isnan(seconds) else f'{seconds:.1f}'} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/uncertainty/rubin.json"))
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--m", type=int, default=5)
    parser.add_argument("--share", type=float, default=0.1)
    parser.add_argument("--first", type=int, default=0, help="first repetition to run (to split a run)")
    parser.add_argument("--summary", type=Path, nargs="+", help="only print the summary of these results files")
    args = parser.parse_args()
    if args.summary:
        print(summarise(args.summary))
        return
    torch.set_num_threads(1)
    doc = {"environment": environment_info(), "n": args.rows, "m": args.m, "share": args.share, "reps": []}
    if args.out.exists():
        doc = json.loads(args.out.read_text())
    done = {r["rep"] for r in doc["reps"]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for rep in range(args.first, args.reps):
        if rep in done:
            continue
        row = repetition(rep, doc["n"], doc["m"], doc["share"])
        doc["reps"].append(row)
        args.out.write_text(json.dumps(doc, indent=1))
        print(f"rep {rep}: " + ", ".join(
            f"{k} {row[k]['estimate']:.3f} [{row[k]['low']:.3f}, {row[k]['high']:.3f}]" for k in METHODS
        ), flush=True)
    print(summarise([args.out]))


if __name__ == "__main__":
    main()
