"""The automatic training budget: batch size, step size, steps and stopping rule from the table's size.

Up to :data:`LARGE_TABLE_ROWS` rows, every network of the ensemble takes a
fixed number of Adam steps (:attr:`TrainingBudget.steps`; fewer where
``max_epochs`` caps the epochs first, as its default 500 does for tables with
one or two steps an epoch) on batches of up to :attr:`TrainingBudget.max_batch`
rows (all the training rows of a table with fewer: one step an epoch), with
the step size scaled from ``learning_rate`` and decayed by a cosine to 0 at
the end of the budget; the best weights on the held-out rows are kept, and a
network whose held-out loss has not improved for ``patience`` epochs stops
early. Larger tables train on batches of
``n_samples // 100`` rows (at most 1,024) for about 3 million row passes, the
step size scaled linearly with the batch, also with a cosine decay.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

LARGE_TABLE_ROWS = 12_800
"""Above this many rows the budget is counted in row passes (large batches)."""


@dataclass(frozen=True)
class TrainingBudget:
    """The knobs of the automatic budget for tables of up to :data:`LARGE_TABLE_ROWS` rows."""

    steps: int = 1600
    """Adam steps per network."""
    max_batch: int = 128
    """Rows per step at most (a table with fewer training rows trains on all of them at once)."""
    lr_scale: float = 10.0
    """The step size is ``learning_rate * lr_scale`` (the parameter's value is the small-batch rate)."""
    patience_fraction: float = 0.25
    """A network stops after this share of its epochs without improvement of the held-out loss."""
    min_patience: int = 10
    """... but never after fewer epochs than this."""
    validation_smoothing: float = 0.0
    """Weight on the past of the moving average of the held-out loss that early stopping follows
    (:attr:`revimpute.nn.training.TrainingConfig.validation_smoothing`)."""
    large_table_row_passes: int = 3_000_000
    """Row passes of a large table's budget."""
    width_per_root_cell: float = 1.0
    """Automatic ``hidden_sizes``: the first hidden layer is this times the square root of the table's
    cells (rows x network units) wide ..."""
    min_width: int = 64
    """... but at least this many ..."""
    max_width: int = 256
    """... and at most this many; the second hidden layer has half as many."""


DEFAULT_BUDGET = TrainingBudget()


def automatic_hidden_sizes(
    n_samples: int, n_units: int, budget: TrainingBudget = DEFAULT_BUDGET
) -> tuple[int, int]:
    """Hidden layer widths for a table of ``n_samples`` rows and ``n_units`` network units: ``(w, w // 2)``.

    ``w`` is ``width_per_root_cell * sqrt(n_samples * n_units)`` rounded up to
    a multiple of 16, kept between ``min_width`` and ``max_width``.
    """
    width = 16 * math.ceil(budget.width_per_root_cell * math.sqrt(n_samples * n_units) / 16)
    width = int(min(max(width, budget.min_width), budget.max_width))
    return width, width // 2


def automatic_training(
    n_samples: int, validation_fraction: float, learning_rate: float, max_epochs: int,
    patience: int | None, budget: TrainingBudget = DEFAULT_BUDGET,
) -> dict:
    """``TrainingConfig`` fields (batch, step size, epochs, schedule, stopping) for a table of ``n_samples`` rows."""
    n_train = max(1, int(round(n_samples * (1 - validation_fraction))))
    if n_samples > LARGE_TABLE_ROWS:
        batch = int(min(max(n_samples // 100, 128), 1024))
        epochs = int(min(max_epochs, max(10, math.ceil(budget.large_table_row_passes / n_train))))
        return {
            "batch_size": batch,
            "learning_rate": learning_rate * batch / 128,
            "max_epochs": epochs,
            "lr_schedule": "cosine",
            "min_relative_improvement": 1e-3,
            "patience": patience or int(min(max(round(250_000 / n_samples), 5), 200)),
        }
    batch = min(n_train, budget.max_batch)
    steps_per_epoch = math.ceil(n_train / batch)
    epochs = int(min(max_epochs, max(1, math.ceil(budget.steps / steps_per_epoch))))
    return {
        "batch_size": batch,
        "learning_rate": learning_rate * budget.lr_scale,
        "max_epochs": epochs,
        "lr_schedule": "cosine",
        "min_relative_improvement": 0.0,
        "patience": patience or max(budget.min_patience, math.ceil(budget.patience_fraction * epochs)),
        "validation_smoothing": budget.validation_smoothing,
    }
