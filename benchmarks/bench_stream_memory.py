"""Streaming imputation of a large CSV: peak memory and throughput of ``impute_file``.

Generates a CSV of ``--rows`` rows x ``--cols`` numeric columns (correlated
Gaussian columns, ``--missing`` share of cells empty) in a temporary folder,
chunk by chunk, then streams it through
:func:`revimpute.scale.impute_file` with an unfitted ReverseImputer of modest
size, which is fitted on a reservoir sample of ``--fit-rows`` rows. Prints the
peak resident memory of the imputation phase (sampled by psutil every 50 ms)
and of the whole process (``getrusage``), rows/s, and the command.

Run from the repository root::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        python benchmarks/bench_stream_memory.py [--rows 1000000] [--cols 30]
        [--chunk-rows 100000] [--fit-rows 50000] [--reverse-steps 50]

Target: peak RSS <= 2 GB for 1,000,000 rows x 30 columns.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shlex
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import torch

from revimpute import ReverseImputer
from revimpute.scale import impute_file

try:
    import psutil
except ImportError:  # pragma: no cover - psutil comes with distributed
    psutil = None


def generate_csv(path: Path, rows: int, cols: int, missing: float, seed: int = 0) -> None:
    """Write a correlated Gaussian table with empty cells, 100,000 rows at a time."""
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(cols, cols)) / np.sqrt(cols)
    names = [f"x{j}" for j in range(cols)]
    writer = None
    try:
        for start in range(0, rows, 100_000):
            n = min(100_000, rows - start)
            values = (rng.normal(size=(n, cols)) @ mixing).round(6)
            holes = rng.random((n, cols)) < missing
            arrays = [pa.array(values[:, j], mask=holes[:, j]) for j in range(cols)]
            batch = pa.record_batch(arrays, names=names)
            if writer is None:
                writer = pacsv.CSVWriter(str(path), batch.schema)
            writer.write_batch(batch)
    finally:
        if writer is not None:
            writer.close()


class PeakRSS:
    """Sample this process's resident memory in a thread; keep the peak."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        proc = psutil.Process()
        while not self._stop.is_set():
            self.peak = max(self.peak, proc.memory_info().rss)
            time.sleep(self.interval)

    def __enter__(self) -> PeakRSS:
        if psutil is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if psutil is not None:
            self._thread.join()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cols", type=int, default=30)
    parser.add_argument("--missing", type=float, default=0.2)
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--fit-rows", type=int, default=50_000)
    parser.add_argument("--reverse-steps", type=int, default=50)
    parser.add_argument("--max-epochs", type=int, default=10)
    parser.add_argument("--folder", type=Path, default=None,
                        help="where to put the CSV files (default: a temporary folder)")
    args = parser.parse_args(argv)

    command = " ".join(
        [f"{k}={os.environ[k]}" for k in ("OMP_NUM_THREADS",) if k in os.environ]
        + ["python", *map(shlex.quote, sys.argv)]
    )
    print(f"command: {command}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"load average {os.getloadavg()[0]:.1f}")

    with tempfile.TemporaryDirectory(dir=args.folder) as tmp:
        source, target = Path(tmp) / "big.csv", Path(tmp) / "big_imputed.csv"
        begin = time.perf_counter()
        generate_csv(source, args.rows, args.cols, args.missing)
        size_mb = source.stat().st_size / 2**20
        print(f"generated {args.rows:,} x {args.cols} CSV ({size_mb:,.0f} MiB, "
              f"{args.missing:.0%} missing) in {time.perf_counter() - begin:.1f} s")
        in_memory_mb = args.rows * args.cols * 8 / 2**20
        print(f"the table in memory as float64 would take {in_memory_mb:,.0f} MiB "
              "(pandas needs several times that to parse it)")

        imputer = ReverseImputer(hidden_sizes=(64, 32), latent_size=8,
                                 max_epochs=args.max_epochs, reverse_steps=args.reverse_steps)
        rss_before = psutil.Process().memory_info().rss if psutil is not None else 0
        with PeakRSS() as sampler:
            report = impute_file(source, target, imputer, chunk_rows=args.chunk_rows,
                                 fit_sample_rows=args.fit_rows, progress=False)
        ru_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
        out_mb = target.stat().st_size / 2**20

    impute_seconds = report.seconds - report.fit_seconds
    print(f"impute_file: {report.rows:,} rows in {report.chunks} chunks of "
          f"{args.chunk_rows:,}; fitted on {report.fitted_on}")
    print(f"  total {report.seconds:.1f} s = fit phase {report.fit_seconds:.1f} s "
          f"(reservoir pass + training) + scan/impute/write {impute_seconds:.1f} s")
    print(f"  throughput: {report.rows_per_second:,.0f} rows/s overall, "
          f"{report.rows / impute_seconds:,.0f} rows/s in the streaming phase")
    print(f"  output {out_mb:,.0f} MiB")
    if psutil is not None:
        print(f"peak RSS during impute_file (psutil, 50 ms samples): {sampler.peak / 2**20:,.0f} MiB "
              f"(RSS before: {rss_before / 2**20:,.0f} MiB)")
    print(f"peak RSS of the whole process (getrusage): {ru_peak / 2**20:,.0f} MiB")
    verdict = "within" if ru_peak <= 2 * 2**30 else "ABOVE"
    print(f"target peak <= 2048 MiB: {verdict}")
    return 0 if ru_peak <= 2 * 2**30 else 1


if __name__ == "__main__":
    sys.exit(main())
