"""Reverse training against the classical imputers, table by table, in one run (docs/scale.md).

Every method is fitted and applied (``fit_transform``) to the same holed table, one after
the other in this process, and timed on the wall clock:

* ``reverse``: ``ReverseImputer()`` with its defaults;
* ``iterative``: scikit-learn's ``IterativeImputer`` (BayesianRidge, 10 rounds);
* ``forest``: ``IterativeImputer`` with ``ExtraTreesRegressor(n_estimators=50)``, 5 rounds
  (the registry's MissForest-style ``"iterative_trees"`` with 50 trees; one job, as in the registry);
* ``knn``: ``KNNImputer(n_neighbors=5)``;
* ``mean``: column means.

Tables: synthetic ``tanh`` of a 4-factor model plus noise (``x = tanh(z W) + 0.1 e``,
``z`` and ``e`` standard normal, ``W`` normal with variance 1/2; 200 x 10, 500 x 20,
1,000 x 30, 5,000 x 30 and 20,000 x 50) and scikit-learn's breast cancer table (569 x 30),
each with 20% of the cells missing completely at random. RMSE is taken on the missing
cells after dividing every column by its standard deviation in the complete table.
The last column of each row is ``time(reverse) / time(forest)``.

    python benchmarks/bench_speed_tables.py                       # every table, every method
    python benchmarks/bench_speed_tables.py --tables 500x20 breast_cancer --methods reverse forest
    python benchmarks/bench_speed_tables.py --reverse-params '{"n_models": 3}'

For ``reverse`` the line also gives the fit's and the search's seconds, their floating-point
operations (counted from the epochs and search steps they took, see ``flop_counts``) and the rate
achieved.

``--search-repeats 5`` runs reverse's transform (the search) five times on the fitted networks and
prints the median and range of its seconds: the search time alone, less moved by one noisy moment.

``--busy 2`` starts two competing busy processes (``python -c "while True: pass"``) before the
first method and stops them after the last: the same run on a machine with two cores taken.

Threads: PyTorch's own choice unless ``--threads`` (``ReverseImputer`` picks its own
thread count from the CPUs it may use). Pass ``--json FILE`` to keep the rows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer

from revimpute import ReverseImputer, get_imputer

SYNTHETIC = {"200x10": (200, 10), "500x20": (500, 20), "1000x30": (1000, 30),
             "5000x30": (5000, 30), "20000x50": (20000, 50),
             "300x30": (300, 30), "2000x10": (2000, 10)}  # the last two: shapes for budget sweeps
TABLES = [*SYNTHETIC, "breast_cancer"]
DEFAULT_TABLES = ["200x10", "500x20", "1000x30", "5000x30", "20000x50", "breast_cancer"]
METHODS = ["reverse", "iterative", "forest", "knn", "mean"]


def synthetic(n_rows: int, n_cols: int, seed: int = 0) -> np.ndarray:
    """``tanh`` of a 4-factor model plus noise."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n_rows, 4))
    w = rng.normal(scale=np.sqrt(0.5), size=(4, n_cols))
    return np.tanh(z @ w) + 0.1 * rng.normal(size=(n_rows, n_cols))


def table(name: str, seed: int = 0) -> np.ndarray:
    if name == "breast_cancer":
        return load_breast_cancer().data.astype(np.float64)
    return synthetic(*SYNTHETIC[name], seed=seed)


def holes(truth: np.ndarray, rate: float, seed: int) -> np.ndarray:
    """MCAR mask with at least one observed cell in every column."""
    rng = np.random.default_rng(seed + 1000)
    mask = rng.random(truth.shape) < rate
    mask[0] = False
    return mask


def build(method: str, reverse_params: dict) -> object:
    if method == "reverse":
        return ReverseImputer(**reverse_params)
    if method == "forest":
        return get_imputer("iterative_trees", n_estimators=50, max_iter=5)
    return get_imputer(method)


def run(method: str, holed: np.ndarray, reverse_params: dict) -> tuple[float, np.ndarray, object]:
    imputer = build(method, reverse_params)
    start = time.perf_counter()
    if method == "reverse":  # fit and transform timed apart (fit_transform is the two in turn)
        imputer.fit(holed)
        imputer.fit_seconds_ = time.perf_counter() - start
        filled = np.asarray(imputer.transform(holed), dtype=np.float64)
    else:
        filled = np.asarray(imputer.fit_transform(holed), dtype=np.float64)
    return time.perf_counter() - start, filled, imputer


def layer_macs(imputer: ReverseImputer, padded: bool) -> int:
    """Multiply-adds of one row through one network (``padded``: the search's 16-column padding)."""
    def width(w: int) -> int:
        return w + (-w) % 16 if padded else w

    model = imputer.models_[0]
    return sum(width(layer.in_features) * width(layer.out_features)
               for layer in [*model.encoder, *model.decoder])


