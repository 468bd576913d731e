"""CodeEncoder: one work column per column (values, nanoseconds, class codes) and back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from revimpute.encode import CodeEncoder, ColumnKind
from revimpute.exceptions import InputDataError


def table() -> pd.DataFrame:
    return pd.DataFrame({
        "x": [1.5, np.nan, 3.0, 2.0],
        "n": pd.array([5, 9, None, 7], dtype="Int64"),
        "colour": pd.Categorical(["red", "blue", None, "red"], categories=["red", "green", "blue"]),
        "word": np.array(["b", "a", "b", None], dtype=object),
        "flag": pd.array([True, None, False, True], dtype="boolean"),
        "when": pd.to_datetime(["2024-01-01", None, "2024-01-03", "2024-01-02"]).tz_localize("Europe/Paris"),
    }, index=pd.Index([10, 20, 30, 40], name="row"))


def test_each_column_is_one_work_column():
    frame = table()
    encoder = CodeEncoder().fit(frame)
    assert encoder.kinds_ == [ColumnKind.NUMERIC, ColumnKind.INTEGER, ColumnKind.CATEGORICAL,
                              ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN, ColumnKind.DATETIME]
    assert encoder.codes_[2].categories == ["red", "blue"]  # the dtype's order, observed ones only
    assert encoder.codes_[3].categories == ["a", "b"]  # sorted
    assert encoder.codes_[4].categories == [False, True]
    encoded = encoder.encode(frame)
    values = encoded.values
    assert np.array_equal(values[:, 2], [0, 1, np.nan, 0], equal_nan=True)
    assert np.array_equal(values[:, 3], [1, 0, 1, np.nan], equal_nan=True)
    assert np.array_equal(values[:, 4], [1, np.nan, 0, 1], equal_nan=True)
    first = pd.Timestamp("2024-01-01", tz="Europe/Paris").value
    assert values[0, 5] == float(first)  # nanoseconds since the epoch, UTC
    assert np.array_equal(encoded.missing, np.isnan(values))
    assert (encoder.codes_[1].exact_low, encoder.codes_[1].exact_high) == (5, 9)


def test_decode_writes_only_the_missing_cells_in_each_dtype():
    frame = table()
    encoder = CodeEncoder().fit(frame)
    encoded = encoder.encode(frame)
    filled = np.where(encoded.missing, 0.0, encoded.values)
    filled[2, 1] = 100.4  # beyond the observed range: clipped to it
    filled[1, 5] = float(pd.Timestamp("2024-01-02 12:00", tz="UTC").value)
    filled[3, 3] = 0.7  # a code is rounded to the nearest class
    out = encoder.decode(frame, filled, encoded.missing)
    assert out.dtypes.equals(frame.dtypes) and out.index.equals(frame.index)
    assert out.loc[20, "x"] == 0.0
    assert out.loc[30, "n"] == 9
    assert out.loc[30, "colour"] == "red"
    assert out.loc[40, "word"] == "b"
    assert out.loc[20, "flag"] is not pd.NA and not out.loc[20, "flag"]
    assert out.loc[20, "when"] == pd.Timestamp("2024-01-02 13:00", tz="Europe/Paris")
    observed = frame.notna()
    for column in frame.columns:
        assert out[column][observed[column]].equals(frame[column][observed[column]])


def test_unknown_categories_are_reported_and_missing():
    frame = table()
    encoder = CodeEncoder().fit(frame)
    other = frame.copy()
    other["word"] = pd.Series(["c", "a", "c", "b"], dtype=object, index=frame.index)
    encoded = encoder.encode(other)
    assert encoded.unknown == {"word": ["c", "c"]}
    assert encoded.missing[:, 3].tolist() == [True, False, True, False]


def test_a_categorical_dtype_limits_the_classes():
    frame = table()
    encoder = CodeEncoder().fit(frame)
    narrower = frame.copy()
    narrower["colour"] = pd.Categorical(["red", None, None, "red"], categories=["red", "green"])
    assert encoder.encode(narrower).allowed[2].tolist() == [True, False]
    assert encoder.encode(frame, at_fit=True).allowed[2] is None
    disjoint = frame.copy()
    disjoint["colour"] = pd.Categorical([None] * 4, categories=["green"])
    with pytest.raises(InputDataError, match="'colour': none of its categories were seen at fit"):
        encoder.encode(disjoint)


def test_identifiers_are_not_encoded_and_empty_columns_refused():
    frame = table().assign(key=[f"k{i}" for i in range(4)])
    encoder = CodeEncoder(max_categories=3).fit(frame)
    assert encoder.kinds_[-1] == ColumnKind.IDENTIFIER and list(encoder.columns_) == [0, 1, 2, 3, 4, 5]
    with pytest.raises(InputDataError, match="column 'x' has no observed value"):
        CodeEncoder().fit(frame.assign(x=np.nan))
