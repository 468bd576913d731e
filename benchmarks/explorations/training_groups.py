"""Training time of five networks as one stack against two fixed groups (3 + 2) side by side (docs/scale.md).

Each arrangement trains ``ReverseImputer``'s default networks (its automatic budget and widths) on a
``bench_speed_tables.py`` synthetic table (seed 0, 20% MCAR, columns standardised): one stack of five
on two intra-op threads, or groups of three and two networks on two Python threads with one intra-op
thread each (:func:`revimpute.nn.parallel.map_networks`). The two arrangements alternate twice. From
the repository root:

    PYTHONPATH=src:benchmarks python benchmarks/explorations/training_groups.py 200x10 1000x30
"""

from __future__ import annotations

import sys
import time

from bench_speed_tables import holes, table
from revimpute import ReverseImputer
from revimpute.nn.ensemble import train_ensemble
from revimpute.nn.parallel import map_networks, torch_threads

SEEDS = [11, 22, 33, 44, 55]


def main() -> None:
    for name in sys.argv[1:]:
        truth = table(name)
        observed = ~holes(truth, 0.2, 0)
        units = (truth - truth.mean(axis=0)) / truth.std(axis=0)
        config = ReverseImputer().training_config(truth.shape[1], truth.shape[0])

        def one_stack() -> None:
            with torch_threads(2):
                train_ensemble(units, observed, config, SEEDS)

        def two_groups() -> None:
            with torch_threads(2):
                map_networks(lambda seeds, _stop: train_ensemble(units, observed, config, seeds),
                             [SEEDS[:3], SEEDS[3:]], 2)

        for arrangement in (one_stack, two_groups, one_stack, two_groups):
            start = time.perf_counter()
            arrangement()
            print(f"{name} {arrangement.__name__}: {time.perf_counter() - start:.2f} s", flush=True)


if __name__ == "__main__":
    main()
