"""Time of the drop-or-impute advice (``revimpute.detect.drop_advice``) on generated tables.

Each table has correlated Gaussian numeric columns with a share of cells
removed completely at random, plus one three-level categorical column; the
advice runs on it once (after one warm-up call on a small table). Prints one
line per table: rows, columns, seconds, the rows and columns Little's test
used, and the recommendation's first words.

Run from the repository root::

    OMP_NUM_THREADS=1 python benchmarks/bench_advice.py [--tables 2000x20 10000x30 50000x20]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from revimpute.detect import drop_advice


def table(rows: int, cols: int, missing: float = 0.1, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = rng.normal(size=(rows, cols)) @ rng.normal(size=(cols, cols))
    data[rng.random(data.shape) < missing] = np.nan
    frame = pd.DataFrame(data, columns=[f"c{j}" for j in range(cols)])
    frame["kind"] = rng.choice(["a", "b", "c"], rows)
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", default=["2000x20", "10000x30", "50000x20"])
    args = parser.parse_args()
    drop_advice(table(200, 3))
    for spec in args.tables:
        rows, cols = (int(v) for v in spec.split("x"))
        frame = table(rows, cols)
        begin = time.perf_counter()
        advice = drop_advice(frame)
        seconds = time.perf_counter() - begin
        little = getattr(advice, "little_rows", advice.tested_rows)
        print(f"{rows:>7,} x {cols:<3} {seconds:7.2f} s  Little's test on {little:,} rows x "
              f"{len(advice.little_columns)} columns; {advice.recommendation[:40]}...")


if __name__ == "__main__":
    main()
