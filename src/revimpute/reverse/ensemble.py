"""An ensemble of frozen networks as the reverse search sees it, and its estimates.

A fitted :class:`~revimpute.ReverseImputer` holds one or more networks
(:meth:`~revimpute.ReverseImputer.networks`); each is searched with its code
radius (the spherical penalty's target) and its own dropout seed, and the
networks' fills are averaged by :func:`ensemble_mean`.

:func:`ensemble_pass` is the ensemble's one-pass fill (``estimate="pass"``).
:func:`ensemble_estimates` gives the pass, the search and the mean estimate of
the same cells side by side, each averaged over the networks before they are
combined, with the time each took.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
import torch

from revimpute.encode.layout import UnitLayout
from revimpute.nn.heads import Heads
from revimpute.nn.parallel import check_stop, map_networks
from revimpute.reverse.engine import ReverseConfig, cleanup_pass, one_pass, reverse_impute

__all__ = ["EnsembleEstimates", "Network", "ensemble_estimates", "ensemble_mean", "ensemble_pass"]

Bounds = tuple[np.ndarray, np.ndarray]


class Network(NamedTuple):
    """One frozen network of an ensemble, with what its search needs."""

    model: torch.nn.Module
    """The trained autoencoder (its weights are not changed by the search)."""
    radius: float
    """Mean norm of the network's codes on the training rows."""
    seed: int
    """Seed of the network's row-keyed dropout streams."""


def ensemble_mean(arrays: list[np.ndarray]) -> np.ndarray:
    """Average the networks' float32 outputs, summed in float64.

    Parameters
    ----------
    arrays : list of ndarray of float32
        One array per network, all of the same shape.

    Returns
    -------
    ndarray of float32
        Their mean; a single network's array is returned as is.

    Examples
    --------
    >>> import numpy as np
    >>> ensemble_mean([np.float32([1.0, 2.0]), np.float32([2.0, 4.0])])
    array([1.5, 3. ], dtype=float32)
    """
    if len(arrays) == 1:
        return arrays[0]
    return (np.sum([a.astype(np.float64) for a in arrays], axis=0) / len(arrays)).astype(np.float32)


