"""Benchmark layer: real data sets, simulated missingness and imputation metrics.

- :mod:`revimpute.bench.datasets` - complete tables (:func:`load_table`) and MNIST (:func:`load_mnist`).
- :mod:`revimpute.bench.missingness` - masks: MCAR, MAR, MNAR, blocks, image corruptions.
- :mod:`revimpute.bench.metrics` - RMSE/MAE on hidden cells, Wasserstein, accuracies, downstream score.
"""

from __future__ import annotations

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
from revimpute.bench.missingness import (
    MECHANISMS,
    band_rows,
    column_block,
    image_band,
    image_center_square,
    image_random_pixels,
    image_random_rows,
    mar_logistic,
    mcar,
    mnar_masked_inputs,
    mnar_quantile,
    mnar_self_masking,
    simulate,
)

__all__ = [
    "MECHANISMS",
    "MIXED_TABLE_NAMES",
    "TABLE_NAMES",
    "DatasetDownloadError",
    "DatasetUnavailableError",
    "MnistData",
    "TableData",
    "band_rows",
    "binary_accuracy",
    "categorical_accuracy",
    "column_block",
    "downstream_score",
    "image_band",
    "image_center_square",
    "image_random_pixels",
    "image_random_rows",
    "load_mnist",
    "load_table",
    "mae_missing",
    "mar_logistic",
    "mcar",
    "minmax_scale",
    "mnar_masked_inputs",
    "mnar_quantile",
    "mnar_self_masking",
    "rmse_missing",
    "simulate",
    "wasserstein_columns",
]
