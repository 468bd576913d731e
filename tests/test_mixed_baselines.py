"""The mixed-table baselines: MeanModeImputer and MissForestImputer."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse

from revimpute.exceptions import InputDataError
from revimpute.impute import MeanModeImputer, MissForestImputer, get_imputer

# ``key`` (160 distinct values) is an identifier under max_categories=50
FAST_FOREST = dict(n_estimators=15, max_iter=4, random_state=0, max_categories=50)
MODE = dict(max_categories=50)


def mixed_table(n: int = 160, seed: int = 0) -> pd.DataFrame:
    """Every column kind; ``colour`` and ``flag`` are determined by ``x``."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 10, n)
    colour = np.where(x < 3.3, "red", np.where(x < 6.6, "green", "blue"))
    frame = pd.DataFrame(
        {
            "x": x,
            "x32": (2 * x + rng.normal(0, 0.1, n)).astype("float32"),
            "count": pd.array(np.rint(x * 3).astype(int) + 5, dtype="Int64"),
            "colour": pd.Categorical(colour),
            "label": pd.array(np.where(x > 5, "high", "low"), dtype="str"),
            "flag": pd.array(x > 5, dtype="boolean"),
            "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.rint(x * 100), unit="h"),
            "key": pd.array([f"id{i:04d}" for i in range(n)], dtype="str"),
        },
        index=pd.Index(np.arange(n) * 7 + 3, name="row"),
    )
    return frame


def with_gaps(frame: pd.DataFrame, rate: float = 0.15, seed: int = 1, skip: tuple = ("key",)) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    holed = frame.copy()
    for column in holed.columns:
        if column in skip:
            continue
        rows = rng.random(len(holed)) < rate
        holed.loc[rows, column] = None
    return holed


@pytest.fixture(scope="module")
def table() -> tuple[pd.DataFrame, pd.DataFrame]:
    full = mixed_table()
    return full, with_gaps(full)


@pytest.fixture(scope="module")
def forest_out(table) -> pd.DataFrame:
    _, holed = table
    return MissForestImputer(**FAST_FOREST).fit_transform(holed)


def assert_kept(holed: pd.DataFrame, out: pd.DataFrame, identifiers: tuple = ()) -> None:
    assert out.index.equals(holed.index)
    assert list(out.columns) == list(holed.columns)
    assert out.dtypes.equals(holed.dtypes), (out.dtypes, holed.dtypes)
    for column in holed.columns:
        observed = holed[column].notna()
        assert out[column][observed].equals(holed[column][observed]), column
        if column in identifiers:
            assert out[column].isna().equals(holed[column].isna()), column
        else:
            assert not out[column].isna().any(), column


def test_table_has_every_kind(table):
    _, holed = table
    from revimpute.encode.kinds import ColumnKind, infer_column_kinds

    assert infer_column_kinds(holed, max_categories=20) == [
        ColumnKind.NUMERIC, ColumnKind.NUMERIC, ColumnKind.INTEGER, ColumnKind.CATEGORICAL,
        ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN, ColumnKind.DATETIME, ColumnKind.IDENTIFIER,
    ]
    assert holed.drop(columns="key").isna().any().all()


@pytest.mark.parametrize("make", [lambda: MeanModeImputer(**MODE),
                                  lambda: MissForestImputer(**FAST_FOREST)])
def test_dtypes_index_and_observed_cells_kept(table, make):
    _, holed = table
    holed = holed.copy()
    holed.loc[holed.index[:5], "key"] = None  # identifier gaps stay
    with pytest.warns(UserWarning, match="'key'.*identifier.*5 missing cells"):
        out = make().fit_transform(holed)
    assert_kept(holed, out, identifiers=("key",))
    assert out["colour"].cat.categories.equals(holed["colour"].cat.categories)
    counts = out["count"].astype(int)
    observed = holed["count"].dropna().astype(int)
    assert counts.between(observed.min(), observed.max()).all()


