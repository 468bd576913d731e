"""Run one job per network at the same time, each on its share of PyTorch's CPU threads.

An ensemble's networks are trained and reverse-trained independently. On a CPU,
one product split over two threads runs less than twice as fast as on one, so
two networks side by side, one thread each, can finish sooner than one after
the other on two threads (measured for the MNIST pair in docs/mnist.md).

The jobs run on Python threads (PyTorch releases the GIL inside its kernels),
each with ``torch.get_num_threads() // workers`` intra-op threads, and share
nothing: each gives the bits it gives alone on that many threads. Whether that
equals its result on all the threads depends on the kernels: the reverse search
(batch-invariant tiled products) gives the same bits at any thread count;
training does for the MNIST networks but, for some layer shapes, not in the
last bits (a weight-gradient product split differently). Observed properties of
PyTorch's CPU back end, checked in ``tests/test_determinism.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import TypeVar

import torch

T = TypeVar("T")
R = TypeVar("R")


def effective_workers(n_jobs: int | None, n_tasks: int, n_threads: int | None = None) -> int:
    """How many jobs run at once: ``n_jobs`` read as in scikit-learn, capped by the tasks and threads.

    ``None`` or 1 means one at a time; -1 means as many as PyTorch has threads;
    -2 one fewer, and so on. ``n_threads`` defaults to ``torch.get_num_threads()``.
    """
    threads = torch.get_num_threads() if n_threads is None else int(n_threads)
    if n_jobs is None:
        wanted = 1
    elif n_jobs == 0:
        raise ValueError("n_jobs == 0 has no meaning; use None or 1 for one job at a time")
    elif n_jobs < 0:
        wanted = max(1, threads + 1 + int(n_jobs))
    else:
        wanted = int(n_jobs)
    return max(1, min(wanted, n_tasks, threads))


@contextmanager
def torch_threads(n_threads: int) -> Iterator[None]:
    """Set PyTorch's intra-op thread count for the block, then restore it.

    The count is process-wide: other threads using PyTorch meanwhile share it.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, int(n_threads)))
    try:
        yield
    finally:
        torch.set_num_threads(before)


class StopRequested(Exception):
    """Raised inside a job whose siblings failed, or whose caller was interrupted."""


def check_stop(stop: threading.Event) -> None:
    """Raise :class:`StopRequested` once ``stop`` is set; jobs call it between epochs or chunks."""
    if stop.is_set():
        raise StopRequested("stopped: another job failed or the run was interrupted")


def map_networks(
    job: Callable[[T, threading.Event], R],
    items: Sequence[T],
    n_jobs: int | None,
    device: torch.device | str = "cpu",
) -> list[R]:
    """``[job(item, stop) for item in items]``, up to ``n_jobs`` at a time on CPU threads.

    Results come back in the order of ``items``. On an accelerator (``device``
    not the CPU) the jobs run one after the other. If a job fails, or the
    caller is interrupted (Ctrl-C), ``stop`` is set; the other jobs should call
    :func:`check_stop` now and then (training: every epoch; search: every
    chunk) so that the error reaches the caller without waiting for them to
    finish. The first real error is raised.
    """
    stop = threading.Event()
    workers = effective_workers(n_jobs, len(items)) if torch.device(device).type == "cpu" else 1
    if workers == 1:
        return [job(item, stop) for item in items]
    with torch_threads(torch.get_num_threads() // workers), ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(job, item, stop) for item in items]
        try:
            wait(futures, return_when=FIRST_EXCEPTION)
        except BaseException:  # interrupted while waiting: stop the running jobs, drop the queued ones
            _stop_all(stop, futures)
            raise
        if not any(f.done() and f.exception() is not None for f in futures):
            return [future.result() for future in futures]
        _stop_all(stop, futures)
        wait(futures)
        errors = [f.exception() for f in futures if not f.cancelled() and f.exception() is not None]
        raise next((e for e in errors if not isinstance(e, StopRequested)), errors[0])


def _stop_all(stop: threading.Event, futures: list[Future]) -> None:
    stop.set()
    for future in futures:
        future.cancel()  # only those not started yet
