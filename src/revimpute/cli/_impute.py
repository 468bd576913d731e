"""``revimpute fit``, ``impute`` and ``methods``: the imputers on files (revimpute.impute)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from revimpute.cli._app import command, fail, say
from revimpute.cli._options import (
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
from revimpute.cli._steps import (
    build_imputer,
    formulas_in_output,
    print_treated_as_missing,
    say_formulas,
    without_empty_columns,
)

DEVICE_HELP = "Where reverse training runs: cpu, cuda (falls back to the CPU, with a warning) or auto."
DEVICES = ("cpu", "cuda", "auto")
CALIBRATION_HELP = (
    "Share of the rows held out from training to calibrate intervals, multiple imputation and the "
    "trust report (docs/uncertainty.md); with --intervals, --multiple or --report, 0.1 unless given."
)
JOBS_HELP = (
    "Networks trained and searched side by side, each on its share of the CPU threads "
    "(-1: as many as there are threads; 1: one after the other)."
)
DROP_EMPTY_HELP = "Leave out columns with no observed value (they cannot be imputed); they are named in a note."


def check_jobs(jobs: int) -> None:
    """``--jobs`` is -1 or a positive number."""
    if jobs != -1 and jobs < 1:
        raise fail(f"--jobs must be a positive number of jobs, or -1 for one per CPU thread (got {jobs})")


@command()
def fit(
    data: str = typer.Argument(..., help="CSV/TSV or Parquet file to learn from."),
    model: str = typer.Option(..., "--model", "-m", help="Folder to save the fitted model in."),
    detect: str = detect_option(),
    token: list[str] = token_option(),
    never: list[str] = never_option(),
    encoding: str | None = encoding_option(),
    sep: str | None = sep_option(),
    drop_empty_columns: bool = typer.Option(False, "--drop-empty-columns", help=DROP_EMPTY_HELP),
    max_epochs: int = typer.Option(500, "--max-epochs", help="Upper bound on training epochs."),
    seed: int = typer.Option(0, "--seed", help="Random seed of training."),
    jobs: int = typer.Option(-1, "--jobs", "-j", help=JOBS_HELP),
    device: str = typer.Option("cpu", "--device", help=DEVICE_HELP),
    calibration: float | None = typer.Option(None, "--calibration", help=CALIBRATION_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or summaries."),
) -> None:
    """Train a reverse-training model on DATA and save it to --model."""
    from revimpute.clean import read_clean
    from revimpute.impute import ReverseImputer, check_save_target

    check_jobs(jobs)
    check_device(device)
    if max_epochs < 1:
        raise fail(f"--max-epochs must be a positive number of epochs (got {max_epochs})")
    if calibration is not None and not 0 < calibration < 0.5:
        raise fail(f"--calibration is a share of the rows strictly between 0 and 0.5 (got {calibration})")
    check_save_target(model)
    imputer = ReverseImputer(max_epochs=max_epochs, random_state=seed, verbose=not quiet, n_jobs=jobs,
                             device=device, calibration=calibration)
    table = read_clean(data, detect, token, never, encoding=encoding, sep=sep, random_state=seed)
    if not quiet:
        say_notes(table.notes)
        print_treated_as_missing(table)
    frame = without_empty_columns(table, drop_empty_columns, fitting=True, quiet=quiet)[0]
    imputer.fit(frame)
    imputer.save(model)
    if not quiet:
        say(
            f"model saved to {model} ({len(imputer.history_.train_loss)} epochs, "
            f"best validation loss {min(imputer.history_.validation_loss):.4f})"
        )


def check_device(device: str) -> None:
    """``--device`` is one of :data:`DEVICES`."""
    if device not in DEVICES:
        raise fail(f"--device must be one of {', '.join(DEVICES)}, got {device!r}")


@command()
def impute(
    data: str = typer.Argument(..., help="CSV/TSV or Parquet file with gaps."),
    output: str = typer.Option(..., "--output", "-o", help="Where to write the repaired table (.csv/.parquet)."),
    model: str | None = typer.Option(None, "--model", "-m", help="A model saved by `revimpute fit`; default: fit on DATA."),
    method: str = typer.Option(
        "reverse", "--method", help="Imputer name (see `revimpute methods`; e.g. iterative_trees, missforest_mixed), or auto: the best "
        "per column."
    ),
    detect: str = detect_option(),
    token: list[str] = token_option(),
    never: list[str] = never_option(),
    encoding: str | None = encoding_option(),
    sep: str | None = sep_option(),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the disguised missing values that would be treated as missing, and stop."
    ),
    drop_empty_columns: bool = typer.Option(False, "--drop-empty-columns", help=DROP_EMPTY_HELP),
    seed: int = typer.Option(0, "--seed", help="Random seed when fitting (and of the samples)."),
    chunk_rows: int | None = typer.Option(
        None, "--chunk-rows", help="Stream the file in chunks of this many rows (files larger than memory)."
    ),
    fit_sample_rows: int = typer.Option(
        200_000, "--fit-sample-rows",
        help="The detector, and a fit when streaming, use a uniform sample of this many rows of a larger file.",
    ),
    dask: str | None = typer.Option(
        None, "--dask", help="Run on Dask: local:N (N local workers) or tcp://host:port."
    ),
    jobs: int = typer.Option(-1, "--jobs", "-j", help=JOBS_HELP),
    device: str = typer.Option("cpu", "--device", help=DEVICE_HELP),
    escape_formulas: bool = typer.Option(
        False, "--escape-formulas",
        help="CSV output: prefix text cells that a spreadsheet would run as a formula (=, +, -, @) with '.",
    ),
    intervals: float | None = typer.Option(
        None, "--intervals", help="Coverage, e.g. 0.9: write COLUMN_lower / COLUMN_upper (and COLUMN_set) beside "
        "each imputed column."
    ),
    multiple: int | None = typer.Option(
        None, "--multiple", help="Also write this many imputations, OUT.imp1.EXT ... (multiple imputation)."
    ),
    report: str | None = typer.Option(None, "--report", help="Write a trust report (HTML) to this file."),
    report_json: str | None = typer.Option(None, "--report-json", help="Write the trust report as JSON."),
    calibration: float | None = typer.Option(None, "--calibration", help=CALIBRATION_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or summaries."),
) -> None:
    """Fill every missing cell of DATA and write the result to --output."""
    from revimpute.clean import check_policy
    from revimpute.io import table_format

    table_format(output)  # fail early on an unknown output type
    check_output(output, data)
    check_policy(detect)
    check_positive("--chunk-rows", chunk_rows)
    check_positive("--fit-sample-rows", fit_sample_rows)
    check_jobs(jobs)
    check_device(device)
    reading = Reading(detect, token, never, encoding, sep, fit_sample_rows, seed)
    if dry_run:
        dry_run_findings(data, reading, chunk_rows, dask)
        return

    from revimpute.cli import _uncertainty

    if _uncertainty.wanted(method, intervals, multiple, report, report_json) or calibration is not None:
        _uncertainty.check_options(data, output, method, model, intervals, multiple, report, report_json,
                                   calibration, chunk_rows is not None or dask is not None)
        _uncertainty.impute_uncertain(data, output, model, method, reading, drop_empty_columns, seed, jobs, device,
                                      quiet, escape_formulas, intervals, multiple, report, report_json, calibration)
        return
    imputer = build_imputer(method, model, seed, quiet, jobs, device)
    if chunk_rows is not None or dask is not None:
        impute_at_scale(data, output, imputer, reading, chunk_rows, dask, quiet, escape_formulas,
                        drop_empty_columns)
        return
    impute_in_memory(data, output, imputer, model is None, reading, quiet, escape_formulas, drop_empty_columns)


@dataclass
class Reading:
    """How ``impute`` reads and cleans its input."""

    detect: str
    tokens: list[str]
    never: list[str]
    encoding: str | None
    sep: str | None
    sample_rows: int
    seed: int

    def clean_options(self) -> dict[str, Any]:
        """The keyword arguments of :func:`revimpute.clean.read_clean`."""
        return {"encoding": self.encoding, "sep": self.sep, "sample_rows": self.sample_rows,
                "random_state": self.seed}

    def stream_options(self) -> dict[str, Any]:
        """The keyword arguments of :func:`revimpute.scale.impute_file` (and ``scan_table``)."""
        return {"detect": self.detect, "tokens": self.tokens, "never": self.never, "encoding": self.encoding,
                "sep": self.sep, "sample_rows": self.sample_rows, "random_state": self.seed}


def dry_run_findings(data: str, reading: Reading, chunk_rows: int | None, dask: str | None) -> None:
    """Print the notes and the disguised missing values ``impute`` would apply, on stdout."""
    out = Console()
    if chunk_rows is not None or dask is not None:
        from revimpute.scale import scan_table
        from revimpute.scale.chunks import file_notes

        schema = scan_table(data, chunk_rows or 100_000, **reading.stream_options())
        notes, findings, rows = file_notes(schema), schema.plan.findings, schema.n_rows
    else:
        from revimpute.clean import read_clean

        table = read_clean(data, reading.detect, reading.tokens, reading.never, **reading.clean_options())
        notes, findings, rows = table.notes, table.findings, table.plan.n_rows
    say_notes(notes)
    say(f"dry run: {len(findings)} disguised missing value(s) in {rows} rows would be treated as missing; "
        "nothing was imputed", out=out)
    print_findings(findings, out=out, title="disguised missing values (column, value as written, cells)")


def impute_in_memory(data: str, output: str, imputer: Any, fit_here: bool, reading: Reading, quiet: bool,
                     escape_formulas: bool, drop_empty: bool) -> None:
    """Read the whole file, impute it and write the result atomically."""
    from revimpute.clean import read_clean
    from revimpute.io import keep_written_text, output_separator, table_format, write_table

    table = read_clean(data, reading.detect, reading.tokens, reading.never, **reading.clean_options())
    if not quiet:
        say_notes(table.notes)
        print_treated_as_missing(table)
    frame, text = without_empty_columns(table, drop_empty, fitting=fit_here, quiet=quiet)
    if fit_here:
        imputer.fit(frame)
    result = imputer.transform(frame)
    if table_format(output) == "csv":
        if text is not None:
            result = keep_written_text(result, frame, text, table.plan.value_writers(list(frame.columns)))
        result = formulas_in_output(result, escape_formulas, quiet)
    write_table(result, output, sep=output_separator(output, table.dialect))
    if not quiet:
        say(f"wrote {len(result)} rows to {output}")


def impute_at_scale(data: str, output: str, imputer: Any, reading: Reading, chunk_rows: int | None,
                    dask: str | None, quiet: bool, escape: bool, drop_empty: bool) -> None:
    """Streaming (``--chunk-rows``) or Dask (``--dask``) imputation of a file."""
    from revimpute import scale
    from revimpute.scale.chunks import file_notes

    def planned(schema: Any) -> None:
        if not quiet:
            say_notes(file_notes(schema))
            if schema.plan.policy != "off":
                print_findings(schema.plan.findings, sum(c.missing for c in schema.plan.columns))

    options = {"chunk_rows": chunk_rows or 100_000, "fit_sample_rows": reading.sample_rows,
               "progress": not quiet, "escape_formulas": escape, "drop_empty_columns": drop_empty,
               "on_plan": planned, **reading.stream_options()}
    if dask is None:
        report = scale.impute_file(data, output, imputer, **options)
    else:
        client = scale.connect(dask)
        try:
            report = scale.impute_file_dask(data, output, imputer, client, **options)
        finally:
            scale.disconnect(client)
    if not quiet:
        if report.dropped:
            say(f"note: left out {len(report.dropped)} column(s) with no observed value: "
                + ", ".join(repr(str(label)) for label in report.dropped))
        say_formulas(report.formula_cells, escape)
        say(
            f"wrote {report.rows} rows to {output} in {report.chunks} chunks, {report.seconds:.1f} s "
            f"({report.rows_per_second:,.0f} rows/s); fitted on {report.fitted_on}"
        )


@command()
def methods() -> None:
    """List the imputation methods available to --method."""
    from revimpute.impute import describe_imputers, renamed_imputers

    renamed = ", ".join(f"{old} (now {new})" for old, new in renamed_imputers().items())
    caption = f"old names still accepted, deprecated: {renamed}" if renamed else None
    listing = Table(title="imputation methods", caption=caption)
    listing.add_column("name")
    listing.add_column("what it does")
    for name, summary in describe_imputers().items():
        listing.add_row(name, Text(summary))
    Console().print(listing)
