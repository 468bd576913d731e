"""Tests of the detection rules for issue 15: category levels among numbers, formatted
numbers, numeric-ness by distinct values, 0 above negatives, gaps to the bulk, natural
zeros, adjacent end codes and row-level co-missingness."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from revimpute.detect import DetectionResult, detect_missing
from revimpute.detect.formatted import NumberFormat, parse_formatted_numbers
from revimpute.detect.numeric import format_number, on_fraction_grid


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def keys(result: DetectionResult, column: str | None = None) -> set[tuple[str, str]]:
    return {(f.column, f.value) for f in result.findings
            if column is None or f.column == column}


def plant(cells: np.ndarray, value: str, count: int, seed: int = 1) -> np.ndarray:
    cells = np.asarray(cells, dtype=object).copy()
    cells[rng(seed).choice(cells.size, size=count, replace=False)] = value
    return cells


# --- safe by default: letter codes among numbers ------------------------------------


@pytest.mark.parametrize("policy", ["auto", "strict"])
def test_sizes_beside_numbers_are_levels(policy):
    n = 600
    size = rng().choice(np.array(["36", "38", "40", "42", "44", "S", "M", "L", "XL"], dtype=object),
                        n, p=[.13, .13, .13, .11, .11, .13, .13, .08, .05])
    result = detect_missing(pd.DataFrame({"size": size}), policy=policy)
    assert result.findings == []
    assert result.cleaned["size"].tolist() == size.tolist()


@pytest.mark.parametrize("policy", ["auto", "strict"])
def test_a_b_codes_holding_half_a_column_are_levels(policy):
    r = rng(1)
    cells = np.where(r.random(500) < 0.46, r.choice(np.array(["a", "b"], dtype=object), 500),
                     r.integers(1, 200, 500).astype(str)).astype(object)
    assert detect_missing(pd.DataFrame({"plot": cells}), policy=policy).findings == []


def test_grades_and_blood_groups_beside_numbers_are_levels():
    r = rng(2)
    grade = np.where(r.random(400) < 0.5, r.choice(np.array(list("ABCDEF"), dtype=object), 400),
                     r.integers(1, 7, 400).astype(str)).astype(object)
    blood = np.where(r.random(400) < 0.45,
                     r.choice(np.array(["A", "B", "AB", "O"], dtype=object), 400),
                     (2 ** r.integers(1, 10, 400)).astype(str)).astype(object)
    assert detect_missing(pd.DataFrame({"grade": grade, "blood": blood})).findings == []


def test_a_letter_as_common_as_balanced_numeric_levels_is_a_level():
    cells = np.repeat(np.array(["1", "2", "3", "4", "5", "6", "7", "8", "9", "X"], dtype=object), 9)
    assert detect_missing(pd.DataFrame({"variety": cells})).findings == []


def test_a_marker_among_numbers_is_still_flagged_however_common():
    cells = plant(rng(3).integers(10, 99, 400).astype(str), "x", 220)
    result = detect_missing(pd.DataFrame({"v": cells}), policy="strict")
    assert keys(result) == {("v", "x")}
    assert result.columns[0].inferred == "numeric"


def test_confidence_of_a_lone_code_falls_with_its_share():
    base = rng(4).integers(30, 90, 1000).astype(str)
    conf = {}
    for count in (30, 150, 300):
        hit = {f.value: f for f in detect_missing(pd.DataFrame({"v": plant(base, "n", count)}))
               .findings}
        conf[count] = hit["n"].confidence if "n" in hit else 0.0
    assert conf[30] > conf[150] > conf[300] == 0.0
    assert conf[30] < 0.8  # an unknown letter is never enough for strict


def test_a_word_seen_once_among_numbers_is_not_flagged():
    cells = plant(rng(5).integers(3, 9, 93).astype(str), "rotary", 1)
    assert detect_missing(pd.DataFrame({"cyl": cells})).findings == []


# --- formatted numbers --------------------------------------------------------------


def test_parse_formatted_numbers():
    texts = ["12.5%", "1,234", "(3)", "$1,234.50", "€ 12", "-7", "s", None, "1,2,3", "-(3)"]
    numbers, fmt = parse_formatted_numbers(texts)
    np.testing.assert_array_equal(numbers[:6], [12.5, 1234.0, -3.0, 1234.5, 12.0, -7.0])
    assert np.isnan(numbers[6:]).all()
    assert fmt.percent and fmt.parentheses and fmt.thousands == "," and fmt.currency == "$€"
    assert fmt.formatted == 5
    comma, fmt_comma = parse_formatted_numbers(["12,5", "1.234,5", "3"])
    np.testing.assert_array_equal(comma, [12.5, 1234.5, 3.0])
    assert fmt_comma.decimal == "," and fmt_comma.thousands == "."
    plain, fmt_plain = parse_formatted_numbers(["1", "2.5"])
    assert fmt_plain.plain and fmt_plain == NumberFormat(formatted=0)
    with pytest.raises(ValueError):
        parse_formatted_numbers(["1"], decimal=";")


def test_markers_inside_formatted_columns_are_found():
    r = rng(6)
    n = 500
    pct = plant(np.array([f"{v:.1f}%" for v in r.uniform(0, 100, n)], dtype=object), "s", 40)
    money = plant(np.array([f"${v:,.2f}" for v in r.lognormal(8, 1.5, n)], dtype=object), "NR", 20)
    neg = plant(np.array([f"({abs(v):,.1f})" if v < 0 else f"{v:,.1f}"
                          for v in r.normal(0, 3000, n)], dtype=object), "*", 15)
    frame = pd.DataFrame({"pct": pct, "money": money, "neg": neg})
    original = frame.copy()
    result = detect_missing(frame)
    assert keys(result) == {("pct", "s"), ("money", "NR"), ("neg", "*")}
    summary = {c.column: c for c in result.columns}
    assert summary["pct"].format == "percent"
    assert "currency $" in summary["money"].format
    assert "parentheses for negatives" in summary["neg"].format
    assert set(result.formats) == {"pct", "money", "neg"}
    assert result.cleaned["money"].dtype == np.float64
    kept = ~result.mask["pct"]
    expected = frame["pct"][kept].str.rstrip("%").astype(float)
    np.testing.assert_array_equal(result.cleaned["pct"][kept].to_numpy(), expected.to_numpy())
    pd.testing.assert_frame_equal(frame, original)  # the text given is never rewritten
    assert result.to_dict()["formats"]["pct"]["percent"] is True


def test_number_format_writes_numbers_the_way_the_column_does():
    cases = [
        (["12.5%", "3.0%", "100.0%"], 13.14, "13.1%"),
        (["$1,234.50", "$12.00", "s"], 1234567.8, "$1,234,567.80"),
        (["(3.0)", "4.5", "1,234.0"], -12, "(12.0)"),
        (["($1,310.10)", "$4.00"], -1234.5, "($1,234.50)"),
        (["($3.10)", "$4.00"], -1234.5, "($1234.50)"),  # no separator seen: none written
        (["1.234,5", "12,5", "3"], 1234567.25, "1.234.567,2"),
        (["12 €", "1.234,50 €"], -1234.5, "-1.234,50 €"),
        (["€ 12", "€ 1,234"], 12345, "€ 12,345"),
        (["+1.5%", "-2.0%", "+0.3%"], 2.5, "+2.5%"),
        (["12,5 %", "3,2 %"], 7.77, "7,8 %"),
        (["(3.5%)", "1.2%"], -0.04, "0.0%"),  # rounds to zero: no sign, no parentheses
        (["1,000", "250"], 999.6, "1,000"),
    ]
    for texts, value, expected in cases:
        _, fmt = parse_formatted_numbers(texts)
        assert fmt.write(value) == expected, (texts, fmt)
    with pytest.raises(ValueError):
        fmt.write(float("nan"))
    assert NumberFormat().write(0.125) == "0.125"  # a plain format writes the number as Python does


def test_number_format_counts_cells_for_its_choices():
    texts = ["1.5%", "2.25%", "$3"]
    few_long = parse_formatted_numbers(texts, counts=[10, 1, 1])[1]
    many_long = parse_formatted_numbers(texts, counts=[1, 10, 1])[1]
    assert (few_long.decimals, few_long.max_decimals) == (1, 2)
    assert (many_long.decimals, many_long.max_decimals) == (2, 2)
    assert few_long.percent_sign and few_long.currency == "$" and few_long.currency_symbol == ""
    dollars = parse_formatted_numbers(texts, counts=[1, 1, 10])[1]
    assert dollars.currency_symbol == "$" and dollars.currency_position == "before"
    assert not dollars.percent_sign and dollars.percent
    with pytest.raises(ValueError):
        parse_formatted_numbers(texts, counts=[1, 2])


def test_formats_of_a_detection_write_imputed_cells_and_stay_json_ready():
    r = rng(16)
    money = plant(np.array([f"${v:,.2f}" for v in r.lognormal(8, 1.5, 400)], dtype=object), "NR", 9)
    result = detect_missing(pd.DataFrame({"money": money}))
    fmt = result.formats["money"]
    assert fmt.write(1234567.8) == "$1,234,567.80"
    blob = json.loads(json.dumps(result.to_dict()))["formats"]["money"]
    assert {"decimal", "thousands", "percent", "currency", "parentheses", "formatted"} <= set(blob)
    assert blob["decimals"] == 2 and blob["currency_symbol"] == "$"
    assert blob["currency_position"] == "before" and blob["thousands"] == ","


def test_plain_columns_have_no_format():
    result = detect_missing(pd.DataFrame({"a": ["1", "2", "3"], "b": ["x1", "y", "z"]}))
    assert [c.format for c in result.columns] == ["", ""] and result.formats == {}


# --- numeric-ness by distinct values ------------------------------------------------


def test_a_placeholder_filling_half_the_column_keeps_it_numeric():
    cells = plant(rng(7).normal(50, 10, 400).round(1).astype(str), "s", 230)
    result = detect_missing(pd.DataFrame({"v": cells}))
    assert ("v", "s") in keys(result)
    assert result.columns[0].inferred == "numeric"
    assert result.cleaned["v"].dtype == np.float64


# --- 0 in both directions and gaps to the bulk --------------------------------------


def test_zero_above_negative_longitudes():
    cells = plant(np.round(rng(8).uniform(-80, -70, 600), 4).astype(str), "0", 20)
    hit = {f.value: f for f in detect_missing(pd.DataFrame({"lon": cells})).findings}
    assert hit["0"].kind == "implausible_default" and "negative" in hit["0"].evidence


def test_repeated_zero_far_from_the_bulk_behind_one_odd_value():
    cells = np.clip(rng(9).normal(75, 12, 600), 35, None).round().astype(int).astype(str)
    cells = plant(cells, "0", 25)
    cells = plant(cells, "12", 1, seed=2)
    hit = {f.value: f for f in detect_missing(pd.DataFrame({"bp": cells})).findings}
    assert hit["0"].confidence >= 0.8 and "bulk" in hit["0"].evidence
    assert "12" not in hit


# --- natural zeros ------------------------------------------------------------------


def test_zero_on_a_fraction_grid_is_natural():
    r = rng(10)
    den = r.integers(3, 13, 800)
    pct = np.round(100 * r.integers(0, den + 1) / den, 1)
    cells = np.array([f"{v:g}" for v in pct], dtype=object)
    assert (cells == "0").mean() < 0.2
    assert detect_missing(pd.DataFrame({"pct": cells})).findings == []
    values, counts = np.unique(pct, return_counts=True)
    assert on_fraction_grid(values, counts)
    noise = np.round(r.uniform(1, 100, 800), 1)
    assert not on_fraction_grid(*np.unique(noise, return_counts=True))


def test_zeros_of_a_mostly_zero_count_column_are_natural():
    r = rng(11)
    cells = np.where(r.random(800) < 0.7, 0, r.integers(5, 40, 800)).astype(str)
    cigs = np.where(r.random(800) < 0.65, 0, r.choice([5, 10, 20, 40], 800)).astype(str)
    assert detect_missing(pd.DataFrame({"visits": cells, "cigs": cigs})).findings == []


# --- adjacent end codes -------------------------------------------------------------


def test_adjacent_codes_98_99_are_both_flagged():
    r = rng(12)
    cells = r.integers(0, 18, 2000).astype(str)
    cells = plant(plant(cells, "99", 90), "98", 12, seed=3)
    assert {("grade", "98"), ("grade", "99")} <= keys(detect_missing(pd.DataFrame({"grade": cells})))


# --- row-level co-missingness -------------------------------------------------------


def geocoded(n: int = 2000, seed: int = 13) -> tuple[pd.DataFrame, np.ndarray]:
    r = rng(seed)
    frame = pd.DataFrame({
        "X": np.round(r.uniform(-80, -70, n), 5).astype(str),
        "Y": np.round(r.uniform(40, 45, n), 5).astype(str),
        "reference": (r.permutation(n) + 1).astype(str),
    }).astype(object)
    bad = r.choice(n, 30, replace=False)
    frame.iloc[bad, :] = "0"
    return frame, bad


def test_values_missing_on_the_same_rows_raise_each_other():
    frame, _ = geocoded()
    result = detect_missing(frame)
    assert {("X", "0"), ("Y", "0"), ("reference", "0")} <= keys(result)
    ref = {f.column: f for f in result.findings}["reference"]
    assert "missing too" in ref.evidence
    alone = detect_missing(frame[["reference"]])
    assert alone.findings == []  # without the other columns a 0 before 1, 2, 3 is a value


def test_co_missingness_needs_more_than_chance():
    frame, bad = geocoded()
    r = rng(14)
    other = r.choice(np.setdiff1d(np.arange(len(frame)), bad), 30, replace=False)
    frame["reference"] = (r.permutation(len(frame)) + 1).astype(str)
    frame.loc[other, "reference"] = "0"  # zeros on other rows than X/Y
    assert ("reference", "0") not in keys(detect_missing(frame))


def test_never_flag_still_wins_over_co_missingness():
    frame, _ = geocoded()
    result = detect_missing(frame, never_flag=["0"])
    assert result.findings == []


# --- frequent zeros, code zeros in pairs, zeros that the table shows to be real -----


def insulin_and_bp(n: int = 1500, zeros: int = 600, seed: int = 17) -> pd.DataFrame:
    """Insulin with 40% zeros below a gap; blood pressure 0 on 20 of those rows."""
    r = rng(seed)
    insulin = (14 + r.gamma(2.0, 60, n)).round().astype(int).astype(str).astype(object)
    bp = np.clip(r.normal(75, 12, n), 35, None).round().astype(int).astype(str).astype(object)
    missing = r.choice(n, zeros, replace=False)
    insulin[missing] = "0"
    bp[missing[:20]] = "0"
    return pd.DataFrame({"insulin": insulin, "bp": bp})


def test_a_frequent_zero_below_a_gap_is_raised_by_strong_findings_on_its_rows():
    frame = insulin_and_bp()
    assert keys(detect_missing(frame[["insulin"]])) == set()  # alone: a point mass of zeros?
    result = detect_missing(frame)
    assert {("insulin", "0"), ("bp", "0")} <= keys(result)
    hit = {f.column: f for f in result.findings}["insulin"]
    assert "chance alone" in hit.evidence and 0.5 <= hit.confidence < 0.8


def test_a_value_holding_most_of_a_column_is_not_raised_by_containment():
    frame = insulin_and_bp(zeros=1200)  # 80% zeros: they hold most rows of anything
    assert ("insulin", "0") not in keys(detect_missing(frame))


def genotypes(n: int = 400, markers: int = 6, seed: int = 18) -> pd.DataFrame:
    r = rng(seed)
    data = {}
    for m in range(markers):
        codes = [1, int(r.choice([2, 3, 4]))]  # 0 right below code 1: weak alone
        untyped = r.random(n) < r.uniform(0.05, 0.3)
        for allele in ("a1", "a2"):
            cells = r.choice(codes, n).astype(str).astype(object)
            cells[untyped] = "0"
            data[f"m{m}.{allele}"] = cells
    return pd.DataFrame(data)


def test_untyped_alleles_in_pairs_support_each_other():
    frame = genotypes()
    result = detect_missing(frame)
    assert keys(result) == {(c, "0") for c in frame.columns}
    assert all("far above chance" in f.evidence for f in result.findings)
    assert keys(detect_missing(frame[["m0.a1", "m1.a1", "m2.a2"]])) == set()  # no pairs


def test_copies_and_columns_with_other_codes_do_not_pair():
    frame = genotypes()
    copies = pd.DataFrame({"size1": frame["m0.a1"], "size2": frame["m0.a1"].copy()})
    assert keys(detect_missing(copies)) == set()
    r = rng(22)
    founders = r.random(400) < 0.2
    parents = pd.DataFrame({"father": np.where(founders, 0, r.choice([1, 3, 5], 400)),
                            "mother": np.where(founders, 0, r.choice([2, 4, 6], 400))})
    assert keys(detect_missing(parents.astype(str))) == set()  # ids of different people


def test_correlated_count_columns_with_natural_zeros_do_not_pair():
    r = rng(19)
    n = 2000
    young = np.where(r.random(n) < 0.6, 0, r.integers(1, 4, n))
    older = np.where((young == 0) & (r.random(n) < 0.8), 0, r.integers(1, 5, n))
    frame = pd.DataFrame({"kids_0_5": young.astype(str), "kids_6_13": older.astype(str)})
    assert detect_missing(frame).findings == []


def ratings(seed: int = 20, n: int = 75) -> pd.DataFrame:
    r = rng(seed)
    common = np.where(r.random(n) < 0.35, 0.0, np.round(r.uniform(0.5, 10, n), 2))
    common[:3] = 10.0
    gapped = np.round(r.uniform(3.3, 10, n), 2)
    gapped[:3] = 10.0
    gapped[3:12] = 0.0  # 12% zeros, 3.3 away from the rest
    return pd.DataFrame({"press": [format_number(v) for v in common],
                         "elections": [format_number(v) for v in gapped]})


def test_a_zero_on_the_scale_of_a_sibling_column_is_natural():
    frame = ratings()
    assert ("elections", "0") in keys(detect_missing(frame[["elections"]]))
    result = detect_missing(frame)
    assert result.findings == []


def test_a_zero_held_by_one_level_of_a_category_is_natural():
    r = rng(21)
    n = 320
    position = r.choice(np.array(["1B", "2B", "SS", "OF", "C"], dtype=object), n)
    outs = r.gamma(2.0, 150, n).round().astype(int) + 28
    dh = r.choice(n, 16, replace=False)
    position[dh] = "DH"
    outs = outs.astype(str).astype(object)
    outs[dh[:15]] = "0"
    frame = pd.DataFrame({"position": position, "outs": outs})
    assert ("outs", "0") in keys(detect_missing(frame[["outs"]]))
    assert ("outs", "0") not in keys(detect_missing(frame))
