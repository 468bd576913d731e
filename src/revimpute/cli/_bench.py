"""``revimpute bench``: every imputer on real tables under simulated missingness (revimpute.bench.runner)."""

from __future__ import annotations

import time

import typer
from rich.console import Console
from rich.table import Table

from revimpute.cli._app import command, fail, say


def _clock(seconds: float) -> str:
    """Seconds as h:mm:ss (or m:ss under an hour)."""
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


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

    from revimpute.bench.config import BenchConfig, quick_config
    from revimpute.bench.report import write_outputs
    from revimpute.bench.results import BenchResults
    from revimpute.bench.runner import run_benchmark
    from revimpute.bench.summary import mean_ranks, summarise

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
    keys = [(c.dataset, c.mechanism, c.rate, c.seed) for c in config.cases()]
    kept = {r.key for r in previous.records if r.method not in again} if previous is not None else set()
    total = sum((*key, m) not in kept for key in keys for m in config.methods)  # runs this call makes
    begin = time.perf_counter()
    finished = [0]

    def progress(record) -> None:
        finished[0] += 1
        if quiet:
            return
        score = f"RMSE {record.rmse:.4f}" if record.status == "ok" else record.status
        elapsed = time.perf_counter() - begin
        left = elapsed / finished[0] * max(total - finished[0], 0)
        say(f"[{finished[0]}/{total} runs, {_clock(elapsed)} elapsed, about {_clock(left)} left] "
            f"{record.dataset} {record.mechanism} {record.rate:g} seed {record.seed} "
            f"{record.method}: {score} ({record.seconds or 0:.1f} s)")

    if not quiet:
        say(f"{n_cases} cases x {len(config.methods)} methods; writing to {out}")
    results = run_benchmark(config, previous=previous, rerun=again, command=command_line, on_record=progress,
                            on_case=lambda r: write_outputs(r, out, plots=not quick))
    write_outputs(results, out)
    ranks = mean_ranks(summarise(results))
    if not ranks.empty:
        table = Table(title="mean rank across cells (1 = best)")
        for column in ("method", "RMSE", "downstream", "time", "cells finished"):
            table.add_column(column)
        for method, row in ranks.iterrows():
            table.add_row(method, f"{row['rmse']:.2f}", f"{row['downstream']:.2f}", f"{row['seconds']:.2f}",
                          f"{int(row['completed'])}/{int(row['cells'])}")
        Console().print(table)
    say(f"report: {out}/report.md", out=Console())
