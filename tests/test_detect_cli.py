"""Tests of ``revimpute scan``: the table, --json, --report, the options and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from revimpute.cli import app

runner = CliRunner()


def scan(*args: str):
    return runner.invoke(app, ["scan", *map(str, args)])


@pytest.fixture
def data_csv(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 300
    bp = np.clip(rng.normal(75, 12, n), 35, None).round().astype(int).astype(str).astype(object)
    bp[rng.choice(n, 15, replace=False)] = "0"
    temp = rng.normal(12, 8, n).round(1).astype(str).astype(object)
    temp[rng.choice(n, 10, replace=False)] = "-999"
    city = rng.choice(np.array(["Paris", "Lyon", "Nice"], dtype=object), n)
    city[rng.choice(n, 6, replace=False)] = "NULL"
    city[rng.choice(n, 4, replace=False)] = " "
    visits = rng.poisson(1.2, n).astype(str)
    code = rng.integers(100, 999, n).astype(str).astype(object)
    code[rng.choice(n, 5, replace=False)] = "555"
    path = tmp_path / "patients.csv"
    pd.DataFrame({"bp": bp, "temp": temp, "city": city, "visits": visits, "code": code}).to_csv(
        path, index=False)
    return path


def test_scan_prints_findings_overview_and_advice(data_csv: Path):
    result = scan(data_csv)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Disguised missing values" in out and "Missingness per column" in out
    assert "implausible_default" in out and "sentinel" in out and "null_token" in out
    assert "'-999'" in out and "'NULL'" in out
    assert "Little's MCAR test" in out and "Recommendation:" in out


def test_scan_json_document(data_csv: Path):
    result = scan(data_csv, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    findings = {(f["column"], f["value"]): f for f in doc["findings"]}
    for f in doc["findings"]:
        assert {"column", "value", "kind", "count", "confidence", "evidence"} <= set(f)
    assert findings[("bp", "0")]["kind"] == "implausible_default"
    assert findings[("bp", "0")]["count"] == 15
    assert findings[("temp", "-999")]["kind"] == "sentinel"
    assert findings[("city", " ")]["value"] == " "  # as written in the file
    assert not any(column == "visits" for column, _ in findings)  # real zeros kept
    assert [c["column"] for c in doc["columns"]] == ["bp", "temp", "city", "visits", "code"]
    assert 0 <= doc["advice"]["rows_lost_share"] <= 1
    assert isinstance(doc["advice"]["recommendation"], str)


def test_scan_options_token_never_and_strict(data_csv: Path):
    plain = json.loads(scan(data_csv, "--json").stdout)
    assert ("code", "555") not in {(f["column"], f["value"]) for f in plain["findings"]}
    custom = json.loads(scan(data_csv, "--json", "--token", "555", "--token", "n.d.",
                             "--never", "0", "--never", "NULL").stdout)
    keys = {(f["column"], f["value"]): f for f in custom["findings"]}
    assert keys[("code", "555")]["kind"] == "null_token"
    assert ("bp", "0") not in keys and ("city", "NULL") not in keys
    strict = json.loads(scan(data_csv, "--json", "--detect", "strict").stdout)
    assert strict["policy"] == "strict"
    assert all(f["confidence"] >= 0.8 for f in strict["findings"])
    off = json.loads(scan(data_csv, "--json", "--detect", "off").stdout)
    assert off["findings"] == []


def test_scan_html_report(data_csv: Path, tmp_path: Path):
    report = tmp_path / "out" / "report.html"
    result = scan(data_csv, "--report", report)
    assert result.exit_code == 0, result.output
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "data:image/png;base64," in page and "Missingness matrix" in page
    assert "implausible_default" in page and "Recommendation:" in page


def test_scan_rejects_unknown_policy(data_csv: Path):
    result = scan(data_csv, "--detect", "loose")
    assert result.exit_code == 2
    assert "--detect must be one of" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.csv", b"", "empty"),
        ("header.csv", b"a,b,c\n", "header only"),
        ("ragged.csv", b"a,b\n1,2\n3,4,5,6\n7,8\n", "ragged"),
        ("binary.csv", bytes(range(256)) * 8, "binary"),
        # UTF-8 characters, then a byte that is not UTF-8: either reading would garble part
        ("mixed.csv", "name,city\nJos\u00e9,Paris\n".encode() + "Ana,M\u00fcnchen\n".encode("latin-1"),
         "mixes encodings: byte 27 (0xFC)"),
        ("table.xlsx", b"a,b\n1,2\n", "unknown file type"),
    ],
)
def test_bad_input_is_a_one_line_error(tmp_path: Path, name: str, content: bytes, message: str):
    path = tmp_path / name
    path.write_bytes(content)
    result = scan(path)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "Traceback" not in result.output and result.exception is None or isinstance(
        result.exception, SystemExit)


def test_missing_file_and_unwritable_report(tmp_path: Path, data_csv: Path):
    result = scan(tmp_path / "nope.csv")
    assert result.exit_code == 2 and "no such file" in result.stderr
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = scan(data_csv, "--report", blocker / "report.html")
    assert result.exit_code == 2 and "cannot write the report" in result.stderr


def test_scan_as_a_real_process(tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a,b\n1,2\n3,4,5,6\n")
    proc = subprocess.run([sys.executable, "-m", "revimpute.cli", "scan", str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:")


def test_scan_a_parquet_file(tmp_path: Path):
    rng = np.random.default_rng(2)
    temp = rng.normal(12, 8, 400).round(1)
    temp[rng.choice(400, 12, replace=False)] = -999.0
    temp[:3] = np.nan
    path = tmp_path / "t.parquet"
    pd.DataFrame({"temp": temp, "n": rng.poisson(2, 400)}).to_parquet(path)
    doc = json.loads(scan(path, "--json").stdout)
    assert [(f["column"], f["value"], f["count"]) for f in doc["findings"]] == [("temp", "-999", 12)]
    assert doc["columns"][0]["native_missing"] == 3 and doc["columns"][0]["missing"] == 15
