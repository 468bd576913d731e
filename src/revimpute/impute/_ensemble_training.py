"""Training the networks of a ReverseImputer, running their searches, and merging what the searches report.

The ensemble trains as one stacked model (the automatic budget) or network by
network (an explicit ``batch_size``), on the threads the machine can spare,
on the device asked for. On more than one CPU thread the searches run in
groups of networks side by side, one group per thread.
"""

from __future__ import annotations

import threading
import warnings
from typing import Any

import numpy as np
import torch

from revimpute.encode.layout import UnitLayout
from revimpute.exceptions import RevimputeError
from revimpute.impute._progress import progress_bar
from revimpute.nn import TrainingConfig, TrainingHistory, code_radius, train_autoencoder
from revimpute.nn.ensemble import train_ensemble
from revimpute.nn.parallel import check_stop, map_networks
from revimpute.nn.threads import choose_threads, compute_threads
from revimpute.reverse.engine import ReverseConfig, ReverseReport, reverse_impute_ensemble


def merge_reports(reports: list[ReverseReport]) -> ReverseReport:
    """One report for an ensemble: rows and cells once, steps per row averaged over networks."""
    merged = ReverseReport(rows=reports[0].rows, cells=reports[0].cells)
    merged.row_steps = sum(r.row_steps for r in reports)
    merged.rows_converged = min(r.rows_converged for r in reports)
    merged.steps_per_row = merged.row_steps / max(merged.rows * len(reports), 1)
    return merged


_CUDA_FALLBACK_SAID: list[bool] = []


def resolve_device(device: str) -> torch.device:
    """The torch device for ``device`` (``"cpu"``, ``"cuda"`` or ``"auto"``): CUDA when asked and available.

    Asked for CUDA without it, the CPU is used and a warning says so, once per process.
    """
    if device == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if device == "cuda" and not _CUDA_FALLBACK_SAID:
        _CUDA_FALLBACK_SAID.append(True)  # said once per process, not at every fit and transform
        warnings.warn("CUDA is not available; running on the CPU", UserWarning, stacklevel=3)
    return torch.device("cpu")


def split_networks(seeds: list[int], workers: int) -> list[list[int]]:
    """``seeds`` cut into ``workers`` consecutive groups whose sizes differ by at most one (larger first)."""
    workers = max(1, min(workers, len(seeds)))
    size, extra = divmod(len(seeds), workers)
    groups, start = [], 0
    for k in range(workers):
        end = start + size + (k < extra)
        groups.append(seeds[start:end])
        start = end
    return groups


def train_stacked(
    units: np.ndarray, observed: np.ndarray, layout: UnitLayout | None, config: TrainingConfig,
    seeds: list[int], device: torch.device, tick: Any,
) -> list[tuple[torch.nn.Module, float, TrainingHistory]]:
    """Train one network per seed as one stacked model; each with its code radius.

    The networks train as one stack on all the threads given, not in groups
    side by side: a network's training products are batched over the stack,
    and PyTorch's batched CPU product does not give the same bits for every
    batch count (seen for a 34-row batch through a 128 -> 9 layer), so groups
    chosen by the free cores would make the fitted weights depend on the
    machine's load.
    """

    def epoch_done(_epoch: int, _total: int, train_loss: float, val_loss: float) -> None:
        tick(1, f"loss {train_loss:.4f} val {val_loss:.4f}")

    pairs = train_ensemble(units, observed, config, seeds, progress=epoch_done, device=device, layout=layout)
    tick(config.max_epochs - max(len(history.train_loss) for _, history in pairs))  # saved by early stopping
    radii = [code_radius(model, units, observed, device=device) for model, _ in pairs]
    return [(model.to("cpu"), radius, history) for (model, history), radius in zip(pairs, radii)]


