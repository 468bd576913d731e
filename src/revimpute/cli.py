"""The ``revimpute`` command line: scan, fit, impute, demo and bench.

Every error caused by the input is printed as one line and exits with code 2;
success exits with 0.
"""

from __future__ import annotations

import functools
import sys

import typer
from rich.console import Console

from revimpute.exceptions import RevimputeError

app = typer.Typer(
    name="revimpute",
    help="Find missing and disguised-missing values and fill them by reverse training.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)


def fail(message: str) -> typer.Exit:
    """Print ``message`` as a one-line error and return the exit to raise."""
    console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def command(*args, **kwargs):
    """``app.command`` whose input errors end as a one-line message and exit code 2."""

    def decorate(func):
        @functools.wraps(func)
        def run(*a, **k):
            try:
                return func(*a, **k)
            except RevimputeError as exc:
                raise fail(str(exc)) from None
            except OSError as exc:
                raise fail(f"{exc.filename or ''}: {exc.strerror or exc}") from None

        return app.command(*args, **kwargs)(run)

    return decorate


# --- commands ---------------------------------------------------------------
# (each command lives in its own section below; keep sections independent)

# --- scan: find missing and disguised-missing values (revimpute.detect) -------


@app.command()
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

    from revimpute.detect import POLICIES, detect_missing, drop_advice
    from revimpute.detect import report as scan_report
    from revimpute.io import read_table

    if detect not in POLICIES:
        raise fail(f"--detect must be one of {', '.join(POLICIES)}, got {detect!r}")
    try:
        frame = read_table(data, as_text=True)
        result = detect_missing(frame, policy=detect, extra_tokens=token, never_flag=never)
        advice = drop_advice(result.cleaned)
    except RevimputeError as exc:
        raise fail(" ".join(str(exc).split())) from None  # one line, whatever the message
    except OSError as exc:
        raise fail(f"{data}: cannot read the file ({exc.strerror or exc})") from None
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
        Console().print(f"report written to {report}", highlight=False)

# --- end of scan ----------------------------------------------------------------

# --- fit, impute, methods: the imputer on files (revimpute.impute) ---------------


def _read_for_imputation(data: str, detect: str, token: list[str], never: list[str], quiet: bool):
    """Read ``data``; unless ``detect`` is off, turn disguised missing values into NaN."""
    from revimpute.io import read_table, table_format, typed_columns

    is_csv = table_format(data) == "csv"
    text = read_table(data, as_text=True) if is_csv else None
    if detect == "off":
        frame = read_table(data)
        return typed_columns(frame, text) if is_csv else frame
    from revimpute.detect import POLICIES, detect_missing

    if detect not in POLICIES:
        raise fail(f"--detect must be one of {', '.join(POLICIES)}, got {detect!r}")
    frame = text if is_csv else read_table(data)
    result = detect_missing(frame, policy=detect, extra_tokens=token, never_flag=never)
    if not quiet:
        _print_treated_as_missing(result)
    if is_csv:
        return typed_columns(result.cleaned, text)
    return _restore_types(result.cleaned, frame)


def _restore_types(cleaned, original):
    """Give integer, boolean, datetime and category columns back their file's type
    (the detector works on numbers and text; a Parquet file says what each column is)."""
    import pandas as pd

    out = cleaned.copy()
    for j, dtype in enumerate(original.dtypes):
        keep = (pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
                or pd.api.types.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype))
        if not keep or out.dtypes.iloc[j] == dtype:
            continue
        if not pd.api.types.is_extension_array_dtype(dtype) and out.iloc[:, j].isna().any():
            dtype = {"i": "Int64", "u": "UInt64", "b": "boolean"}.get(getattr(dtype, "kind", ""), dtype)
        try:
            out.isetitem(j, out.iloc[:, j].astype(dtype))
        except (TypeError, ValueError):
            continue  # the detector changed the values themselves: keep its column
    return out


def _print_treated_as_missing(result) -> None:
    from rich.table import Table

    disguised = list(result.findings)
    n_missing = int(result.mask.to_numpy().sum())
    console.print(f"treated as missing: {n_missing} cells", highlight=False)
    if not disguised:
        return
    table = Table(title="disguised missing values found (use --detect off to keep them)")
    for name in ("column", "value", "count", "kind", "confidence"):
        table.add_column(name)
    for f in disguised:
        table.add_row(str(f.column), repr(f.value), str(f.count), f.kind, f"{f.confidence:.2f}")
    console.print(table)


