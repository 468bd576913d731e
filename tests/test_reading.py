"""Reading real files: encodings (UTF-8, BOM, UTF-16, cp1252/Latin-1), the file's byte
offset in messages, separator sniffing (, ; tab |) with --sep, .tsv, duplicate headers,
and outputs written in UTF-8 with the input's separator."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from revimpute.cli import app
from revimpute.clean import read_clean
from revimpute.dialect import csv_dialect, sniff_separator
from revimpute.exceptions import InputDataError
from revimpute.io import read_table

runner = CliRunner()


def latin1_file(path: Path, ascii_rows: int = 4500) -> tuple[Path, int]:
    """An ASCII table with one Latin-1 'é' far into the file; returns its byte offset."""
    rng = np.random.default_rng(0)
    lines = ["city,temp,rain"] + [f"Lyon,{t:.1f},{r}" for t, r in zip(rng.normal(12, 5, ascii_rows),
                                                                   rng.integers(0, 30, ascii_rows))]
    head = ("\n".join(lines) + "\n").encode("ascii")
    tail = "Orl\u00e9ans,13.5,4\nNice,18.0,1\n".encode("latin-1")
    path.write_bytes(head + tail)
    return path, len(head) + 3


def test_a_file_with_latin1_bytes_reads_with_a_note_naming_the_encoding_and_offset(tmp_path):
    path, offset = latin1_file(tmp_path / "cities.csv")
    assert offset > 50_000
    table = read_clean(path)
    assert table.dialect.encoding == "cp1252"
    assert table.frame["city"].iloc[-2] == "Orl\u00e9ans"
    assert table.frame.shape == (4502, 3)
    assert any(f"byte {offset:,} is 0xE9" in note and "cp1252" in note for note in table.notes)
    result = runner.invoke(app, ["scan", str(path), "--no-advice"])
    assert result.exit_code == 0, result.output
    assert f"byte {offset:,}" in result.stderr and "cp1252" in result.stderr


def test_a_given_encoding_that_does_not_fit_names_the_files_byte_offset(tmp_path):
    path, offset = latin1_file(tmp_path / "cities.csv")
    with pytest.raises(InputDataError, match=f"not utf-8 text \\(byte {offset:,} is 0xE9\\)"):
        read_clean(path, encoding="utf-8")
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["impute", str(path), "-o", str(out), "--encoding", "utf-8", "--method", "mean"])
    assert result.exit_code == 2 and f"byte {offset:,}" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not out.exists()
    # the right encoding given: no note, the same text
    assert read_clean(path, encoding="latin-1").frame["city"].iloc[-2] == "Orl\u00e9ans"
    assert read_clean(path, encoding="latin-1").notes == ()
    with pytest.raises(InputDataError, match="unknown encoding 'klingon'"):
        read_clean(path, encoding="klingon")


def test_latin1_rather_than_cp1252_when_a_byte_is_undefined_in_cp1252(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\nx\x81y,1\nz,2\n")
    assert csv_dialect(path).encoding == "latin-1"
    assert read_table(path, as_text=True)["a"].iloc[0] == "x\x81y"


def test_a_gzip_file_with_latin1_bytes_reads(tmp_path):
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip.compress("a,b\nJos\u00e9,1\nAna,2\n".encode("latin-1")))
    assert read_clean(path).frame["a"].tolist() == ["Jos\u00e9", "Ana"]


def test_utf8_bom_and_utf16_files(tmp_path):
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbfid,v\n1,2.5\n2,\n")
    table = read_clean(bom)
    assert list(table.frame.columns) == ["id", "v"] and table.dialect.encoding == "utf-8-sig"
    assert table.notes == ()
    utf16 = tmp_path / "excel.txt"  # "Unicode text" as a spreadsheet saves it: UTF-16, tabs
    utf16.write_bytes("name\tscore\nZo\u00eb\t3\nLi\t\n".encode("utf-16"))
    table = read_clean(utf16)
    assert table.dialect.encoding == "utf-16" and table.dialect.sep == "\t"
    assert table.frame["name"].tolist() == ["Zo\u00eb", "Li"]
    assert table.frame["score"].dtype == pd.Int64Dtype()


def test_mixed_encodings_are_refused_with_the_offset(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes("a\nJos\u00e9\n".encode() + "M\u00fcnchen\n".encode("latin-1"))
    with pytest.raises(InputDataError, match=r"mixes encodings: byte 9 \(0xFC\)"):
        read_clean(path)


def test_a_semicolon_file_is_not_read_as_one_column(tmp_path):
    rng = np.random.default_rng(1)
    n = 200
    x = rng.normal(10, 2, n)
    cells = [f"{v:.2f}".replace(".", ",") for v in x]  # decimal commas, as such files have
    for i in range(0, n, 17):
        cells[i] = ""
    y = [str(v) for v in rng.integers(0, 9, n)]
    path = tmp_path / "semi.csv"
    path.write_text("x;y;city\n" + "".join(f"{a};{b};Lyon\n" for a, b in zip(cells, y)))
    table = read_clean(path)
    assert list(table.frame.columns) == ["x", "y", "city"]
    assert table.dialect.sep == ";" and any("';'-separated" in note for note in table.notes)
    assert table.frame["x"].dtype == np.float64  # decimal commas read as numbers
    assert table.frame["x"].isna().sum() == len(range(0, n, 17))
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["impute", str(path), "-o", str(out), "--method", "mean_mode"])
    assert result.exit_code == 0, result.output
    assert "';'-separated" in result.stderr
    written = out.read_text(encoding="utf-8").splitlines()
    assert written[0] == "x;y;city"  # the output keeps the input's separator
    observed = [line for line, cell in zip(written[1:], cells) if cell]
    assert [line.split(";")[0] for line in observed] == [c for c in cells if c]  # text kept


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_each_separator_is_sniffed(tmp_path, sep):
    path = tmp_path / "t.csv"
    rows = [["name", "note", "value"], ["a", '"x, y; z | w"', "1"], ["b", "plain", "2"], ["c", "", "3"]]
    path.write_text("".join(sep.join(row) + "\n" for row in rows))
    table = read_clean(path, detect="off")
    assert list(table.frame.columns) == ["name", "note", "value"]
    assert table.frame["note"].iloc[0] == "x, y; z | w"  # a quoted separator is text


def test_sniffing_prefers_the_separator_that_splits_every_record_alike():
    assert sniff_separator("a;b\n1,5;2\n2,5;3\n") == ";"
    assert sniff_separator("a,b\n1;2,3\n4,5\n") == ","
    assert sniff_separator("one column\n1\n2\n") == ","
    assert sniff_separator("a;b,c\n1;2,3\n") == ","  # a tie: the extension's separator


def test_tsv_keeps_tab_and_sep_overrides(tmp_path):
    tsv = tmp_path / "t.tsv"
    tsv.write_text("a\tb\n1,2,3\tx\n4,5,6\ty\n")  # commas would split more, but a .tsv is tab-separated
    assert list(read_clean(tsv, detect="off").frame.columns) == ["a", "b"]
    csv = tmp_path / "t.csv"
    csv.write_text("a,b;c\n1,2;3\n")
    assert list(read_clean(csv, detect="off").frame.columns) == ["a", "b;c"]
    assert list(read_clean(csv, detect="off", sep=";").frame.columns) == ["a,b", "c"]
    result = runner.invoke(app, ["scan", str(csv), "--sep", "tab", "--no-advice", "--json"])
    assert result.exit_code == 0 and '"a,b;c"' in result.stdout
    result = runner.invoke(app, ["scan", str(csv), "--sep", ";;"])
    assert result.exit_code == 2 and "--sep must be one character" in result.stderr


def test_a_streamed_file_that_fails_to_read_gives_one_line(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3,4,5\n")
    for args in (["clean"], ["impute", "--chunk-rows", "5", "--method", "mean"]):
        result = runner.invoke(app, [args[0], str(path), "-o", str(tmp_path / "o.csv"), *args[1:]])
        assert result.exit_code == 2 and "ragged" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1  # no progress bar left above the error


@pytest.mark.parametrize("command", ["scan", "impute", "clean"])
def test_duplicate_column_names_are_refused_by_name(tmp_path, command):
    path = tmp_path / "dup.csv"
    path.write_text("id,x,y,x\n1,2,3,4\n2,3,4,5\n")
    args = [command, str(path)] + (["-o", str(tmp_path / "out.csv")] if command != "scan" else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "the column name 'x' is used twice (columns 2 and 4)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.csv").exists()
    with pytest.raises(InputDataError, match="'x' is used twice"):
        read_table(path)


def test_outputs_are_utf8(tmp_path):
    path, _ = latin1_file(tmp_path / "cities.csv", ascii_rows=50)
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["impute", str(path), "-o", str(out), "--method", "mean_mode", "-q"])
    assert result.exit_code == 0, result.output
    assert "Orl\u00e9ans" in out.read_bytes().decode("utf-8")


@pytest.mark.parametrize("text", ["a,b\n1,2,3\n4,5\n", "a,b\nx,1,2\ny,3,4\n"])
@pytest.mark.parametrize("as_text", [True, False])
def test_rows_longer_than_the_header_are_refused_not_shifted(tmp_path, text, as_text):
    from revimpute.exceptions import InputDataError
    from revimpute.io import read_table

    path = tmp_path / "t.csv"
    path.write_text(text)
    with pytest.raises(InputDataError, match="more fields than the header"):
        read_table(path, as_text=as_text)
    with pytest.raises(InputDataError, match="more fields than the header"):
        read_clean(path)
