"""Speed of the reverse engine (docs/scale.md).

1. MNIST, 10,000 test digits, middle band hidden: batched reverse imputation vs scikit-learn's
   KNNImputer (k=5, fitted on the 60,000 training images) in the same run, and vs the published way
   — reverse-training one row at a time (timed on the first --loop-rows digits, extrapolated), whose
   results must equal the batched ones bitwise. KNNImputer on 784 columns is slow (it did not finish
   10,000 digits in 35 minutes on one thread), so --knn-rows N times it on the first N digits and
   extrapolates linearly (its cost is linear in the rows it imputes; fitting only stores the
   training images); the output says so.
2. A 100,000 x 30 numeric table (low-rank + noise), 20% MCAR: ReverseImputer fit + transform time,
   and the RMSE on the missing cells (default estimate and the one-pass fill).

    OMP_NUM_THREADS=2 python benchmarks/bench_reverse_speed.py [--limit N] [--knn-rows 500] [--loop-rows 50]
    OMP_NUM_THREADS=2 python benchmarks/bench_reverse_speed.py --skip-mnist
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


def mnist_speed(limit: int | None, loop_rows: int, knn_rows: int | None) -> None:
    data = load_mnist()
    imputer, trained = mnist_model(train=data.train, verbose=False)
    if trained is not None:
        print(f"  (MNIST network trained now, {trained:.0f} s; cached for later runs)")
    imputer.set_params(estimate="mode")
    test = data.test if limit is None else data.test[:limit]
    n = len(test)
    mask = corruption_mask("middle", n)
    holed = np.where(mask, np.nan, test)
    knn_n = n if knn_rows is None else min(knn_rows, n)
    start = time.perf_counter()
    knn_filled = get_imputer("knn").fit(data.train).transform(holed[:knn_n])
    knn_s = (time.perf_counter() - start) * n / knn_n
    knn_acc = float(np.mean((knn_filled >= 0.5) == (test[:knn_n] >= 0.5)))
    start = time.perf_counter()
    batched = imputer.transform(holed)
    batch_s = time.perf_counter() - start
    acc = float(np.mean((batched >= 0.5) == (test >= 0.5)))
    acc_head = float(np.mean((batched[:knn_n] >= 0.5) == (test[:knn_n] >= 0.5)))
    start = time.perf_counter()
    looped = np.vstack([imputer.transform(holed[i : i + 1]) for i in range(loop_rows)])
    loop_s = (time.perf_counter() - start) * n / loop_rows
    knn_how = "all rows timed" if knn_n == n else f"first {knn_n} rows timed, extrapolated linearly to {n}"
    print(f"MNIST {n} digits, middle band; torch threads {torch.get_num_threads()}")
    print(f"  KNNImputer (k=5, fit on 60k train) : {knn_s:8.1f} s  ({knn_how}; accuracy {knn_acc:.4f} "
          f"on those {knn_n} rows, reverse {acc_head:.4f} on the same rows)")
    print(f"  reverse, batched                    : {batch_s:8.1f} s  (accuracy {acc:.4f}, "
          f"{imputer.reverse_report_.steps_per_row:.0f} steps/row)  ratio to KNN {batch_s / knn_s:.2f}")
    print(f"  reverse, one row at a time (first {loop_rows} rows, extrapolated): {loop_s:8.1f} s  "
          f"-> batched is {loop_s / batch_s:.1f}x faster")
    print(f"  one-row results equal batched bitwise: {np.array_equal(looped, batched[:loop_rows])}")


def table_speed(n_rows: int) -> None:
    rng = np.random.default_rng(0)
    truth = rng.normal(size=(n_rows, 5)) @ rng.normal(size=(5, 30)) + 0.1 * rng.normal(size=(n_rows, 30))
    mask = rng.random(truth.shape) < 0.2
    X = np.where(mask, np.nan, truth)
    start = time.perf_counter()
    imputer = ReverseImputer().fit(X)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    filled = imputer.transform(X)
    tr_s = time.perf_counter() - start
    rmse = float(np.sqrt(np.mean((filled[mask] - truth[mask]) ** 2)))
    passed = imputer.impute_pass(X)
    rmse_pass = float(np.sqrt(np.mean((passed[mask] - truth[mask]) ** 2)))
    config = imputer.training_config(X.shape[1], n_rows)
    print(f"table {n_rows} x 30, 20% MCAR; torch threads {torch.get_num_threads()}: fit {fit_s:.1f} s "
          f"({len(imputer.history_.train_loss)} of at most {config.max_epochs} epochs, batch "
          f"{config.batch_size}, lr {config.learning_rate:.2g} {config.lr_schedule}) + transform {tr_s:.1f} s "
          f"({imputer.reverse_report_.steps_per_row:.1f} steps/row) = {fit_s + tr_s:.1f} s")
    print(f"  RMSE on the missing cells: {rmse:.5f} (estimate={imputer.estimate}), "
          f"{rmse_pass:.5f} (one-pass fill)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="first N test digits (default all)")
    parser.add_argument("--loop-rows", type=int, default=100)
    parser.add_argument("--knn-rows", type=int, default=None,
                        help="time KNNImputer on the first N digits and extrapolate (default all)")
    parser.add_argument("--table-rows", type=int, default=100_000)
    parser.add_argument("--skip-mnist", action="store_true")
    parser.add_argument("--skip-table", action="store_true")
    args = parser.parse_args()
    print(f"revimpute {__version__}, torch {torch.__version__}; command: python {' '.join(sys.argv)}")
    if not args.skip_mnist:
        mnist_speed(args.limit, args.loop_rows, args.knn_rows)
    if not args.skip_table:
        table_speed(args.table_rows)


if __name__ == "__main__":
    main()
