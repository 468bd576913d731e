"""Phases of ``revimpute scan`` on a wide file: one row, many columns.

Writes a CSV of one row and ``--cols`` columns (numbers with three decimals,
which repeat across columns, or ``--distinct`` values that never repeat) in a
temporary folder and times what ``revimpute scan`` does with it: finding the
dialect, reading the text, the cleaning stage (the detector apart from the
rest), the advice and printing the report (to a buffer). Also prints the wall
time of the whole command when ``--command`` is given.

Run from the repository root::

    OMP_NUM_THREADS=1 python benchmarks/bench_wide_scan.py [--cols 200000] [--distinct] [--command]
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def write(path: Path, cols: int, distinct: bool) -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(size=cols)
    cells = [repr(float(v)) for v in values] if distinct else [f"{v:.3f}" for v in values]
    path.write_text(",".join(f"c{j}" for j in range(cols)) + "\n" + ",".join(cells) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cols", type=int, default=200_000)
    parser.add_argument("--distinct", action="store_true")
    parser.add_argument("--command", action="store_true")
    args = parser.parse_args()

    import revimpute.clean._rules as rules
    from rich.console import Console

    from revimpute.clean import clean
    from revimpute.detect import detect_missing, drop_advice, report
    from revimpute.dialect import csv_dialect
    from revimpute.io import read_table

    spent = {}

    def timed_detect(*a, **k):
        begin = time.perf_counter()
        result = detect_missing(*a, **k)
        spent["detector"] = time.perf_counter() - begin
        return result

    rules.detect_missing = timed_detect
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "wide.csv"
        write(path, args.cols, args.distinct)
        print(f"1 row x {args.cols:,} columns ({'distinct' if args.distinct else '3-decimal'} values), "
              f"{path.stat().st_size / 2**20:.1f} MiB")
        begin = time.perf_counter()
        dialect = csv_dialect(path)
        print(f"dialect {time.perf_counter() - begin:6.1f} s")
        begin = time.perf_counter()
        text = read_table(path, as_text=True, dialect=dialect)
        print(f"read    {time.perf_counter() - begin:6.1f} s")
        begin = time.perf_counter()
        table = clean(text)
        total = time.perf_counter() - begin
        print(f"stage   {total:6.1f} s (detector {spent['detector']:.1f} s, the rest {total - spent['detector']:.1f} s)")
        begin = time.perf_counter()
        advice = drop_advice(table.frame)
        print(f"advice  {time.perf_counter() - begin:6.1f} s")
        begin = time.perf_counter()
        report.print_scan(Console(file=io.StringIO()), table.detection, advice, str(path))
        print(f"print   {time.perf_counter() - begin:6.1f} s")
        if args.command:
            begin = time.perf_counter()
            subprocess.run([sys.executable, "-m", "revimpute", "scan", str(path)], check=True,
                           stdout=subprocess.DEVNULL)
            print(f"revimpute scan: {time.perf_counter() - begin:.1f} s")


if __name__ == "__main__":
    main()
