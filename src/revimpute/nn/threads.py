"""How many CPU threads a fit or a search should use: the cores it may run on, minus the busy ones.

PyTorch starts one OpenMP thread per core of the machine. When the process may
use fewer cores (CPU affinity, a container's CPU quota) or other processes
already keep cores busy, its threads wait for each other at every parallel
region (each product, each elementwise kernel) while the scheduler hands their
core to someone else: a run becomes many times slower than on one thread.
:func:`choose_threads` counts the cores this process may use and subtracts the
ones other processes are running on right now; :func:`compute_threads` sets
PyTorch's thread count for one block of work and restores it afterwards.
Nothing here changes a setting at import.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch

CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")
PROC_LOADAVG = Path("/proc/loadavg")


def cgroup_cpu_limit(path: Path = CGROUP_CPU_MAX) -> float | None:
    """The cgroup v2 CPU quota in cores (``quota / period``), or None when there is none."""
    try:
        quota, period = path.read_text().split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max":
        return None
    try:
        return max(int(quota) / int(period), 0.0)
    except (ValueError, ZeroDivisionError):
        return None


def allowed_cpus() -> int:
    """The cores this process may run on: its affinity mask, capped by the cgroup quota (rounded up)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    limit = cgroup_cpu_limit()
    if limit is not None:
        cpus = min(cpus, max(1, math.ceil(limit)))
    return max(1, cpus)


def runnable_elsewhere(samples: int = 5, interval: float = 0.002, path: Path = PROC_LOADAVG) -> int | None:
    """Threads of other processes running or ready to run now (median of a few samples), or None.

    Reads the kernel's instantaneous count of runnable threads (the fourth field
    of ``/proc/loadavg``, which counts the reading thread too) and subtracts
    this process's own running threads.
    """
    counts = []
    for k in range(samples):
        try:
            running = int(path.read_text().split()[3].split("/")[0])
        except (OSError, ValueError, IndexError):
            return None
        counts.append(running)
        if k + 1 < samples:
            time.sleep(interval)
    counts.sort()
    return max(0, counts[len(counts) // 2] - _own_running_threads())


def _own_running_threads() -> int:
    """This process's threads in state R (running or runnable); 1 when it cannot be read."""
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return 1
    running = 0
    for task in tasks:
        try:
            stat = Path(f"/proc/self/task/{task}/stat").read_text()
        except OSError:
            continue
        if stat[stat.rindex(")") + 2 :].startswith("R"):
            running += 1
    return max(1, running)


def choose_threads(limit: int | None = None) -> int:
    """Threads for the next block of work: free cores this process may use, at least 1.

    ``limit`` caps the answer (default: PyTorch's current thread count, so a
    caller's own ``torch.set_num_threads`` is respected).
    """
    limit = torch.get_num_threads() if limit is None else int(limit)
    cpus = allowed_cpus()
    busy = runnable_elsewhere()
    free = cpus if busy is None else cpus - busy
    return max(1, min(limit, cpus, free))


@contextmanager
def compute_threads(n_threads: int) -> Iterator[int]:
    """Run the block with PyTorch on ``n_threads`` intra-op threads, then restore the count."""
    before = torch.get_num_threads()
    n_threads = max(1, int(n_threads))
    if n_threads != before:
        torch.set_num_threads(n_threads)
    try:
        yield n_threads
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
