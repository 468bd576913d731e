"""``revimpute demo``: the main job on embedded data (revimpute.bench.demo)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from revimpute.cli._app import command, fail, say


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
    from revimpute.bench.demo import DemoRow, table_demo

    out = Console()
    out.print(Text.assemble(
        ("breast_cancer", "bold"),
        " (569 x 30, min-max scaled), 20% of cells removed completely at "
        f"random (numpy default_rng({seed})); score = RMSE on the removed cells",
    ))

    def on_method(method: str, row: DemoRow | None) -> None:  # one line per method on stderr
        if row is None:
            say(f"{method}: running" + (" (trains the networks; reverse reuses them)" if method == "autoencoder"
                                        else ""))
        else:
            say(f"{method}: done in {row.seconds:.1f} s, RMSE {row.rmse:.4f}")

    rows, _shape, n_missing = table_demo(seed=seed, on_method=on_method, verbose=True)
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
        say(f"trained the MNIST autoencoder in {trained:.0f} s (cached for next time)", out=out)
    test = data.test if limit is None else data.test[:limit]
    methods = demo_methods(len(test), knn)
    if "knn" not in methods and knn is None:
        say(f"KNN left out on {len(test)} digits (minutes per 500 digits); add --knn, or --limit 500", out=out)
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
        say(f"figure written to {path}", out=out)
