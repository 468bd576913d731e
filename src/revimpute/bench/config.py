"""What a benchmark run covers: datasets, methods, mechanisms, rates, seeds and the time budget."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from revimpute.bench.cases import CROSSCHECK_CASE, HARNESS_MECHANISMS, Case
from revimpute.bench.datasets import TABLE_NAMES
from revimpute.exceptions import RevimputeError

__all__ = [
    "DEFAULT_MECHANISMS",
    "DEFAULT_RATES",
    "DEFAULT_SEEDS",
    "DEFAULT_TIME_BUDGET",
    "QUICK_DATASETS",
    "QUICK_METHODS",
    "QUICK_PARAMS",
    "SHARED_NETWORK",
    "BenchConfig",
    "quick_config",
]

SHARED_NETWORK: tuple[str, str] = ("autoencoder", "reverse")
"""Methods that share one fitted network per case (the one pass, then reverse training)."""

DEFAULT_MECHANISMS: tuple[str, ...] = ("mcar", "mar", "mnar_logistic", "mnar_quantile", "column_block")
DEFAULT_RATES: tuple[float, ...] = (0.1, 0.3, 0.5)
DEFAULT_SEEDS: tuple[int, ...] = (0, 1, 2)
DEFAULT_TIME_BUDGET = 300.0
"""Seconds a method may take on one case (fit + imputation) before it is stopped."""

QUICK_DATASETS: tuple[str, ...] = ("iris", "wine")
QUICK_METHODS: tuple[str, ...] = (
    "mean", "median", "most_frequent", "knn", "iterative", "cluster", "autoencoder", "reverse",
)
QUICK_PARAMS: dict[str, dict[str, Any]] = {
    name: {"max_epochs": 30, "patience": 10, "reverse_steps": 30} for name in SHARED_NETWORK
}
"""Small training for ``--quick`` (a smoke test of the harness, not a result)."""


def _check_names(given: Iterable[str], known: Sequence[str], what: str) -> tuple[str, ...]:
    names = tuple(given)
    if not names:
        raise RevimputeError(f"no {what} chosen")
    unknown = [n for n in names if n not in known]
    if unknown:
        raise RevimputeError(f"unknown {what} {', '.join(map(repr, unknown))}; choose from {', '.join(known)}")
    if len(set(names)) != len(names):
        raise RevimputeError(f"{what} listed twice: {', '.join(names)}")
    return names


@dataclass
class BenchConfig:
    """What to run.

    Parameters
    ----------
    datasets : sequence of str
        Table names (:data:`~revimpute.bench.datasets.TABLE_NAMES`).
    methods : sequence of str
        Imputer names (:func:`~revimpute.impute.available_imputers`; an old name
        of :func:`~revimpute.impute.renamed_imputers` becomes the current one,
        with a ``FutureWarning``).
    mechanisms : sequence of str
        Names from :data:`HARNESS_MECHANISMS`.
    rates : sequence of float
        Nominal missing rates, each in (0, 1).
    seeds : sequence of int
        Seeds; each gives a different mask, split and method seed.
    time_budget : float
        Seconds a method may take on one case.
    method_params : dict
        Extra parameters per method name (empty: registry defaults).
    crosscheck : bool
        Also run :data:`CROSSCHECK_CASE` (GAIN's published setting).
    """

    datasets: Sequence[str] = TABLE_NAMES
    methods: Sequence[str] | None = None
    mechanisms: Sequence[str] = DEFAULT_MECHANISMS
    rates: Sequence[float] = DEFAULT_RATES
    seeds: Sequence[int] = DEFAULT_SEEDS
    time_budget: float = DEFAULT_TIME_BUDGET
    method_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    crosscheck: bool = False

    def validate(self) -> BenchConfig:
        """Check every field; returns ``self`` with ``methods`` filled in.

        Raises
        ------
        RevimputeError
            If a name is unknown or a number is out of range.
        """
        from revimpute.impute import available_imputers, imputer_name, renamed_imputers

        known = available_imputers()
        renamed = renamed_imputers()
        if self.methods is not None:
            self.methods = [imputer_name(m) if m in renamed else m for m in self.methods]
        self.method_params = {imputer_name(m) if m in renamed else m: p for m, p in self.method_params.items()}
        self.methods = _check_names(self.methods if self.methods is not None else known, known, "methods")
        self.datasets = _check_names(self.datasets, TABLE_NAMES, "datasets")
        self.mechanisms = _check_names(self.mechanisms, HARNESS_MECHANISMS, "mechanisms")
        rates = tuple(float(r) for r in self.rates)
        if not rates or any(not 0.0 < r < 1.0 for r in rates) or len(set(rates)) != len(rates):
            raise RevimputeError(f"rates must be distinct numbers strictly between 0 and 1, got {list(self.rates)}")
        self.rates = rates
        seeds = tuple(int(s) for s in self.seeds)
        if not seeds or any(s < 0 for s in seeds) or len(set(seeds)) != len(seeds):
            raise RevimputeError(f"seeds must be distinct non-negative integers, got {list(self.seeds)}")
        self.seeds = seeds
        if not self.time_budget > 0:
            raise RevimputeError(f"the time budget must be a positive number of seconds, got {self.time_budget}")
        unknown = [m for m in self.method_params if m not in known]
        if unknown:
            raise RevimputeError(f"parameters given for unknown methods {unknown}")
        return self

    def grid(self) -> list[Case]:
        """The grid's cases: dataset, then mechanism, then rate, then seed."""
        return [
            Case(d, m, r, s)
            for d in self.datasets for m in self.mechanisms for r in self.rates for s in self.seeds
        ]

    def cases(self) -> list[Case]:
        """Every case to run: the cross-check case if asked and not in the grid, then the grid."""
        cases = self.grid()
        if self.crosscheck and CROSSCHECK_CASE not in cases:
            cases.insert(0, CROSSCHECK_CASE)
        return cases

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready copy."""
        return {
            "datasets": list(self.datasets), "methods": list(self.methods or []),
            "mechanisms": list(self.mechanisms), "rates": list(self.rates), "seeds": list(self.seeds),
            "time_budget": self.time_budget, "method_params": self.method_params,
            "crosscheck": self.crosscheck,
        }


def quick_config() -> BenchConfig:
    """The CI-sized run of ``revimpute bench --quick`` (2 small tables, 1 seed, MCAR 0.2)."""
    return BenchConfig(
        datasets=QUICK_DATASETS, methods=QUICK_METHODS, mechanisms=("mcar",), rates=(0.2,),
        seeds=(0,), time_budget=60.0, method_params=dict(QUICK_PARAMS),
    )