@command()
def fit(
    data: str = typer.Argument(..., help="CSV/TSV or Parquet file to learn from."),
    model: str = typer.Option(..., "--model", "-m", help="Folder to save the fitted model in."),
    detect: str = typer.Option("auto", "--detect", help="Disguised-missing detection: auto, strict or off."),
    token: list[str] = typer.Option([], "--token", help="Extra value meaning 'missing' (repeatable)."),
    never: list[str] = typer.Option([], "--never", help="Value never to flag (repeatable)."),
    max_epochs: int = typer.Option(500, "--max-epochs", help="Upper bound on training epochs."),
    seed: int = typer.Option(0, "--seed", help="Random seed of training."),
    jobs: int = typer.Option(
        -1, "--jobs", "-j", help="Networks trained and searched side by side, each on its share of the CPU threads "
        "(-1: as many as there are threads; 1: one after the other)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or summaries."),
) -> None:
    """Train a reverse-training model on DATA and save it to --model."""
    from revimpute.impute import ReverseImputer

    _check_jobs(jobs)
    frame = _read_for_imputation(data, detect, token, never, quiet)
    imputer = ReverseImputer(max_epochs=max_epochs, random_state=seed, verbose=not quiet, n_jobs=jobs)
    imputer.fit(frame)
    imputer.save(model)
    if not quiet:
        console.print(
            f"model saved to {model} ({len(imputer.history_.train_loss)} epochs, "
            f"best validation loss {min(imputer.history_.validation_loss):.4f})",
            highlight=False,
        )


@command()
def impute(
    data: str = typer.Argument(..., help="CSV/TSV or Parquet file with gaps."),
    output: str = typer.Option(..., "--output", "-o", help="Where to write the repaired table (.csv/.parquet)."),
    model: str | None = typer.Option(None, "--model", "-m", help="A model saved by `revimpute fit`; default: fit on DATA."),
    method: str = typer.Option("reverse", "--method", help="Imputer name (see `revimpute methods`)."),
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
    jobs: int = typer.Option(
        -1, "--jobs", "-j", help="Networks trained and searched side by side, each on its share of the CPU threads "
        "(-1: as many as there are threads; 1: one after the other)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or summaries."),
) -> None:
    """Fill every missing cell of DATA and write the result to --output."""
    from revimpute.impute import ReverseImputer, available_imputers, get_imputer
    from revimpute.io import table_format, write_table

    table_format(output)  # fail early on an unknown output type
    if method not in available_imputers():
        raise fail(f"unknown method {method!r}; choose one of {', '.join(available_imputers())}")
    if model is not None and method != "reverse":
        raise fail("--model holds a reverse-training model; leave --method out or use --method reverse")
    if chunk_rows is not None and chunk_rows < 1:
        raise fail("--chunk-rows must be a positive number of rows")
    _check_jobs(jobs)
    if model is not None:
        imputer = ReverseImputer.load(model)
        imputer.set_params(verbose=not quiet, n_jobs=jobs)
    else:
        default = get_imputer(method)
        params = {"random_state": seed} if "random_state" in default.get_params() else {}
        if isinstance(default, ReverseImputer):  # reverse, autoencoder
            params.update(verbose=not quiet, n_jobs=jobs)
        imputer = get_imputer(method, **params)
    if chunk_rows is not None or dask is not None:
        _impute_at_scale(data, output, imputer, chunk_rows, fit_sample_rows, dask, detect, seed, quiet)
        return
    frame = _read_for_imputation(data, detect, token, never, quiet)
    if model is None:
        imputer.fit(frame)
    result = imputer.transform(frame)
    write_table(result, output)
    if not quiet:
        console.print(f"wrote {len(result)} rows to {output}", highlight=False)


def _check_jobs(jobs: int) -> None:
    if jobs == 0:
        raise fail("--jobs must be a positive number of jobs, or -1 for one per CPU thread")


def _impute_at_scale(data, output, imputer, chunk_rows, fit_sample_rows, dask, detect, seed, quiet) -> None:
    """Streaming (``--chunk-rows``) or Dask (``--dask``) imputation of a file."""
    from revimpute import scale

    if detect != "off" and not quiet:
        console.print(
            "note: when streaming, only empty cells and pandas' standard NA tokens count as missing; "
            "run `revimpute scan` first for disguised values",
            highlight=False,
        )
    options = {"chunk_rows": chunk_rows or 100_000, "fit_sample_rows": fit_sample_rows,
               "random_state": seed, "progress": not quiet}
    if dask is None:
        report = scale.impute_file(data, output, imputer, **options)
    else:
        client = scale.connect(dask)
        try:
            report = scale.impute_file_dask(data, output, imputer, client, **options)
        finally:
            client.close()
    if not quiet:
        console.print(
            f"wrote {report.rows} rows to {output} in {report.chunks} chunks, {report.seconds:.1f} s "
            f"({report.rows_per_second:,.0f} rows/s); fitted on {report.fitted_on}",
            highlight=False,
        )


