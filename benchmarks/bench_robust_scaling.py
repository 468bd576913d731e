"""Outliers and scaling: standard vs robust scaling of ReverseImputer on penguins with glitches.

Penguins' complete rows; per seed, 20% of the cells hidden at random (MCAR); then, for the "glitch"
case, 3 observed body masses set to 10^6. One network per fit (``n_models=1``) to keep it quick.
Prints, per case, seed and scaling: RMSE on the hidden numeric cells (each column min-max scaled by the
complete table's range) and accuracy on the hidden categorical cells.

    OMP_NUM_THREADS=1 python benchmarks/bench_robust_scaling.py
"""

from __future__ import annotations

import sys

import numpy as np
import palmerpenguins
import torch

from revimpute import ReverseImputer, __version__

NUMERIC = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
CATEGORICAL = ["species", "island", "sex"]


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


if __name__ == "__main__":
    main()