def ensemble_pass(
    models: Sequence[torch.nn.Module],
    X: np.ndarray,
    missing: np.ndarray,
    bounds: Bounds | None = None,
    layout: UnitLayout | None = None,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The networks' one-pass fill, averaged over the ensemble, and each network's.

    Parameters
    ----------
    models : sequence of torch.nn.Module
        The frozen networks.
    X : ndarray of shape (n, d)
        Values in network units; cells where ``missing`` is True are ignored.
    missing : ndarray of bool, same shape
    bounds : (lower, upper) arrays of shape (d,), optional
        Limits of the imputed cells (network units); the averaged fill and
        each network's fill are clipped to them.
    layout : UnitLayout, optional
        Unit structure of a mixed table.

    Returns
    -------
    passed : ndarray of float32, shape (n, d)
        ``X`` with the missing cells filled by :func:`ensemble_mean` of the
        networks' :func:`~revimpute.reverse.one_pass` (clipped after averaging).
    members : list of ndarray of float32
        Each network's fill, clipped.
    """
    members = [one_pass(model, X, missing, layout=layout) for model in models]
    passed = ensemble_mean(members)
    if bounds is not None:
        passed = np.clip(passed, bounds[0], bounds[1])
        members = [np.clip(member, bounds[0], bounds[1]) for member in members]
    members = [np.where(missing, member, X).astype(np.float32) for member in members]
    return np.where(missing, passed, X).astype(np.float32), members


@dataclass(frozen=True)
class EnsembleEstimates:
    """The estimates of an ensemble for the same missing cells, in network units.

    Every array has the shape of the input and holds its observed cells.

    Attributes
    ----------
    pass_ : ndarray of float32
        The one-pass fill (:func:`ensemble_pass`), clipped.
    search : ndarray of float32
        The reverse search's result (the mode estimate, before the clean-up
        pass), averaged over the networks.
    cleaned : ndarray of float32
        Each network's search result passed once more through that network
        (:func:`~revimpute.reverse.cleanup_pass`), averaged, then clipped.
    mean : ndarray
        ``0.5 * (cleaned + pass_)`` in the missing cells.
    seconds : dict of str to float
        Wall time of ``"pass"``, ``"search"`` (networks side by side),
        ``"cleanup"`` and ``"mean"`` (the pass and the averaging).
    """

    pass_: np.ndarray
    search: np.ndarray
    cleaned: np.ndarray
    mean: np.ndarray
    seconds: dict[str, float]


def ensemble_estimates(
    networks: Sequence[Network],
    X: np.ndarray,
    missing: np.ndarray,
    config: ReverseConfig,
    bounds: Bounds | None = None,
    layout: UnitLayout | None = None,
    n_jobs: int | None = 1,
) -> EnsembleEstimates:
    """The pass, the search and the mean estimate of an ensemble, computed once each.

    Each network is searched on its own (:func:`~revimpute.reverse.reverse_impute`
    with ``config``'s settings, but no clean-up and the mode estimate), up to
    ``n_jobs`` networks at a time on CPU threads; the estimates are then
    averaged over the networks and combined as :class:`EnsembleEstimates`
    says. :class:`~revimpute.ReverseImputer` combines a network's search and
    pass before averaging over the networks, so its ``estimate="mean"`` is
    close to, but not bitwise, :attr:`EnsembleEstimates.mean`.

    Parameters
    ----------
    networks : sequence of Network
        From :meth:`revimpute.ReverseImputer.networks`.
    X : ndarray of shape (n, d)
        Values in network units; cells where ``missing`` is True are ignored.
    missing : ndarray of bool, same shape
    config : ReverseConfig
        Settings of the search (:meth:`revimpute.ReverseImputer.reverse_config`).
    bounds : (lower, upper) arrays of shape (d,), optional
        Limits of the imputed cells (network units).
    layout : UnitLayout, optional
        Unit structure of a mixed table.
    n_jobs : int or None, default=1
        Networks searched at a time (:func:`revimpute.nn.parallel.map_networks`).

    Returns
    -------
    EnsembleEstimates
    """
    models = [network.model for network in networks]
    start = time.perf_counter()
    passed, _ = ensemble_pass(models, X, missing, bounds, layout)
    pass_seconds = time.perf_counter() - start
    raw_config = replace(config, cleanup=False, estimate="mode")

    def search(network: Network, stop: threading.Event) -> np.ndarray:
        stopper = lambda _done, _total: check_stop(stop)  # noqa: E731 (a job stops when another fails)
        return reverse_impute(network.model, X, missing, raw_config, network.radius, network.seed,
                              bounds=bounds, progress=stopper, layout=layout)[0]

    start = time.perf_counter()
    raws = map_networks(search, list(networks), n_jobs)
    search_seconds = time.perf_counter() - start
    start = time.perf_counter()
    heads = Heads(layout)
    cleans = [cleanup_pass(model, torch.from_numpy(raw), torch.from_numpy(missing), heads).numpy()
              for model, raw in zip(models, raws)]
    clean_seconds = time.perf_counter() - start
    start = time.perf_counter()
    cleaned = ensemble_mean(cleans)
    if bounds is not None:
        cleaned = np.where(missing, np.clip(cleaned, bounds[0], bounds[1]), cleaned)
    mean = np.where(missing, 0.5 * (cleaned + passed), X)
    mean_seconds = pass_seconds + time.perf_counter() - start
    seconds = {"pass": pass_seconds, "search": search_seconds, "cleanup": clean_seconds, "mean": mean_seconds}
    return EnsembleEstimates(passed, ensemble_mean(raws), cleaned, mean, seconds)
