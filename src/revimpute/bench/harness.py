"""The benchmark runner: cases, worker processes, results.

A *case* is one (dataset, mechanism, rate, seed). For each case the complete
table is min-max scaled (as in GAIN and HyperImpute), a mask is drawn from the
mechanism with ``random_state=seed``, and every method imputes the table with
the masked cells set to NaN. The scores are computed here, in the parent
process, against the truth:

* RMSE and MAE on the hidden cells, the summed per-column Wasserstein distance
  between true and imputed hidden values (:mod:`revimpute.bench.metrics`);
* a downstream score: the rows are split once per case into training and test
  rows (70/30, shuffled, stratified by class for classification tables, which
  are stored sorted by class); a fixed model
  (:func:`~revimpute.bench.metrics.downstream_score`) is trained on the imputed
  training rows and tested on the complete test rows;
* wall time and peak memory of the method, measured in the worker.

Each method runs in a ``multiprocessing`` "spawn" worker limited to one
thread (``threadpoolctl.threadpool_limits(1)``, ``torch.set_num_threads(1)``),
one run at a time. A run that exceeds the time budget has its worker
terminated and is recorded with status ``"timeout"``; a run that raises is
recorded with status ``"error"`` and its message. Peak memory is the worker's
peak resident set size during the run minus its resident size just before
(on Linux the peak counter is reset before each run through
``/proc/self/clear_refs``; where that is impossible a fresh worker is started
for every run and ``ru_maxrss`` is used).

``"autoencoder"`` and ``"reverse"`` share one trained network per case: the
worker fits :class:`~revimpute.impute.ReverseImputer` once, takes the one-pass
fill (:meth:`~revimpute.impute.ReverseImputer.impute_pass`) and the reverse-
trained fill (``transform``); the fit time counts in both methods' times.

Every method gets its registry defaults (:func:`revimpute.impute.get_imputer`)
and, where it has one, ``random_state=seed`` (every nested ``*random_state``
parameter), so repeated seeds vary both the mask and the method's own
randomness.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import math
import multiprocessing
import os
import platform
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from revimpute.bench.datasets import TABLE_NAMES, load_table, minmax_scale
from revimpute.bench.metrics import downstream_score, mae_missing, rmse_missing, wasserstein_columns
from revimpute.bench.missingness import MECHANISMS, column_block, simulate
from revimpute.exceptions import RevimputeError

__all__ = [
    "BLOCK_COLUMN_FRACTION",
    "CROSSCHECK_CASE",
    "DEFAULT_MECHANISMS",
    "DEFAULT_RATES",
    "DEFAULT_SEEDS",
    "DEFAULT_TIME_BUDGET",
    "HARNESS_MECHANISMS",
    "PUBLISHED_CROSSCHECK",
    "QUICK_METHODS",
    "QUICK_PARAMS",
    "SHARED_NETWORK",
    "BenchConfig",
    "BenchResults",
    "Case",
    "CaseData",
    "RunRecord",
    "block_mask",
    "environment_info",
    "make_mask",
    "prepare_case",
    "quick_config",
    "run_benchmark",
]

SHARED_NETWORK: tuple[str, str] = ("autoencoder", "reverse")
"""Methods that share one fitted network per case (the one pass, then reverse training)."""

BLOCK_COLUMN_FRACTION = 0.6
"""Share of the columns in the block hidden by :func:`block_mask`."""

HARNESS_MECHANISMS: tuple[str, ...] = (*MECHANISMS, "column_block")
"""Mechanism names the harness accepts: those of :func:`~revimpute.bench.missingness.simulate`
and ``"column_block"`` (:func:`block_mask`)."""

DEFAULT_MECHANISMS: tuple[str, ...] = ("mcar", "mar", "mnar_logistic", "mnar_quantile", "column_block")
DEFAULT_RATES: tuple[float, ...] = (0.1, 0.3, 0.5)
DEFAULT_SEEDS: tuple[int, ...] = (0, 1, 2)
DEFAULT_TIME_BUDGET = 300.0
"""Seconds a method may take on one case (fit + imputation) before it is stopped."""
TEST_FRACTION = 0.3
"""Share of the rows held out to test the downstream model."""

QUICK_DATASETS: tuple[str, ...] = ("iris", "wine")
QUICK_METHODS: tuple[str, ...] = (
    "mean", "median", "most_frequent", "knn", "iterative", "cluster", "autoencoder", "reverse",
)
QUICK_PARAMS: dict[str, dict[str, Any]] = {
    name: {"max_epochs": 30, "patience": 10, "reverse_steps": 30} for name in SHARED_NETWORK
}
"""Small training for ``--quick`` (a smoke test of the harness, not a result)."""


@dataclass(frozen=True)
class Case:
    """One benchmark case: a table, a missingness mechanism, a rate and a seed."""

    dataset: str
    mechanism: str
    rate: float
    seed: int

    @property
    def cell(self) -> tuple[str, str, float]:
        """The (dataset, mechanism, rate) cell this case belongs to (seeds pooled)."""
        return (self.dataset, self.mechanism, self.rate)


CROSSCHECK_CASE = Case("breast_cancer", "mcar", 0.2, 0)
"""GAIN's published setting: breast cancer, min-max scaled, 20% MCAR from
``np.random.default_rng(0).random(X.shape) < 0.2`` (our :func:`mcar` with seed 0)."""

PUBLISHED_CROSSCHECK: dict[str, float] = {"gain": 0.0546, "missforest": 0.0608}
"""RMSE published for :data:`CROSSCHECK_CASE` (Yoon et al. 2018, GAIN, Table 2, "Breast")."""


# --------------------------------------------------------------------------- masks
def block_mask(X: Any, rate: float, random_state: int | np.random.Generator | None = None) -> np.ndarray:
    """Structured missingness: a block of adjacent columns hidden in a share of the rows.

    ``k = ceil(BLOCK_COLUMN_FRACTION * d)`` adjacent columns (at most ``d - 1``,
    so one column always stays observed), starting at a random column, are
    hidden together in ``round(min(rate * d / k, 0.9) * n)`` randomly chosen
    rows (:func:`~revimpute.bench.missingness.column_block`). The expected
    overall missing share is ``rate`` as long as ``rate <= 0.9 * k / d``; above
    that it is capped (no column is ever hidden in every row).

    Parameters
    ----------
    X : array-like of shape (n_rows, n_columns), n_columns >= 2
        Complete data (only its shape is used).
    rate : float in [0, 1]
        Target share of hidden cells.
    random_state : int, numpy.random.Generator or None
        Seed or generator.

    Returns
    -------
    numpy.ndarray of bool, shape (n_rows, n_columns)
        True where the cell is missing.

    Raises
    ------
    RevimputeError
        If ``rate`` is not in [0, 1] or ``X`` has fewer than two columns.
    """
    shape = np.shape(X)
    if len(shape) != 2 or shape[1] < 2:
        raise RevimputeError(f"column_block needs a 2-D table with at least 2 columns, got shape {shape}")
    if not 0.0 <= float(rate) <= 1.0:
        raise RevimputeError(f"rate must be in [0, 1], got {rate!r}")
    n_rows, n_cols = int(shape[0]), int(shape[1])
    rng = np.random.default_rng(random_state)
    width = min(max(math.ceil(BLOCK_COLUMN_FRACTION * n_cols), 1), n_cols - 1)
    start = int(rng.integers(0, n_cols - width + 1))
    share = min(float(rate) * n_cols / width, 0.9)
    rows = np.sort(rng.choice(n_rows, int(round(share * n_rows)), replace=False))
    return column_block((n_rows, n_cols), slice(start, start + width), rows)


def make_mask(X: np.ndarray, mechanism: str, rate: float, seed: int) -> np.ndarray:
    """The mask of a case: ``simulate(X, mechanism, rate, random_state=seed)`` or :func:`block_mask`.

    Parameters
    ----------
    X : numpy.ndarray of shape (n_rows, n_columns)
        The complete, scaled table.
    mechanism : str
        One of :data:`HARNESS_MECHANISMS`.
    rate : float
        Nominal missing rate.
    seed : int
        Seed of the mask.

    Returns
    -------
    numpy.ndarray of bool
        True where the cell is hidden.

    Raises
    ------
    RevimputeError
        If the mechanism is unknown or the rate is out of range.
    """
    if mechanism == "column_block":
        return block_mask(X, rate, seed)
    return simulate(X, mechanism, rate, random_state=seed)


# --------------------------------------------------------------------------- cases
@dataclass
class CaseData:
    """Everything the harness needs about one case.

    Attributes
    ----------
    case : Case
    truth : numpy.ndarray
        The complete table, min-max scaled.
    mask : numpy.ndarray of bool
        True where the cell is hidden.
    holed : numpy.ndarray
        ``truth`` with the hidden cells set to NaN: what every method gets.
    target : numpy.ndarray
        The downstream target.
    task : {"classification", "regression"}
    train_rows, test_rows : numpy.ndarray of int
        The downstream split.
    columns : list of str
    """

    case: Case
    truth: np.ndarray
    mask: np.ndarray
    holed: np.ndarray
    target: np.ndarray
    task: str
    train_rows: np.ndarray
    test_rows: np.ndarray
    columns: list[str]

    def complete_downstream(self) -> float:
        """Downstream score of the complete data (the ceiling of every method)."""
        return downstream_score(
            self.truth[self.train_rows], self.target[self.train_rows],
            self.truth[self.test_rows], self.target[self.test_rows], self.task,
            random_state=self.case.seed,
        )


def prepare_case(case: Case) -> CaseData:
    """Load, scale, mask and split one case (deterministic in ``case``).

    Parameters
    ----------
    case : Case

    Returns
    -------
    CaseData

    Raises
    ------
    RevimputeError
        If the dataset or mechanism is unknown, or the mask hides no cell.
    """
    table = load_table(case.dataset)
    if table.target is None or table.task is None:
        raise RevimputeError(f"table {case.dataset!r} has no target; the harness needs one")
    truth = minmax_scale(table.frame).to_numpy(dtype=np.float64)
    mask = make_mask(truth, case.mechanism, case.rate, case.seed)
    if not mask.any():
        raise RevimputeError(
            f"{case.mechanism} at rate {case.rate} hid no cell of {case.dataset}; raise the rate"
        )
    target = table.target.to_numpy()
    stratify = target if table.task == "classification" else None
    rows = np.arange(len(truth))
    train_rows, test_rows = train_test_split(
        rows, test_size=TEST_FRACTION, shuffle=True, stratify=stratify, random_state=case.seed
    )
    return CaseData(
        case=case,
        truth=truth,
        mask=mask,
        holed=np.where(mask, np.nan, truth),
        target=target,
        task=table.task,
        train_rows=np.sort(train_rows),
        test_rows=np.sort(test_rows),
        columns=[str(c) for c in table.frame.columns],
    )


# --------------------------------------------------------------------------- configuration
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
        Imputer names (:func:`~revimpute.impute.available_imputers`).
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
        from revimpute.impute import available_imputers

        known = available_imputers()
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


# --------------------------------------------------------------------------- records
@dataclass
class RunRecord:
    """The outcome of one method on one case.

    ``status`` is ``"ok"``, ``"timeout"`` or ``"error"``; scores are None
    unless it is ``"ok"``. ``seconds`` is the method's fit + imputation time
    (the time budget where it timed out); ``peak_mib`` the extra resident
    memory it needed. ``group`` is ``"grid"`` or ``"crosscheck"``.
    """

    dataset: str
    mechanism: str
    rate: float
    seed: int
    method: str
    status: str
    group: str = "grid"
    missing_share: float | None = None
    n_rows: int | None = None
    n_columns: int | None = None
    rmse: float | None = None
    mae: float | None = None
    wasserstein: float | None = None
    downstream: float | None = None
    downstream_metric: str | None = None
    seconds: float | None = None
    peak_mib: float | None = None
    observed_max_change: float | None = None
    time_budget: float | None = None
    params: str = ""
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def key(self) -> tuple[str, str, float, int, str]:
        return (self.dataset, self.mechanism, self.rate, self.seed, self.method)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class BenchResults:
    """Records of a run with the configuration, the cases and the environment."""

    config: dict[str, Any]
    environment: dict[str, Any]
    command: str
    cases: list[dict[str, Any]] = field(default_factory=list)
    records: list[RunRecord] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        """The records as a DataFrame (one row per method and case)."""
        columns = [f.name for f in fields(RunRecord)]
        rows = [r.to_dict() for r in self.records]
        frame = pd.DataFrame(rows, columns=columns)
        frame["warnings"] = frame["warnings"].map(lambda w: " | ".join(w) if isinstance(w, list) else w)
        return frame

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config, "environment": self.environment, "command": self.command,
            "cases": self.cases, "records": [r.to_dict() for r in self.records],
        }

    def save(self, out_dir: str | os.PathLike) -> None:
        """Write ``results.json`` (everything) and ``results.csv`` (the records) into ``out_dir``."""
        from revimpute.io import atomic_path

        out = Path(out_dir)
        with atomic_path(out / "results.json") as tmp:
            tmp.write_text(json.dumps(self.to_dict(), indent=1, default=_json_default), encoding="utf-8")
        with atomic_path(out / "results.csv") as tmp:
            self.frame().to_csv(tmp, index=False)

    @classmethod
    def load(cls, out_dir: str | os.PathLike) -> BenchResults:
        """Read the ``results.json`` written by :meth:`save`.

        Raises
        ------
        RevimputeError
            If the file is missing or not a results file.
        """
        path = Path(out_dir) / "results.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            records = [RunRecord(**r) for r in data["records"]]
            return cls(data["config"], data["environment"], data["command"], data["cases"], records)
        except FileNotFoundError:
            raise RevimputeError(f"{path}: no results to resume from") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise RevimputeError(f"{path}: not a revimpute bench results file ({exc})") from None


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


# --------------------------------------------------------------------------- environment
def _git_output(*args: str) -> str | None:
    root = Path(__file__).resolve().parents[3]
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.rstrip() if done.returncode == 0 else None


def environment_info() -> dict[str, Any]:
    """Versions, machine and the revimpute commit, for the results' provenance."""
    import scipy
    import sklearn
    import threadpoolctl
    import torch

    import revimpute

    commit = _git_output("rev-parse", "--short", "HEAD")
    dirty = _git_output("status", "--porcelain", "--", "src/revimpute")
    return {
        "revimpute": getattr(revimpute, "__version__", "unknown"),
        "git_commit": commit,
        "uncommitted_source_changes": sorted(
            line[3:].strip() for line in (dirty or "").splitlines() if line.strip()
        ),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
        "scipy": scipy.__version__,
        "torch": torch.__version__,
        "threadpoolctl": threadpoolctl.__version__,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "threads_per_case": 1,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


# --------------------------------------------------------------------------- the worker process
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
class _Outcome:
    method: str
    status: str
    filled: np.ndarray | None = None
    seconds: float | None = None
    peak_mib: float | None = None
    params: str = ""
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


class _Worker:
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

    def run(self, job: dict[str, Any], budget: float) -> list[_Outcome]:
        """Run ``job`` within ``budget`` seconds per method; one outcome per method."""
        if self._proc is None or not self._proc.is_alive():
            self._kill()
            self._start()
        conn = self._conn
        conn.send(job)
        pending = list(job["methods"])
        outcomes: list[_Outcome] = []
        if not conn.poll(self.STARTUP_TIMEOUT):
            self._kill()
            return [_Outcome(m, "error", error="the worker did not take the job") for m in pending]
        try:
            conn.recv()  # ("start",)
        except EOFError:
            code = self._proc.exitcode if self._proc is not None else None
            self._kill()
            return [_Outcome(m, "error", error=f"worker died (exit code {code})") for m in pending]
        deadline = time.monotonic() + budget
        while pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not conn.poll(remaining):
                self._kill()
                outcomes += [_Outcome(m, "timeout", seconds=budget, error=f"over the {budget:g} s budget")
                             for m in pending]
                return outcomes
            try:
                message = conn.recv()
            except EOFError:
                code = self._proc.exitcode if self._proc is not None else None
                self._kill()
                outcomes += [_Outcome(m, "error", error=f"worker died (exit code {code})") for m in pending]
                return outcomes
            if message[0] == "error":
                _kind, name, text, caught = message
                outcomes.append(_Outcome(name, "error", warnings=caught, error=text))
            else:
                _kind, name, filled, seconds, peak, params, caught, extra = message
                status = "timeout" if seconds > budget else "ok"
                outcomes.append(_Outcome(name, status, filled, seconds, peak, params, caught,
                                         None if status == "ok" else f"over the {budget:g} s budget"))
                deadline += extra
            pending.remove(name)
        if not self.resettable:
            self.stop()  # fresh worker next time: its ru_maxrss starts from the imports alone
        return outcomes


# --------------------------------------------------------------------------- the runner
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


def _score(data: CaseData, outcome: _Outcome, record: RunRecord) -> None:
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
    worker = _Worker()
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

