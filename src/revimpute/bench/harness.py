"""Names of the benchmark runner under the module path the command line imports.

The code lives in :mod:`revimpute.bench.cases`, :mod:`revimpute.bench.config`,
:mod:`revimpute.bench.results`, :mod:`revimpute.bench.provenance`,
:mod:`revimpute.bench.worker` and :mod:`revimpute.bench.runner`; the same names
are importable from :mod:`revimpute.bench`.
"""

from __future__ import annotations

from revimpute.bench.cases import (
    BLOCK_COLUMN_FRACTION,
    CROSSCHECK_CASE,
    HARNESS_MECHANISMS,
    PUBLISHED_CROSSCHECK,
    TEST_FRACTION,
    Case,
    CaseData,
    block_mask,
    make_mask,
    prepare_case,
)
from revimpute.bench.config import (
    DEFAULT_MECHANISMS,
    DEFAULT_RATES,
    DEFAULT_SEEDS,
    DEFAULT_TIME_BUDGET,
    QUICK_DATASETS,
    QUICK_METHODS,
    QUICK_PARAMS,
    SHARED_NETWORK,
    BenchConfig,
    quick_config,
)
from revimpute.bench.provenance import environment_info
from revimpute.bench.results import BenchResults, RunRecord
from revimpute.bench.runner import run_benchmark
from revimpute.bench.worker import seeded_imputer

__all__ = [
    "BLOCK_COLUMN_FRACTION",
    "CROSSCHECK_CASE",
    "DEFAULT_MECHANISMS",
    "DEFAULT_RATES",
    "DEFAULT_SEEDS",
    "DEFAULT_TIME_BUDGET",
    "HARNESS_MECHANISMS",
    "PUBLISHED_CROSSCHECK",
    "QUICK_DATASETS",
    "QUICK_METHODS",
    "QUICK_PARAMS",
    "SHARED_NETWORK",
    "TEST_FRACTION",
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
    "seeded_imputer",
]
