"""What several commands share: reading options, output checks, printing notes and findings."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from revimpute.cli._app import console, fail, say

DETECT_HELP = "Disguised-missing detection: auto, strict or off (off: only empty cells are missing)."
TOKEN_HELP = "Extra value meaning 'missing' (repeatable)."
NEVER_HELP = "Value never to flag (repeatable)."
ENCODING_HELP = ("CSV input: its encoding, e.g. utf-8, cp1252, latin-1 (default: UTF-8 when the file is UTF-8, "
                 "else cp1252/Latin-1, with a note).")
SEP_HELP = "CSV input: its separator: ',' ';' '|' or tab (default: found from the first lines; tab for .tsv)."
SAMPLE_HELP = "The detector looks at a uniform sample of this many rows of a larger file."


def detect_option() -> Any:
    """``--detect``."""
    return typer.Option("auto", "--detect", help=DETECT_HELP)


def token_option() -> Any:
    """``--token`` (repeatable)."""
    return typer.Option([], "--token", help=TOKEN_HELP)


def never_option() -> Any:
    """``--never`` (repeatable)."""
    return typer.Option([], "--never", help=NEVER_HELP)


def encoding_option() -> Any:
    """``--encoding``."""
    return typer.Option(None, "--encoding", help=ENCODING_HELP)


def sep_option() -> Any:
    """``--sep``."""
    return typer.Option(None, "--sep", help=SEP_HELP)


def check_output(output: str, data: str) -> None:
    """Refuse an output path that names the input file (it would be replaced)."""
    out, source = Path(output), Path(data)
    same = out.resolve() == source.resolve()
    if not same and out.exists() and source.exists():
        same = os.path.samefile(out, source)
    if same:
        raise fail(f"{output}: the output would replace the input file; write to another file")


def check_positive(name: str, value: int | None) -> None:
    """A row count given on the command line is a positive number."""
    if value is not None and value < 1:
        raise fail(f"{name} must be a positive number of rows")


def say_notes(notes: Iterable[str]) -> None:
    """Print each note on its own line of stderr."""
    for note in notes:
        say(f"note: {note}")


def findings_table(findings: list, title: str) -> Table:
    """The findings as a table: column, value (as written), count, kind, confidence."""
    listing = Table(title=title)
    for name in ("column", "value", "count", "kind", "confidence"):
        listing.add_column(name)
    for f in findings:
        listing.add_row(Text(str(f.column)), Text(repr(f.value)), str(f.count), f.kind, f"{f.confidence:.2f}")
    return listing


def print_findings(findings: list, missing_cells: int | None = None, *, out: Console | None = None,
                   title: str = "disguised missing values found (use --detect off to keep them)") -> None:
    """Say how many cells are treated as missing and list every disguised value applied."""
    if missing_cells is not None:
        say(f"treated as missing: {missing_cells} cells", out=out)
    if findings:
        (out or console).print(findings_table(findings, title))
    elif missing_cells is None:
        say("no disguised missing values found", out=out)
