"""The benchmark's worker process: one method run at a time, timed, memory-metered, stoppable.

Each method runs in a ``multiprocessing`` "spawn" worker limited to one
thread (``threadpoolctl.threadpool_limits(1)``, ``torch.set_num_threads(1)``),
one run at a time. A run that exceeds the time budget has its worker
terminated and is reported with status ``"timeout"``; a run that raises is
reported with status ``"error"`` and its message. Peak memory is the worker's
peak resident set size during the run minus its resident size just before
(on Linux the peak counter is reset before each run through
``/proc/self/clear_refs``; where that is impossible a fresh worker is started
for every run and ``ru_maxrss`` is used).

``"autoencoder"`` and ``"reverse"`` share one trained network per case
(:data:`~revimpute.bench.config.SHARED_NETWORK`): the worker fits
:class:`~revimpute.impute.ReverseImputer` once, takes the one-pass fill
(:meth:`~revimpute.impute.ReverseImputer.impute_pass`) and the reverse-trained
fill (``transform``); the fit time counts in both methods' times.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from revimpute.bench.config import SHARED_NETWORK
from revimpute.exceptions import RevimputeError

__all__ = ["Outcome", "Worker", "seeded_imputer"]


def _status_kib(field_name: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _ru_maxrss_kib() -> int | None:
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak // 1024) if sys.platform == "darwin" else int(peak)


def _reset_peak() -> bool:
    """Reset this process's peak-RSS counter (Linux); False where impossible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        return False
    return _status_kib("VmHWM") is not None


def _release_memory() -> None:
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class _Meter:
    """Peak resident memory of one run inside the worker."""

    def __init__(self, resettable: bool) -> None:
        self.resettable = resettable
        _release_memory()
        if resettable:
            _reset_peak()
        self.base = _status_kib("VmRSS") if resettable else _ru_maxrss_kib()

    def peak_mib(self) -> float | None:
        peak = _status_kib("VmHWM") if self.resettable else _ru_maxrss_kib()
        if peak is None or self.base is None:
            return None
        return max(peak - self.base, 0) / 1024.0


def seeded_imputer(name: str, params: dict[str, Any], seed: int) -> Any:
    """The registry's imputer ``name`` with ``params`` and every (nested) ``random_state`` set to ``seed``."""
    from revimpute.impute import get_imputer

    imputer = get_imputer(name, **params)
    keys = [k for k in imputer.get_params(deep=True) if k == "random_state" or k.endswith("__random_state")]
    if keys:
        imputer.set_params(**{k: seed for k in keys})
    return imputer


def _params_text(imputer: Any) -> str:
    params = imputer.get_params(deep=False)
    return ", ".join(f"{k}={v!r}" for k, v in sorted(params.items()))


def _warmup() -> None:
    """A tiny torch and scikit-learn computation, so no run pays first-use costs."""
    import torch
    from sklearn.linear_model import BayesianRidge

    layer = torch.nn.Linear(4, 4)
    optimiser = torch.optim.Adam(layer.parameters())
    loss = layer(torch.ones(8, 4)).pow(2).mean()
    loss.backward()
    optimiser.step()
    BayesianRidge().fit(np.ones((8, 2)) + np.arange(8)[:, None], np.arange(8.0))


def _run_job(conn: Any, job: dict[str, Any], resettable: bool) -> None:
    """Run one job's methods, sending a message per method."""
    X, seed, methods, params = job["X"], job["seed"], job["methods"], job["params"]
    conn.send(("start",))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if set(methods) <= set(SHARED_NETWORK) and job.get("shared"):
            _run_shared(conn, X, seed, methods, params, resettable, caught)
            return
        name = methods[0]
        meter = _Meter(resettable)
        try:
            imputer = seeded_imputer(name, params.get(name, {}), seed)
            start = time.perf_counter()
            filled = imputer.fit_transform(X)
            seconds = time.perf_counter() - start
        except Exception as exc:  # noqa: BLE001 - any failure of a method is reported, not fatal
            conn.send(("error", name, f"{type(exc).__name__}: {exc}", _warning_texts(caught)))
            return
        conn.send(("result", name, np.asarray(filled, dtype=np.float64), seconds, meter.peak_mib(),
                   _params_text(imputer), _warning_texts(caught), 0.0))


def _run_shared(conn: Any, X: np.ndarray, seed: int, methods: Sequence[str],
                params: dict[str, Any], resettable: bool, caught: list) -> None:
    """Fit one network; send the one-pass fill and the reverse-trained fill."""
    from revimpute.impute import ReverseImputer

    meter = _Meter(resettable)
    try:
        imputer = seeded_imputer("reverse", params.get("reverse", params.get("autoencoder", {})), seed)
        if not isinstance(imputer, ReverseImputer):  # pragma: no cover - registry invariant
            raise TypeError("the registry's 'reverse' is not a ReverseImputer")
        start = time.perf_counter()
        imputer.fit(X)
        fit_seconds = time.perf_counter() - start
    except Exception as exc:  # noqa: BLE001
        for name in methods:
            conn.send(("error", name, f"{type(exc).__name__}: {exc}", _warning_texts(caught)))
        return
    order = [m for m in SHARED_NETWORK if m in methods]  # the pass first: it is cheap
    for name in order:
        try:
            start = time.perf_counter()
            filled = imputer.impute_pass(X) if name == "autoencoder" else imputer.transform(X)
            own = time.perf_counter() - start
        except Exception as exc:  # noqa: BLE001
            conn.send(("error", name, f"{type(exc).__name__}: {exc}", _warning_texts(caught)))
            continue
        shown = imputer.get_params(deep=False)
        if name == "autoencoder":
            shown = {**shown, "estimate": "pass"}
        text = ", ".join(f"{k}={v!r}" for k, v in sorted(shown.items()))
        # The next method's time does not include this one's own work: extend its deadline.
        extra = own if name == "autoencoder" else 0.0
        conn.send(("result", name, np.asarray(filled, dtype=np.float64), fit_seconds + own,
                   meter.peak_mib(), text, _warning_texts(caught), extra))


