"""``revimpute fit``, ``impute`` and ``methods``: the imputers on files (revimpute.impute)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from revimpute.cli._app import command, console, fail, say

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


def check_jobs(jobs: int) -> None:
    """``--jobs`` is -1 or a positive number."""
    if jobs != -1 and jobs < 1:
        raise fail(f"--jobs must be a positive number of jobs, or -1 for one per CPU thread (got {jobs})")


def check_output(output: str, data: str) -> None:
    """Refuse an output path that names the input file (it would be replaced)."""
    out, source = Path(output), Path(data)
    same = out.resolve() == source.resolve()
    if not same and out.exists() and source.exists():
        same = os.path.samefile(out, source)
    if same:
        raise fail(f"{output}: the output would replace the input file; write to another file")


def print_treated_as_missing(table: Any) -> None:
    """Say how many cells are treated as missing, and list every disguised value applied."""
    result = table.detection
    if result is None:  # detection off
        return
    say(f"treated as missing: {int(result.mask.to_numpy().sum())} cells")
    if not result.findings:
        return
    listing = Table(title="disguised missing values found (use --detect off to keep them)")
    for name in ("column", "value", "count", "kind", "confidence"):
        listing.add_column(name)
    for f in result.findings:
        listing.add_row(Text(str(f.column)), Text(repr(f.value)), str(f.count), f.kind, f"{f.confidence:.2f}")
    console.print(listing)


@command()
def fit(
    data: str = typer.Argument(..., help="CSV/TSV or Parquet file to learn from."),
    model: str = typer.Option(..., "--model", "-m", help="Folder to save the fitted model in."),
    detect: str = typer.Option("auto", "--detect", help="Disguised-missing detection: auto, strict or off."),
    token: list[str] = typer.Option([], "--token", help="Extra value meaning 'missing' (repeatable)."),
    never: list[str] = typer.Option([], "--never", help="Value never to flag (repeatable)."),
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
    table = read_clean(data, detect, token, never)
    if not quiet:
        print_treated_as_missing(table)
    imputer.fit(table.frame)
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


def build_imputer(method: str, model: str | None, seed: int, quiet: bool, jobs: int, device: str = "cpu") -> Any:
    """The imputer ``impute`` runs: a saved model, or a fresh registry method."""
    from revimpute.impute import ReverseImputer, available_imputers, get_imputer

    if method not in available_imputers():
        raise fail(f"unknown method {method!r}; choose one of {', '.join(available_imputers())}")
    if model is not None and method != "reverse":
        raise fail("--model holds a reverse-training model; leave --method out or use --method reverse")
    if model is not None:
        imputer = ReverseImputer.load(model)
        imputer.set_params(verbose=not quiet, n_jobs=jobs, device=device)
        return imputer
    default = get_imputer(method)
    params = {"random_state": seed} if "random_state" in default.get_params() else {}
    if isinstance(default, ReverseImputer):  # reverse, autoencoder
        params.update(verbose=not quiet, n_jobs=jobs, device=device)
    return get_imputer(method, **params)


@command()
def impute(
    data: str = typer.Argument(..., help="CSV/TSV or Parquet file with gaps."),
    output: str = typer.Option(..., "--output", "-o", help="Where to write the repaired table (.csv/.parquet)."),
    model: str | None = typer.Option(None, "--model", "-m", help="A model saved by `revimpute fit`; default: fit on DATA."),
    method: str = typer.Option(
        "reverse", "--method", help="Imputer name (see `revimpute methods`), or auto: the best per column."
    ),
    detect: str = typer.Option("auto", "--detect", help="Disguised-missing detection: auto, strict or off."),
    token: list[str] = typer.Option([], "--token", help="Extra value meaning 'missing' (repeatable)."),
    never: list[str] = typer.Option([], "--never", help="Value never to flag (repeatable)."),
    seed: int = typer.Option(0, "--seed", help="Random seed when fitting."),
    chunk_rows: int | None = typer.Option(
        None, "--chunk-rows", help="Stream the file in chunks of this many rows (files larger than memory)."
    ),
    fit_sample_rows: int = typer.Option(
        200_000, "--fit-sample-rows", help="When streaming: fit on a reservoir sample of this many rows."
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
    if chunk_rows is not None and chunk_rows < 1:
        raise fail("--chunk-rows must be a positive number of rows")
    if fit_sample_rows < 1:
        raise fail("--fit-sample-rows must be a positive number of rows")
    check_jobs(jobs)
    check_device(device)
    from revimpute.cli import _uncertainty

    if _uncertainty.wanted(method, intervals, multiple, report, report_json) or calibration is not None:
        _uncertainty.check_options(data, output, method, model, intervals, multiple, report, report_json,
                                   calibration, chunk_rows is not None or dask is not None)
        _uncertainty.impute_uncertain(data, output, model, method, detect, token, never, seed, jobs, device, quiet,
                                      escape_formulas, intervals, multiple, report, report_json, calibration)
        return
    imputer = build_imputer(method, model, seed, quiet, jobs, device)
    if chunk_rows is not None or dask is not None:
        impute_at_scale(data, output, imputer, chunk_rows, fit_sample_rows, dask, detect, seed, quiet,
                        escape_formulas)
        return
    impute_in_memory(data, output, imputer, model is None, detect, token, never, quiet, escape_formulas)


def impute_in_memory(data: str, output: str, imputer: Any, fit_here: bool, detect: str, token: list[str],
                     never: list[str], quiet: bool, escape_formulas: bool) -> None:
    """Read the whole file, impute it and write the result atomically."""
    from revimpute.clean import read_clean
    from revimpute.io import keep_written_text, table_format, write_table

    table = read_clean(data, detect, token, never)
    if not quiet:
        print_treated_as_missing(table)
    if fit_here:
        imputer.fit(table.frame)
    result = imputer.transform(table.frame)
    if table_format(output) == "csv":
        if table.text is not None:
            formats = table.detection.formats if table.detection is not None else None
            result = keep_written_text(result, table.frame, table.text, formats)
        result = formulas_in_output(result, escape_formulas, quiet)
    write_table(result, output)
    if not quiet:
        say(f"wrote {len(result)} rows to {output}")


def formulas_in_output(frame: Any, escape: bool, quiet: bool) -> Any:
    """Escape formula-like text cells of a CSV output, or warn about them."""
    from revimpute.io import escape_formulas

    escaped, counts = escape_formulas(frame)
    if not quiet:
        say_formulas(counts, escape)
    return escaped if escape else frame


def say_formulas(counts: dict, escaped: bool) -> None:
    """Say which columns hold formula-like text cells, escaped or not."""
    if not counts:
        return
    listing = ", ".join(f"{label!r} ({n})" for label, n in counts.items())
    if escaped:
        say(f"escaped formula-like text cells with ': {listing}")
    else:
        say(f"note: text cells that a spreadsheet would run as formulas are written as they are: {listing}; "
            "add --escape-formulas to prefix them with '")


def impute_at_scale(data: str, output: str, imputer: Any, chunk_rows: int | None, fit_sample_rows: int,
                    dask: str | None, detect: str, seed: int, quiet: bool, escape: bool) -> None:
    """Streaming (``--chunk-rows``) or Dask (``--dask``) imputation of a file."""
    from revimpute import scale

    if detect != "off" and not quiet:
        say("note: when streaming, only empty cells and pandas' standard NA tokens count as missing; "
            "run `revimpute scan` first for disguised values")
    options = {"chunk_rows": chunk_rows or 100_000, "fit_sample_rows": fit_sample_rows,
               "random_state": seed, "progress": not quiet, "escape_formulas": escape}
    if dask is None:
        report = scale.impute_file(data, output, imputer, **options)
    else:
        client = scale.connect(dask)
        try:
            report = scale.impute_file_dask(data, output, imputer, client, **options)
        finally:
            scale.disconnect(client)
    if not quiet:
        say_formulas(report.formula_cells, escape)
        say(
            f"wrote {report.rows} rows to {output} in {report.chunks} chunks, {report.seconds:.1f} s "
            f"({report.rows_per_second:,.0f} rows/s); fitted on {report.fitted_on}"
        )


@command()
def methods() -> None:
    """List the imputation methods available to --method."""
    from revimpute.impute import describe_imputers

    listing = Table(title="imputation methods")
    listing.add_column("name")
    listing.add_column("what it does")
    for name, summary in describe_imputers().items():
        listing.add_row(name, Text(summary))
    Console().print(listing)
