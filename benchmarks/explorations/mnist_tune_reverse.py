"""Choose the reverse-search settings of the MNIST network on validation images, not the test set.

    OMP_NUM_THREADS=1 python benchmarks/explorations/mnist_tune_reverse.py [--bands top middle] [--rows 2000]

Uses the cached networks of `revimpute demo mnist` (every network, their results averaged as the
experiment does) and 2,000 images of MNIST's validation part
(`train[50000:52000]`; the networks were trained on them too, with other masks). For each candidate
setting it prints the accuracy over all pixels and the RMSE on the missing pixels of the one-pass fill,
of the cleaned reverse-trained row (estimate="mode") and of their average (estimate="mean").
The chosen settings are `MNIST_REVERSE_PARAMS` in `revimpute.bench.mnist_experiment`.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
import torch

from revimpute.bench.mnist import load_mnist
from revimpute.bench.mnist_experiment import corruption_mask, mnist_model
from revimpute.reverse import ensemble_mean
from revimpute.reverse import one_pass, reverse_impute

CANDIDATES = (
    {"learning_rate": 0.05, "sphere_weight": 0.001},  # the table defaults
    {"learning_rate": 0.01, "sphere_weight": 0.001},
    {"learning_rate": 0.05, "sphere_weight": 0.0},
    {"learning_rate": 0.01, "sphere_weight": 0.0},
    {"learning_rate": 0.01, "sphere_weight": 1e-4},
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bands", nargs="+", default=["top", "middle"])
    parser.add_argument("--rows", type=int, default=2000)
    args = parser.parse_args()
    data = load_mnist()
    imputer, _ = mnist_model(train=data.train, verbose=False)
    images = data.validation[: args.rows]  # train[50000:50000+rows]
    networks = imputer.networks()
    bounds = imputer.scaled_bounds()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {len(images)} validation images, "
          f"{len(networks)} network(s) averaged")
    print("| band | setting | pass acc / RMSE | mode acc / RMSE | mean acc / RMSE | steps/row | s |")
    print("|---|---|---|---|---|---|---|")
    for band in args.bands:
        mask = corruption_mask(band, len(images))
        x = np.where(mask, 0.0, images).astype(np.float32)

        def score(filled: np.ndarray) -> str:
            accuracy = np.mean((filled >= 0.5) == (images >= 0.5))
            rmse = np.sqrt(np.mean((filled[mask] - images[mask]) ** 2))
            return f"{accuracy:.4f} / {rmse:.4f}"

        passes = [one_pass(model, x, mask) for model, _, _ in networks]
        passed = ensemble_mean(passes)
        for setting in CANDIDATES:
            config = replace(imputer.reverse_config(), estimate="mode", **setting)
            start = time.perf_counter()
            modes, steps = [], []
            for model, radius, seed in networks:
                mode, report = reverse_impute(model, x, mask, config, radius, seed, bounds=bounds)
                modes.append(mode)
                steps.append(report.steps_per_row)
            # as the experiment does: each network's mean estimate, then the average
            mean = ensemble_mean([np.where(mask, 0.5 * (m + p), x) for m, p in zip(modes, passes)])
            mode = ensemble_mean(modes)
            print(f"| {band} | step {setting['learning_rate']}, sphere {setting['sphere_weight']} | {score(passed)} "
                  f"| {score(mode)} | {score(mean)} | {np.mean(steps):.0f} | {time.perf_counter() - start:.0f} |",
                  flush=True)


if __name__ == "__main__":
    main()