def _warning_texts(caught: list) -> list[str]:
    texts: list[str] = []
    for item in caught:
        text = f"{item.category.__name__}: {str(item.message).splitlines()[0][:200]}"
        if text not in texts:
            texts.append(text)
    return texts[:5]


def _worker_main(conn: Any) -> None:
    """Entry point of a worker: one thread, then jobs until told to stop."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)
    limiter = threadpool_limits(limits=1)
    import revimpute.impute  # noqa: F401 - every run starts with the same imports

    _warmup()
    gc.collect()
    gc.freeze()  # the imports' objects are never garbage: later collections skip them
    resettable = _reset_peak()
    conn.send(("ready", {"resettable": resettable, "pid": os.getpid()}))
    try:
        while True:
            try:
                job = conn.recv()
            except EOFError:
                break
            if job is None:
                break
            _run_job(conn, job, resettable)
    finally:
        limiter.restore_original_limits()
        conn.close()


@dataclass
class Outcome:
    """What the worker reports for one method of a job.

    ``status`` is ``"ok"`` (``filled`` holds the imputed table), ``"timeout"``
    or ``"error"`` (``error`` says why); ``seconds`` and ``peak_mib`` are the
    method's time and extra resident memory; ``params`` its parameters as text.
    """

    method: str
    status: str
    filled: np.ndarray | None = None
    seconds: float | None = None
    peak_mib: float | None = None
    params: str = ""
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


class Worker:
    """One spawn worker process, restarted when a run is stopped or a run needs a fresh one."""

    STARTUP_TIMEOUT = 300.0

    def __init__(self) -> None:
        self._ctx = multiprocessing.get_context("spawn")
        self._proc: Any = None
        self._conn: Any = None
        self.resettable = True

    def _start(self) -> None:
        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(target=_worker_main, args=(child,), daemon=True,
                                 name="revimpute-bench-worker")
        proc.start()
        child.close()
        self._proc, self._conn = proc, parent
        if not parent.poll(self.STARTUP_TIMEOUT):
            self.stop()
            raise RevimputeError(f"the benchmark worker did not start within {self.STARTUP_TIMEOUT:.0f} s")
        try:
            _kind, info = parent.recv()
        except EOFError:
            code = proc.exitcode
            self.stop()
            raise RevimputeError(f"the benchmark worker died while starting (exit code {code})") from None
        self.resettable = bool(info["resettable"])

    def stop(self) -> None:
        """End the worker (terminate, then kill if it does not go)."""
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            with contextlib.suppress(OSError, ValueError, BrokenPipeError):
                conn.send(None)
            conn.close()
        if proc is not None:
            proc.join(timeout=2.0)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5.0)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5.0)

    def _kill(self) -> None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if proc is not None:
            proc.terminate()
            proc.join(timeout=5.0)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5.0)
        if conn is not None:
            conn.close()

    def run(self, job: dict[str, Any], budget: float) -> list[Outcome]:
        """Run ``job`` within ``budget`` seconds per method; one outcome per method."""
        if self._proc is None or not self._proc.is_alive():
            self._kill()
            self._start()
        conn = self._conn
        conn.send(job)
        pending = list(job["methods"])
        outcomes: list[Outcome] = []
        if not conn.poll(self.STARTUP_TIMEOUT):
            self._kill()
            return [Outcome(m, "error", error="the worker did not take the job") for m in pending]
        try:
            conn.recv()  # ("start",)
        except EOFError:
            code = self._proc.exitcode if self._proc is not None else None
            self._kill()
            return [Outcome(m, "error", error=f"worker died (exit code {code})") for m in pending]
        deadline = time.monotonic() + budget
        while pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not conn.poll(remaining):
                self._kill()
                outcomes += [Outcome(m, "timeout", seconds=budget, error=f"over the {budget:g} s budget")
                             for m in pending]
                return outcomes
            try:
                message = conn.recv()
            except EOFError:
                code = self._proc.exitcode if self._proc is not None else None
                self._kill()
                outcomes += [Outcome(m, "error", error=f"worker died (exit code {code})") for m in pending]
                return outcomes
            if message[0] == "error":
                _kind, name, text, caught = message
                outcomes.append(Outcome(name, "error", warnings=caught, error=text))
            else:
                _kind, name, filled, seconds, peak, params, caught, extra = message
                status = "timeout" if seconds > budget else "ok"
                outcomes.append(Outcome(name, status, filled, seconds, peak, params, caught,
                                         None if status == "ok" else f"over the {budget:g} s budget"))
                deadline += extra
            pending.remove(name)
        if not self.resettable:
            self.stop()  # fresh worker next time: its ru_maxrss starts from the imports alone
        return outcomes
