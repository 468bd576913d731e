"""Mixed tables: numeric, integer, boolean, categorical, text and datetime columns together."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import FAST
from revimpute import ReverseImputer
from revimpute.encode.kinds import ColumnKind, infer_column_kind
from revimpute.encode.table import TableEncoder
from revimpute.exceptions import InputDataError


def mixed_table(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """A table whose categorical, boolean and integer columns follow its numbers."""
    rng = np.random.default_rng(seed)
    size = rng.normal(size=n)
    weight = 2.0 * size + 0.1 * rng.normal(size=n)
    group = np.where(size > 0.5, "large", np.where(size < -0.5, "small", "medium"))
    return pd.DataFrame(
        {
            "size": size,
            "weight": weight.astype(np.float32),
            "group": pd.array(group, dtype="str"),
            "colour": pd.Categorical(np.where(weight > 0, "red", "blue"), categories=["red", "blue", "green"]),
            "heavy": weight > 1.0,
            "count": pd.array(np.round(3 * size + 10).astype(int), dtype="Int64"),
            "day": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n) % 30, unit="D"),
            "stamp": pd.date_range("2024-03-01 08:00", periods=n, freq="37min", tz="Europe/Paris"),
        },
        index=pd.Index(np.arange(n) * 10 + 5, name="row_id"),
    )


def punch_holes(frame: pd.DataFrame, rate: float = 0.2, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    mask = np.random.default_rng(seed).random(frame.shape) < rate
    holed = frame.copy()
    for j, column in enumerate(frame.columns):
        series = holed[column]
        if series.dtype == bool:
            series = series.astype("boolean")
        series = series.copy()
        series[mask[:, j]] = None
        holed[column] = series
    return holed, mask


@pytest.fixture(scope="module")
def mixed_case():
    full = mixed_table()
    holed, mask = punch_holes(full)
    imputer = ReverseImputer(**FAST).fit(holed)
    return full, holed, mask, imputer


def test_kinds_are_inferred_per_column():
    frame = mixed_table()
    kinds = [infer_column_kind(frame[c]) for c in frame.columns]
    assert kinds == [
        ColumnKind.NUMERIC, ColumnKind.NUMERIC, ColumnKind.CATEGORICAL, ColumnKind.CATEGORICAL,
        ColumnKind.BOOLEAN, ColumnKind.INTEGER, ColumnKind.DATETIME, ColumnKind.DATETIME,
    ]
    # text stays text, even when it reads as numbers (zip codes, identifiers)
    assert infer_column_kind(pd.Series(["1.5", "2", None])) == ColumnKind.CATEGORICAL
    assert infer_column_kind(pd.Series([True, None, False], dtype=object)) == ColumnKind.BOOLEAN


def test_encode_decode_is_identity_on_observed_cells_for_every_type():
    full = mixed_table()
    holed, _ = punch_holes(full)
    encoder = TableEncoder().fit(holed)
    encoded = encoder.encode(holed)
    # size, weight | group: 3 | colour: 2 (green never observed) | heavy | count | day | stamp
    assert encoded.values.shape[1] == encoder.layout_.n_units == 2 + 3 + 2 + 1 + 1 + 1 + 1
    out, confidence = encoder.decode(holed, encoded.values, encoded.cell_missing)
    assert (out.dtypes == holed.dtypes).all()
    observed = ~encoded.cell_missing
    for j, column in enumerate(holed.columns):
        kept = out[column][observed[:, j]]
        assert kept.equals(holed[column][observed[:, j]]), column
    assert not out.isna().any().any()
    # every unit filled with its "zero" decodes to a valid value of the column's type
    assert set(out["group"]) <= {"large", "medium", "small"}
    assert confidence.columns.equals(holed.columns)


def test_imputation_keeps_observed_cells_index_columns_and_dtypes(mixed_case):
    _, holed, _, imputer = mixed_case
    out = imputer.transform(holed)
    assert out.index.equals(holed.index) and out.columns.equals(holed.columns)
    assert (out.dtypes == holed.dtypes).all(), out.dtypes
    assert not out.isna().any().any()
    for column in holed.columns:
        seen = holed[column].notna().to_numpy()
        left = out[column][seen].to_numpy()
        right = holed[column][seen].to_numpy()
        if holed[column].dtype.kind == "f":
            assert left.tobytes() == right.tobytes(), column  # bitwise
        else:
            assert (left == right).all(), column
    assert out["colour"].cat.categories.tolist() == ["red", "blue", "green"]
    counts = out["count"][holed["count"].isna()]
    lo, hi = holed["count"].min(), holed["count"].max()
    assert counts.between(lo, hi).all()
    days = out["day"][holed["day"].isna()]
    assert (days == days.dt.normalize()).all()  # a date column gets dates back
    stamps = out["stamp"][holed["stamp"].isna()]
    assert str(stamps.dt.tz) == "Europe/Paris"


def test_categorical_cells_are_learned_not_guessed(mixed_case):
    full, holed, mask, imputer = mixed_case
    out = imputer.transform(holed)
    for j, column in enumerate(full.columns):
        if column not in ("group", "colour", "heavy"):
            continue
        hidden = mask[:, j]
        accuracy = (out[column][hidden].to_numpy() == full[column][hidden].to_numpy()).mean()
        majority = full[column][~hidden].value_counts().iloc[0] / (~hidden).sum()
        assert accuracy > majority + 0.1, (column, accuracy, majority)


def test_confidence_is_higher_where_the_imputed_choice_is_right(mixed_case):
    full, holed, _, imputer = mixed_case
    out, confidence = imputer.impute_with_confidence(holed)
    assert out.equals(imputer.transform(holed))
    right, sure = [], []
    for column in ("group", "colour", "heavy"):
        imputed = holed[column].isna().to_numpy()
        values = confidence[column].to_numpy()
        assert np.isnan(values[~imputed]).all()
        assert ((values[imputed] > 0) & (values[imputed] <= 1.0)).all()
        assert len(np.unique(values[imputed])) > imputed.sum() // 2  # one probability per cell, not a constant
        right.append((out[column] == full[column]).to_numpy()[imputed])
        sure.append(values[imputed])
    right, sure = np.concatenate(right), np.concatenate(sure)
    assert 0 < right.mean() < 1
    assert sure[right].mean() > sure[~right].mean() + 0.03, (sure[right].mean(), sure[~right].mean())
    assert confidence["size"].isna().all()


def test_decoding_chooses_the_most_probable_value_and_reports_its_probability():
    full = mixed_table()
    holed, _ = punch_holes(full)
    encoder = TableEncoder().fit(holed)
    encoded = encoder.encode(holed)
    (g0, g1), _ = encoder.layout_.groups  # "group": three categories
    b = int(encoder.layout_.boolean_units[0])  # "heavy"
    rng = np.random.default_rng(5)
    n = len(holed)
    probs = rng.dirichlet(np.ones(g1 - g0), size=n).astype(np.float32)
    p = rng.random(n).astype(np.float32)
    filled = encoded.values.copy()
    filled[:, g0:g1] = np.where(encoded.missing[:, g0:g1], probs, filled[:, g0:g1])
    filled[:, b] = np.where(encoded.missing[:, b], p, filled[:, b])
    out, confidence = encoder.decode(holed, filled, encoded.cell_missing)
    # which category each unit stands for, read off the observed cells
    seen = holed["group"].notna().to_numpy()
    names = dict(zip(encoded.values[seen, g0:g1].argmax(axis=1).tolist(), holed["group"][seen]))
    gone = ~seen
    assert out["group"][gone].tolist() == [names[k] for k in probs[gone].argmax(axis=1)]
    np.testing.assert_allclose(confidence["group"][gone], probs[gone].max(axis=1), rtol=1e-6)
    gone = holed["heavy"].isna().to_numpy()
    assert (out["heavy"][gone].to_numpy() == (p[gone] >= 0.5)).all()
    np.testing.assert_allclose(confidence["heavy"][gone], np.maximum(p, 1 - p)[gone], rtol=1e-6)
    assert confidence.loc[~gone, "heavy"].isna().all() and confidence["size"].isna().all()


def test_a_category_dtype_gets_one_of_its_own_categories_with_that_ones_probability():
    full = mixed_table()
    holed, _ = punch_holes(full)
    encoder = TableEncoder().fit(holed)  # "colour": units for red and blue (green never seen)
    narrower = holed.copy()
    narrower["colour"] = narrower["colour"].cat.remove_categories(["blue"])  # blue cells become gaps
    encoded = encoder.encode(narrower)
    _, (c0, c1) = encoder.layout_.groups
    seen = holed["colour"].notna().to_numpy()
    red = int(encoded.values[(holed["colour"] == "red").to_numpy(), c0:c1].argmax(axis=1)[0])
    filled = encoded.values.copy()
    unit_probs = np.full(c1 - c0, 0.8, np.float32)
    unit_probs[red] = 0.2  # the network prefers blue, which the column cannot hold
    filled[:, c0:c1] = np.where(encoded.missing[:, c0:c1], unit_probs, filled[:, c0:c1])
    out, confidence = encoder.decode(narrower, filled, encoded.cell_missing)
    gone = narrower["colour"].isna().to_numpy()
    assert gone.sum() > (~seen).sum()  # the former blue cells are imputed too
    assert (out["colour"][gone] == "red").all()
    np.testing.assert_allclose(confidence["colour"][gone], 0.2)


def test_mixed_rows_are_batch_invariant(mixed_case):
    _, holed, _, imputer = mixed_case
    whole = imputer.transform(holed)
    rows = [0, 7, 33, 101]
    alone = pd.concat([imputer.transform(holed.iloc[[i]]) for i in rows])
    assert alone.equals(whole.iloc[rows])
    shuffled = imputer.transform(holed.iloc[::-1])
    assert shuffled.iloc[::-1].equals(whole)


def test_float_frame_gives_the_same_numbers_as_the_array():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 2)) @ rng.normal(size=(2, 5))
    X[rng.random(X.shape) < 0.2] = np.nan
    from_array = ReverseImputer(**FAST).fit(X).transform(X)
    frame = pd.DataFrame(X, columns=list("abcde"))
    from_frame = ReverseImputer(**FAST).fit(frame).transform(frame)
    assert np.array_equal(from_frame.to_numpy(), from_array)


def test_unknown_categories_are_imputed_with_a_warning_or_rejected(mixed_case):
    _, holed, _, imputer = mixed_case
    new = holed.head(5).copy()
    new["group"] = new["group"].astype(object)
    new.iloc[0, new.columns.get_loc("group")] = "huge"
    with pytest.warns(UserWarning, match=r"column 'group' holds categories not seen at fit \('huge'\)"):
        out = imputer.transform(new)
    assert out.iloc[0]["group"] in {"large", "medium", "small"}
    assert imputer.unknown_categories_ == {"group": ["huge"]}
    strict = ReverseImputer(**{**FAST, "handle_unknown": "error"}).fit(holed)
    with pytest.raises(InputDataError, match=r"column 'group' holds categories never seen at fit: 'huge' \(1 cells\); refit"):
        strict.transform(new)


def test_single_category_and_identifier_columns():
    frame = mixed_table(n=200)[["size", "weight", "group"]]
    frame["constant"] = "same"
    frame["name"] = [f"id-{i:05d}" for i in range(len(frame))]
    holed, _ = punch_holes(frame, seed=4)
    with pytest.warns(UserWarning, match=r"column 'name' has \d+ distinct values .*identifier"):
        imputer = ReverseImputer(**{**FAST, "max_categories": 50}).fit(holed)
    out = imputer.transform(holed)
    assert (out["constant"] == "same").all()
    assert out["name"].isna().equals(holed["name"].isna())  # identifiers are left alone


def test_ten_thousand_distinct_values_are_an_identifier():
    n = 10_000
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=n), "key": [f"k{i}" for i in range(n)]})
    frame.loc[::7, "x"] = np.nan
    assert infer_column_kind(frame["key"]) == ColumnKind.IDENTIFIER
    encoder = TableEncoder()
    with pytest.warns(UserWarning, match="'key' has 10000 distinct values"):
        encoder.fit(frame)
    assert encoder.layout_.n_units == 1


@pytest.mark.parametrize(
    "column, match",
    [
        (pd.Series([1, "a", 2.5, "b", "c", "d"] * 5, dtype=object), "mixes numbers and text"),
        (pd.Series([1.0, 2.0, "N/A", 4.0, 5.0, 6.0] * 5, dtype=object), "holds text 'N/A'"),
        (pd.Series(["a", pd.Timestamp(0), "b", "c", "d", "e"] * 5, dtype=object), "mixes value types"),
        (pd.Series([np.nan] * 30), "no observed value"),
    ],
    ids=["numbers-and-text", "stray-text", "text-and-dates", "all-empty"],
)
def test_bad_mixed_columns_are_clear_errors(column, match):
    frame = pd.DataFrame({"x": np.arange(30.0), "bad": column})
    with pytest.raises(InputDataError, match=match):
        ReverseImputer(**FAST).fit(frame)


def test_save_and_load_a_mixed_model(mixed_case, tmp_path):
    _, holed, _, imputer = mixed_case
    imputer.save(tmp_path / "model")
    loaded = ReverseImputer.load(tmp_path / "model")
    assert loaded.transform(holed).equals(imputer.transform(holed))


def test_polars_in_polars_out(mixed_case):
    pl = pytest.importorskip("polars")
    _, holed, _, imputer = mixed_case
    frame = holed.drop(columns=["stamp", "colour"]).reset_index(drop=True)
    small = ReverseImputer(**FAST).fit(frame)
    given = pl.from_pandas(frame)
    out = small.transform(given)
    assert isinstance(out, pl.DataFrame)
    assert out.schema == given.schema
    assert out.null_count().sum_horizontal()[0] == 0
    expected = small.transform(frame)
    assert out["group"].to_list() == expected["group"].tolist()
    assert np.array_equal(out["size"].to_numpy(), expected["size"].to_numpy())


def test_mixed_training_hides_whole_categorical_groups():
    from revimpute.encode.layout import UnitLayout
    from revimpute.nn.training import TrainingConfig, _corrupt_columns

    layout = UnitLayout(np.array([0, 1, 1, 1, 2]), np.array([0]), np.array([4]), ((1, 4),))
    observed = torch.ones(500, 5)
    generator = torch.Generator().manual_seed(0)
    visible = _corrupt_columns(
        observed, TrainingConfig(corruption_rate=0.3), generator,
        torch.as_tensor(layout.first_units()), torch.as_tensor(layout.column_of_unit),
    )
    group = visible[:, 1:4]
    assert ((group == group[:, :1]).all())
    assert 0.2 < 1 - float(visible.mean()) < 0.4


def test_column_names_mixing_text_and_numbers_are_a_clear_error():
    frame = pd.DataFrame({0: [1.0, 2.0, np.nan, 4.0] * 5, "kind": ["x", "y", None, "x"] * 5})
    with pytest.raises(InputDataError, match="column names"):
        ReverseImputer(**FAST).fit(frame)


def test_robust_scaling_is_invertible_and_tames_outliers():
    from revimpute.encode.numeric import NumericScaler

    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 2))
    X[:3, 0] = 1e6  # a glitch
    scaler = NumericScaler("robust").fit(X, np.zeros_like(X, dtype=bool))
    Z = scaler.transform(X)
    assert np.abs(Z).max() < 20  # 10^6 robust SDs become about 3 + log(10^6)
    assert np.allclose(scaler.inverse_transform(Z), X, rtol=1e-5)
    assert np.all(np.diff(scaler.transform(np.sort(X[:, 1])[:, None].repeat(2, 1))[:, 1]) >= 0)

    frame = mixed_table(n=240)[["size", "weight", "group"]].astype({"weight": np.float64})
    holed, mask = punch_holes(frame, seed=2)
    glitch = np.flatnonzero(holed["weight"].notna().to_numpy())[:3]
    holed.iloc[glitch, 1] = 1e6
    hidden = mask[:, 1] & ~np.isin(np.arange(len(frame)), glitch)
    clean = holed.copy()
    clean.iloc[glitch, 1] = frame.iloc[glitch, 1]
    errors = {}
    for name, table, scaling in [("clean", clean, "standard"), ("standard", holed, "standard"),
                                 ("robust", holed, "robust")]:
        out = ReverseImputer(**{**FAST, "scaling": scaling}).fit(table).transform(table)
        errors[name] = float(np.sqrt(np.mean((out["weight"][hidden] - frame["weight"][hidden]) ** 2)))
    # three glitches wreck standard scaling; robust scaling imputes about as well as on clean data
    assert errors["robust"] < 1.5 * errors["clean"] and errors["standard"] > 10 * errors["clean"], errors


def test_a_category_dtype_without_some_fit_categories_gets_one_of_its_own(mixed_case):
    _, holed, _, imputer = mixed_case
    part = holed[holed["colour"].isna() | (holed["colour"] == "red")].head(40).copy()
    part["colour"] = part["colour"].cat.remove_categories(["blue"])  # this chunk knows red and green
    out = imputer.transform(part)
    assert set(out["colour"]) <= {"red", "green"}
    assert out["colour"].dtype == part["colour"].dtype
