"""A wide CSV file read as text by the csv module gives exactly what pandas' reader gives:
the same cells (every character), labels, index and dtypes; any file it is not sure of is
left to pandas."""

from __future__ import annotations

import csv
import gzip
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import revimpute.io.csv_files as rio
from revimpute.dialect import CsvDialect, csv_dialect
from revimpute.io import csv_options, read_table

ALPHABET = ['a', 'b', '1', '0', '.', '-', ' ', ',', ';', '\t', '"', '\n', '\r', 'é', '€', 'x']


def pandas_text(path, dialect) -> pd.DataFrame:
    return pd.read_csv(path, **csv_options(dialect))


def same_frame(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert a.shape == b.shape
    assert a.columns.equals(b.columns) and a.columns.dtype == b.columns.dtype
    assert a.index.equals(b.index) and type(a.index) is type(b.index)
    assert list(a.dtypes) == list(b.dtypes)
    assert a.to_numpy().tolist() == b.to_numpy().tolist()
    assert [type(v) for v in a.to_numpy().ravel()] == [type(v) for v in b.to_numpy().ravel()]


@pytest.fixture
def narrow_is_wide(monkeypatch):
    monkeypatch.setattr(rio, "WIDE_FIELDS", 1)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.lists(st.text(alphabet=ALPHABET, max_size=6), min_size=3, max_size=3),
                      min_size=1, max_size=5),
       sep=st.sampled_from([",", ";", "\t", "|"]), terminator=st.sampled_from(["\n", "\r\n"]),
       quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]), blank_end=st.booleans())
def test_written_tables_read_the_same(tmp_path, narrow_is_wide, cells, sep, terminator, quoting, blank_end):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator=terminator, quoting=quoting)
    writer.writerow(["h1", "h 2", "h3"])
    writer.writerows(cells)
    text = buffer.getvalue() + (terminator if blank_end else "")
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode("utf-8"))
    dialect = CsvDialect("utf-8", sep)
    fast = rio._read_wide_text(path, dialect)
    if fast is not None:
        same_frame(fast, pandas_text(path, dialect))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.text(alphabet=ALPHABET, max_size=40))
def test_any_text_is_read_the_same_or_left_to_pandas(tmp_path, narrow_is_wide, body):
    path = tmp_path / "t.csv"
    path.write_bytes(("a,b,c\n" + body).encode("utf-8"))
    dialect = CsvDialect("utf-8", ",")
    fast = rio._read_wide_text(path, dialect)
    if fast is not None:
        same_frame(fast, pandas_text(path, dialect))


def test_a_wide_file_is_read_by_the_csv_module_and_matches_pandas(tmp_path):
    r = np.random.default_rng(0)
    n_cols = rio.WIDE_FIELDS + 5
    rows = [[f"{v:.3f}" for v in r.normal(size=n_cols)] for _ in range(4)]
    rows[1][3], rows[2][7], rows[3][9] = "", '"quoted, with a comma"', " NA "
    path = tmp_path / "wide.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([f"c{j}" for j in range(n_cols)])
        writer.writerows(rows)
    dialect = csv_dialect(path)
    fast = rio._read_wide_text(path, dialect)
    assert fast is not None
    same_frame(fast, pandas_text(path, dialect))
    same_frame(read_table(path, as_text=True), fast)
    assert fast.iloc[2, 7] == '"quoted, with a comma"' and fast.iloc[3, 9] == " NA "
    gz = tmp_path / "wide.csv.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    same_frame(rio._read_wide_text(gz, csv_dialect(gz)), fast)


@pytest.mark.parametrize("text", [
    "a,b,c\n1,2\n",                # a short row: pandas fills it
    "a,b,c\n1,2,3,4\n",            # a long row: the first field becomes the index
    "a,,c\n1,2,3\n",               # an unnamed column
    "a,a,c\n1,2,3\n",              # two columns of one name
    'a,b,c\n"1"x,2,3\n',           # text after a closing quote
    "\ufeffa,b,c\n1,2,3\n",        # a byte order mark left in the first name
    "a,b,c\n",                     # no row
])
def test_files_it_is_not_sure_of_are_left_to_pandas(tmp_path, narrow_is_wide, text):
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode("utf-8"))
    assert rio._read_wide_text(path, CsvDialect("utf-8", ",")) is None


def test_a_narrow_file_is_left_to_pandas(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n")
    assert rio._read_wide_text(path, CsvDialect("utf-8", ",")) is None