def test_mean_mode_values(table):
    _, holed = table
    imp = MeanModeImputer(**MODE).fit(holed)
    out = imp.transform(holed)
    gaps = holed.isna()
    assert np.allclose(out.loc[gaps["x"], "x"], holed["x"].mean())
    assert (out.loc[gaps["count"], "count"] == round(holed["count"].mean())).all()
    assert (out.loc[gaps["colour"], "colour"] == holed["colour"].mode().iloc[0]).all()
    assert (out.loc[gaps["flag"], "flag"] == holed["flag"].mode().iloc[0]).all()
    mean_time = holed["when"].dropna().astype("int64").mean()
    assert abs(out.loc[gaps["when"], "when"].astype("int64") - mean_time).max() <= 1
    median = MeanModeImputer(numeric_strategy="median", **MODE).fit_transform(holed)
    assert np.allclose(median.loc[gaps["x"], "x"], holed["x"].median())
    assert imp.fill_values_["label"] == holed["label"].mode().iloc[0]


def test_mode_ties_go_to_the_first_class_in_sorted_order():
    frame = pd.DataFrame({"c": ["b", "a", "b", "a", None], "v": [1.0, 2.0, np.nan, 4.0, 5.0]})
    out = MeanModeImputer().fit_transform(frame)
    assert out.loc[4, "c"] == "a"
    assert out.loc[2, "v"] == 3.0


def test_missforest_recovers_categories_determined_by_a_number(table, forest_out):
    full, holed = table
    gaps = holed.isna()
    for column in ("colour", "label", "flag"):
        hits = forest_out.loc[gaps[column], column].astype(object) == full.loc[gaps[column], column].astype(object)
        assert hits.mean() >= 0.9, (column, hits.mean())
    mode = MeanModeImputer(**MODE).fit_transform(holed)
    mode_hits = (mode.loc[gaps["colour"], "colour"] == full.loc[gaps["colour"], "colour"]).mean()
    assert mode_hits < 0.6
    err = np.abs(forest_out.loc[gaps["x"], "x"] - full.loc[gaps["x"], "x"]).mean()
    mean_err = np.abs(holed["x"].mean() - full.loc[gaps["x"], "x"]).mean()
    assert err < 0.3 * mean_err


def test_missforest_keeps_everything(table, forest_out):
    _, holed = table
    assert_kept(holed, forest_out, identifiers=("key",))
    assert 1 <= MissForestImputer(**FAST_FOREST).fit(holed).n_iter_ <= FAST_FOREST["max_iter"]


def test_missforest_stops_by_the_paper_rule(table):
    _, holed = table
    imp = MissForestImputer(**{**FAST_FOREST, "max_iter": 10}).fit(holed)
    history = np.array(imp.convergence_)
    assert len(history) == imp.n_iter_ and imp.n_iter_ >= 2
    assert imp.n_iter_ < 10  # stopped by the rule, before the cap
    # the rule: both changes grew at the last iteration, and not before
    assert (history[-1] >= history[-2]).all()
    assert all((history[i] < history[i - 1]).any() for i in range(1, len(history) - 1))


def test_missforest_is_deterministic(table):
    _, holed = table
    a = MissForestImputer(**FAST_FOREST).fit_transform(holed)
    b = MissForestImputer(**FAST_FOREST).fit_transform(holed)
    pd.testing.assert_frame_equal(a, b)
    c = MissForestImputer(**{**FAST_FOREST, "random_state": 5}).fit_transform(holed)
    assert not c["x"].equals(a["x"])


def test_missforest_transform_on_another_table(table):
    full, holed = table
    imp = MissForestImputer(**FAST_FOREST).fit(holed)
    assert set(imp.forests_) == set(full.columns) - {"key"}
    other_full = mixed_table(n=60, seed=9)
    other = with_gaps(other_full, rate=0.2, seed=4)
    out = imp.transform(other)
    assert_kept(other, out, identifiers=("key",))
    gaps = other.isna()
    hits = out.loc[gaps["colour"], "colour"] == other_full.loc[gaps["colour"], "colour"]
    assert hits.mean() >= 0.8
    # a table with gaps only where fit had none still gets forests
    complete = full.drop(columns="key")
    imp2 = MissForestImputer(**FAST_FOREST).fit(complete)
    assert imp2.n_iter_ == 0
    holed2 = with_gaps(complete, rate=0.1, seed=3, skip=())
    assert_kept(holed2, imp2.transform(holed2))


