"""``revimpute scan``: find missing and disguised-missing values (revimpute.detect)."""

from __future__ import annotations

import typer
from rich.console import Console

from revimpute.cli._app import command, fail, say


@command()
def scan(
    data: str = typer.Argument(..., help="CSV/TSV or Parquet file to scan."),
    json_output: bool = typer.Option(False, "--json", help="Print a JSON document instead."),
    report: str | None = typer.Option(
        None, "--report", help="Also write an HTML report (missingness matrix, findings)."
    ),
    detect: str = typer.Option("auto", "--detect", help="Detection policy: auto, strict or off."),
    token: list[str] = typer.Option(
        [], "--token", help="Extra value meaning 'missing' (repeatable)."
    ),
    never: list[str] = typer.Option([], "--never", help="Value never to flag (repeatable)."),
) -> None:
    """Find missing and disguised-missing values; advise on dropping rows."""
    import json

    from revimpute.clean import check_policy
    from revimpute.detect import detect_missing, drop_advice
    from revimpute.detect import report as scan_report
    from revimpute.io import read_table

    check_policy(detect)
    frame = read_table(data, as_text=True)
    result = detect_missing(frame, policy=detect, extra_tokens=token, never_flag=never)
    advice = drop_advice(result.cleaned)
    if report is not None:
        try:
            scan_report.write_report(report, result, advice, data)
        except OSError as exc:
            raise fail(f"{report}: cannot write the report ({exc.strerror or exc})") from None
    if json_output:
        typer.echo(json.dumps(scan_report.scan_document(result, advice, data), indent=2))
        return
    scan_report.print_scan(Console(), result, advice, data)
    if report is not None:
        say(f"report written to {report}", out=Console())
