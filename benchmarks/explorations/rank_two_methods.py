"""Mean RMSE rank of ``reverse`` and ``autoencoder`` in a rerun, among the methods of a reference run.

A rerun of our two methods into a copy of a result folder (``revimpute bench ... --resume --rerun
reverse,autoencoder``) also runs registry methods the copy did not have (``constant``,
``iterative_trees``); this ranks the two methods among the reference run's methods only, per cell
(dataset, mechanism, rate) on the mean RMSE over seeds, ties sharing the mean rank, as
``docs/benchmarks.md`` defines the ranks. Used for docs/scale.md ("The training's products through
oneDNN"). From the repository root:

    python benchmarks/explorations/rank_two_methods.py benchmarks/results/results.csv \\
        benchmarks/results/onednn_training/grid_results.csv
    python benchmarks/explorations/rank_two_methods.py benchmarks/results/more_tables/results.csv \\
        benchmarks/results/onednn_training/held_out_results.csv

The first file is the reference (its methods are the ones ranked); every file is ranked.
"""

from __future__ import annotations

import sys

import pandas as pd


def ranks(path: str, methods: list[str]) -> dict[str, tuple[float, float, int]]:
    """Per method: (mean rank over cells, mean RMSE over cells, cells)."""
    runs = pd.read_csv(path)
    runs = runs[(runs.status == "ok") & (runs.group == "grid") & runs.method.isin(methods)]
    cells = runs.groupby(["dataset", "mechanism", "rate", "method"]).rmse.mean().reset_index()
    cells["rank"] = cells.groupby(["dataset", "mechanism", "rate"]).rmse.rank(method="average")
    out = {}
    for method in ("reverse", "autoencoder"):
        mine = cells[cells.method == method]
        out[method] = (float(mine["rank"].mean()), float(mine.rmse.mean()), len(mine))
    return out


def main() -> None:
    methods = sorted(pd.read_csv(sys.argv[1]).method.unique())
    for path in sys.argv[1:]:
        for method, (rank, rmse, n) in ranks(path, methods).items():
            print(f"{path}: {method} mean rank {rank:.3f}, mean RMSE {rmse:.5f} over {n} cells")
    crosscheck = pd.read_csv(sys.argv[-1])
    crosscheck = crosscheck[(crosscheck.group == "crosscheck") & (crosscheck.method == "reverse")]
    for _, row in crosscheck.iterrows():
        print(f"{sys.argv[-1]}: cross-check {row.dataset} reverse RMSE {row.rmse:.5f}")


if __name__ == "__main__":
    main()
