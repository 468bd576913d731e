"""CPU time of starting the command line: ``revimpute --help`` and ``revimpute scan`` of a tiny file.

Usage, from the repository root with the virtual environment active::

    python benchmarks/bench_cli_startup.py [--runs 10] [--src SRC]

``--src`` runs another checkout's ``src`` folder (e.g. a worktree of an older
commit) with this interpreter, for a before/after comparison. Prints the
minimum and median user+system CPU seconds of each command over the runs
(CPU time, not wall time, so a busy machine changes it little).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def cpu_seconds(argv: list[str], env: dict[str, str]) -> float:
    """User + system CPU seconds of one run of ``argv`` (a child process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--src", default=None, help="a checkout's src folder to run instead of the installed one")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.src:
        env["PYTHONPATH"] = str(Path(args.src).resolve())
    with tempfile.TemporaryDirectory() as folder:
        table = Path(folder) / "tiny.csv"
        table.write_text("a,b\n1,2\n,3\nNULL,4\n")
        commands = {
            "revimpute --help": [sys.executable, "-m", "revimpute.cli", "--help"],
            "revimpute scan tiny.csv": [sys.executable, "-m", "revimpute.cli", "scan", str(table)],
        }
        print(f"{sys.executable} ({'src ' + args.src if args.src else 'installed revimpute'}), {args.runs} runs")
        for name, argv in commands.items():
            times = [cpu_seconds(argv, env) for _ in range(args.runs)]
            print(f"{name:28s} CPU s: min {min(times):.2f}  median {statistics.median(times):.2f}")


if __name__ == "__main__":
    main()
