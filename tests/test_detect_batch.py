"""The detector's text columns settled together (revimpute.detect.batch) give exactly
what scanning each column on its own gives: the same scans, findings, mask, native gaps,
overview and cleaned frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import revimpute.detect.detector as detector
from revimpute.detect import detect_missing
from revimpute.detect.batch import NUMBERS, OWN, QUIET, text_groups
from revimpute.detect.columns import scan_column
from revimpute.detect.number_shapes import format_number

#: Cells that exercise every rule: tokens, placeholders, runs, formatted
#: numbers, zeros, padded codes, words, numbers, values that are not text.
POOL = [
    "", " ", "  ", "NA", "n/a", "N/A", "null", "NULL", "None", "none", "-", "--", "?", ".",
    "x", "X", "xx", "XX", "___", "***", "0", "00", "000", "0.0", "-999", "999", "99999",
    "-1", "1", "2", "3", "4", "5", "7", "12", "01234", "007", "1,234", "12.5%", "$3.50",
    "(5)", "1e5", "1E999", "inf", "nan", "+5", ".5", "5.", "1_000", "abc", "Lyon", "Paris",
    "Nice", "S", "M", "L", "DH", "the cat sat", "n.d.", " 42 ", "٣", "x1",
    None, np.nan, 3, 2.5, True,
]
NUMBERS_POOL = [format_number(v) for v in np.round(np.random.default_rng(0).normal(50, 20, 40), 1)]


def same_result(a, b) -> None:
    assert a.findings == b.findings
    assert a.columns == b.columns
    assert a.formats == b.formats
    assert a.mask.equals(b.mask) and a.native.equals(b.native)
    assert list(a.cleaned.dtypes) == list(b.cleaned.dtypes)
    pd.testing.assert_frame_equal(a.cleaned, b.cleaned, check_exact=True)
    for j in range(a.cleaned.shape[1]):  # None stays None, NaN stays NaN
        left, right = a.cleaned.iloc[:, j].tolist(), b.cleaned.iloc[:, j].tolist()
        assert [type(v) for v in left] == [type(v) for v in right]


def both(frame: pd.DataFrame, **options):
    batched = detect_missing(frame, **options)
    limit = detector.BATCH_MAX_ROWS
    detector.BATCH_MAX_ROWS = -1
    try:
        alone = detect_missing(frame, **options)
    finally:
        detector.BATCH_MAX_ROWS = limit
    same_result(batched, alone)
    return batched


def same_scan(a, b) -> None:
    assert np.array_equal(a.codes, b.codes) and np.array_equal(a.counts, b.counts)
    assert np.array_equal(a.numbers, b.numbers, equal_nan=True)
    assert a.kinds.tolist() == b.kinds.tolist() and a.evidence.tolist() == b.evidence.tolist()
    assert np.array_equal(a.confidence, b.confidence) and np.array_equal(a.native, b.native)
    assert np.array_equal(a.zero_padded, b.zero_padded)
    assert (a.family, a.format, a.natural_zero) == (b.family, b.format, b.natural_zero)
    assert (a.code_zero is None) == (b.code_zero is None)
    if a.code_zero is not None:
        assert np.array_equal(a.code_zero, b.code_zero)
    assert [a.write(i) for i in range(a.counts.size)] == [b.write(i) for i in range(b.counts.size)]


def check_groups(frame: pd.DataFrame, detect: bool = True, extra=frozenset(), extra_numbers=()) -> list:
    """Each settled column's scan from its group equals its own scan; returns the routes."""
    positions = [j for j, dtype in enumerate(frame.dtypes) if dtype == object]
    routes = []
    extra_numbers = np.asarray(extra_numbers, dtype=float)
    for group in text_groups(frame, positions, detect=detect, extra_norm=extra, extra_numbers=extra_numbers):
        for k, position in enumerate(group.positions):
            routes.append(int(group.route[k]))
            if group.route[k] == OWN:
                continue
            own = scan_column(frame.iloc[:, position], detect=detect, extra_norm=extra,
                              extra_numbers=extra_numbers)
            same_scan(group.scan(k), own)
    return routes


column = st.lists(st.sampled_from(POOL), min_size=0, max_size=1) | st.just(None)


@st.composite
def tables(draw):
    n_rows = draw(st.integers(0, 25))
    n_cols = draw(st.integers(1, 8))
    data = {}
    for j in range(n_cols):
        kind = draw(st.sampled_from(["pool", "pool", "numbers", "words", "typed"]))
        if kind == "pool":
            pool = draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=6, unique_by=repr))
        elif kind == "numbers":
            pool = draw(st.lists(st.sampled_from(NUMBERS_POOL + ["0", "", "-999"]), min_size=1, max_size=12,
                                 unique=True))
        elif kind == "words":
            pool = draw(st.lists(st.sampled_from(["Lyon", "Paris", "Nice", "Rome", "", "Oslo"]), min_size=1,
                                 max_size=5, unique=True))
        else:
            data[f"c{j}"] = draw(st.lists(st.integers(-3, 3), min_size=n_rows, max_size=n_rows))
            continue
        cells = draw(st.lists(st.sampled_from(pool), min_size=n_rows, max_size=n_rows))
        data[f"c{j}"] = pd.Series(cells, dtype=object)
    frame = pd.DataFrame(data)
    if frame.shape[0] != n_rows:
        frame = frame.reindex(range(n_rows))
    return frame


