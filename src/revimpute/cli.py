"""The ``revimpute`` command line: scan, fit, impute, demo and bench.

Every error caused by the input is printed as one line and exits with code 2;
success exits with 0.
"""

from __future__ import annotations

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


# --- commands ---------------------------------------------------------------
# (each command lives in its own section below; keep sections independent)

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
