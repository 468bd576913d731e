"""Masked, denoising training of the autoencoder on data that has holes.

The loss counts observed cells only. Each batch hides an extra random share of
the observed cells from the network (``corruption_rate``) while still scoring
them, so the network learns to complete rows. A held-out share of the rows,
with one fixed corruption mask, drives early stopping; the best weights are
kept.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from revimpute.encode.layout import UnitLayout
from revimpute.nn.autoencoder import MLPAutoencoder
from revimpute.nn.heads import Heads


@dataclass(frozen=True)
class TrainingConfig:
    """Settings of autoencoder training (see ``ReverseImputer`` for their meaning)."""

    hidden_sizes: tuple[int, ...] = (128, 64)
    latent_size: int = 16
    mask_channel: bool = True
    max_epochs: int = 300
    batch_size: int = 128
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    corruption_rate: float = 0.2
    corruption: str = "cells"
    validation_fraction: float = 0.1
    patience: int = 20
    #: "constant", or "cosine": the learning rate decays per epoch from
    #: ``learning_rate`` towards 0 at ``max_epochs`` (a fixed budget of epochs).
    lr_schedule: str = "constant"
    #: An epoch counts as progress (resets ``patience``) only when the held-out
    #: loss is below ``(1 - min_relative_improvement)`` times the last loss that
    #: counted; the best weights are kept whatever the size of the gain.
    min_relative_improvement: float = 0.0
    #: Early stopping and the choice of the best weights follow an exponential
    #: moving average of the held-out loss with this weight on its past (0: the
    #: loss itself), so that one lucky epoch on a few held-out rows neither
    #: becomes the kept weights nor stops the training.
    validation_smoothing: float = 0.0


@dataclass
class TrainingHistory:
    """Per-epoch losses and where training stopped."""

    train_loss: list[float] = field(default_factory=list)
    validation_loss: list[float] = field(default_factory=list)
    best_epoch: int = 0
    stopped_early: bool = False


class EarlyStopping:
    """The stopping rule of :class:`TrainingConfig`: best epoch and patience on the (smoothed) held-out loss."""

    def __init__(self, config: TrainingConfig) -> None:
        self.patience = config.patience
        self.min_relative_improvement = config.min_relative_improvement
        self.smoothing = config.validation_smoothing
        self.smoothed = math.nan
        self.best_score = math.inf
        self.progress_score = math.inf  # the last score that counted as progress
        self.epochs_without_gain = 0

    def update(self, loss: float) -> tuple[bool, bool]:
        """Take one epoch's held-out ``loss``; return (these weights are the best so far, stop now)."""
        if self.smoothing and not math.isnan(self.smoothed):
            self.smoothed = self.smoothing * self.smoothed + (1 - self.smoothing) * loss
        else:
            self.smoothed = loss
        score = self.smoothed
        best = score < self.best_score - 1e-7
        if best:
            self.best_score = score
        if score < self.progress_score * (1 - self.min_relative_improvement) - 1e-7:
            self.progress_score = score
            self.epochs_without_gain = 0
            return best, False
        self.epochs_without_gain += 1
        return best, self.epochs_without_gain >= self.patience


CORRUPTIONS = ("cells", "runs", "mixed", "none")
LR_SCHEDULES = ("constant", "cosine")


def _hidden_runs(shape: tuple[int, int], rate: float, generator: torch.Generator) -> Tensor:
    """One contiguous run of columns per row, of random length (mean ``rate`` of the row).

    On images stored row by row, a run is a band of pixel rows or part of one.
    """
    n, d = shape
    lengths = (torch.rand(n, generator=generator) * 2 * rate * d).round().clamp(1, d)
    starts = (torch.rand(n, generator=generator) * (d - lengths + 1)).floor()
    cols = torch.arange(d).unsqueeze(0)
    return (cols >= starts.unsqueeze(1)) & (cols < (starts + lengths).unsqueeze(1))


def _corrupt(
    observed: Tensor, rate: float, generator: torch.Generator, kind: str = "cells"
) -> Tensor:
    """Hide a random share ``rate`` of the observed cells: returns the visible mask.

    ``kind``: ``"cells"`` hides cells independently; ``"runs"`` hides one
    contiguous run of columns per row; ``"mixed"`` does either, per row, with
    equal chance; ``"none"`` hides nothing (a plain autoencoder).
    """
    if rate <= 0 or kind == "none":
        return observed
    if kind not in CORRUPTIONS:
        raise ValueError(f"corruption must be one of {CORRUPTIONS}, got {kind!r}")
    cells = torch.rand(observed.shape, generator=generator) < rate
    if kind == "cells":
        hidden = cells
    else:
        runs = _hidden_runs(tuple(observed.shape), rate, generator)
        if kind == "runs":
            hidden = runs
        else:
            pick_runs = torch.rand(observed.shape[0], 1, generator=generator) < 0.5
            hidden = torch.where(pick_runs, runs, cells)
    return observed * ~hidden


def _corrupt_columns(
    observed: Tensor, config: TrainingConfig, generator: torch.Generator,
    first_units: Tensor | None, column_of_unit: Tensor | None,
) -> Tensor:
    """Visible mask over the units: cells are hidden per column (a categorical
    group is hidden whole), then spread over the column's units."""
    if first_units is None:
        return _corrupt(observed, config.corruption_rate, generator, config.corruption)
    visible = _corrupt(observed[:, first_units], config.corruption_rate, generator, config.corruption)
    return visible[:, column_of_unit]