@command()
def methods() -> None:
    """List the imputation methods available to --method."""
    from rich.table import Table

    from revimpute.impute import describe_imputers

    table = Table(title="imputation methods")
    table.add_column("name")
    table.add_column("what it does")
    for name, summary in describe_imputers().items():
        table.add_row(name, summary)
    Console().print(table)

# --- end of fit, impute, methods -----------------------------------------------------

# --- demo: the main job on embedded data (revimpute.bench.demo) ------------------


@command()
def demo(
    dataset: str = typer.Argument("breast_cancer", help="breast_cancer (a table) or mnist (images)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the removed cells (breast_cancer)."),
    band: str = typer.Option("middle", "--band", help="mnist: top, middle, bottom or all."),
    limit: int | None = typer.Option(None, "--limit", help="mnist: use the first N test digits."),
    figure: str = typer.Option("mnist_demo.png", "--figure", help="mnist: where to write the picture."),
    knn: bool | None = typer.Option(
        None, "--knn/--no-knn",
        help="mnist: run KNN too (default: only up to 1,000 digits; it takes minutes per 500 digits).",
    ),
) -> None:
    """Remove values from real data, repair them with every method, score each."""
    if dataset == "mnist":
        _demo_mnist(band, limit, figure, knn)
        return
    if dataset != "breast_cancer":
        raise fail(f"unknown demo {dataset!r}; choose breast_cancer or mnist")
    from rich.table import Table

    from revimpute.bench.demo import table_demo

    out = Console()
    out.print(
        "[bold]breast_cancer[/] (569 x 30, min-max scaled), 20% of cells removed completely at "
        f"random (numpy default_rng({seed})); score = RMSE on the removed cells",
        highlight=False,
    )
    rows, _shape, n_missing = table_demo(seed=seed)
    table = Table(title=f"{n_missing} cells imputed")
    table.add_column("method")
    table.add_column("RMSE", justify="right")
    table.add_column("seconds", justify="right")
    best = min(r.rmse for r in rows)
    for r in rows:
        style = "bold green" if r.rmse == best else ""
        table.add_row(r.method, f"{r.rmse:.4f}", f"{r.seconds:.1f}", style=style)
    out.print(table)


def _demo_mnist(band: str, limit: int | None, figure: str, knn: bool | None = None) -> None:
    from rich.table import Table

    from revimpute.bench.mnist import load_mnist
    from revimpute.bench.mnist_experiment import demo_methods, mnist_model, run_corruption, save_figure

    bands = ("top", "middle", "bottom") if band == "all" else (band,)
    if any(b not in ("top", "middle", "bottom") for b in bands):
        raise fail(f"--band must be top, middle, bottom or all, got {band!r}")
    if limit is not None and limit < 1:
        raise fail("--limit must be a positive number of test digits")
    out = Console()
    data = load_mnist()
    imputer, trained = mnist_model(train=data.train)
    if trained is not None:
        out.print(f"trained the MNIST autoencoder in {trained:.0f} s (cached for next time)")
    test = data.test if limit is None else data.test[:limit]
    methods = demo_methods(len(test), knn)
    if "knn" not in methods and knn is None:
        out.print(f"KNN left out on {len(test)} digits (minutes per 500 digits); add --knn, or --limit 500",
                  highlight=False)
    for name in bands:
        run = run_corruption(imputer, test, data.train, name, methods=methods)
        table = Table(title=f"MNIST, {len(test)} test digits, pixel rows of the {name} band hidden (36%)")
        table.add_column("method", no_wrap=True, min_width=15)
        for col in ("acc. all pixels", "acc. whole output", "acc. missing", "RMSE missing", "seconds"):
            table.add_column(col, justify="right")
        for sc in run.scores:
            whole = "" if sc.whole_output_accuracy is None else f"{sc.whole_output_accuracy:.4f}"
            table.add_row(sc.method, f"{sc.accuracy:.4f}", whole, f"{sc.missing_accuracy:.4f}",
                          f"{sc.missing_rmse:.4f}", f"{sc.seconds:.1f}")
        out.print(table)
        path = figure if len(bands) == 1 else figure.replace(".png", f"_{name}.png")
        save_figure(run, path)
        out.print(f"figure written to {path}", highlight=False)

# --- end of demo -------------------------------------------------------------------

# --- bench: every imputer on real tables under simulated missingness (revimpute.bench.harness) ---


def _bench_list(text: str | None, what: str, convert=str) -> list | None:
    """Split a comma-separated option; None when not given."""
    if text is None:
        return None
    items = [t.strip() for t in text.split(",") if t.strip()]
    try:
        return [convert(t) for t in items]
    except ValueError:
        raise fail(f"--{what} takes a comma-separated list, got {text!r}") from None


