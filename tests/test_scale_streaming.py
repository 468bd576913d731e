"""Streaming imputation of files: chunked reading with fixed column types
(those the in-memory path gives: revimpute.clean.read_clean),
reservoir sampling, and impute_file (bitwise equal to the in-memory path,
atomic output, the same CSV text)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats
from sklearn.base import BaseEstimator

from revimpute import ReverseImputer
from revimpute.exceptions import InputDataError, RevimputeError
from revimpute.clean import read_clean
from revimpute.io import keep_written_text, read_table, write_table
from revimpute.scale import (
    StreamReport,
    impute_file,
    iter_table_chunks,
    reservoir_sample,
    scan_table,
)

N_ROWS = 600


def small_imputer(**params) -> ReverseImputer:
    return ReverseImputer(hidden_sizes=(32,), latent_size=4, max_epochs=5, reverse_steps=10, **params)


def in_memory(path: Path, detect: str = "auto") -> pd.DataFrame:
    """The table as the in-memory path (``revimpute impute`` without --chunk-rows) reads
    it: CSV columns typed from their text, Parquet as stored, cleaned by the detector."""
    return read_clean(path, detect).frame


def make_table(n: int = N_ROWS, seed: int = 0) -> pd.DataFrame:
    """Int and float columns with gaps; one int column has gaps only in its last rows,
    so a chunk reader that decided types per chunk would flip it int64 -> float64."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "count": rng.integers(0, 50, n),
        "late_gaps": rng.integers(-5, 5, n).astype(float),
        "x": rng.normal(size=n),
        "y": rng.normal(size=n) * 3 + 1,
    })
    frame["y"] += frame["x"]
    frame.loc[rng.random(n) < 0.2, "x"] = np.nan
    frame.loc[rng.random(n) < 0.15, "y"] = np.nan
    late = np.arange(n) >= int(0.8 * n)
    frame.loc[late & (rng.random(n) < 0.3), "late_gaps"] = np.nan
    return frame


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("tables")
    frame = make_table()
    paths = {"csv": folder / "table.csv", "parquet": folder / "table.parquet",
             "tsv": folder / "table.tsv"}
    as_ints = frame.astype({"late_gaps": "Int64"})  # written as "3" and "", not "3.0"
    as_ints.to_csv(paths["csv"], index=False)
    as_ints.to_csv(paths["tsv"], index=False, sep="\t")
    # Parquet as an external tool writes it: plain int64 with nulls, several row groups
    table = pa.table({
        "count": pa.array(frame["count"].to_numpy()),
        "late_gaps": pa.array(frame["late_gaps"].astype("Int64").to_numpy(na_value=None),
                              type=pa.int64()),
        "x": pa.array(frame["x"].to_numpy()),
        "y": pa.array(frame["y"].to_numpy()),
    })
    pq.write_table(table, paths["parquet"], row_group_size=150)
    return paths


@pytest.fixture(scope="module")
def fitted(files) -> ReverseImputer:
    return small_imputer().fit(in_memory(files["csv"]))


