"""Protocol A for the generative peer imputers (GAIN, MIWAE, Sinkhorn OT).

Protocol A (GAIN's published setting): ``load_breast_cancer().data``
(569 x 30), min-max scaled per column; a cell is missing where
``np.random.default_rng(0).random(X.shape) < 0.2`` (3403 cells); RMSE on the
missing cells. Each method runs at its paper / reference defaults with
``random_state=0`` (``fit_transform`` on the incomplete table), on one thread.

Run from the repository root::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        python benchmarks/bench_peers_breast_cancer.py [--methods gain miwae sinkhorn]
        [--seeds 0 1 2]

It prints one line per method and seed: RMSE and wall seconds.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time

import numpy as np
import sklearn
import torch
from sklearn.datasets import load_breast_cancer
from threadpoolctl import threadpool_limits

from revimpute.impute import GAINImputer, MIWAEImputer, SinkhornImputer

METHODS = {
    "gain": GAINImputer,
    "miwae": MIWAEImputer,
    "sinkhorn": SinkhornImputer,
}


def protocol_a() -> tuple[np.ndarray, np.ndarray]:
    """Return (complete min-max scaled data, missing mask) of protocol A."""
    X = load_breast_cancer().data
    X = (X - X.min(axis=0)) / (X.max(axis=0) - X.min(axis=0))
    missing = np.random.default_rng(0).random(X.shape) < 0.2
    return X, missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", choices=sorted(METHODS), default=list(METHODS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0], help="random_state of each run")
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    X, missing = protocol_a()
    X_missing = X.copy()
    X_missing[missing] = np.nan

    print("command: " + " ".join(["python", *sys.argv]))
    print(
        f"python {platform.python_version()}, torch {torch.__version__}, numpy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}, torch threads {torch.get_num_threads()}"
    )
    print(f"protocol A: breast cancer {X.shape}, {int(missing.sum())} missing cells (20% MCAR, rng 0)")
    print(f"{'method':<10}{'seed':>6}{'RMSE':>10}{'seconds':>10}  parameters")
    with threadpool_limits(limits=1):
        for name in args.methods:
            for seed in args.seeds:
                imputer = METHODS[name](random_state=seed)
                start = time.perf_counter()
                X_filled = imputer.fit_transform(X_missing)
                seconds = time.perf_counter() - start
                assert np.array_equal(X_filled[~missing], X[~missing]), "observed cells changed"
                assert not np.isnan(X_filled).any(), "NaN left"
                rmse = float(np.sqrt(np.mean((X_filled[missing] - X[missing]) ** 2)))
                params = {k: v for k, v in imputer.get_params().items() if k != "random_state"}
                print(f"{name:<10}{seed:>6}{rmse:>10.4f}{seconds:>10.1f}  {params}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