@command()
def bench(
    datasets: str | None = typer.Option(None, "--datasets", help="Comma-separated tables (default: all)."),
    methods: str | None = typer.Option(None, "--methods", help="Comma-separated imputers (default: all)."),
    mechanisms: str | None = typer.Option(
        None, "--mechanisms",
        help="Comma-separated: mcar, mar, mnar_logistic, mnar_quantile, column_block (default: all five)."),
    rates: str | None = typer.Option(None, "--rates", help="Comma-separated missing rates (default 0.1,0.3,0.5)."),
    seeds: str | None = typer.Option(None, "--seeds", help="Comma-separated seeds (default 0,1,2)."),
    quick: bool = typer.Option(False, "--quick", help="CI-sized run: iris and wine, seed 0, MCAR 0.2, fast methods."),
    out: str = typer.Option("bench-results", "--out", help="Folder for the tables, plots, JSON and CSV."),
    time_budget: float | None = typer.Option(
        None, "--time-budget", help="Seconds per method and case before it is stopped (default 300; quick 60)."),
    crosscheck: bool = typer.Option(False, "--crosscheck", help="Also run GAIN's published setting."),
    resume: bool = typer.Option(False, "--resume", help="Keep the runs already in --out; run only the rest."),
    rerun: str | None = typer.Option(
        None, "--rerun", help="With --resume: comma-separated methods whose kept runs are run again."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No line per finished run."),
) -> None:
    """Compare every imputer: remove cells by a mechanism, impute, score against the truth."""
    import shlex

    from revimpute.bench.harness import BenchConfig, BenchResults, quick_config, run_benchmark
    from revimpute.bench.report import mean_ranks, summarise, write_outputs

    config = quick_config() if quick else BenchConfig()
    given = {
        "datasets": _bench_list(datasets, "datasets"), "methods": _bench_list(methods, "methods"),
        "mechanisms": _bench_list(mechanisms, "mechanisms"), "rates": _bench_list(rates, "rates", float),
        "seeds": _bench_list(seeds, "seeds", int),
    }
    for name, value in given.items():
        if value is not None:
            setattr(config, name, value)
    if time_budget is not None:
        config.time_budget = time_budget
    config.crosscheck = crosscheck
    config.validate()
    again = _bench_list(rerun, "rerun") or []
    if again and not resume:
        raise fail("--rerun needs --resume (it replaces runs kept from an earlier invocation)")
    unknown = [m for m in again if m not in config.methods]
    if unknown:
        raise fail(f"--rerun names methods that are not run: {', '.join(unknown)}")
    previous = BenchResults.load(out) if resume else None
    words = ["revimpute", "bench"] + (["--quick"] if quick else [])
    for flag, value in (("--datasets", datasets), ("--methods", methods), ("--mechanisms", mechanisms),
                        ("--rates", rates), ("--seeds", seeds), ("--time-budget", time_budget)):
        if value is not None:
            words += [flag, f"{value:g}" if isinstance(value, float) else value]
    words += (["--crosscheck"] if crosscheck else []) + ["--out", out] + (["--resume"] if resume else [])
    words += ["--rerun", rerun] if rerun else []
    command_line = shlex.join(words)
    n_cases = len(config.cases())

    def progress(record) -> None:
        if quiet:
            return
        score = f"RMSE {record.rmse:.4f}" if record.status == "ok" else record.status
        console.print(f"{record.dataset} {record.mechanism} {record.rate:g} seed {record.seed} "
                      f"{record.method}: {score} ({record.seconds or 0:.1f} s)", highlight=False)

    if not quiet:
        console.print(f"{n_cases} cases x {len(config.methods)} methods; writing to {out}", highlight=False)
    results = run_benchmark(config, previous=previous, rerun=again, command=command_line, on_record=progress,
                            on_case=lambda r: write_outputs(r, out, plots=not quick))
    write_outputs(results, out)
    ranks = mean_ranks(summarise(results))
    if not ranks.empty:
        from rich.table import Table

        table = Table(title="mean rank across cells (1 = best)")
        for column in ("method", "RMSE", "downstream", "time", "cells finished"):
            table.add_column(column)
        for method, row in ranks.iterrows():
            table.add_row(method, f"{row['rmse']:.2f}", f"{row['downstream']:.2f}", f"{row['seconds']:.2f}",
                          f"{int(row['completed'])}/{int(row['cells'])}")
        Console().print(table)
    Console().print(f"report: {out}/report.md", highlight=False)

# --- end of bench -------------------------------------------------------------------

# --- end of commands ----------------------------------------------------------


def main() -> None:
    """Entry point of the ``revimpute`` script."""
    try:
        app()
    except RevimputeError as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