def train_networks(
    units: np.ndarray, observed: np.ndarray, layout: UnitLayout | None, config: TrainingConfig, seeds: list[int],
    *, device: torch.device, stacked: bool, n_jobs: int | None, verbose: bool,
) -> list[tuple[torch.nn.Module, float, TrainingHistory]]:
    """Train one network per seed: ``(model on the CPU, code radius, history)`` each, in seed order.

    ``stacked``: the networks train together as one stacked model (the
    automatic budget); else each on its own, side by side when ``n_jobs``
    asks for it (sharing PyTorch's threads). A progress bar on stderr when
    ``verbose``.

    Raises
    ------
    RevimputeError
        If training diverged (a weight that is not a finite number).
    """
    side_by_side = not stacked and n_jobs not in (None, 1)
    threads = choose_threads() if device.type == "cpu" and not side_by_side else torch.get_num_threads()
    total, unit = (config.max_epochs, "epochs of the ensemble") if stacked else (
        config.max_epochs * len(seeds), "epochs"
    )
    with compute_threads(threads), progress_bar(verbose, "training", total=total, unit=unit) as tick:

        def train_one(train_seed: int, stop: threading.Event) -> tuple[torch.nn.Module, float, TrainingHistory]:
            def epoch_done(_epoch: int, _total: int, train_loss: float, val_loss: float) -> None:
                tick(1, f"loss {train_loss:.4f} val {val_loss:.4f}")
                check_stop(stop)

            model, history = train_autoencoder(
                units, observed, config, seed=train_seed, device=device, progress=epoch_done, layout=layout,
            )
            tick(config.max_epochs - len(history.train_loss))  # epochs saved by early stopping
            radius = code_radius(model, units, observed, device=device)
            return model.to("cpu"), radius, history

        with torch.random.fork_rng(devices=[]):  # building layers draws from the global generator
            if stacked:
                trained = train_stacked(units, observed, layout, config, seeds, device, tick)
            else:
                trained = map_networks(train_one, seeds, n_jobs, device)
    for model, _, _ in trained:
        if not all(torch.isfinite(p).all() for p in model.parameters()):
            raise RevimputeError(
                "training diverged: the network's weights are not finite numbers; lower "
                "learning_rate or check the table for extreme values"
            )
    return trained


def search_networks(
    models: list[torch.nn.Module], units: np.ndarray, missing: np.ndarray, config: ReverseConfig,
    radii: list[float], seeds: list[int], *, device: torch.device, threads: int, tick: Any,
    bounds: tuple[np.ndarray, np.ndarray] | None, layout: UnitLayout | None,
) -> tuple[list[np.ndarray], list[ReverseReport]]:
    """Every network's reverse search (:func:`~revimpute.reverse.reverse_impute_ensemble`), in model order.

    On the CPU with ``threads`` > 1 the work is cut into ``threads`` jobs run
    side by side, each on its share of the intra-op threads: the networks into
    groups (:func:`split_networks`), each searched as one stack, and when there
    are fewer networks than threads, the rows to fill into consecutive parts
    as well. A network's result for a row depends neither on the networks
    beside it, nor on the other rows, nor on the thread count (the search's
    products are batch-invariant), so the cut changes the time only.
    ``tick(rows)`` advances a bar counting the rows every network has done.
    """
    workers = threads if device.type == "cpu" else 1
    groups = split_networks(list(range(len(models))), workers)
    todo = np.flatnonzero(missing.any(axis=1))
    n_parts = max(1, min(workers // len(groups), len(todo)))
    parts = list(np.array_split(todo, n_parts)) if n_parts > 1 else [None]
    jobs = [(g, p) for p in range(len(parts)) for g in range(len(groups))]
    done = np.zeros((len(groups), len(parts)), dtype=np.int64)
    shown = [0]
    lock = threading.Lock()

    def search(job: int, stop: threading.Event) -> tuple[list[np.ndarray], list[ReverseReport]]:
        group, part = jobs[job]

        def advance(rows_done: int, _total: int) -> None:
            with lock:  # a row is done once every group has done it
                done[group, part] = rows_done
                rows = int(done.min(axis=0).sum())
                tick(rows - shown[0])
                shown[0] = rows
            check_stop(stop)

        members, rows = groups[group], parts[part]
        return reverse_impute_ensemble(
            [models[k] for k in members], units if rows is None else units[rows],
            missing if rows is None else missing[rows], config, [radii[k] for k in members],
            [seeds[k] for k in members], device=device, progress=advance, bounds=bounds, layout=layout,
        )

    results = map_networks(search, range(len(jobs)), len(jobs), device)
    filled: list[np.ndarray] = []
    reports: list[ReverseReport] = []
    for group, members in enumerate(groups):
        mine = [results[jobs.index((group, part))] for part in range(len(parts))]
        for k in range(len(members)):
            if parts[0] is None:
                filled.append(mine[0][0][k])
                reports.append(mine[0][1][k])
                continue
            whole = np.asarray(units, dtype=np.float32).copy()
            for rows, (part_filled, _) in zip(parts, mine):
                whole[rows] = part_filled[k]
            filled.append(whole)
            reports.append(combined_report([part_reports[k] for _, part_reports in mine]))
    return filled, reports


def combined_report(reports: list[ReverseReport]) -> ReverseReport:
    """One network's report over several parts of the rows: the sums of theirs."""
    total = ReverseReport(
        rows=sum(r.rows for r in reports), cells=sum(r.cells for r in reports),
        rows_converged=sum(r.rows_converged for r in reports), row_steps=sum(r.row_steps for r in reports),
    )
    total.steps_per_row = total.row_steps / max(total.rows, 1)
    return total
