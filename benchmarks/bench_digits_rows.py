"""Protocol B (a fixed image-table protocol): scikit-learn digits, bottom 3 pixel rows missing.

`load_digits().data / 16` (1797 x 64, 8x8 images). Rows 0-1499 are complete; rows 1500-1796 have
columns 40-63 (the bottom 3 pixel rows) missing. Scores on the 297 test rows: RMSE on the missing
cells and `bin.acc`, the share of all 297 x 64 test pixels with `(x_hat >= 0.5) == (x_true >= 0.5)`,
observed pixels kept. Two ways of fitting:

- `fit->tr`: fit on the 1,500 complete rows, transform the test rows (a model reused on new rows);
- `trans`: `fit_transform` on the 1,797 rows stacked (transductive; what most peers support).

One thread per method; every method at its registry defaults with `random_state=seed` where it has
one; ReverseImputer's three estimates (pass, mode, mean) come from the same fitted networks.

    OMP_NUM_THREADS=1 python benchmarks/bench_digits_rows.py [--seeds 0 1 2] [--methods ...]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from threadpoolctl import threadpool_limits

from revimpute import ReverseImputer, __version__
from revimpute.bench.worker import seeded_imputer

#: Registry methods run by default. The registry's forest imputers (``iterative_trees``,
#: ``missforest_mixed``) are slow on this table and run only when named with --methods.
DEFAULT_METHODS = ("mean", "knn", "iterative", "sinkhorn", "miwae", "gain", "reverse")
N_TRAIN, MISSING_COLUMNS = 1500, slice(40, 64)


def protocol_b() -> tuple[np.ndarray, np.ndarray]:
    """The digits table scaled to [0, 1] and the mask of protocol B (True = missing)."""
    data = load_digits().data.astype(np.float64) / 16.0
    mask = np.zeros(data.shape, dtype=bool)
    mask[N_TRAIN:, MISSING_COLUMNS] = True
    return data, mask


def scores(truth: np.ndarray, filled: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """(RMSE on the missing test cells, rounded-pixel accuracy over all test pixels)."""
    test = slice(N_TRAIN, None)
    t, f, m = truth[test], filled[test], mask[test]
    if not np.array_equal(f[~m], t[~m]):
        raise AssertionError("an observed cell was changed")
    rmse = float(np.sqrt(np.mean((f[m] - t[m]) ** 2)))
    return rmse, float(np.mean((f >= 0.5) == (t >= 0.5)))


def run(name: str, mode: str, truth: np.ndarray, mask: np.ndarray, seed: int) -> dict[str, tuple]:
    """Scores and seconds of one method (three for reverse) in one fitting mode."""
    holed = np.where(mask, np.nan, truth)
    start = time.perf_counter()
    if name == "reverse":
        imputer = ReverseImputer(random_state=seed)
        imputer.fit(holed[:N_TRAIN] if mode == "fit->tr" else holed)
        fit_seconds = time.perf_counter() - start
        out = {}
        for estimate in ("pass", "mode", "mean"):
            start = time.perf_counter()
            filled_test = imputer.set_params(estimate=estimate).transform(holed[N_TRAIN:])
            filled = np.vstack([truth[:N_TRAIN], filled_test])
            label = "autoencoder pass" if estimate == "pass" else f"reverse, estimate={estimate}"
            out[label] = (*scores(truth, filled, mask), fit_seconds + time.perf_counter() - start)
        return out
    imputer = seeded_imputer(name, {}, seed)
    if mode == "fit->tr":
        filled_test = imputer.fit(holed[:N_TRAIN]).transform(holed[N_TRAIN:])
        filled = np.vstack([truth[:N_TRAIN], filled_test])
    else:
        filled = imputer.fit_transform(holed)
    return {name: (*scores(truth, filled, mask), time.perf_counter() - start)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS))
    parser.add_argument("--modes", nargs="+", default=["fit->tr", "trans"], choices=["fit->tr", "trans"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    truth, mask = protocol_b()
    results: dict[tuple[str, str], list[tuple]] = {}
    with threadpool_limits(1):
        for mode in args.modes:
            for name in args.methods:
                for seed in args.seeds:
                    for label, value in run(name, mode, truth, mask, seed).items():
                        results.setdefault((mode, label), []).append(value)
                        print(f"  {mode} {label} seed {seed}: RMSE {value[0]:.4f} bin.acc {value[1]:.4f} "
                              f"({value[2]:.1f} s)", file=sys.stderr, flush=True)
    print(f"revimpute {__version__}, torch {torch.__version__}, one thread; command: python {' '.join(sys.argv)}")
    print(f"protocol B: digits / 16, rows 1500-1796 with columns 40-63 missing; seeds {args.seeds} (mean ± std)")
    print("| mode | method | RMSE missing | bin.acc all test pixels | seconds |")
    print("|---|---|---|---|---|")
    for (mode, label), values in results.items():
        arr = np.array(values, dtype=float)
        print(f"| {mode} | {label} | {arr[:, 0].mean():.4f} ± {arr[:, 0].std():.4f} | "
              f"{arr[:, 1].mean():.4f} ± {arr[:, 1].std():.4f} | {arr[:, 2].mean():.1f} |")


if __name__ == "__main__":
    main()
