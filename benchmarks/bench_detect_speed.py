"""Speed of ``detect_missing`` on a large table (default 1,000,000 rows x 20 columns).

The table mixes what real files hold: a unique integer ID, integer and decimal
measurements, a full-precision float column (about one distinct value per
row), counts, categories, free text, codes, zip codes, with planted disguised
missing values in most columns. It is written to CSV, read back as text with
``revimpute.io.read_table(path, as_text=True)`` and scanned; the same table is
also scanned as a typed frame (``pandas.read_csv``) and ``drop_advice`` is
timed on the cleaned frame.

Run (the target is <= 10 s for the scan on 2 cores)::

    OMP_NUM_THREADS=1 python benchmarks/bench_detect_speed.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from revimpute.detect import detect_missing, drop_advice
from revimpute.detect.columns import scan_column
from revimpute.detect.comissing import pair_code_zeros, raise_co_missing
from revimpute.detect.natural import explain_zeros
from revimpute.io import read_table


def _plant(rng: np.random.Generator, cells: np.ndarray, value: str, share: float) -> np.ndarray:
    cells = cells.astype(object)
    rows = rng.choice(cells.size, size=max(1, int(share * cells.size)), replace=False)
    cells[rows] = value
    return cells


def make_table(n: int, seed: int = 0) -> pd.DataFrame:
    """A text table of ``n`` rows and 20 columns with planted disguised values."""
    rng = np.random.default_rng(seed)
    cities = np.array([f"City{i:02d}" for i in range(50)], dtype=object)
    first = np.array([f"Name{i:04d}" for i in range(5000)], dtype=object)
    words = np.array(["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "zeta"],
                     dtype=object)
    countries = np.array(["US", "FR", "DE", "NA", "ZA", "BR", "IN", "CN", "JP", "GB"],
                         dtype=object)
    cols = {
        "id": rng.permutation(n).astype(str),
        "age": _plant(rng, rng.integers(18, 91, n).astype(str), "-1", 0.02),
        "bp": _plant(rng, np.clip(rng.normal(75, 12, n), 35, None).round().astype(int)
                     .astype(str), "0", 0.03),
        "income": _plant(rng, rng.lognormal(10.6, 0.55, n).round().astype(int).astype(str),
                         "99999", 0.01),
        "temp": _plant(rng, rng.normal(12, 8, n).round(1).astype(str), "-999", 0.01),
        "price": _plant(rng, rng.lognormal(3, 1, n).round(2).astype(str), "N/A", 0.02),
        "sensor": _plant(rng, rng.normal(0, 1, n).astype(str), "NULL", 0.01),
        "sensor4": _plant(rng, rng.normal(50, 5, n).round(4).astype(str), "?", 0.01),
        "visits": rng.poisson(1.5, n).astype(str),
        "rain_mm": np.where(rng.random(n) < 0.45, 0.0, rng.gamma(0.8, 6, n)).round(1)
        .astype(str),
        "city": _plant(rng, _plant(rng, rng.choice(cities, n), "NULL", 0.01), "", 0.02),
        "name": _plant(rng, rng.choice(first, n), "xxxxx", 0.005),
        "code": _plant(rng, np.array([f"P-{v:05d}" for v in rng.integers(0, 100_000, n)],
                                     dtype=object), "0", 0.01),
        "flag": rng.integers(0, 2, n).astype(str),
        "likert": _plant(rng, rng.integers(1, 6, n).astype(str), "9", 0.02),
        "score": _plant(rng, rng.integers(0, 101, n).astype(str), "x", 0.01),
        "year": _plant(rng, rng.integers(1950, 2024, n).astype(str), "9999", 0.01),
        "zip": _plant(rng, np.char.zfill(rng.integers(1000, 99000, n).astype(str), 5),
                      "00000", 0.005),
        "country": rng.choice(countries, n),
        "note": _plant(rng, rng.choice(words, n) + " " + rng.choice(words, n) + " "
                       + rng.integers(0, 10_000, n).astype(str), "N/A", 0.01),
    }
    return pd.DataFrame({k: np.asarray(v, dtype=object) for k, v in cols.items()})


def genotype_table(n: int, markers: int = 6, seed: int = 1) -> pd.DataFrame:
    """``n`` rows of allele pairs (codes 1-4, 0 for untyped on both alleles) and a blood
    pressure with zeros on some untyped rows: every row-level rule has work to do."""
    rng = np.random.default_rng(seed)
    cols = {}
    for m in range(markers):
        untyped = rng.random(n) < rng.uniform(0.05, 0.3)
        for allele in ("a1", "a2"):
            cells = rng.integers(1, 5, n).astype(str).astype(object)
            cells[untyped] = "0"
            cols[f"m{m}.{allele}"] = cells
    bp = np.clip(rng.normal(75, 12, n), 35, None).round().astype(int).astype(str).astype(object)
    bp[np.flatnonzero(untyped)[:1000]] = "0"
    cols["bp"] = bp
    return pd.DataFrame(cols)


def time_row_passes(frame: pd.DataFrame) -> tuple[float, int]:
    """Seconds the row-level passes (natural zeros, code-zero pairs, co-missingness) take."""
    names = [str(c) for c in frame.columns]
    scans = [scan_column(frame[c], detect=True, extra_norm=frozenset(),
                         extra_numbers=np.array([], dtype=float)) for c in frame.columns]
    never = [np.zeros(scan.counts.size, dtype=bool) for scan in scans]
    t0 = time.perf_counter()
    explain_zeros(scans, names)
    pair_code_zeros(scans, names, never)
    raise_co_missing(scans, names, never)
    flagged = sum(int(((scan.confidence >= 0.5) & (scan.counts > 0)).sum()) for scan in scans)
    return time.perf_counter() - t0, flagged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2, help="scans to time (best is shown)")
    args = parser.parse_args(argv)
    print("command: OMP_NUM_THREADS=1 python benchmarks/bench_detect_speed.py "
          + " ".join(sys.argv[1:] if argv is None else argv))
    print(f"cpus available: {len(os.sched_getaffinity(0))}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    t0 = time.perf_counter()
    table = make_table(args.rows)
    print(f"generated {table.shape[0]} rows x {table.shape[1]} columns "
          f"in {time.perf_counter() - t0:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.csv"
        pacsv.write_csv(pa.Table.from_pandas(table.astype(str), preserve_index=False), path)
        print(f"CSV size {path.stat().st_size / 1e6:.0f} MB")

        t0 = time.perf_counter()
        text = read_table(path, as_text=True)
        t_read = time.perf_counter() - t0
        print(f"read_table(as_text=True): {t_read:.2f} s")

        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            result = detect_missing(text)
            times.append(time.perf_counter() - t0)
        print(f"detect_missing on the text frame: best {min(times):.2f} s "
              f"(runs: {', '.join(f'{t:.2f}' for t in times)}); "
              f"{len(result.findings)} findings, {int(result.mask.to_numpy().sum())} cells masked")
        for f in result.findings:
            print(f"   {f.column:<9} {f.value!r:<9} {f.kind:<20} {f.count:>7} conf={f.confidence}")
        t_rows, _ = time_row_passes(text)
        print(f"   of which the row-level passes (natural zeros, pairs, co-missingness): "
              f"{t_rows:.2f} s")

        typed = pd.read_csv(path)
        t0 = time.perf_counter()
        typed_result = detect_missing(typed)
        t_typed = time.perf_counter() - t0
        print(f"detect_missing on the typed frame (pandas.read_csv): {t_typed:.2f} s; "
              f"{len(typed_result.findings)} findings")

        t0 = time.perf_counter()
        advice = drop_advice(result.cleaned)
        t_advice = time.perf_counter() - t0
        print(f"drop_advice on the cleaned frame ({advice.tested_rows} sampled rows for the "
              f"tests): {t_advice:.2f} s")
        print(f"   {advice.recommendation}")
    genes = genotype_table(args.rows)
    t_rows, flagged = time_row_passes(genes)
    t0 = time.perf_counter()
    gene_result = detect_missing(genes)
    t_genes = time.perf_counter() - t0
    print(f"genotype table {genes.shape[0]} rows x {genes.shape[1]} columns: detect_missing "
          f"{t_genes:.2f} s, of which row-level passes {t_rows:.2f} s; "
          f"{len(gene_result.findings)} findings ({flagged} values >= 0.5 after the passes)")
    best = min(times)
    print(f"\nscan time {best:.2f} s for {args.rows} rows x 20 columns "
          f"(target <= 10 s): {'met' if best <= 10 else 'NOT met'}; "
          f"read + scan {t_read + best:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
