"""``revimpute scan``: find missing and disguised-missing values (revimpute.clean, revimpute.detect)."""

from __future__ import annotations

import typer
from rich.console import Console

from revimpute.cli._app import command, fail, say
from revimpute.cli._options import (
    SAMPLE_HELP,
    check_positive,
    detect_option,
    encoding_option,
    never_option,
    say_notes,
    sep_option,
    token_option,
)


@command()
def scan(
    data: str = typer.Argument(..., help="CSV/TSV or Parquet file to scan."),
    json_output: bool = typer.Option(False, "--json", help="Print a JSON document instead."),
    report: str | None = typer.Option(
        None, "--report", help="Also write an HTML report (missingness matrix, findings)."
    ),
    detect: str = detect_option(),
    token: list[str] = token_option(),
    never: list[str] = never_option(),
    encoding: str | None = encoding_option(),
    sep: str | None = sep_option(),
    sample_rows: int = typer.Option(200_000, "--sample-rows", help=SAMPLE_HELP),
    no_advice: bool = typer.Option(False, "--no-advice", help="Skip the drop-or-impute advice and its tests."),
) -> None:
    """Find missing and disguised-missing values; advise on dropping columns and rows."""
    import json

    from revimpute.clean import check_policy, read_clean
    from revimpute.detect import drop_advice
    from revimpute.detect import report as scan_report

    check_policy(detect)
    check_positive("--sample-rows", sample_rows)
    table = read_clean(data, detect, token, never, encoding=encoding, sep=sep, sample_rows=sample_rows)
    say_notes(table.notes)
    result = table.detection
    advice = None if no_advice else drop_advice(table.frame)
    if report is not None:
        try:
            scan_report.write_report(report, result, advice, data)
        except OSError as exc:
            raise fail(f"{report}: cannot write the report ({exc.strerror or exc})") from None
    if json_output:
        document = scan_report.scan_document(result, advice, data)
        document["notes"] = list(table.notes)
        typer.echo(json.dumps(document, indent=2))
        return
    scan_report.print_scan(Console(), result, advice, data)
    if report is not None:
        say(f"report written to {report}", out=Console())