@settings(max_examples=150, deadline=None)
@given(frame=tables(), policy=st.sampled_from(["auto", "strict", "off"]),
       extra=st.sampled_from([(), ("n.d.",), ("999",), ("-",)]),
       never=st.sampled_from([(), ("0",), ("NA",)]))
def test_batched_equals_each_column_alone(frame, policy, extra, never):
    both(frame, policy=policy, extra_tokens=extra, never_flag=never)


@settings(max_examples=100, deadline=None)
@given(frame=tables())
def test_a_settled_columns_scan_is_its_own_scan(frame):
    check_groups(frame)
    check_groups(frame, detect=False)
    check_groups(frame, extra=frozenset({"n.d.", "999"}), extra_numbers=[999.0])


def test_every_route_is_taken_and_checked():
    r = np.random.default_rng(3)
    n = 40
    frame = pd.DataFrame({
        "quiet_numbers": ["1.5", "2.5"] * (n // 2),
        "numbers": r.normal(50, 10, n).round(1).astype(str),
        "numbers_with_sentinel": np.where(r.random(n) < 0.1, "-999", r.normal(50, 10, n).round(1).astype(str)),
        "words": r.choice(["Lyon", "Paris", "Nice"], n),
        "token": np.where(r.random(n) < 0.2, "N/A", r.choice(["Lyon", "Paris"], n)),
        "mixed": r.choice(["Lyon", "12", "Paris"], n),
        "formatted": r.choice(["1,234", "2,345", "12"], n),
        "empty": [""] * n,
        "none": [None] * n,
        "objects": r.choice([1, 2, 3], n).astype(object),
    }).astype(object)
    frame["objects"] = frame["objects"].map(int).astype(object)
    routes = check_groups(frame)
    assert routes == [QUIET, NUMBERS, NUMBERS, QUIET, OWN, OWN, OWN, QUIET, QUIET, OWN]
    result = both(frame)
    assert {(f.column, f.value) for f in result.findings} >= {("numbers_with_sentinel", "-999"),
                                                              ("token", "N/A")}


def test_wide_tables_of_one_and_few_rows():
    r = np.random.default_rng(5)
    cells = [f"{v:.3f}" for v in r.normal(size=3000)]
    cells[5], cells[17], cells[40] = "NULL", "", "-"
    frame = pd.DataFrame([cells], columns=[f"c{j}" for j in range(3000)], dtype=object)
    result = both(frame)
    assert {(f.column, f.value) for f in result.findings} == {("c5", "NULL"), ("c40", "-")}
    assert result.mask.to_numpy().sum() == 3 and result.native.to_numpy().sum() == 1
    many = pd.DataFrame(r.normal(size=(30, 400)).round(2).astype(str).astype(object))
    many.columns = [f"v{j}" for j in range(400)]
    many.iloc[3:9, 7] = "-999"
    many.iloc[[1, 4, 8, 11], 9] = "?"
    many.iloc[:, 10] = "0"
    result = both(many)
    assert {("v7", "-999"), ("v9", "?")} <= {(f.column, f.value) for f in result.findings}


def test_table_rules_see_quiet_columns_as_categories():
    """A 0 held by one level of a category settled in its group is still explained."""
    r = np.random.default_rng(21)
    n = 320
    position = r.choice(np.array(["1B", "2B", "SS", "OF", "C"], dtype=object), n)
    outs = r.gamma(2.0, 150, n).round().astype(int) + 28
    dh = r.choice(n, 16, replace=False)
    position[dh] = "DH"
    outs = outs.astype(str).astype(object)
    outs[dh[:15]] = "0"
    frame = pd.DataFrame({"position": position, "outs": outs})
    assert ("outs", "0") in {(f.column, f.value) for f in detect_missing(frame[["outs"]]).findings}
    result = both(frame)
    assert ("outs", "0") not in {(f.column, f.value) for f in result.findings}


def test_co_missing_values_and_code_zeros_in_groups():
    r = np.random.default_rng(18)
    n = 400
    data = {}
    for m in range(4):
        codes = [1, int(r.choice([2, 3, 4]))]
        untyped = r.random(n) < r.uniform(0.05, 0.3)
        for allele in ("a1", "a2"):
            cells = r.choice(codes, n).astype(str).astype(object)
            cells[untyped] = "0"
            data[f"m{m}.{allele}"] = cells
    bad = r.choice(n, 30, replace=False)
    for name in ("X", "Y", "reference"):
        cells = (r.permutation(n) + 1).astype(str).astype(object) if name == "reference" else \
            r.uniform(40, 50, n).round(4).astype(str).astype(object)
        cells[bad] = "0"
        data[name] = cells
    data["group"] = r.choice(["a", "b"], n).astype(object)
    result = both(pd.DataFrame(data))
    assert {("m0.a1", "0"), ("X", "0"), ("reference", "0")} <= {(f.column, f.value) for f in result.findings}


@pytest.mark.parametrize("index", [pd.RangeIndex(4), pd.Index(["a", "b", "a", "c"])])
def test_index_labels_and_mixed_dtypes_survive(index):
    frame = pd.DataFrame({"t": ["1", "2", "", "4"], "n": [1.0, np.nan, 3.0, 4.0], "w": ["a", "b", "c", "N/A"],
                          "b": [True, False, True, True], "z": ["0", "1", "2", "0"]}, index=index)
    frame[["t", "w", "z"]] = frame[["t", "w", "z"]].astype(object)
    frame.columns = ["t", 2, "w", ("b", 1), "z"]
    result = both(frame)
    assert result.cleaned.index.equals(index) and list(result.cleaned.columns) == list(frame.columns)