def test_numeric_array_in_and_out():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(80, 1))
    X = np.hstack([base, 2 * base, -base]) + 0.01 * rng.normal(size=(80, 3))
    holed = X.copy()
    holed[rng.random(X.shape) < 0.15] = np.nan
    for imp in (MeanModeImputer(), MissForestImputer(**FAST_FOREST)):
        out = imp.fit_transform(holed)
        assert isinstance(out, np.ndarray) and out.dtype == holed.dtype and out.shape == X.shape
        gaps = np.isnan(holed)
        assert np.array_equal(out[~gaps], holed[~gaps]) and not np.isnan(out).any()
    err = np.sqrt(np.mean((out[gaps] - X[gaps]) ** 2))
    assert err < 0.5 * np.sqrt(np.mean((np.nanmean(holed, axis=0)[np.nonzero(gaps)[1]] - X[gaps]) ** 2))


@pytest.mark.parametrize("cls", [MeanModeImputer, MissForestImputer])
def test_unknown_categories(cls, table):
    _, holed = table
    params = FAST_FOREST if cls is MissForestImputer else MODE
    imp = cls(**params).fit(holed)
    new = holed.iloc[:20].copy()
    new["label"] = new["label"].astype(object)
    new.iloc[2, new.columns.get_loc("label")] = "medium"
    new["label"] = new["label"].astype("str")
    with pytest.warns(UserWarning, match="'label'.*never seen at fit: 'medium'.*treated as missing"):
        out = imp.transform(new)
    assert out.iloc[2]["label"] in {"high", "low"}
    assert out.dtypes.equals(new.dtypes)
    observed = new["label"].notna() & (new["label"] != "medium")
    assert out["label"][observed].equals(new["label"][observed])
    assert not out.drop(columns="key").isna().any().any()
    strict = cls(handle_unknown="error", **params).fit(holed)
    with pytest.raises(InputDataError, match="'label' holds categories never seen at fit: 'medium'"):
        strict.transform(new)


def test_category_dtype_with_fewer_categories_at_transform(table):
    _, holed = table
    imp = MeanModeImputer(**MODE).fit(holed)
    new = holed.iloc[:30].copy()
    mode = holed["colour"].mode()[0]
    new["colour"] = new["colour"].where(new["colour"] != mode).cat.remove_categories([mode])
    assert new["colour"].isna().sum() > holed["colour"].iloc[:30].isna().sum()
    out = imp.transform(new)
    assert out["colour"].dtype == new["colour"].dtype and not out["colour"].isna().any()


@pytest.mark.parametrize("cls", [MeanModeImputer, MissForestImputer])
def test_errors(cls, table):
    _, holed = table
    imp = cls()
    with pytest.raises(InputDataError, match="got 1D array.*Reshape your data"):
        imp.fit([1.0, 2.0])
    with pytest.raises(InputDataError, match="no rows"):
        imp.fit(holed.iloc[:0])
    with pytest.raises(InputDataError, match="sparse input"):
        imp.fit(scipy.sparse.csr_matrix(np.eye(3)))
    with pytest.raises(InputDataError, match="Complex data not supported"):
        imp.fit(np.ones((3, 2), dtype=complex))
    with pytest.raises(InputDataError, match="expected a table, got a pandas Series"):
        imp.fit(holed["x"])
    with pytest.raises(InputDataError, match="column 'empty' has no observed value"):
        imp.fit(holed.assign(empty=np.nan))
    with pytest.raises(InputDataError, match=r"column 'x' holds an infinite value \(1 cells, first at row \d+\)"):
        imp.fit(holed.assign(x=holed["x"].where(holed.index != holed.index[3], np.inf)))
    with pytest.raises(InputDataError, match="column 'odd'.*text.*'x'"):  # kinds.py's message
        imp.fit(holed.assign(odd=pd.Series([1.5, "x"] * 80, index=holed.index, dtype=object)))
    fitted = cls(n_estimators=5, max_iter=1) if cls is MissForestImputer else cls()
    fitted.fit(holed.drop(columns="key"))
    with pytest.raises(InputDataError, match="missing 'x'"):
        fitted.transform(holed.drop(columns=["key", "x"]))
    with pytest.raises(InputDataError, match="not seen at fit 'key'"):
        fitted.transform(holed)
    with pytest.raises(InputDataError, match="X has 6 features, but .* is expecting 7 features"):
        fitted.transform(holed.drop(columns=["key", "x"]).to_numpy())
    with pytest.raises(InputDataError, match="different order"):
        fitted.transform(holed.drop(columns="key")[list(reversed(holed.columns[:-1]))])
    with pytest.raises(InputDataError, match="column 'x' was numeric at fit but has dtype str"):
        fitted.transform(holed.drop(columns="key").assign(x="text"))
    texts = holed.drop(columns="key").assign(
        x=pd.Series((["1.5", "n/a"] * len(holed))[: len(holed)], index=holed.index, dtype=object)
    )
    with pytest.raises(InputDataError, match=r"column 'x' holds text 'n/a' \(row \d+, \d+ such cells\) but was numeric at"):
        fitted.transform(texts)


