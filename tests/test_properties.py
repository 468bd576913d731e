"""Property-based tests: every registry imputer on random tables of every supported dtype.

The tables (:func:`tables`) mix float64/float32 columns with magnitudes from
subnormal to 1e300 (constant columns too), int64, Int64, boolean, bool,
category, string and object text, and datetimes with and without a time zone;
missing rates from 0 to 95% written as NaN, None, pd.NA or NaT; duplicate
columns, duplicate rows and duplicate index labels. For every imputer of the
registry, on every table:

1. it fills the table or refuses it with a :class:`RevimputeError` (never
   another exception);
2. when it fills it, every observed cell comes back bitwise unchanged (bit
   patterns of floats, Python types of objects), no missing cell is left, and
   the index, column names and dtypes are the table's;

and for :class:`ReverseImputer`:

3. the same table gives bitwise the same output twice, and a row imputed
   alone, or with the rows in reverse order, gives its values in the whole
   table.

The CI profile runs a few hundred examples; ``HYPOTHESIS_PROFILE=long`` (see
``conftest.py``) runs thousands.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revimpute import ReverseImputer, available_imputers, get_imputer
from revimpute.exceptions import RevimputeError

#: Examples per test: the loaded profile's (25 in CI, 1000 with HYPOTHESIS_PROFILE=long).
EXAMPLES = settings.default.max_examples

#: Settings that keep each imputer quick on a small table; defaults otherwise.
QUICK = {
    "reverse": dict(hidden_sizes=(8,), latent_size=2, max_epochs=2, reverse_steps=3, n_models=2),
    "autoencoder": dict(hidden_sizes=(8,), latent_size=2, max_epochs=2, n_models=1),
    "iterative_trees": dict(n_estimators=5, max_iter=2),
    "missforest_mixed": dict(n_estimators=5, max_iter=2),
    "gain": dict(n_iterations=20),
    "miwae": dict(n_epochs=2, n_imputation_samples=20),
    "sinkhorn": dict(n_iterations=20),
    "iterative": dict(max_iter=3),
}
MAGNITUDES = [1e-310, 1e-200, 1e-5, 1.0, 1e6, 1e154, 1e300]
KINDS = ["float64", "float32", "int64", "Int64", "boolean", "bool", "category", "string", "object", "datetime",
         "datetime_tz"]
NUMBER_KINDS = ["float64", "float32", "int64", "Int64", "boolean", "bool"]
#: Imputers that take every column kind; the others take numbers and booleans only.
MIXED = ("reverse", "autoencoder", "mean_mode", "missforest_mixed", "most_frequent", "constant")
#: Methods whose 25 tables take about 2 s or more.
SLOW = {"reverse", "sinkhorn"}


def _missing(kind: str, rng: np.random.Generator) -> object:
    if kind in ("Int64", "boolean"):
        return pd.NA
    if kind.startswith("datetime"):
        return pd.NaT
    if kind in ("float64", "float32"):
        return [np.nan, None][int(rng.integers(2))]
    return [None, np.nan, pd.NA][int(rng.integers(3))]


def _column(kind: str, n: int, rng: np.random.Generator, magnitude: float, constant: bool) -> pd.Series:
    if kind in ("float64", "float32"):
        if kind == "float32":
            magnitude = float(np.clip(magnitude, 1e-40, 1e30))  # float32's range (subnormal to finite)
        values = np.full(n, magnitude) if constant else rng.normal(size=n) * magnitude
        return pd.Series(values.astype(kind))
    if kind in ("int64", "Int64"):
        top = int(min(magnitude, 2**62)) if magnitude >= 1 else 9
        values = np.full(n, top) if constant else rng.integers(-top, top, size=n, endpoint=True)
        return pd.Series(values, dtype=kind)
    if kind in ("boolean", "bool"):
        return pd.Series(rng.random(n) < 0.5, dtype=kind)
    if kind in ("category", "string", "object"):
        words = np.array(["alpha", "beta", "gamma", "00501", "7e1"])
        values = words[rng.integers(0, 1 if constant else len(words), size=n)]
        return pd.Series(values, dtype={"object": object}.get(kind, kind))
    stamps = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 10**6, size=n), unit="s")
    series = pd.Series(stamps)
    return series.dt.tz_localize("Europe/Paris") if kind == "datetime_tz" else series


@st.composite
def tables(draw: st.DrawFn, kinds: list[str] = KINDS) -> pd.DataFrame:
    """A small random table with columns of ``kinds`` (see the module's notes)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_rows = draw(st.integers(4, 24))
    columns = {}
    for j in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(kinds))
        series = _column(kind, n_rows, rng, draw(st.sampled_from(MAGNITUDES)), draw(st.booleans()))
        rate = draw(st.sampled_from([0.0, 0.1, 0.3, 0.6, 0.95]))
        if kind not in ("int64", "bool") and rate > 0:
            holes = np.flatnonzero(rng.random(n_rows) < rate)
            holes = holes[holes > 0]  # row 0 keeps every column observed at least once
            series = series.astype(object) if kind in ("category",) else series
            for i in holes:
                series.iloc[int(i)] = _missing(kind, rng)
            series = series.astype("category") if kind == "category" else series
        columns[f"{kind}_{j}"] = series
    frame = pd.DataFrame(columns)
    if draw(st.booleans()):  # a duplicate column
        first = frame.columns[0]
        frame[f"{first}_copy"] = frame[first]
    if draw(st.booleans()):  # duplicate rows
        frame = pd.concat([frame, frame.iloc[: draw(st.integers(1, 3))]], ignore_index=True)
    index = draw(st.sampled_from(["range", "duplicated", "text"]))
    if index == "duplicated":
        frame.index = np.arange(len(frame)) // 2
    elif index == "text":
        frame.index = [f"r{i}" for i in range(len(frame))]
    return frame


