"""Data to evaluate ``AutoImputer`` choice rules offline, without refitting (docs/uncertainty.md).

For every case of ``benchmarks/bench_auto.py`` (same datasets, mechanisms at 30%, seeds) this
records:

* every candidate of :data:`revimpute.impute.NUMERIC_CANDIDATES` fitted on the holed table
  (``random_state=seed``): per column the sum of squared errors on the real hidden cells and their
  count, so the case RMSE of any per-column combination is recomputed exactly;
* for each held-out split below, every candidate fitted on the holed table with the split's cells
  hidden as well, and its errors (squared) on each hidden cell, per column:

  - ``mcar``: ``AutoImputer(split="random")._hide`` (20% of each column's observed cells, completely
    at random; the only split before ``split`` existed);
  - ``mcar2``: a second such split, disjoint from ``mcar`` (20% of each column's observed cells among
    those ``mcar`` left);
  - ``pattern``: the missingness patterns of other rows copied onto the most observed rows (rows in
    order of fewest gaps, random within ties; each gets the gaps of a random row that has some, on
    its observed cells) until 20% of the observed cells are hidden; a column keeps at least half of
    its observed cells (the same cells as ``AutoImputer(split="patterns")._hide``, the default since).

Rules are then evaluated from this file by ``auto_rules_eval.py``. From the repository root:

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/explorations/auto_rules.py --datasets wine glass cpus iris --out a.json
    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/explorations/auto_rules.py --datasets crabs penguins diabetes pima --out b.json
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from revimpute.bench.cases import Case, prepare_case
from revimpute.bench.provenance import environment_info
from revimpute.impute import NUMERIC_CANDIDATES, AutoImputer

DATASETS = ["wine", "glass", "cpus", "iris", "crabs", "penguins", "diabetes", "pima"]
MECHANISMS = ["mcar", "mar", "mnar_logistic"]


def second_mcar(observed: np.ndarray, first: np.ndarray, share: float, seed: int) -> np.ndarray:
    """``share`` of each column's observed cells, among those ``first`` did not hide; never a column's last."""
    rng = np.random.default_rng([seed, 0xA070, 2])
    hide = np.zeros(observed.shape, dtype=bool)
    for j in range(observed.shape[1]):
        rows = np.flatnonzero(observed[:, j] & ~first[:, j])
        n = min(int(round(share * observed[:, j].sum())), rows.size - 1)
        if n > 0:
            hide[rng.choice(rows, n, replace=False), j] = True
    return hide


def pattern_hide(observed: np.ndarray, share: float, seed: int) -> np.ndarray:
    """Gaps of other rows copied onto the most observed rows until ``share`` of the observed cells are hidden."""
    rng = np.random.default_rng([seed, 0xA070, 3])
    n_rows, n_cols = observed.shape
    missing = ~observed
    donors = np.flatnonzero(missing.any(axis=1))
    hide = np.zeros(observed.shape, dtype=bool)
    if donors.size == 0:
        return hide
    target = int(round(share * observed.sum()))
    floor = np.ceil(observed.sum(axis=0) / 2)
    order = np.lexsort((rng.random(n_rows), missing.sum(axis=1)))
    left = observed.sum(axis=0).astype(np.int64)
    hidden = 0
    for r in order:
        if hidden >= target:
            break
        d = rng.choice(donors)
        cells = missing[d] & observed[r]
        cells &= left - 1 >= floor
        if not cells.any() or cells.sum() >= observed[r].sum():
            continue
        hide[r, cells] = True
        left -= cells
        hidden += int(cells.sum())
    return hide


class _Split(AutoImputer):
    """AutoImputer whose held-out cells are given."""

    def __init__(self, cells: np.ndarray | None = None, random_state: int = 0) -> None:
        super().__init__(random_state=random_state)
        self.cells = cells

    def _hide(self, frame: pd.DataFrame) -> np.ndarray:
        return self.cells


def run_case(case: Case) -> dict:
    data = prepare_case(case)
    truth, holed, mask = data.truth, data.holed, data.mask
    row: dict = {"dataset": case.dataset, "mechanism": case.mechanism, "seed": case.seed,
                 "sse": {}, "n": mask.sum(axis=0).tolist(), "seconds": {}, "splits": {}}
    observed = ~np.isnan(holed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probe = AutoImputer(random_state=case.seed)
        for name in NUMERIC_CANDIDATES:
            start = time.perf_counter()
            out = np.asarray(probe.candidate(name).fit_transform(holed), dtype=np.float64)
            row["seconds"][name] = time.perf_counter() - start
            row["sse"][name] = (np.where(mask, out - truth, 0.0) ** 2).sum(axis=0).tolist()
        first = AutoImputer(split="random", random_state=case.seed)._hide(pd.DataFrame(holed))
        splits = {"mcar": first, "mcar2": second_mcar(observed, first, 0.2, case.seed),
                  "pattern": pattern_hide(observed, 0.2, case.seed)}
        for key, cells in splits.items():
            start = time.perf_counter()
            auto = _Split(cells, random_state=case.seed).choose(holed)
            row["seconds"][f"choose_{key}"] = time.perf_counter() - start
            row["splits"][key] = {
                "hidden": cells.sum(axis=0).tolist(),
                "errors": {name: [[float(f"{e:.6g}") for e in auto.cell_errors_.get((name, j), [])]
                                  for j in range(holed.shape[1])] for name in NUMERIC_CANDIDATES},
            }
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--datasets", nargs="+", default=DATASETS)
    parser.add_argument("--mechanisms", nargs="+", default=MECHANISMS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    args = parser.parse_args()
    torch.set_num_threads(1)
    doc = {"environment": environment_info(), "candidates": list(NUMERIC_CANDIDATES), "cases": []}
    if args.out.exists():
        doc = json.loads(gzip.decompress(args.out.read_bytes()))
    done = {(r["dataset"], r["mechanism"], r["seed"]) for r in doc["cases"]}
    for seed in args.seeds:
        for dataset in args.datasets:
            for mechanism in args.mechanisms:
                if (dataset, mechanism, seed) in done:
                    continue
                start = time.perf_counter()
                doc["cases"].append(run_case(Case(dataset, mechanism, 0.3, seed)))
                args.out.write_bytes(gzip.compress(json.dumps(doc).encode(), mtime=0))
                print(f"{dataset:9s} {mechanism:14s} seed {seed}: {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
