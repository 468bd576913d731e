"""Protocol A (GAIN's published setting), several seeds.

breast_cancer (569 x 30) min-max scaled; cells missing where
``numpy.random.default_rng(seed).random(X.shape) < 0.2``; RMSE on the missing cells.
ReverseImputer is fitted once per seed; its three estimates (pass, mode, mean) come
from the same network. One thread per case.

    OMP_NUM_THREADS=1 python benchmarks/bench_breast_cancer.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from revimpute import ReverseImputer, __version__, get_imputer
from revimpute.bench.datasets import load_table, minmax_scale
from revimpute.bench.metrics import rmse_missing

BASELINES = ("mean", "knn", "iterative")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--baselines", nargs="*", default=list(BASELINES))
    args = parser.parse_args()
    torch.set_num_threads(1)
    truth = minmax_scale(load_table("breast_cancer").frame).to_numpy(dtype=float)
    results: dict[str, list[tuple[float, float]]] = {}
    with threadpool_limits(1):
        for seed in args.seeds:
            mask = np.random.default_rng(seed).random(truth.shape) < 0.2
            holed = np.where(mask, np.nan, truth)
            for name in args.baselines:
                start = time.perf_counter()
                filled = get_imputer(name).fit_transform(holed)
                results.setdefault(name, []).append((rmse_missing(truth, filled, mask), time.perf_counter() - start))
            start = time.perf_counter()
            imputer = ReverseImputer(random_state=seed).fit(holed)
            fit_seconds = time.perf_counter() - start
            for estimate in ("pass", "mode", "mean"):
                start = time.perf_counter()
                filled = imputer.set_params(estimate=estimate).transform(holed)
                seconds = fit_seconds + time.perf_counter() - start
                results.setdefault(f"reverse estimate={estimate}", []).append((rmse_missing(truth, filled, mask), seconds))
    print(f"revimpute {__version__}, torch {torch.__version__}; command: {' '.join(['python'] + sys.argv)}")
    print(f"protocol A: breast_cancer 20% MCAR, seeds {args.seeds}; RMSE on missing cells (mean ± std), seconds (mean)")
    print("| method | RMSE | per seed | seconds |")
    print("|---|---|---|---|")
    for name, vals in results.items():
        rmse = np.array([v[0] for v in vals])
        secs = np.array([v[1] for v in vals])
        per_seed = " / ".join(f"{r:.4f}" for r in rmse)
        print(f"| {name} | {rmse.mean():.4f} ± {rmse.std():.4f} | {per_seed} | {secs.mean():.1f} |")


if __name__ == "__main__":
    main()
