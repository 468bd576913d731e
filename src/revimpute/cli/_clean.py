"""``revimpute clean``: write a copy of a table whose disguised missing values are empty (revimpute.scale)."""

from __future__ import annotations

import typer

from revimpute.cli._app import command, say
from revimpute.cli._options import (
    SAMPLE_HELP,
    check_output,
    check_positive,
    detect_option,
    encoding_option,
    never_option,
    print_findings,
    say_notes,
    sep_option,
    token_option,
)


@command()
def clean(
    data: str = typer.Argument(..., help="CSV/TSV or Parquet file to clean."),
    output: str = typer.Option(..., "--output", "-o", help="Where to write the cleaned copy (.csv/.tsv/.parquet)."),
    detect: str = detect_option(),
    token: list[str] = token_option(),
    never: list[str] = never_option(),
    encoding: str | None = encoding_option(),
    sep: str | None = sep_option(),
    chunk_rows: int = typer.Option(100_000, "--chunk-rows", help="Rows read and written at a time."),
    sample_rows: int = typer.Option(200_000, "--sample-rows", help=SAMPLE_HELP),
    seed: int = typer.Option(0, "--seed", help="Seed of the detector's sample."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or summaries."),
) -> None:
    """Write DATA with every disguised missing value made an empty cell, every other cell as written."""
    from revimpute.clean import check_policy
    from revimpute.io import table_format
    from revimpute.scale import clean_file

    table_format(output)
    check_output(output, data)
    check_policy(detect)
    check_positive("--chunk-rows", chunk_rows)
    check_positive("--sample-rows", sample_rows)

    def planned(schema: object) -> None:
        from revimpute.scale.chunks import file_notes

        if not quiet:
            say_notes(file_notes(schema))
            print_findings(schema.plan.findings, title="disguised missing values made empty")

    report = clean_file(data, output, chunk_rows=chunk_rows, detect=detect, tokens=token, never=never,
                        sample_rows=sample_rows, random_state=seed, encoding=encoding, sep=sep,
                        progress=not quiet, on_plan=planned)
    if not quiet:
        say(f"wrote {report.rows} rows to {output}; {report.blanked} cell(s) made empty")