def flop_counts(imputer: ReverseImputer, n_rows: int, n_search_rows: int) -> tuple[float, float]:
    """Floating-point operations of the fit and of the search, counted from what they did.

    Fit: every network's epochs x training rows x (forward 2 + backward 4) x multiply-adds, plus
    one held-out forward pass per epoch. Search: one-pass start and clean-up (a forward pass each
    per network and row) plus every (network, row) step's forward and input-gradient backward
    (2 + 2 per multiply-add) on the padded widths.
    """
    macs, padded = layer_macs(imputer, False), layer_macs(imputer, True)
    n_val = int(round(imputer.validation_fraction * n_rows))
    fit = sum(len(h.train_loss) * ((n_rows - n_val) * 6 + n_val * 2) * macs for h in imputer.histories_)
    search = (imputer.reverse_report_.row_steps * 4 + len(imputer.models_) * n_search_rows * 4) * padded
    return float(fit), float(search)


def rmse(filled: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> float:
    scale = truth.std(axis=0)
    scale[scale == 0] = 1.0
    err = (filled - truth) / scale
    return float(np.sqrt(np.mean(err[mask] ** 2)))


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", choices=TABLES, default=DEFAULT_TABLES)
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=METHODS)
    parser.add_argument("--rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reverse-params", default="{}", help="JSON of ReverseImputer parameters")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads before the run")
    parser.add_argument("--json", default=None, help="append the rows to this JSON-lines file")
    parser.add_argument("--search-repeats", type=int, default=1,
                        help="run reverse's transform this many times and print their median and range too")
    parser.add_argument("--busy", type=int, default=0,
                        help="start this many competing busy processes (a Python loop each) for the run")
    args = parser.parse_args()
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        measure(args)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def measure(args: argparse.Namespace) -> None:
    if args.threads:
        torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", message=r"\[IterativeImputer\] Early stopping")
    reverse_params = json.loads(args.reverse_params)
    load = os.getloadavg()
    print(f"commit {commit()}, torch {torch.__version__}, {torch.get_num_threads()} torch threads, "
          f"{args.busy} competing busy processes, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, reverse params {reverse_params}")
    print(f"{'table':>14} {'method':>10} {'seconds':>9} {'RMSE':>8}")
    for name in args.tables:
        truth = table(name, args.seed)
        mask = holes(truth, args.rate, args.seed)
        holed = np.where(mask, np.nan, truth)
        times: dict[str, float] = {}
        for method in args.methods:
            seconds, filled, imputer = run(method, holed, reverse_params)
            assert np.array_equal(filled[~mask], truth[~mask]), f"{method} changed observed cells"
            score = rmse(filled, truth, mask)
            times[method] = seconds
            extra = ""
            if method == "reverse":
                steps = imputer.reverse_report_.steps_per_row
                fit_flops, search_flops = flop_counts(imputer, len(holed), int(mask.any(axis=1).sum()))
                fit_s, search_s = imputer.fit_seconds_, seconds - imputer.fit_seconds_
                if args.search_repeats > 1:
                    repeats = [search_s]
                    for _ in range(args.search_repeats - 1):
                        start = time.perf_counter()
                        again = np.asarray(imputer.transform(holed), dtype=np.float64)
                        repeats.append(time.perf_counter() - start)
                        assert np.array_equal(again, filled), "a repeated transform changed its result"
                    repeats.sort()
                    extra_repeats = (f"; transform x{len(repeats)}: median {repeats[len(repeats) // 2]:.2f} s, "
                                     f"{repeats[0]:.2f}-{repeats[-1]:.2f}")
                else:
                    extra_repeats = ""
                extra = (f"  ({len(imputer.models_)} networks, {steps:.1f} search steps/row; fit {fit_s:.2f} s "
                         f"{fit_flops / 1e9:.1f} GFLOP {fit_flops / 1e9 / fit_s:.1f} GFLOP/s, search {search_s:.2f} s "
                         f"{search_flops / 1e9:.1f} GFLOP {search_flops / 1e9 / search_s:.1f} GFLOP/s{extra_repeats})")
            print(f"{name:>14} {method:>10} {seconds:9.2f} {score:8.4f}{extra}", flush=True)
            if args.json:
                with open(args.json, "a") as handle:
                    handle.write(json.dumps({
                        "commit": commit(), "table": name, "method": method, "seconds": seconds,
                        "rmse": score, "seed": args.seed, "load": load[0], "reverse_params": reverse_params,
                    }) + "\n")
        if "reverse" in times and "forest" in times:
            print(f"{name:>14} {'ratio':>10} {times['reverse'] / times['forest']:9.2f}   reverse / forest",
                  flush=True)
    print(f"load average at the end {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
