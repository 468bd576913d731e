"""Benchmark layer: real data sets, simulated missingness and imputation metrics.

- :mod:`revimpute.bench.datasets` - complete tables (:func:`load_table`) and MNIST (:func:`load_mnist`).
- :mod:`revimpute.bench.missingness` - masks: MCAR, MAR, MNAR, blocks.
- :mod:`revimpute.bench.image_masks` - image corruptions (bands, rows, squares, pixels).
- :mod:`revimpute.bench.metrics` - RMSE/MAE on hidden cells, Wasserstein, accuracies, downstream score.

The benchmark runner (``revimpute bench``), one job per module:

- :mod:`revimpute.bench.cases` - a case (table, mechanism, rate, seed), its mask and split (:func:`prepare_case`).
- :mod:`revimpute.bench.config` - what a run covers (:class:`BenchConfig`, :func:`quick_config`).
- :mod:`revimpute.bench.results` - one :class:`RunRecord` per method and case, :class:`BenchResults` as JSON/CSV.
- :mod:`revimpute.bench.provenance` - versions, machine and commit (:func:`environment_info`).
- :mod:`revimpute.bench.worker` - the worker process that runs, times and meters one method.
- :mod:`revimpute.bench.runner` - every method on every case, scored (:func:`run_benchmark`).
- :mod:`revimpute.bench.summary` - per-cell means over seeds and mean ranks (:func:`summarise`).
- :mod:`revimpute.bench.report` - the markdown report and the output files (:func:`write_outputs`).
- :mod:`revimpute.bench.plots` - the PNG figures.
"""

from __future__ import annotations

from revimpute.bench.block_masks import column_block
from revimpute.bench.cases import (
    CROSSCHECK_CASE,
    HARNESS_MECHANISMS,
    Case,
    CaseData,
    block_mask,
    make_mask,
    prepare_case,
)
from revimpute.bench.config import BenchConfig, quick_config
from revimpute.bench.datasets import (
    MIXED_TABLE_NAMES,
    TABLE_NAMES,
    DatasetDownloadError,
    DatasetUnavailableError,
    MnistData,
    TableData,
    load_mnist,
    load_table,
    minmax_scale,
)
from revimpute.bench.metrics import (
    binary_accuracy,
    categorical_accuracy,
    downstream_score,
    mae_missing,
    rmse_missing,
    wasserstein_columns,
)
from revimpute.bench.image_masks import (
    band_rows,
    image_band,
    image_center_square,
    image_random_pixels,
    image_random_rows,
)
from revimpute.bench.missingness import (
    MECHANISMS,
    mar_logistic,
    mcar,
    mnar_masked_inputs,
    mnar_quantile,
    mnar_self_masking,
    simulate,
)
from revimpute.bench.provenance import environment_info
from revimpute.bench.report import markdown_report, write_outputs
from revimpute.bench.results import BenchResults, RunRecord
from revimpute.bench.runner import run_benchmark
from revimpute.bench.summary import cell_ranks, mean_ranks, mechanism_ranks, summarise

__all__ = [
    "CROSSCHECK_CASE",
    "HARNESS_MECHANISMS",
    "MECHANISMS",
    "MIXED_TABLE_NAMES",
    "TABLE_NAMES",
    "BenchConfig",
    "BenchResults",
    "Case",
    "CaseData",
    "DatasetDownloadError",
    "DatasetUnavailableError",
    "MnistData",
    "RunRecord",
    "TableData",
    "band_rows",
    "binary_accuracy",
    "block_mask",
    "categorical_accuracy",
    "cell_ranks",
    "column_block",
    "downstream_score",
    "environment_info",
    "image_band",
    "image_center_square",
    "image_random_pixels",
    "image_random_rows",
    "load_mnist",
    "load_table",
    "mae_missing",
    "make_mask",
    "mar_logistic",
    "markdown_report",
    "mcar",
    "mean_ranks",
    "mechanism_ranks",
    "minmax_scale",
    "mnar_masked_inputs",
    "mnar_quantile",
    "mnar_self_masking",
    "prepare_case",
    "quick_config",
    "rmse_missing",
    "run_benchmark",
    "simulate",
    "summarise",
    "wasserstein_columns",
    "write_outputs",
]
