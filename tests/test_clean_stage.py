"""One cleaning stage for every path: revimpute.clean in memory, streamed and on Dask give
the same typed rows and the same files (tokens, --never, formatted numbers, every column
kind, several chunk sizes, detection on a sample); `revimpute clean` keeps every cell it
does not empty byte for byte; `impute --dry-run`; scan types columns as impute does."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from revimpute.cli import app
from revimpute.clean import clean, read_clean
from revimpute.io import read_table
from revimpute.scale import clean_file, impute_file, iter_table_chunks, scan_table

runner = CliRunner()
N = 240
TOKENS = ["--token", "n.d."]
NEVER = ["--never", "NULL"]


def write_dirty_csv(path: Path, n: int = N, seed: int = 0) -> Path:
    """Every column kind, each with the disguised values real files hold."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=n)
    cells = {
        "count": [str(v) for v in rng.integers(20, 90, n)],  # integers, -999 sentinels
        "x": [repr(round(float(v), 4)) for v in base * 3 + 10],  # floats, '?' tokens
        "pct": [f"{v:.1f}%" for v in rng.uniform(0, 60, n)],  # percentages, 's' markers
        "amount": [f"{v:,}" for v in rng.integers(1000, 90000, n)],  # thousands separators, '-'
        "flag": ["True" if v > 0 else "False" for v in base],  # booleans, 'n/a'
        "day": [str(pd.Timestamp("2020-01-01") + pd.Timedelta(days=int(v))) [:10]
                for v in rng.integers(0, 900, n)],  # dates, 0000-00-00
        "colour": [["red", "green", "blue", "NULL"][v] for v in rng.integers(0, 4, n)],  # NULL kept: --never
        "code": [f"{v:03d}" for v in rng.integers(100, 999, n)],  # the user's token 'n.d.'
    }
    plant = {"count": "-999", "x": "?", "pct": "s", "amount": "-", "flag": "n/a", "day": "0000-00-00",
             "code": "n.d."}
    for k, (column, token) in enumerate(plant.items()):
        rows = rng.choice(n, 9, replace=False)
        for i in rows:
            cells[column][i] = token
        cells[column][rng.choice(n, 4, replace=False)[0]] = ""  # and a plain gap
    cells["code"][n - 2] = "N.D."  # a spelling of the token seen in the last rows only

    def quote(cell: str) -> str:
        return f'"{cell}"' if "," in cell else cell

    lines = [",".join(cells)] + [",".join(quote(cells[c][i]) for c in cells) for i in range(n)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> Path:
    return write_dirty_csv(tmp_path_factory.mktemp("dirty") / "dirty.csv")


OPTIONS = {"tokens": ["n.d."], "never": ["NULL"]}


def test_the_stage_types_every_kind_and_applies_tokens_and_never(dirty):
    table = read_clean(dirty, **OPTIONS)
    kinds = {c.column: c.inferred for c in table.detection.columns}
    assert kinds == {"count": "integer", "x": "number", "pct": "number", "amount": "integer",
                     "flag": "boolean", "day": "datetime", "colour": "text", "code": "integer"}
    found = {(f.column, f.value): f.count for f in table.findings}
    for column, token in [("count", "-999"), ("x", "?"), ("pct", "s"), ("amount", "-"), ("flag", "n/a"),
                          ("day", "0000-00-00"), ("code", "n.d."), ("code", "N.D.")]:
        assert found.get((column, token), 0) >= 1, (column, token)
    assert not any(column == "colour" for column, _ in found)  # --never NULL
    assert (table.frame["colour"] == "NULL").sum() > 30
    assert table.frame["pct"].max() <= 60 and table.frame["amount"].min() >= 1000  # read through the format
    # the frame given to clean() as text is cleaned exactly as the file
    text = read_table(dirty, as_text=True)
    pd.testing.assert_frame_equal(clean(text, **OPTIONS).frame, table.frame, check_exact=True)


@pytest.mark.parametrize("chunk_rows", [2, 7, 64, 10_000])
def test_streamed_chunks_are_the_in_memory_frame(dirty, chunk_rows):
    whole = read_clean(dirty, **OPTIONS).frame
    chunks = list(iter_table_chunks(dirty, chunk_rows, **OPTIONS))
    for chunk in chunks:
        pd.testing.assert_series_equal(chunk.dtypes, whole.dtypes)
    pd.testing.assert_frame_equal(pd.concat(chunks), whole, check_exact=True)


@pytest.mark.parametrize("chunk_rows", [7, 1000])
def test_detection_on_a_sample_is_the_same_in_memory_and_streamed(dirty, chunk_rows):
    table = read_clean(dirty, sample_rows=60, **OPTIONS)
    assert table.plan.sampled and table.plan.sample_rows == 60
    assert any("sample of 60 of the 240 rows" in note for note in table.notes)
    chunks = list(iter_table_chunks(dirty, chunk_rows, sample_rows=60, **OPTIONS))
    pd.testing.assert_frame_equal(pd.concat(chunks), table.frame, check_exact=True)
    schema = scan_table(dirty, chunk_rows, sample_rows=60, **OPTIONS)
    assert schema.plan.findings == table.findings
    # counts are over the whole file, and the user's token is found in rows the detector never saw
    counts = {(f.column, f.value): f.count for f in table.findings}
    assert counts[("code", "n.d.")] == 9 and counts[("code", "N.D.")] == 1


def fit_model(path: Path, folder: Path) -> Path:
    result = runner.invoke(app, ["fit", str(path), "-m", str(folder), "-q", "--max-epochs", "3", *TOKENS, *NEVER])
    assert result.exit_code == 0, result.output
    return folder


@pytest.mark.slow
def test_cli_streaming_writes_the_in_memory_file_with_tokens(dirty, tmp_path):
    model = fit_model(dirty, tmp_path / "model")
    args = ["--model", str(model), "-q", *TOKENS, *NEVER]
    whole = tmp_path / "whole.csv"
    assert runner.invoke(app, ["impute", str(dirty), "-o", str(whole), *args]).exit_code == 0
    text = whole.read_text()
    assert "n.d." not in text and "N.D." not in text and "-999" not in text and "NULL" in text
    assert "%" in text and '"' in text  # observed formatted cells keep their text
    for chunk_rows in ("7", "500"):
        streamed = tmp_path / f"streamed{chunk_rows}.csv"
        result = runner.invoke(app, ["impute", str(dirty), "-o", str(streamed), "--chunk-rows", chunk_rows, *args])
        assert result.exit_code == 0, result.output
        assert streamed.read_bytes() == whole.read_bytes(), chunk_rows
    parquet_whole, parquet_streamed = tmp_path / "whole.parquet", tmp_path / "streamed.parquet"
    assert runner.invoke(app, ["impute", str(dirty), "-o", str(parquet_whole), *args]).exit_code == 0
    assert runner.invoke(app, ["impute", str(dirty), "-o", str(parquet_streamed), "--chunk-rows", "31",
                               *args]).exit_code == 0
    pd.testing.assert_frame_equal(read_table(parquet_streamed), read_table(parquet_whole), check_exact=True)


def test_streaming_applies_tokens_and_never_where_it_ignored_them(dirty, tmp_path):
    # a baseline fitted in each path on the same cleaned frame: the same file
    out_memory, out_stream = tmp_path / "memory.csv", tmp_path / "stream.csv"
    args = ["--method", "mean_mode", "-q", *TOKENS, *NEVER]
    assert runner.invoke(app, ["impute", str(dirty), "-o", str(out_memory), *args]).exit_code == 0
    result = runner.invoke(app, ["impute", str(dirty), "-o", str(out_stream), "--chunk-rows", "50", *args])
    assert result.exit_code == 0, result.output
    assert out_stream.read_bytes() == out_memory.read_bytes()
    written = read_table(out_stream, as_text=True)
    assert not written["code"].isin(["n.d.", "N.D."]).any()
    assert (written["colour"] == "NULL").sum() == (read_table(dirty, as_text=True)["colour"] == "NULL").sum()
    report = impute_file(dirty, tmp_path / "lib.csv", _mean_mode(), chunk_rows=50, progress=False,
                         tokens=["n.d."], never=["NULL"])
    assert ("code", "n.d.", 9) in [(f.column, f.value, f.count) for f in report.findings]


def _mean_mode():
    from revimpute import get_imputer

    return get_imputer("mean_mode")


@pytest.mark.slow
def test_dask_writes_the_in_memory_file_with_tokens(dirty, tmp_path):
    pytest.importorskip("distributed")
    from revimpute.scale import connect, impute_file_dask

    model = fit_model(dirty, tmp_path / "model")
    whole = tmp_path / "whole.csv"
    args = ["--model", str(model), "-q", *TOKENS, *NEVER]
    assert runner.invoke(app, ["impute", str(dirty), "-o", str(whole), *args]).exit_code == 0
    from revimpute import ReverseImputer

    client = connect("local:2")
    try:
        report = impute_file_dask(dirty, tmp_path / "dask.csv", ReverseImputer.load(model), client,
                                  blocksize=4_000, progress=False, **OPTIONS)
    finally:
        client.close()
    assert report.chunks >= 3
    assert (tmp_path / "dask.csv").read_bytes() == whole.read_bytes()


@pytest.mark.parametrize("chunk_rows", ["3", "100000"])
def test_clean_round_trip_keeps_every_other_cell_byte_for_byte(dirty, tmp_path, chunk_rows):
    semi = tmp_path / "semi.csv"  # the same table ;-separated, formatted numbers unquoted
    semi.write_text(read_table(dirty, as_text=True).to_csv(index=False, sep=";"))
    out = tmp_path / "clean.csv"
    result = runner.invoke(app, ["clean", str(semi), "-o", str(out), "--chunk-rows", chunk_rows, *TOKENS, *NEVER])
    assert result.exit_code == 0, result.output
    assert "cell(s) made empty" in result.stderr and "'n.d.'" in result.stderr
    before, after = read_table(semi, as_text=True), read_table(out, as_text=True)
    assert out.read_text().splitlines()[0] == "count;x;pct;amount;flag;day;colour;code"
    table = read_clean(semi, **OPTIONS)
    disguised = table.mask.to_numpy() & ~table.detection.native.to_numpy()
    assert disguised.sum() == sum(f.count for f in table.findings) > 60
    kept = before.to_numpy(dtype=object)[~disguised]
    assert (after.to_numpy(dtype=object)[~disguised] == kept).all()  # text byte for byte
    assert (after.to_numpy(dtype=object)[disguised] == "").all()
    # the cleaned file has nothing left to find, and reads as the cleaned table
    assert read_clean(out, **OPTIONS).findings == []
    pd.testing.assert_frame_equal(read_clean(out, **OPTIONS).frame, table.frame, check_exact=True)


def test_clean_to_parquet_and_from_parquet_keep_types(dirty, tmp_path):
    report = clean_file(dirty, tmp_path / "clean.parquet", chunk_rows=50, progress=False, **OPTIONS)
    assert report.blanked == sum(f.count for f in report.findings)
    pd.testing.assert_frame_equal(read_table(tmp_path / "clean.parquet"), read_clean(dirty, **OPTIONS).frame,
                                  check_exact=True)
    typed = pd.DataFrame({"n": np.r_[np.arange(1, 41), [-999] * 6], "t": ["a", "b"] * 23})
    typed.to_parquet(tmp_path / "typed.parquet")
    table = read_clean(tmp_path / "typed.parquet")
    assert [(f.column, f.value, f.count) for f in table.findings] == [("n", "-999", 6)]
    assert table.frame["n"].dtype == pd.Int64Dtype() and table.frame["n"].isna().sum() == 6
    clean_file(tmp_path / "typed.parquet", tmp_path / "typed_clean.parquet", chunk_rows=7, progress=False)
    pd.testing.assert_frame_equal(read_table(tmp_path / "typed_clean.parquet"), table.frame, check_exact=True)


@pytest.mark.parametrize("stream", [False, True])
def test_dry_run_prints_the_findings_and_imputes_nothing(dirty, tmp_path, stream):
    out = tmp_path / "out.csv"
    args = ["impute", str(dirty), "-o", str(out), "--dry-run", *TOKENS, *NEVER]
    result = runner.invoke(app, args + (["--chunk-rows", "17"] if stream else []))
    assert result.exit_code == 0, result.output
    assert not out.exists() and list(tmp_path.iterdir()) == []
    table = read_clean(dirty, **OPTIONS)
    assert f"{len(table.findings)} disguised missing value(s)" in result.stdout
    for f in table.findings:
        assert f"'{f.value}'" in result.stdout
    row = next(line for line in result.stdout.splitlines() if "'-999'" in line)
    assert "count" in row and str(table.findings[0].count) in row


def test_impute_prints_every_finding_it_applies(dirty, tmp_path):
    result = runner.invoke(app, ["impute", str(dirty), "-o", str(tmp_path / "o.csv"), "--method", "mean_mode",
                                 *TOKENS, *NEVER])
    assert result.exit_code == 0, result.output
    for f in read_clean(dirty, **OPTIONS).findings:
        assert f"'{f.value}'" in result.stderr
    assert "''" not in result.stderr  # plain empty cells are gaps, not disguised values


def test_scan_types_columns_as_impute_does(tmp_path):
    path = tmp_path / "kinds.csv"
    path.write_text("day,n,x,ok,name\n2024-01-01,3,1.5,true,a\n2024-01-02,,2.5,false,b\n"
                    "2024-01-03,5,,true,c\n2024-01-04,6,3.0,,d\n")
    doc = json.loads(runner.invoke(app, ["scan", str(path), "--json"]).stdout)
    types = {c["column"]: (c["inferred"], c["cleaned_dtype"]) for c in doc["columns"]}
    assert types == {"day": ("datetime", "datetime64[us]"), "n": ("integer", "Int64"),
                     "x": ("number", "float64"), "ok": ("boolean", "boolean"), "name": ("text", "str")}
    frame = read_clean(path).frame
    assert {c: str(frame[c].dtype) for c in frame} == {c: t[1] for c, t in types.items()}


def test_all_columns_at_once_equals_column_by_column(dirty):
    from revimpute.clean._convert import convert_column, convert_table
    from revimpute.clean._types import column_stats, decide, table_stats

    text = read_table(dirty, as_text=True)
    text["late"] = ["1.5"] * (N - 1) + ["x"]  # a column that is text only in its last cell
    text["blank"] = ""
    table = clean(text, **OPTIONS)
    rules = table.plan.rules
    missing, _ = rules.check(text)
    together = table_stats(text, missing, rules.formats)
    alone = [column_stats(text.iloc[:, j], missing[:, j], rules.format_of(j)) for j in range(text.shape[1])]
    assert [decide(s) for s in together] == [decide(s) for s in alone] == table.plan.types
    for a, b in zip(together, alone):
        assert (a.observed, a.missing, a.numbers, a.integers, a.inexact, a.padded, a.booleans) == \
            (b.observed, b.missing, b.numbers, b.integers, b.inexact, b.padded, b.booleans)
    frame = convert_table(text, missing, table.plan.types, rules.formats)
    for j, ctype in enumerate(table.plan.types):
        pd.testing.assert_series_equal(
            frame.iloc[:, j], convert_column(text.iloc[:, j], missing[:, j], ctype, rules.format_of(j)),
            check_exact=True)


def test_a_wide_file_of_one_row_is_answered(tmp_path):
    import time

    rng = np.random.default_rng(0)
    p = 20_000
    path = tmp_path / "wide.csv"
    values = [f"{v:.3f}" for v in rng.normal(size=p)]
    values[5] = "NULL"
    path.write_text(",".join(f"c{i}" for i in range(p)) + "\n" + ",".join(values) + "\n")
    begin = time.perf_counter()
    result = runner.invoke(app, ["scan", str(path)])
    seconds = time.perf_counter() - begin
    assert result.exit_code == 0, result.output
    assert "200 of 20000 columns" in result.stdout and "'NULL'" in result.stdout
    assert seconds < 90  # > 300 s for 200,000 columns at 2de601a; see docs/cleaning.md


def test_imputed_values_of_a_formatted_column_use_its_formats_writer(dirty):
    from revimpute.io import keep_written_text

    table = read_clean(dirty, **OPTIONS)
    pct = list(table.frame.columns).index("pct")
    assert table.plan.rules.formats[pct].percent

    class Percent:  # a format that can write a value (NumberFormat.write where it exists)
        percent = True

        def write(self, value):
            return f"{value:.1f}%"

    table.plan.rules.formats[pct] = Percent()
    writers = table.plan.value_writers(list(table.frame.columns))
    # every formatted number column gets its format's writer (NumberFormat.write), the patched one too
    assert pct in writers and set(writers) == set(table.plan.rules.formats)
    assert writers[pct] == table.plan.rules.formats[pct].write
    filled = table.frame.copy()
    filled["pct"] = filled["pct"].fillna(12.25)
    written = keep_written_text(filled, table.frame, table.text, writers)
    gaps = table.frame["pct"].isna().to_numpy()
    assert (written["pct"][gaps] == "12.2%").all()
    assert written["pct"][~gaps].equals(table.text["pct"][~gaps])