def _bits(values: pd.Series) -> list:
    """Observed values as comparable bit patterns (floats) or (type, value) pairs."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind == "f":
        return values.to_numpy().view(f"u{values.dtype.itemsize}").tolist()
    return [(type(v), v) for v in values.astype(object).tolist()]


def assert_imputed(out: pd.DataFrame, frame: pd.DataFrame) -> None:
    """Property 2: observed cells bitwise kept, nothing missing, labels and dtypes kept."""
    assert isinstance(out, pd.DataFrame)
    assert out.index.equals(frame.index)
    assert list(out.columns) == list(frame.columns)
    assert list(out.dtypes) == list(frame.dtypes)
    for j in range(frame.shape[1]):
        observed = frame.iloc[:, j].notna().to_numpy()
        assert _bits(out.iloc[observed, j]) == _bits(frame.iloc[observed, j]), frame.columns[j]
    assert not out.isna().any().any()


def fill(name: str, frame: pd.DataFrame) -> pd.DataFrame | None:
    """Property 1: the imputer fills ``frame`` or refuses it with a RevimputeError (None)."""
    imputer = get_imputer(name, **QUICK.get(name, {}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return imputer.fit_transform(frame)
        except RevimputeError:
            return None


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in available_imputers()]
)
@given(data=st.data())
@settings(max_examples=EXAMPLES)
def test_every_imputer_keeps_observed_cells_or_refuses_clearly(name, data):
    frame = data.draw(tables(KINDS if name in MIXED else NUMBER_KINDS))
    out = fill(name, frame)
    if out is not None:
        assert_imputed(out, frame)


@pytest.mark.parametrize("name", sorted(set(available_imputers()) - set(MIXED)))
@given(frame=tables())
@settings(max_examples=max(5, EXAMPLES // 3))
def test_numeric_imputers_refuse_other_kinds_clearly(name, frame):
    out = fill(name, frame)
    if out is not None:
        assert_imputed(out, frame)


@given(frame=tables(), rows=st.lists(st.integers(0, 23), min_size=1, max_size=3))
@settings(max_examples=EXAMPLES)
def test_reverse_imputer_is_deterministic_and_row_independent(frame, rows):
    imputer = ReverseImputer(**QUICK["reverse"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            imputer.fit(frame)
        except RevimputeError:
            return
        whole = imputer.transform(frame)
        assert imputer.transform(frame).equals(whole)
        positions = sorted({r % len(frame) for r in rows})
        alone = pd.concat([imputer.transform(frame.iloc[[p]]) for p in positions])
        assert alone.equals(whole.iloc[positions])
        assert imputer.transform(frame.iloc[::-1]).iloc[::-1].equals(whole)
