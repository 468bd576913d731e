"""The seed experiment on real MNIST, all three bands, full test set; prints markdown tables.

    OMP_NUM_THREADS=2 python benchmarks/bench_mnist.py [--limit N] [--bands top middle bottom]
        [--methods ...] [--figures docs/img] [--json docs/results/mnist.json]

The network is the cached one of `revimpute demo mnist` (trained first if missing). Peers
(``--methods gain miwae knn ...``) are fitted once on the 60,000 training images and reused for
every band; a peer's seconds are its fit plus the band's transform. ``gain_trans`` and the like fit
the peer on the training images stacked with the band's corrupted test digits (transductive).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from revimpute import __version__
from revimpute.bench.mnist import load_mnist
from revimpute.bench.mnist_experiment import (
    METHODS,
    MNIST_MODEL_PARAMS,
    MNIST_PEER_PARAMS,
    MNIST_REVERSE_PARAMS,
    PEERS,
    TRANSDUCTIVE_PEERS,
    mnist_model,
    run_corruption,
    save_figure,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--bands", nargs="+", default=["top", "middle", "bottom"])
    parser.add_argument("--figures", default=None, help="folder for one PNG per band")
    parser.add_argument("--json", default=None, help="write all scores here")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=sorted(set(METHODS + PEERS + TRANSDUCTIVE_PEERS)),
                        help=f"default {METHODS}; peers {PEERS} are fitted once on the training images, "
                        "NAME_trans on the training images + the corrupted test digits, per band")
    args = parser.parse_args()
    data = load_mnist()
    imputer, trained = mnist_model(train=data.train, verbose=False)
    test = data.test if args.limit is None else data.test[: args.limit]
    print(f"revimpute {__version__}, torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"command: python {' '.join(sys.argv)}")
    print(f"network: {MNIST_MODEL_PARAMS}; reverse search: {MNIST_REVERSE_PARAMS}; "
          + (f"trained now in {trained:.0f} s" if trained is not None else "loaded from the cache")
          + f" ({len(imputer.history_.train_loss)} epochs); peer settings beyond the registry defaults: "
          + f"{MNIST_PEER_PARAMS}")
    runs, fitted_peers = [], {}
    for band in args.bands:
        start = time.perf_counter()
        run = run_corruption(imputer, test, data.train, band, methods=args.methods, fitted_peers=fitted_peers)
        runs.append(run.as_dict())
        print(f"\n### {band} band ({len(test)} test digits, {time.perf_counter() - start:.0f} s)\n")
        print("| method | acc. all pixels | acc. whole network output | acc. missing pixels | RMSE missing | seconds |")
        print("|---|---|---|---|---|---|")
        for s in run.scores:
            whole = "" if s.whole_output_accuracy is None else f"{s.whole_output_accuracy:.4f}"
            print(f"| {s.method} | {s.accuracy:.4f} | {whole} | {s.missing_accuracy:.4f} | "
                  f"{s.missing_rmse:.4f} | {s.seconds:.1f} |")
        if args.figures:
            Path(args.figures).mkdir(parents=True, exist_ok=True)
            save_figure(run, Path(args.figures) / f"mnist_{band}.png")
        sys.stdout.flush()
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=1))


if __name__ == "__main__":
    main()
