"""Training the networks of a ReverseImputer and merging what their searches report.

The ensemble trains as one stacked model (the automatic budget) or network by
network (an explicit ``batch_size``), on the threads the machine can spare,
on the device asked for.
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
from revimpute.reverse.engine import ReverseReport


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


def train_stacked(
    units: np.ndarray, observed: np.ndarray, layout: UnitLayout | None, config: TrainingConfig,
    seeds: list[int], device: torch.device, tick: Any,
) -> list[tuple[torch.nn.Module, float, TrainingHistory]]:
    """Train one network per seed as one stacked model; each with its code radius."""

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