def init_parameters(model: torch.nn.Module, generator: torch.Generator) -> None:
    """Re-draw every ``nn.Linear`` as PyTorch's default init, from ``generator``.

    PyTorch initialises layers from the global random state; drawing them from
    a local generator keeps training reproducible without touching it.
    """
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, torch.nn.Linear):
                bound = 1.0 / math.sqrt(layer.in_features)
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.uniform_(-bound, bound, generator=generator)


def train_autoencoder(
    X: np.ndarray,
    observed: np.ndarray,
    config: TrainingConfig,
    seed: int,
    progress=None,
    device: str | torch.device = "cpu",
    layout: UnitLayout | None = None,
) -> tuple[MLPAutoencoder, TrainingHistory]:
    """Train an :class:`MLPAutoencoder` on scaled data with holes.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32
        Scaled values; entries where ``observed`` is False are ignored.
    observed : ndarray of bool, same shape
        True where the value is known.
    config : TrainingConfig
    seed : int
        Seeds a local ``torch.Generator``: the same seed gives the same model.
    progress : callable(epoch, max_epochs, train_loss, val_loss) or None
        Called after each epoch (used for progress bars).
    device : str or torch.device, default="cpu"
        Where the network trains; random draws stay on the CPU generator.
    layout : UnitLayout or None
        Unit structure of a mixed table (booleans and categorical groups get
        their own heads and losses; training hides whole columns); None means
        every unit is a numeric column.

    Returns
    -------
    model : MLPAutoencoder, in eval mode, holding the best weights.
    history : TrainingHistory
    """
    generator = torch.Generator().manual_seed(int(seed))
    n_samples, n_features = X.shape
    device = torch.device(device)
    x_all = torch.from_numpy(np.where(observed, X, 0.0).astype(np.float32)).to(device)
    obs_all = torch.from_numpy(observed.astype(np.float32)).to(device)

    n_val = int(round(config.validation_fraction * n_samples))
    if n_samples - n_val < 2 or n_val < 2:
        n_val = 0
    order = torch.randperm(n_samples, generator=generator)
    val_idx, train_idx = order[:n_val], order[n_val:]
    x_val, obs_val = x_all[val_idx], obs_all[val_idx]
    heads = Heads(layout, device)
    first_units = column_of_unit = None
    if layout is not None and layout.n_columns != layout.n_units:
        first_units = torch.as_tensor(layout.first_units())
        column_of_unit = torch.as_tensor(layout.column_of_unit)
    visible_val = _corrupt_columns(obs_val.cpu(), config, generator, first_units, column_of_unit).to(device)

    model = MLPAutoencoder(
        n_features, config.hidden_sizes, config.latent_size, config.mask_channel
    )
    init_parameters(model, generator)
    model.to(device)

    # foreach: the multi-tensor Adam update gives bitwise the same weights as the
    # per-tensor loop PyTorch picks for CPU tensors, in less time (measured in docs/mnist.md)
    optimizer = torch.optim.Adam(
        model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay,
        foreach=True,
    )
    history = TrainingHistory()
    best_state = copy.deepcopy(model.state_dict())
    stopping = EarlyStopping(config)
    batch_size = max(1, min(config.batch_size, len(train_idx)))
    if config.lr_schedule not in LR_SCHEDULES:
        raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, got {config.lr_schedule!r}")

    for epoch in range(config.max_epochs):
        if config.lr_schedule == "cosine":
            for group in optimizer.param_groups:
                group["lr"] = config.learning_rate * 0.5 * (1 + math.cos(math.pi * epoch / config.max_epochs))
        model.train()
        perm = train_idx[torch.randperm(len(train_idx), generator=generator)]
        total, count = 0.0, 0
        for start in range(0, len(perm), batch_size):
            idx = perm[start : start + batch_size]
            xb, ob = x_all[idx], obs_all[idx]
            visible = _corrupt_columns(ob.cpu(), config, generator, first_units, column_of_unit).to(device)
            recon, _ = model(xb, visible)
            loss = heads.mean_loss(recon, xb, ob)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(idx)
            count += len(idx)
        train_loss = total / max(count, 1)
        history.train_loss.append(train_loss)

        model.eval()
        if n_val:
            with torch.no_grad():
                recon, _ = model(x_val, visible_val)
                # score the hidden cells: that is the imputation task
                hidden = obs_val * (1 - visible_val)
                weight = hidden if float(hidden.sum()) > 0 else obs_val
                score = float(heads.mean_loss(recon, x_val, weight))
        else:
            score = train_loss
        history.validation_loss.append(score)
        if progress is not None:
            progress(epoch + 1, config.max_epochs, train_loss, score)

        best, stop = stopping.update(score)
        if best:
            best_state = copy.deepcopy(model.state_dict())
            history.best_epoch = epoch
        if stop:
            history.stopped_early = True
            break

    model.load_state_dict(best_state)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model, history


def code_radius(
    model: MLPAutoencoder, X: np.ndarray, observed: np.ndarray, device: str | torch.device = "cpu"
) -> float:
    """Mean Euclidean norm of the latent codes of the training rows.

    The reverse engine's spherical regulariser pulls codes toward this radius.
    """
    with torch.no_grad():
        x = torch.from_numpy(np.where(observed, X, 0.0).astype(np.float32)).to(device)
        obs = torch.from_numpy(observed.astype(np.float32)).to(device)
        norms = []
        for start in range(0, len(x), 4096):
            _, z = model(x[start : start + 4096], obs[start : start + 4096])
            norms.append(z.norm(dim=1))
        return float(torch.cat(norms).mean()) if norms else 1.0
