"""Outliers and scaling: standard vs robust scaling of ReverseImputer on penguins with glitches.

Penguins' complete rows; per seed, 20% of the cells hidden at random (MCAR); then, for the "glitch"
case, 3 observed body masses set to 10^6. One network per fit (``n_models=1``) to keep it quick.
Prints, per case, seed and scaling: RMSE on the hidden numeric cells (each column min-max scaled by the
complete table's range) and accuracy on the hidden categorical cells.

    OMP_NUM_THREADS=1 python benchmarks/explorations/bench_robust_scaling.py
    OMP_NUM_THREADS=1 python benchmarks/explorations/bench_robust_scaling.py --grid   # clean benchmark tables too

``--grid`` also compares the two scalings, with the default ensemble, on clean benchmark tables
(wine, glass, crabs, cpus; MCAR and MNAR self-masking at 30%; seeds 0-2; the cases of
``revimpute bench``): mean RMSE over the seeds per table and mechanism.
"""

from __future__ import annotations

import sys

import numpy as np
import palmerpenguins
import torch

from revimpute import ReverseImputer, __version__

NUMERIC = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
CATEGORICAL = ["species", "island", "sex"]


def grid() -> None:
    from revimpute.bench.cases import Case, prepare_case

    print("\n| table | mechanism | standard | robust |\n|---|---|---|---|")
    for dataset in ("wine", "glass", "crabs", "cpus"):
        for mechanism in ("mcar", "mnar_logistic"):
            scores: dict[str, list[float]] = {"standard": [], "robust": []}
            for seed in (0, 1, 2):
                data = prepare_case(Case(dataset, mechanism, 0.3, seed))
                for scaling in scores:
                    out = ReverseImputer(scaling=scaling, random_state=seed).fit_transform(data.holed)
                    diff = out[data.mask] - data.truth[data.mask]
                    scores[scaling].append(float(np.sqrt(np.mean(diff**2))))
            print(f"| {dataset} | {mechanism} | {np.mean(scores['standard']):.4f} | "
                  f"{np.mean(scores['robust']):.4f} |", flush=True)


def main() -> None:
    torch.set_num_threads(1)
    print(f"revimpute {__version__}; command: python {' '.join(sys.argv)}")
    full = palmerpenguins.load_penguins().dropna().reset_index(drop=True)
    full["year"] = full["year"].astype("Int64")
    print("| glitches | seed | scaling | numeric RMSE (scaled) | categorical accuracy |")
    print("|---|---|---|---|---|")
    for n_glitches in (0, 3):
        for seed in (0, 1):
            rng = np.random.default_rng(seed)
            mask = rng.random(full.shape) < 0.2
            holed = full.copy()
            for j, column in enumerate(full.columns):
                series = holed[column].copy()
                series[mask[:, j]] = None
                holed[column] = series
            mass = full.columns.get_loc("body_mass_g")
            glitch = rng.choice(np.flatnonzero(~mask[:, mass]), n_glitches, replace=False)
            holed.loc[glitch, "body_mass_g"] = 1e6
            for scaling in ("standard", "robust"):
                out = ReverseImputer(scaling=scaling, random_state=seed, n_models=1).fit_transform(holed)
                errors, hits = [], []
                for j, column in enumerate(full.columns):
                    hidden = mask[:, j]
                    if column in NUMERIC:
                        spread = full[column].max() - full[column].min()
                        diff = (out[column][hidden].astype(float) - full[column][hidden].astype(float)) / spread
                        errors.append(diff.to_numpy() ** 2)
                    elif column in CATEGORICAL:
                        hits.append((out[column][hidden] == full[column][hidden]).to_numpy())
                rmse = float(np.sqrt(np.mean(np.concatenate(errors))))
                accuracy = float(np.mean(np.concatenate(hits)))
                print(f"| {n_glitches} | {seed} | {scaling} | {rmse:.4f} | {accuracy:.3f} |", flush=True)
    if "--grid" in sys.argv[1:]:
        grid()


if __name__ == "__main__":
    main()
