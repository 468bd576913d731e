"""Two ways to spend more search on the MNIST pair of networks, on validation images (not the test set).

    OMP_NUM_THREADS=2 python benchmarks/explorations/mnist_search_variants.py [--rows 2000] [--bands middle top]

Uses the cached networks of `revimpute demo mnist` and `train[50000:50000+rows]` (the networks were
trained on these images too, with other masks), with `MNIST_REVERSE_PARAMS`. Each line prints
"accuracy all pixels / accuracy missing pixels / RMSE missing" of the cleaned reverse-trained row
("mode") and of the mean estimate ("mean"), for:

* ``separate``: what the experiment does — one search per network, the results averaged;
* ``joint``: one search against the networks' averaged output (the pair as one model whose
  reconstruction is the mean of the two), at three step sizes;
* ``restarts``: the engine's deterministic restarts (``n_restarts=3``: the search also started from the
  one-pass fill plus row-keyed uniform noise of half-width ``restart_noise``, results averaged).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
import torch
from torch import Tensor, nn

from revimpute.bench.mnist import load_mnist
from revimpute.bench.mnist_experiment import corruption_mask, mnist_model
from revimpute.reverse import ensemble_mean
from revimpute.reverse import one_pass, reverse_impute


class AveragedNetworks(nn.Module):
    """Several autoencoders as one: the reconstruction is their mean, the code their concatenation."""

    def __init__(self, models: list[nn.Module]) -> None:
        super().__init__()
        self.models = nn.ModuleList(models)

    def forward(self, x: Tensor, observed: Tensor, batch_invariant: bool = False) -> tuple[Tensor, Tensor]:
        outputs = [model(x, observed, batch_invariant=batch_invariant) for model in self.models]
        return sum(out[0] for out in outputs) / len(outputs), torch.cat([out[1] for out in outputs], dim=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--bands", nargs="+", default=["middle", "top"])
    args = parser.parse_args()
    data = load_mnist()
    imputer, _ = mnist_model(train=data.train, verbose=False)
    images = data.validation[: args.rows]  # train[50000:50000+rows]
    networks = imputer.networks()
    bounds = imputer.scaled_bounds()
    base = replace(imputer.reverse_config(), estimate="mode")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {len(images)} validation images, "
          f"{len(networks)} networks")
    for band in args.bands:
        mask = corruption_mask(band, len(images))
        x = np.where(mask, 0.0, images).astype(np.float32)

        def score(filled: np.ndarray) -> str:
            return (f"{np.mean((filled >= 0.5) == (images >= 0.5)):.4f} / "
                    f"{np.mean((filled[mask] >= 0.5) == (images[mask] >= 0.5)):.4f} / "
                    f"{np.sqrt(np.mean((filled[mask] - images[mask]) ** 2)):.4f}")

        passes = [one_pass(model, x, mask) for model, _, _ in networks]
        passed = ensemble_mean(passes)
        print(f"{band} | pass | {score(passed)}", flush=True)

        def separate(name: str, config) -> None:
            start = time.perf_counter()
            modes = [reverse_impute(m, x, mask, config, r, s, bounds=bounds)[0] for m, r, s in networks]
            mean = ensemble_mean([np.where(mask, 0.5 * (m + p), x) for m, p in zip(modes, passes)])
            print(f"{band} | {name} ({time.perf_counter() - start:.0f} s) | mode {score(ensemble_mean(modes))} "
                  f"| mean {score(mean)}", flush=True)

        separate(f"separate, step {base.learning_rate}", base)
        joint = AveragedNetworks([model for model, _, _ in networks])
        for step in (base.learning_rate, 2 * base.learning_rate, base.learning_rate / 2):
            start = time.perf_counter()
            mode, _ = reverse_impute(joint, x, mask, replace(base, learning_rate=step), 1.0, networks[0][2],
                                     bounds=bounds)
            print(f"{band} | joint, step {step} ({time.perf_counter() - start:.0f} s) | mode {score(mode)} "
                  f"| mean {score(np.where(mask, 0.5 * (mode + passed), x))}", flush=True)
        for noise in (0.5, 0.2):
            separate(f"restarts 3, noise {noise}", replace(base, n_restarts=3, restart_noise=noise))


if __name__ == "__main__":
    main()
