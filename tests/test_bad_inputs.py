"""The bad-input catalogue: every bad file, option and model a user can give the
command line, as a table. Each case must exit with code 2 with one error line on
stderr naming the problem (the last line; what came before is the usual
progress and summary, never a traceback), leave no file at ``-o`` (nor a
temporary one beside it) and leave the input as it was.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from revimpute import ReverseImputer
from revimpute.cli import main

TINY = dict(hidden_sizes=(8,), latent_size=2, max_epochs=2, reverse_steps=2, n_models=1)


def _good_frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=30), "b": rng.normal(size=30), "c": rng.choice(["x", "y"], 30)})
    frame.loc[::4, "a"] = np.nan
    return frame


def good_csv(folder: Path) -> Path:
    path = folder / "in.csv"
    _good_frame().to_csv(path, index=False)
    return path


def text_file(name: str, content: str | bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
        return path

    return make


def parquet_with_duration(folder: Path) -> Path:
    path = folder / "in.parquet"
    pd.DataFrame({"a": [1.0, np.nan, 3.0], "wait": pd.to_timedelta([1, 2, None], unit="h")}).to_parquet(path)
    return path


def a_folder(folder: Path) -> Path:
    (folder / "dir.csv").mkdir()
    return folder / "dir.csv"


def saved_model(edit: Callable[[Path], None] | None = None) -> Callable[[Path], Path]:
    """A model fitted on the good table, saved as ``model`` and edited by ``edit``."""

    def make(folder: Path) -> Path:
        ReverseImputer(**TINY).fit(_good_frame()).save(folder / "model")
        if edit is not None:
            edit(folder / "model")
        return folder / "model"

    return make


def _meta(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def edit(model: Path) -> None:
        meta = json.loads((model / "model.json").read_text())
        change(meta)
        (model / "model.json").write_text(json.dumps(meta))

    return edit


def _flip_weights(model: Path) -> None:
    data = bytearray((model / "weights.safetensors").read_bytes())
    data[-5] ^= 0xFF
    (model / "weights.safetensors").write_bytes(bytes(data))


@dataclass
class Case:
    """One bad input: how to make it, the arguments, and words the message must hold."""

    name: str
    args: list[str]
    needle: str
    make_input: Callable[[Path], Path] = good_csv
    model: Callable[[Path], Path] | None = None
    extra: dict = field(default_factory=dict)


CASES = [
    Case("empty file", ["impute", "{in}", "-o", "{out}"], "empty", text_file("in.csv", "")),
    Case("header only", ["impute", "{in}", "-o", "{out}"], "no rows", text_file("in.csv", "a,b\n")),
    Case("ragged rows", ["impute", "{in}", "-o", "{out}"], "ragged", text_file("in.csv", "a,b\n1,2\n3,4,5\n")),
    Case("first row longer than the header", ["impute", "{in}", "-o", "{out}"], "more fields than the header",
         text_file("in.csv", "a,b\n1,2,3\n4,5\n6,\n")),
    Case("every row longer than the header", ["impute", "{in}", "-o", "{out}"], "more fields than the header",
         text_file("in.csv", "a,b\nx,1,2\ny,3,\nz,,4\n")),
    Case("a long row, streamed", ["impute", "{in}", "-o", "{out}", "--chunk-rows", "1"],
         "more fields than the header", text_file("in.csv", "a,b\n1,2,3\n4,5\n6,\n")),
    Case("binary data", ["impute", "{in}", "-o", "{out}"], "binary", text_file("in.csv", b"a,b\n\x00\x01\x02\n")),
    Case("not gzip", ["impute", "{in}", "-o", "{out}"], "gzip", text_file("in.csv.gz", "a,b\n1,2\n")),
    Case("not parquet", ["impute", "{in}", "-o", "{out}"], "Parquet", text_file("in.parquet", "a,b\n1,2\n")),
    Case("unknown input type", ["impute", "{in}", "-o", "{out}"], "unknown file type", text_file("in.xlsx", "x")),
    Case("no such file", ["impute", "{tmp}/missing.csv", "-o", "{out}"], "no such file"),
    Case("a folder", ["impute", "{in}", "-o", "{out}"], "folder", a_folder),
    Case("infinite value", ["impute", "{in}", "-o", "{out}", "--detect", "off"], "infinite",
         text_file("in.csv", "a,b\n1,inf\n2,3\n,4\n")),
    Case("text among numbers", ["impute", "{in}", "-o", "{out}", "--detect", "off", "--method", "mean"], "'abc'",
         text_file("in.csv", "a,b\n1,2\nabc,3\n4,\n5,6\n")),
    Case("empty column", ["impute", "{in}", "-o", "{out}", "--method", "mean"], "no observed value",
         text_file("in.csv", "a,b\n1,\n2,\n,\n")),
    Case("duration column", ["impute", "{in}", "-o", "{tmp}/out.parquet"], "timedelta", parquet_with_duration),
    Case("output names the input", ["impute", "{in}", "-o", "{in}"], "replace the input"),
    Case("unknown output type", ["impute", "{in}", "-o", "{tmp}/out.xlsx"], "unknown file type"),
    Case("unknown method", ["impute", "{in}", "-o", "{out}", "--method", "magic"], "unknown method"),
    Case("model with a baseline", ["impute", "{in}", "-o", "{out}", "--method", "knn", "--model", "{model}"],
         "--model", model=saved_model()),
    Case("chunk rows zero", ["impute", "{in}", "-o", "{out}", "--chunk-rows", "0"], "--chunk-rows"),
    Case("chunk rows text", ["impute", "{in}", "-o", "{out}", "--chunk-rows", "abc"], "--chunk-rows"),
    Case("jobs -7", ["impute", "{in}", "-o", "{out}", "--jobs", "-7"], "--jobs"),
    Case("unknown policy", ["impute", "{in}", "-o", "{out}", "--detect", "bogus"], "--detect"),
    Case("unknown option", ["impute", "{in}", "-o", "{out}", "--bogus"], "--bogus"),
    Case("missing output", ["impute", "{in}"], "--output"),
    Case("max epochs zero", ["fit", "{in}", "--model", "{tmp}/m", "--max-epochs", "0"], "--max-epochs"),
    Case("model over a file", ["fit", "{in}", "--model", "{in}"], "not a model folder"),
    Case("no model folder", ["impute", "{in}", "-o", "{out}", "--model", "{tmp}/nothing"], "no such model"),
    Case("corrupt model.json", ["impute", "{in}", "-o", "{out}", "--model", "{model}"], "corrupt",
         model=saved_model(lambda m: (m / "model.json").write_text("{not json"))),
    Case("weights modified", ["impute", "{in}", "-o", "{out}", "--model", "{model}"], "checksum",
         model=saved_model(_flip_weights)),
    Case("seed missing", ["impute", "{in}", "-o", "{out}", "--model", "{model}"], "'seed'",
         model=saved_model(_meta(lambda m: m.pop("seed")))),
    Case("estimate bogus", ["impute", "{in}", "-o", "{out}", "--model", "{model}"], "estimate",
         model=saved_model(_meta(lambda m: m["params"].update(estimate="bogus")))),
    Case("huge architecture", ["impute", "{in}", "-o", "{out}", "--model", "{model}"], "hidden_sizes",
         model=saved_model(_meta(lambda m: m["architecture"].update(hidden_sizes=[10**9])))),
    Case("other columns than the model", ["impute", "{in}", "-o", "{out}", "--model", "{model}"], "column",
         text_file("in.csv", "p,q\n1,2\n,3\n"), model=saved_model()),
    Case("markup in a name", ["impute", "{in}", "-o", "{out}", "--method", "mean", "--detect", "off"], "[/x]",
         text_file("in.csv", "[/x],b\ntext,1\nmore,2\n")),
    Case("scan: no such file", ["scan", "{tmp}/missing.csv"], "no such file"),
    Case("scan: unknown policy", ["scan", "{in}", "--detect", "bogus"], "--detect"),
    Case("demo: unknown data set", ["demo", "iris_flowers"], "unknown demo"),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_is_one_line_exit_2_nothing_written(tmp_path, capsys, case):
    source = case.make_input(tmp_path)
    model = case.model(tmp_path) if case.model is not None else None
    out = tmp_path / "out.csv"
    before = {p.name: (p.read_bytes() if p.is_file() else None) for p in tmp_path.iterdir()}
    argv = [a.format(**{"in": source, "out": out, "tmp": tmp_path, "model": model}) for a in case.args]
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0] and "Traceback" not in err, err
    assert case.needle in errors[0], errors[0]
    after = {p.name: (p.read_bytes() if p.is_file() else None) for p in tmp_path.iterdir()}
    assert after == before  # no output, no temporary file, the input and the model untouched


def test_the_catalogue_covers_gzip_and_parquet_inputs_that_work(tmp_path, capsys):
    """The good twins of the file cases: the same table gzipped or as Parquet imputes."""
    frame = _good_frame()
    with gzip.open(tmp_path / "in.csv.gz", "wt") as handle:
        frame.to_csv(handle, index=False)
    frame.to_parquet(tmp_path / "in.parquet")
    for name in ("in.csv.gz", "in.parquet"):
        with pytest.raises(SystemExit) as exit_info:
            main(["impute", str(tmp_path / name), "-o", str(tmp_path / f"out-{name}.csv"), "--method", "mean_mode",
                  "-q"])
        assert exit_info.value.code == 0, capsys.readouterr().err