# --- chunked reading -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "tsv", "parquet"])
@pytest.mark.parametrize("chunk_rows", [7, 100, 1000])
def test_chunks_have_whole_file_types_and_concat_to_the_in_memory_table(files, kind, chunk_rows):
    whole = in_memory(files[kind])
    # an int column with gaps is Int64: typed from its text for CSV (pandas alone reads
    # it as float64), Parquet stores it as an integer
    assert read_table(files["csv"])["late_gaps"].dtype == np.float64
    assert whole["late_gaps"].dtype == pd.Int64Dtype() and whole["count"].dtype == np.int64
    first = pd.read_csv(files["csv"], nrows=100)  # what the first block alone would say
    assert first["late_gaps"].dtype == np.int64
    chunks = list(iter_table_chunks(files[kind], chunk_rows))
    assert len(chunks) == -(-N_ROWS // chunk_rows)
    assert all(len(c) <= chunk_rows for c in chunks)
    for chunk in chunks:  # the first chunks have no gap in late_gaps, yet are Int64
        pd.testing.assert_series_equal(chunk.dtypes, whole.dtypes)
    pd.testing.assert_frame_equal(pd.concat(chunks), whole, check_exact=True)


def test_csv_types_are_decided_from_the_text_of_the_whole_file(tmp_path):
    n = 50
    frame = pd.DataFrame({
        "ints": np.arange(n),
        "late_float": [1] * 40 + [2.5] * 10,
        "empty": [np.nan] * n,
        "flag": [True, False] * 25,
        "flag_gaps": [True] * 45 + [None] * 5,
        "late_text": ["1"] * 45 + ["a"] * 5,
        "huge": [2**63 + 5] * n,
    })
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    whole = in_memory(path, "off")  # (the detector would call the five "a" placeholders)
    # "1.0" is written with a decimal point: float; True/False with gaps: boolean (pandas
    # alone gives object); a number too large for a float to hold exactly stays text (an
    # identifier), as the detector decides (pandas alone gives uint64)
    assert dict(whole.dtypes) == {
        "ints": np.dtype(np.int64), "late_float": np.dtype(np.float64), "empty": np.dtype(np.float64),
        "flag": np.dtype(bool), "flag_gaps": pd.BooleanDtype(), "late_text": pd.Series(["a"]).dtype,
        "huge": pd.Series(["a"]).dtype,
    }
    assert whole["huge"].iloc[0] == str(2**63 + 5)  # every digit kept
    chunks = list(iter_table_chunks(path, 10, detect="off"))
    for chunk in chunks:  # the first chunks alone would say int, bool, int
        pd.testing.assert_series_equal(chunk.dtypes, whole.dtypes)
    pd.testing.assert_frame_equal(pd.concat(chunks), whole, check_exact=True)
    kinds = [t.kind for t in scan_table(path, 10, detect="off").plan.types]
    assert kinds == ["integer", "number", "empty", "boolean", "boolean", "text", "text"]


def test_parquet_stored_index_and_range_start_are_kept(tmp_path):
    frame = make_table(90)
    named = frame.set_index(pd.Index(np.arange(90) * 3 + 1000, name="id"))
    named.to_parquet(tmp_path / "named.parquet", row_group_size=20)
    shifted = frame.iloc[30:]  # RangeIndex(30, 90) stored as metadata only
    shifted.to_parquet(tmp_path / "shifted.parquet")
    for name in ("named.parquet", "shifted.parquet"):
        chunks = list(iter_table_chunks(tmp_path / name, 16))
        pd.testing.assert_frame_equal(pd.concat(chunks), read_table(tmp_path / name), check_exact=True)


def test_gzip_csv_is_streamed(tmp_path):
    frame = make_table(120)
    path = tmp_path / "t.csv.gz"
    frame.to_csv(path, index=False)  # pandas compresses by extension
    chunks = list(iter_table_chunks(path, 25))
    assert len(chunks) == 5
    pd.testing.assert_frame_equal(pd.concat(chunks), pd.read_csv(path), check_exact=True)


@pytest.mark.parametrize(
    "content, message",
    [(b"", "empty"), (b"a,b\n", "header only"), (b"a,b\n1,2\n3,4,5\n", "ragged"),
     (b"a,b\n\x00\x01,2\n", "binary"), (b"a,b\n\xc3\xa9,1\n\xff\xfe,1\n", "mixes encodings: byte 9 ")],
)
def test_bad_csv_files_give_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InputDataError, match=message):
        list(iter_table_chunks(path, 10))


