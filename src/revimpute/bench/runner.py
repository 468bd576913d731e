"""The benchmark runner: every method on every case, scored against the truth.

For each case (:func:`~revimpute.bench.cases.prepare_case`) every method
imputes the table with the masked cells set to NaN, in a worker process
(:class:`~revimpute.bench.worker.Worker`). The scores are computed here, in
the parent process, against the truth:

* RMSE and MAE on the hidden cells, the summed per-column Wasserstein distance
  between true and imputed hidden values (:mod:`revimpute.bench.metrics`);
* a downstream score: a fixed model
  (:func:`~revimpute.bench.metrics.downstream_score`) is trained on the imputed
  training rows of the case's split and tested on the complete test rows;
* wall time and peak memory of the method, measured in the worker.

Every method gets its registry defaults (:func:`revimpute.impute.get_imputer`)
and, where it has one, ``random_state=seed`` (every nested ``*random_state``
parameter), so repeated seeds vary both the mask and the method's own
randomness.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from revimpute.bench.cases import CaseData, prepare_case
from revimpute.bench.config import SHARED_NETWORK, BenchConfig
from revimpute.bench.metrics import downstream_score, mae_missing, rmse_missing, wasserstein_columns
from revimpute.bench.provenance import environment_info
from revimpute.bench.results import BenchResults, RunRecord
from revimpute.bench.worker import Outcome, Worker

__all__ = ["run_benchmark"]


def _jobs(methods: Sequence[str], params: dict[str, dict[str, Any]]) -> list[list[str]]:
    """Methods grouped into worker jobs, in registry order of their first method."""
    shared = [m for m in methods if m in SHARED_NETWORK]
    same_network = len(shared) == 2 and params.get("autoencoder", {}) == params.get("reverse", {})
    jobs: list[list[str]] = []
    for name in methods:
        if same_network and name in SHARED_NETWORK:
            if shared not in jobs:
                jobs.append(shared)
        else:
            jobs.append([name])
    return jobs


def _score(data: CaseData, outcome: Outcome, record: RunRecord) -> None:
    filled = outcome.filled
    if filled is None or filled.shape != data.truth.shape:
        record.status, record.error = "error", f"returned shape {None if filled is None else filled.shape}"
        return
    observed = ~data.mask
    if not np.isfinite(filled).all():
        record.status, record.error = "error", f"{int((~np.isfinite(filled)).sum())} cells left NaN/inf"
        return
    record.observed_max_change = float(np.max(np.abs(filled[observed] - data.truth[observed]), initial=0.0))
    record.rmse = rmse_missing(data.truth, filled, data.mask)
    record.mae = mae_missing(data.truth, filled, data.mask)
    record.wasserstein = wasserstein_columns(data.truth, filled, data.mask)
    record.downstream = downstream_score(
        filled[data.train_rows], data.target[data.train_rows],
        data.truth[data.test_rows], data.target[data.test_rows], data.task,
        random_state=data.case.seed,
    )


def run_benchmark(
    config: BenchConfig,
    *,
    previous: BenchResults | None = None,
    rerun: Sequence[str] = (),
    command: str = "",
    on_record: Callable[[RunRecord], None] | None = None,
    on_case: Callable[[BenchResults], None] | None = None,
) -> BenchResults:
    """Run every method on every case of ``config``.

    Parameters
    ----------
    config : BenchConfig
        What to run (validated here).
    previous : BenchResults, optional
        Results of an earlier run: a (case, method) already recorded there is
        not run again (resume).
    rerun : sequence of str
        Methods whose runs in ``previous`` are dropped for the cases of
        ``config`` and run again (e.g. ours after its defaults changed).
    command : str
        The command line, kept in the results.
    on_record : callable, optional
        Called with each new :class:`RunRecord` (progress).
    on_case : callable, optional
        Called with the results so far after each case (e.g. to save them).

    Returns
    -------
    BenchResults

    Raises
    ------
    RevimputeError
        If the configuration is invalid or the worker cannot start.
    """
    config.validate()
    results = BenchResults(config.to_dict(), environment_info(), command)
    done: set[tuple] = set()
    known_cases: dict[tuple, dict[str, Any]] = {}
    if previous is not None:
        cases = {(c.dataset, c.mechanism, c.rate, c.seed) for c in config.cases()}
        results.records = [
            r for r in previous.records if not (r.method in rerun and r.key[:4] in cases)
        ]
        results.cases = list(previous.cases)
        earlier = previous.environment.get("earlier_runs", [])
        here = {k: v for k, v in previous.environment.items() if k != "earlier_runs"}
        results.environment["earlier_runs"] = [*earlier, {"command": previous.command, **here}]
        done = {r.key for r in results.records}
        known_cases = {(c["dataset"], c["mechanism"], c["rate"], c["seed"]): c for c in previous.cases}
    grid = set(config.grid())
    worker = Worker()
    try:
        for case in config.cases():
            key = (case.dataset, case.mechanism, case.rate, case.seed)
            todo = [m for m in config.methods if (*key, m) not in done]
            if not todo and key in known_cases:
                continue
            data = prepare_case(case)
            info = known_cases.get(key) or {
                "dataset": case.dataset, "mechanism": case.mechanism, "rate": case.rate,
                "seed": case.seed, "group": "grid" if case in grid else "crosscheck",
                "n_rows": int(data.truth.shape[0]), "n_columns": int(data.truth.shape[1]),
                "missing_share": float(data.mask.mean()), "n_missing": int(data.mask.sum()),
                "task": data.task,
                "downstream_metric": "accuracy" if data.task == "classification" else "r2",
                "complete_downstream": data.complete_downstream(),
                "rows_all_missing": int(data.mask.all(axis=1).sum()),
            }
            if key not in known_cases:
                results.cases.append(info)
                known_cases[key] = info
            for job_methods in _jobs(todo, config.method_params):
                job = {
                    "X": data.holed, "seed": case.seed, "methods": job_methods,
                    "params": {m: config.method_params.get(m, {}) for m in job_methods},
                    "shared": len(job_methods) > 1,
                }
                for outcome in worker.run(job, config.time_budget):
                    record = RunRecord(
                        dataset=case.dataset, mechanism=case.mechanism, rate=case.rate, seed=case.seed,
                        method=outcome.method, status=outcome.status, group=info["group"],
                        missing_share=info["missing_share"], n_rows=info["n_rows"],
                        n_columns=info["n_columns"], downstream_metric=info["downstream_metric"],
                        seconds=outcome.seconds, peak_mib=outcome.peak_mib,
                        time_budget=config.time_budget, params=outcome.params,
                        warnings=outcome.warnings, error=outcome.error,
                    )
                    if outcome.status == "ok":
                        _score(data, outcome, record)
                    results.records.append(record)
                    done.add(record.key)
                    if on_record is not None:
                        on_record(record)
            if on_case is not None:
                on_case(results)
    finally:
        worker.stop()
    return results
