"""Dask throughput: ``impute_file_dask`` on 1 vs 2 local worker processes.

Generates a CSV of ``--rows`` x ``--cols`` (correlated Gaussian columns,
``--missing`` share empty), fits a ReverseImputer once on a reservoir sample,
then imputes the file

* in this process with :func:`revimpute.scale.impute_file` (the reference),
* with :func:`revimpute.scale.impute_file_dask` on ``connect("local:1")`` and
  ``connect("local:2")`` (one thread per worker; cluster start-up not timed),

and prints rows/s for each, the 2-vs-1 worker ratio, and whether every output
file is byte-identical to the single-process one.

Run from the repository root::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        python benchmarks/bench_dask.py [--rows 100000] [--cols 30]
        [--blocksize 2MiB] [--reverse-steps 50]

(With OMP_NUM_THREADS=1 this process computes with one torch thread, as Dask's
workers do; see revimpute.scale.distributed.impute_dask about threads.)
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path

import torch

from revimpute import ReverseImputer
from revimpute.scale import impute_file, reservoir_sample
from revimpute.scale.distributed import connect, impute_file_dask

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_stream_memory import generate_csv  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--cols", type=int, default=30)
    parser.add_argument("--missing", type=float, default=0.2)
    parser.add_argument("--blocksize", default="2MiB", help="CSV bytes per Dask partition")
    parser.add_argument("--chunk-rows", type=int, default=20_000,
                        help="rows per chunk of the single-process reference")
    parser.add_argument("--fit-rows", type=int, default=20_000)
    parser.add_argument("--reverse-steps", type=int, default=50)
    parser.add_argument("--max-epochs", type=int, default=10)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)

    command = " ".join(
        [f"{k}={os.environ[k]}" for k in ("OMP_NUM_THREADS",) if k in os.environ]
        + ["python", *map(shlex.quote, sys.argv)]
    )
    print(f"command: {command}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads here), load average {os.getloadavg()[0]:.1f}")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "table.csv"
        generate_csv(source, args.rows, args.cols, args.missing, seed=1)
        print(f"table: {args.rows:,} x {args.cols} CSV, {source.stat().st_size / 2**20:.1f} MiB, "
              f"{args.missing:.0%} missing; Dask blocksize {args.blocksize}")

        begin = time.perf_counter()
        sample = reservoir_sample(source, args.fit_rows, random_state=0)
        imputer = ReverseImputer(hidden_sizes=(64, 32), latent_size=8,
                                 max_epochs=args.max_epochs,
                                 reverse_steps=args.reverse_steps).fit(sample)
        print(f"fitted on a sample of {len(sample):,} rows in {time.perf_counter() - begin:.1f} s")

        reference = folder / "single.csv"
        single = impute_file(source, reference, imputer, chunk_rows=args.chunk_rows,
                             progress=False)
        print(f"single process (impute_file): {single.rows_per_second:,.0f} rows/s "
              f"({single.seconds:.1f} s, {single.chunks} chunks)")

        rates: dict[int, float] = {}
        all_identical = True
        for n_workers in args.workers:
            start = time.perf_counter()
            client = connect(f"local:{n_workers}")
            startup = time.perf_counter() - start
            try:
                out = folder / f"dask{n_workers}.csv"
                report = impute_file_dask(source, out, imputer, client,
                                          blocksize=args.blocksize, progress=False)
            finally:
                client.close()
            identical = out.read_bytes() == reference.read_bytes()
            all_identical &= identical
            rates[n_workers] = report.rows_per_second
            print(f"dask local:{n_workers}: {report.rows_per_second:,.0f} rows/s "
                  f"({report.seconds:.1f} s, {report.chunks} partitions; cluster start "
                  f"{startup:.1f} s, not counted); output byte-identical to single process: "
                  f"{identical}")

    if 1 in rates and 2 in rates:
        print(f"throughput ratio 2 workers / 1 worker: {rates[2] / rates[1]:.2f}x")
    print(f"all outputs identical to single process: {all_identical}")
    return 0 if all_identical else 1


if __name__ == "__main__":
    sys.exit(main())