def test_bad_parameters_and_paths(tmp_path, files, fitted):
    with pytest.raises(RevimputeError, match="chunk_rows"):
        list(iter_table_chunks(files["csv"], 0))
    with pytest.raises(InputDataError, match="no such file"):
        list(iter_table_chunks(tmp_path / "missing.csv", 10))
    with pytest.raises(InputDataError, match="unknown file type"):
        impute_file(files["csv"], tmp_path / "out.xlsx", fitted, progress=False)
    with pytest.raises(RevimputeError, match="n_rows"):
        reservoir_sample(files["csv"], -3)
    with pytest.raises(InputDataError, match="not a readable Parquet"):
        (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
        list(iter_table_chunks(tmp_path / "bad.parquet", 10))


# --- reservoir sampling ----------------------------------------------------------------


@pytest.fixture(scope="module")
def numbered(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("res") / "numbered.parquet"
    pd.DataFrame({"row": np.arange(20_000), "v": np.arange(20_000) * 0.5}).to_parquet(path)
    return path


def test_reservoir_sample_is_deterministic_and_independent_of_chunking(numbered):
    first = reservoir_sample(numbered, 2000, random_state=0, chunk_rows=1000)
    again = reservoir_sample(numbered, 2000, random_state=0, chunk_rows=1000)
    other_chunks = reservoir_sample(numbered, 2000, random_state=0, chunk_rows=777)
    other_seed = reservoir_sample(numbered, 2000, random_state=1, chunk_rows=1000)
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(first, other_chunks)
    assert len(first) == 2000 and first.index.is_unique and first.index.is_monotonic_increasing
    assert len(np.intersect1d(first["row"], other_seed["row"])) < 1000  # ~200 expected
    # the sampled rows are the file's rows, with their row numbers as index
    np.testing.assert_array_equal(first.index.to_numpy(), first["row"].to_numpy())
    np.testing.assert_array_equal(first["v"].to_numpy(), first["row"].to_numpy() * 0.5)


def test_reservoir_sample_is_uniform(numbered, tmp_path):
    sample = reservoir_sample(numbered, 2000, random_state=0, chunk_rows=1500)
    # positions spread evenly over the file: 20 bins of 1000 rows, ~100 sampled in each
    counts = np.bincount(sample["row"].to_numpy() // 1000, minlength=20)
    assert stats.chisquare(counts).pvalue > 1e-3
    assert stats.kstest(sample["row"].to_numpy() / 20_000, "uniform").pvalue > 1e-3
    # every row has the same inclusion probability k/n: 400 seeds, k=10 of n=40
    path = tmp_path / "forty.parquet"
    pd.DataFrame({"row": np.arange(40)}).to_parquet(path)
    schema = scan_table(path)
    hits = np.zeros(40, dtype=int)
    for seed in range(400):
        rows = reservoir_sample(path, 10, random_state=seed, chunk_rows=7, schema=schema)["row"]
        hits[rows.to_numpy()] += 1
    assert hits.sum() == 4000
    assert stats.chisquare(hits).pvalue > 1e-3  # expected 100 each
    assert hits[:10].sum() < 1300 and hits[-10:].sum() > 700  # no bias to early / late rows


def test_reservoir_sample_larger_than_file_returns_everything(files):
    sample = reservoir_sample(files["csv"], 10 * N_ROWS, random_state=3)
    pd.testing.assert_frame_equal(sample, in_memory(files["csv"]))


# --- impute_file ----------------------------------------------------------------------


def assert_written(path: Path, expected: pd.DataFrame) -> None:
    """``path`` holds exactly ``expected``: a Parquet file as a bitwise-equal frame,
    a CSV/TSV file byte for byte as pandas writes the whole frame (the bytes, not a
    re-read: before pandas 3.1, read_csv does not parse every float back exactly)."""
    name = path.name.lower()
    if name.endswith(".parquet"):
        pd.testing.assert_frame_equal(read_table(path), expected, check_exact=True)
        return
    sep = "\t" if name.endswith(".tsv") else ","
    text = expected.to_csv(index=False, sep=sep).encode()
    data = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
    assert data == text


@pytest.mark.parametrize("kind_in", ["csv", "parquet"])
@pytest.mark.parametrize("suffix_out", [".csv", ".parquet"])
@pytest.mark.parametrize("chunk_rows", [pytest.param(13, marks=pytest.mark.slow), 128, 5000])
def test_streamed_output_equals_in_memory_transform(
    tmp_path, files, fitted, kind_in, suffix_out, chunk_rows
):
    out = tmp_path / f"out{suffix_out}"
    report = impute_file(files[kind_in], out, fitted, chunk_rows=chunk_rows, progress=False)
    assert isinstance(report, StreamReport)
    assert (report.rows, report.chunks) == (N_ROWS, -(-N_ROWS // chunk_rows))
    assert report.fitted_on == "already fitted" and report.rows_per_second > 0
    expected = fitted.transform(in_memory(files[kind_in]))
    assert not expected.isna().any().any()
    assert_written(out, expected)
    if suffix_out == ".csv":  # also what write_table writes for the whole frame
        write_table(expected, tmp_path / "whole.csv")
        assert out.read_bytes() == (tmp_path / "whole.csv").read_bytes()
        # the integer column with gaps is written as integers: "3", not "3.0"
        assert not read_table(out, as_text=True)["late_gaps"].str.contains(".", regex=False).any()
    got = read_table(out)
    # an integer column with gaps stays integer, CSV or Parquet input, and its imputed
    # cells are whole numbers
    assert got["count"].dtype == np.int64
    assert pd.api.types.is_integer_dtype(got["late_gaps"].dtype)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        {out.name} | ({"whole.csv"} if suffix_out == ".csv" else set())
    )


def test_tsv_and_gzip_outputs(tmp_path, files, fitted):
    impute_file(files["tsv"], tmp_path / "out.tsv", fitted, chunk_rows=50, progress=False)
    assert_written(tmp_path / "out.tsv", fitted.transform(in_memory(files["tsv"])))
    impute_file(files["csv"], tmp_path / "out.csv.gz", fitted, chunk_rows=50, progress=False)
    assert (tmp_path / "out.csv.gz").read_bytes()[:2] == b"\x1f\x8b"  # really gzip
    assert_written(tmp_path / "out.csv.gz", fitted.transform(in_memory(files["csv"])))


def test_unfitted_imputer_is_fitted_on_all_rows(tmp_path, files):
    imputer = small_imputer()
    report = impute_file(files["csv"], tmp_path / "o.csv", imputer, chunk_rows=100,
                         fit_sample_rows=N_ROWS, progress=False)
    assert report.fitted_on == "all rows" and report.fit_rows == N_ROWS
    whole = in_memory(files["csv"])
    reference = small_imputer().fit_transform(whole)  # same data, same seed: same model
    assert_written(tmp_path / "o.csv", reference)


def test_unfitted_imputer_is_fitted_on_a_reservoir_sample(tmp_path, files):
    imputer = small_imputer()
    report = impute_file(files["parquet"], tmp_path / "o.parquet", imputer, chunk_rows=64,
                         fit_sample_rows=250, random_state=5, progress=False)
    assert report.fitted_on == "sample of 250 rows" and report.fit_rows == 250
    sample = reservoir_sample(files["parquet"], 250, random_state=5)
    reference = small_imputer().fit(sample)
    np.testing.assert_array_equal(imputer.scaler_.center_, reference.scaler_.center_)
    assert_written(tmp_path / "o.parquet", imputer.transform(read_table(files["parquet"])))


class CountingImputer(BaseEstimator):
    """A fitted imputer that counts transform calls and can fail at a given call."""

    def __init__(self, inner, fail_at: int | None = None) -> None:
        self.inner = inner
        self.fail_at = fail_at
        self.calls = 0

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def fit(self, X, y=None):
        self.inner.fit(X)
        return self

    def transform(self, X):
        self.calls += 1
        if self.fail_at is not None and self.calls == self.fail_at:
            raise RuntimeError("worker died")
        return self.inner.transform(X)


def test_failure_midway_removes_temp_and_keeps_target(tmp_path, files, fitted):
    target = tmp_path / "out.csv"
    target.write_bytes(b"previous result\n")
    counting = CountingImputer(fitted, fail_at=5)
    with pytest.raises(RuntimeError, match="worker died"):
        impute_file(files["csv"], target, counting, chunk_rows=100, progress=False)
    assert counting.calls == 5  # four chunks were imputed and written before the failure
    assert target.read_bytes() == b"previous result\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_text_in_a_numeric_column_is_found_or_refused_by_name(tmp_path, files, fitted):
    frame = read_table(files["csv"]).astype({"x": object})
    frame.loc[450, "x"] = "oops"  # text in a numeric column, in the 5th chunk of 100
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False)
    target = tmp_path / "out.csv"
    # the detector calls it a placeholder: imputed like a gap
    report = impute_file(bad, target, fitted, chunk_rows=100, progress=False)
    assert [(f.column, f.value, f.count) for f in report.findings] == [("x", "oops", 1)]
    assert read_table(target)["x"].notna().all()
    # without detection the model meets the text in the fifth chunk and refuses it by name
    target.write_bytes(b"previous result\n")
    counting = CountingImputer(fitted)
    with pytest.raises(InputDataError, match=r"'x'.*'oops'.*row 450"):
        impute_file(bad, target, counting, chunk_rows=100, progress=False, detect="off")
    assert counting.calls == 5
    assert target.read_bytes() == b"previous result\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "out.csv"]


def test_failure_midway_in_parquet_output(tmp_path, files, fitted):
    target = tmp_path / "out.parquet"
    counting = CountingImputer(fitted, fail_at=3)
    with pytest.raises(RuntimeError, match="worker died"):
        impute_file(files["parquet"], target, counting, chunk_rows=100, progress=False)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_progress_bar_goes_to_stderr(tmp_path, files, fitted, capsys):
    impute_file(files["csv"], tmp_path / "o.csv", fitted, chunk_rows=200, progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "rows" in captured.err and "600/600" in captured.err


# --- column kinds: the same types and text as the in-memory path ----------------------

KINDS_ROWS = 90
KIND_DTYPES = {
    "ints": pd.Int64Dtype(),  # whole numbers with gaps
    "dec": np.dtype(np.float64),  # whole numbers, one written "3.0" (in the last rows)
    "flag": pd.BooleanDtype(),  # True/False with gaps
    "flag_text": pd.BooleanDtype(),  # " true"/"FALSE " text with gaps
    "day": np.dtype("M8[us]"),  # ISO dates with gaps
    "stamp": np.dtype("M8[us]"),  # date-times: milliseconds only in the last rows
    "x": np.dtype(np.float64),
    "colour": pd.Series(["a"]).dtype,  # text
    "n": np.dtype(np.int64),  # whole numbers, no gap
}


def write_kinds_csv(path: Path, n: int = KINDS_ROWS, seed: int = 0) -> Path:
    """One column of each kind, written as a user's file would be (text we choose)."""
    rng = np.random.default_rng(seed)
    gap = lambda share: rng.random(n) < share  # noqa: E731
    ints = rng.integers(0, 40, n)
    x = rng.normal(size=n) + ints / 10
    cells = {
        "ints": [str(v) for v in ints],
        "dec": [str(v) for v in rng.integers(0, 9, n)],
        "flag": ["True" if v else "False" for v in ints % 2 == 0],
        "flag_text": [" true" if v else "FALSE " for v in ints % 3 == 0],
        "day": [str(pd.Timestamp("2021-01-01") + pd.Timedelta(days=int(v))) [:10] for v in ints],
        "stamp": [str(pd.Timestamp("2021-01-01 08:00") + pd.Timedelta(seconds=int(v) * 97)) for v in ints],
        "x": [repr(float(v)) for v in x],
        "colour": [["red", "green", "blue"][v % 3] for v in ints],
        "n": [str(v) for v in rng.integers(-5, 5, n)],
    }
    cells["dec"][n - 4] = "3.0"
    cells["stamp"][n - 3] = "2021-01-02 10:00:00.250"
    for name, share in [("ints", 0.2), ("dec", 0.15), ("flag", 0.15), ("flag_text", 0.15),
                        ("day", 0.15), ("stamp", 0.15), ("x", 0.2), ("colour", 0.15)]:
        for i in np.flatnonzero(gap(share)):
            if (name, i) not in {("dec", n - 4), ("stamp", n - 3)}:
                cells[name][i] = ""
    lines = [",".join(cells)] + [",".join(cells[c][i] for c in cells) for i in range(n)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def kinds(tmp_path_factory) -> tuple[Path, ReverseImputer]:
    path = write_kinds_csv(tmp_path_factory.mktemp("kinds") / "kinds.csv")
    return path, small_imputer().fit(in_memory(path))


@pytest.mark.parametrize("chunk_rows", [1, 7, 1000])
def test_csv_column_kinds_are_typed_as_in_memory(kinds, chunk_rows):
    path, _ = kinds
    whole = in_memory(path)
    assert dict(whole.dtypes) == KIND_DTYPES
    chunks = list(iter_table_chunks(path, chunk_rows))
    for chunk in chunks:  # a chunk with no gap, or no decimal, has the whole file's types
        assert dict(chunk.dtypes) == KIND_DTYPES
    pd.testing.assert_frame_equal(pd.concat(chunks), whole, check_exact=True)


@pytest.mark.parametrize("chunk_rows", [pytest.param(7, marks=pytest.mark.slow), 1000])
def test_streamed_column_kinds_are_written_as_in_memory(tmp_path, kinds, chunk_rows):
    path, model = kinds
    source = in_memory(path)
    expected = model.transform(source)
    assert dict(expected.dtypes) == KIND_DTYPES and not expected.isna().any().any()
    written = read_table(path, as_text=True)
    for suffix in (".csv", ".parquet"):
        impute_file(path, tmp_path / f"streamed{suffix}", model, chunk_rows=chunk_rows, progress=False)
        # a CSV output keeps the text of the cells that were not imputed
        whole = keep_written_text(expected, source, written) if suffix == ".csv" else expected
        write_table(whole, tmp_path / f"whole{suffix}")
    pd.testing.assert_frame_equal(read_table(tmp_path / "streamed.parquet"), read_table(tmp_path / "whole.parquet"),
                                  check_exact=True)
    assert (tmp_path / "streamed.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    text = read_table(tmp_path / "streamed.csv", as_text=True)
    observed = source.notna().to_numpy()
    for j, name in enumerate(source.columns):  # observed cells: the input's text, byte for byte
        assert text[name][observed[:, j]].equals(written[name][observed[:, j]])
    assert not text["ints"][source["ints"].isna()].str.contains(".", regex=False).any()  # "3", not "3.0"
    assert set(text["flag_text"][source["flag_text"].isna()]) <= {"True", "False"}
    assert text["day"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    # imputed date-times: whole seconds (a midnight as the date alone)
    assert text["stamp"][source["stamp"].isna()].str.fullmatch(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?").all()
    # imputed Int64 cells are whole numbers in the observed range; observed cells are
    # the input's, bit for bit (Parquet keeps every type)
    got = read_table(tmp_path / "streamed.parquet")
    assert dict(got.dtypes) == KIND_DTYPES
    assert got["ints"].between(source["ints"].min(), source["ints"].max()).all()
    for name in source.columns:
        seen = source[name].notna().to_numpy()
        pd.testing.assert_series_equal(got[name][seen], source[name][seen], check_dtype=False,
                                       check_exact=True)
        assert got[name][seen].astype(object).map(type).equals(
            source[name][seen].astype(object).map(type))


@pytest.mark.parametrize("detect", ["off", "auto"])
def test_cli_streaming_writes_the_in_memory_file_for_each_column_kind(tmp_path, kinds, detect):
    from typer.testing import CliRunner

    from revimpute.cli import app

    path, model = kinds
    model.save(tmp_path / "model")
    args = ["--model", str(tmp_path / "model"), "-q", "--detect", detect]
    runner = CliRunner()
    whole, streamed = tmp_path / "whole.csv", tmp_path / "streamed.csv"
    assert runner.invoke(app, ["impute", str(path), "-o", str(whole), *args]).exit_code == 0
    result = runner.invoke(app, ["impute", str(path), "-o", str(streamed), "--chunk-rows", "11", *args])
    assert result.exit_code == 0, result.output
    assert streamed.read_bytes() == whole.read_bytes()


def test_int_column_with_a_value_written_with_a_decimal_point_stays_float(tmp_path, kinds):
    _, model = kinds
    path = tmp_path / "dec.csv"
    # the first 30 rows alone would be int64 (no gap, no decimal point), the next 30
    # Int64 (whole numbers with gaps); "3.0" in the last row makes the column float
    values = [str(v % 7) for v in range(60)] + ["", "4"] * 9 + ["3.0"]
    for i in range(30, 60, 4):
        values[i] = ""
    path.write_text("v,w\n" + "".join(f"{v},{i}\n" for i, v in enumerate(values)))
    whole = in_memory(path)
    assert whole["v"].dtype == np.float64
    for chunk in iter_table_chunks(path, 30):
        assert chunk["v"].dtype == np.float64 and chunk["w"].dtype == np.int64
    imputer = ReverseImputer(hidden_sizes=(8,), latent_size=2, max_epochs=2, reverse_steps=5)
    imputer.fit(whole)
    impute_file(path, tmp_path / "out.csv", imputer, chunk_rows=30, progress=False)
    write_table(keep_written_text(imputer.transform(whole), whole, read_table(path, as_text=True)),
                tmp_path / "whole.csv")
    assert (tmp_path / "out.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    written = read_table(tmp_path / "out.csv", as_text=True)["v"]
    assert written[whole["v"].isna()].str.contains(".", regex=False).all()  # imputed floats: "4.0"
    assert written[whole["v"].notna()].tolist() == [v for v in values if v]  # observed: as written


@pytest.mark.parametrize("tz", [None, "UTC"])
def test_datetime_layout_of_later_chunks_is_the_whole_files(tmp_path, tz):
    # Parquet input: early rows at midnight, a later one with milliseconds. pandas writes
    # the whole column with ".000" fractions; chunk by chunk the writer has to notice and
    # write the file again
    n = 80
    stamps = pd.Series(pd.Timestamp("2022-03-01") + pd.to_timedelta(np.arange(n) % 17, unit="D"))
    stamps[70] += pd.Timedelta(milliseconds=5)
    stamps[[3, 25, 50]] = pd.NaT
    if tz is not None:
        stamps = stamps.dt.tz_localize(tz)
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"t": stamps, "a": rng.normal(size=n), "b": rng.normal(size=n)})
    frame.loc[rng.random(n) < 0.2, "a"] = np.nan
    frame.to_parquet(tmp_path / "in.parquet")
    imputer = ReverseImputer(hidden_sizes=(8,), latent_size=2, max_epochs=2, reverse_steps=5).fit(frame)
    counting = CountingImputer(imputer)
    report = impute_file(tmp_path / "in.parquet", tmp_path / "out.csv", counting, chunk_rows=20,
                         progress=False)
    assert report.chunks == 4 and counting.calls == 8  # written twice
    expected = imputer.transform(frame)
    assert_written(tmp_path / "out.csv", expected)
    assert read_table(tmp_path / "out.csv", as_text=True)["t"].str.contains(r"\.\d{3}").all()
    # the same rows with the fraction in the first chunk: written once
    first = frame.iloc[::-1].reset_index(drop=True)
    first.to_parquet(tmp_path / "first.parquet")
    counting = CountingImputer(imputer)
    impute_file(tmp_path / "first.parquet", tmp_path / "first.csv", counting, chunk_rows=20,
                progress=False)
    assert counting.calls == 4
    assert_written(tmp_path / "first.csv", imputer.transform(first))


@pytest.mark.parametrize("stream", [False, True])
def test_duration_column_is_refused_by_name_in_memory_and_streamed(tmp_path, stream):
    from typer.testing import CliRunner

    from revimpute.cli import app

    frame = pd.DataFrame({"x": np.arange(40.0), "wait": pd.to_timedelta(np.arange(40), unit="min")})
    frame.loc[[3, 7], "x"] = np.nan
    frame.loc[5, "wait"] = pd.NaT
    frame.to_parquet(tmp_path / "in.parquet")
    out = tmp_path / "out.csv"
    args = ["impute", str(tmp_path / "in.parquet"), "-o", str(out), "-q", "--seed", "0"]
    result = CliRunner().invoke(app, [*args, *(["--chunk-rows", "10"] if stream else [])])
    assert result.exit_code == 2, result.output
    assert "'wait'" in result.output and "timedelta64" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]
