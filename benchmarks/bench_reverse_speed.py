"""Speed of the reverse engine (issue 6).

1. MNIST, 10,000 test digits, middle band hidden: batched reverse imputation vs scikit-learn's
   KNNImputer (k=5, fitted on the 60,000 training images) in the same run, and vs the published way
   — reverse-training one row at a time (timed on the first --loop-rows digits, extrapolated), whose
   results must equal the batched ones bitwise.
2. A 100,000 x 30 numeric table (low-rank + noise), 20% MCAR: ReverseImputer fit + transform time.

    OMP_NUM_THREADS=2 python benchmarks/bench_reverse_speed.py [--limit N] [--loop-rows 100]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch

from revimpute import ReverseImputer, __version__, get_imputer
from revimpute.bench.mnist import load_mnist
from revimpute.bench.mnist_experiment import corruption_mask, mnist_model


def mnist_speed(limit: int | None, loop_rows: int) -> None:
    data = load_mnist()
    imputer, trained = mnist_model(train=data.train, verbose=False)
    imputer.set_params(estimate="mode")
    test = data.test if limit is None else data.test[:limit]
    mask = corruption_mask("middle", len(test))
    holed = np.where(mask, np.nan, test)
    start = time.perf_counter()
    get_imputer("knn").fit(data.train).transform(holed)
    knn_s = time.perf_counter() - start
    start = time.perf_counter()
    batched = imputer.transform(holed)
    batch_s = time.perf_counter() - start
    start = time.perf_counter()
    looped = np.vstack([imputer.transform(holed[i : i + 1]) for i in range(loop_rows)])
    loop_s = (time.perf_counter() - start) * len(test) / loop_rows
    acc = float(np.mean((batched >= 0.5) == (test >= 0.5)))
    print(f"MNIST {len(test)} digits, middle band; torch threads {torch.get_num_threads()}")
    print(f"  KNNImputer (k=5, fit on 60k train) : {knn_s:8.1f} s")
    print(f"  reverse, batched                    : {batch_s:8.1f} s  (accuracy {acc:.4f}, "
          f"{imputer.reverse_report_.steps_per_row:.0f} steps/row)  ratio to KNN {batch_s / knn_s:.2f}")
    print(f"  reverse, one row at a time (first {loop_rows} rows, extrapolated): {loop_s:8.1f} s  "
          f"-> batched is {loop_s / batch_s:.1f}x faster")
    print(f"  one-row results equal batched bitwise: {np.array_equal(looped, batched[:loop_rows])}")


def table_speed(n_rows: int) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_rows, 5)) @ rng.normal(size=(5, 30)) + 0.1 * rng.normal(size=(n_rows, 30))
    X[rng.random(X.shape) < 0.2] = np.nan
    start = time.perf_counter()
    imputer = ReverseImputer().fit(X)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    imputer.transform(X)
    tr_s = time.perf_counter() - start
    print(f"table {n_rows} x 30, 20% MCAR: fit {fit_s:.1f} s ({len(imputer.history_.train_loss)} epochs) "
          f"+ transform {tr_s:.1f} s = {fit_s + tr_s:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="first N test digits (default all)")
    parser.add_argument("--loop-rows", type=int, default=100)
    parser.add_argument("--table-rows", type=int, default=100_000)
    parser.add_argument("--skip-mnist", action="store_true")
    args = parser.parse_args()
    print(f"revimpute {__version__}, torch {torch.__version__}; command: python {' '.join(sys.argv)}")
    if not args.skip_mnist:
        mnist_speed(args.limit, args.loop_rows)
    table_speed(args.table_rows)


if __name__ == "__main__":
    main()
