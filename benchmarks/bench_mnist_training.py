"""Train the MNIST networks from scratch and time it; check the bits against the cached networks.

    OMP_NUM_THREADS=2 python benchmarks/bench_mnist_training.py [--jobs -1] [--jobs 1 ...]

Each ``--jobs`` value trains the pair of `revimpute demo mnist` (``MNIST_MODEL_PARAMS``) once in a
fresh temporary cache, the way ``mnist_model`` does when nothing is cached: ``--jobs -1`` side by
side (one thread each on two cores), ``--jobs 1`` one after the other on all threads. The issue's
target: at most 10 minutes on two cores. Run it on an idle machine: the seconds are wall time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile

import torch

from revimpute import __version__
from revimpute.bench.mnist import load_mnist
from revimpute.bench.mnist_experiment import MNIST_MODEL_PARAMS, mnist_model


def same_bits(a, b) -> bool:
    """Whether two fitted imputers hold bitwise the same networks and radii."""
    if len(a.models_) != len(b.models_) or a.radii_ != b.radii_:
        return False
    return all(
        torch.equal(value, other.state_dict()[name])
        for net, other in zip(a.models_, b.models_)
        for name, value in net.state_dict().items()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, action="append", help="n_jobs values to time (default: -1)")
    args = parser.parse_args()
    data = load_mnist()
    print(f"revimpute {__version__}, torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"command: python {' '.join(sys.argv)}\nnetwork: {MNIST_MODEL_PARAMS}", flush=True)
    cached = None
    for jobs in args.jobs or [-1]:
        with tempfile.TemporaryDirectory() as tmp:
            imputer, seconds = mnist_model(cache_dir=tmp, train=data.train, verbose=False, n_jobs=jobs)
        if cached is None:  # the default cache, trained now if it is empty
            cached, _ = mnist_model(train=data.train, verbose=False)
        epochs = [len(h.train_loss) for h in imputer.histories_]
        print(f"n_jobs={jobs}: trained from scratch in {seconds:.0f} s (epochs {epochs}); "
              f"bitwise the cached networks: {same_bits(imputer, cached)}", flush=True)


if __name__ == "__main__":
    main()
