"""The table demo: breast-cancer data with 20% of cells removed, every method scored.

Protocol (GAIN's published setting): scikit-learn's
``load_breast_cancer().data`` (569 x 30), min-max scaled per column; a cell is
missing where ``numpy.random.default_rng(seed).random(X.shape) < 0.2``; score =
RMSE on the missing cells. The autoencoder pass is the one forward pass of the
same network that reverse training uses.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from revimpute.bench.datasets import load_table, minmax_scale
from revimpute.bench.metrics import rmse_missing
from revimpute.impute import ReverseImputer, get_imputer

DEFAULT_METHODS = ("mean", "knn", "iterative", "autoencoder", "reverse")


@dataclass(frozen=True)
class DemoRow:
    """One method's result."""

    method: str
    rmse: float
    seconds: float


def table_demo(
    methods: Sequence[str] = DEFAULT_METHODS,
    dataset: str = "breast_cancer",
    rate: float = 0.2,
    seed: int = 0,
    reverse_params: dict | None = None,
    on_method: Callable[[str, DemoRow | None], None] | None = None,
    verbose: bool = False,
) -> tuple[list[DemoRow], tuple[int, int], int]:
    """Run the table demo.

    Parameters
    ----------
    methods, dataset, rate, seed, reverse_params
        What to run, on which data; ``reverse_params`` are extra
        ``ReverseImputer`` parameters.
    on_method : callable(method, row) or None
        Called when a method starts (``row`` None) and when it finishes (its
        :class:`DemoRow`).
    verbose : bool, default=False
        Show the ``ReverseImputer``'s progress bars (training, search) on stderr.

    Returns
    -------
    rows : list of DemoRow, in the order of ``methods``
    shape : the data's shape
    n_missing : number of cells removed
    """
    frame = minmax_scale(load_table(dataset).frame)
    truth = frame.to_numpy(dtype=np.float64)
    mask = np.random.default_rng(seed).random(truth.shape) < rate
    holed = np.where(mask, np.nan, truth)
    rows: list[DemoRow] = []
    reverse: ReverseImputer | None = None
    reverse_fit_seconds = 0.0
    for method in methods:
        if on_method is not None:
            on_method(method, None)
        start = time.perf_counter()
        if method in ("reverse", "autoencoder"):
            if reverse is None:
                # n_jobs=-1: with an explicit batch_size in reverse_params the networks train side by side;
                # the automatic budget trains them as one stacked model anyway
                params = {"random_state": seed, "n_jobs": -1, "verbose": verbose, **(reverse_params or {})}
                reverse = ReverseImputer(**params).fit(holed)
                reverse_fit_seconds = time.perf_counter() - start
                start = time.perf_counter()
            filled = reverse.transform(holed) if method == "reverse" else reverse.impute_pass(holed)
            seconds = time.perf_counter() - start + reverse_fit_seconds
        else:
            filled = get_imputer(method).fit_transform(holed)
            seconds = time.perf_counter() - start
        rows.append(DemoRow(method, rmse_missing(truth, filled, mask), seconds))
        if on_method is not None:
            on_method(method, rows[-1])
    return rows, truth.shape, int(mask.sum())