@pytest.mark.parametrize("cls", [MeanModeImputer, MissForestImputer])
def test_lists_and_object_arrays_come_back_as_arrays(cls):
    make = (lambda: cls(n_estimators=5, random_state=0)) if cls is MissForestImputer else cls
    rows = np.array([[1.0, "a"], [None, "b"], [3.0, None], [4.0, "a"]] * 5, dtype=object)
    out = make().fit_transform(rows)
    assert isinstance(out, np.ndarray) and out.dtype == object and not pd.isna(out).any()
    kept = ~pd.isna(rows)
    assert all(type(a) is type(b) and a == b for a, b in zip(out[kept], rows[kept]))
    assert set(out[pd.isna(rows[:, 1]), 1]) <= {"a", "b"}
    numbers = [[1.0, 2.0], [np.nan, 3.0], [2.0, 4.0], [5.0, np.nan]] * 5
    filled = make().fit_transform(numbers)
    assert filled.dtype == np.float64 and not np.isnan(filled).any()
    assert np.array_equal(filled[~np.isnan(numbers)], np.asarray(numbers)[~np.isnan(numbers)])


def test_registry_builds_them(table):
    _, holed = table
    assert isinstance(get_imputer("mean_mode"), MeanModeImputer)
    forest = get_imputer("missforest_mixed", n_estimators=5, max_iter=2)
    assert isinstance(forest, MissForestImputer) and forest.random_state == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = forest.fit_transform(holed.drop(columns="key"))
    assert not out.isna().any().any()


@pytest.mark.parametrize("make", [MeanModeImputer, lambda: MissForestImputer(n_estimators=5, random_state=0)])
def test_less_common_dtypes_round_trip(make):
    n = 40
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({
        "when": pd.date_range("2024-03-01", periods=n, freq="7h", tz="Europe/Paris", unit="s"),
        "ok": pd.Series([bool(v) for v in rng.random(n) > 0.5], dtype=object),
        "share": pd.array(rng.random(n), dtype="Float64"),
        "small": rng.integers(0, 9, n).astype("uint8"),
        "word": pd.Series(rng.choice(["aa", "bb"], n), dtype=object),
    })
    holed = frame.copy()
    for column in ("when", "ok", "share", "word"):
        holed[column] = holed[column].mask(rng.random(n) < 0.25)
    out = make().fit_transform(holed)
    assert_kept(holed, out)
    assert out["when"].dt.tz is not None and str(out["when"].dt.unit) == "s"
    gaps = holed["when"].isna()
    assert out.loc[gaps, "when"].between(frame["when"].min(), frame["when"].max()).all()
    assert {type(v) for v in out["ok"]} == {bool}


@pytest.mark.parametrize("method", ["mean_mode", "most_frequent", "missforest_mixed", "constant", "reverse"])
def test_columns_empty_at_transform_take_a_dtype_that_holds_their_kind(method):
    from revimpute import get_imputer

    train = pd.DataFrame({
        "c": ["a", "b", "a", None, "b", "a"],
        "x": [1.0, 2, 3, np.nan, 5, 6],
        "b": [True, False, None, True, True, False],
        "i": pd.array([1, 2, None, 4, 5, 6], dtype="Int64"),
    })
    params = {"hidden_sizes": (8,), "max_epochs": 3, "reverse_steps": 2, "n_models": 1} if method == "reverse" else {}
    imputer = get_imputer(method, **params).fit(train)
    test = pd.DataFrame({"c": [np.nan] * 3, "x": [1.0, np.nan, 3.0], "b": [np.nan] * 3, "i": [np.nan] * 3})
    out = imputer.transform(test)
    assert [str(d) for d in out.dtypes] == ["object", "float64", "boolean", "Int64"]
    assert out.notna().all().all()
    assert out["c"].isin(["a", "b", "missing_value"]).all()
