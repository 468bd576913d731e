"""The typer application and what every command shares: plain one-line errors,
warnings as one line, SIGTERM handled like Ctrl-C.

Everything printed here is plain text: a value, column name or path holding
``[red]`` or ``[/x]`` is printed as written, never read as rich markup.
"""

from __future__ import annotations

import functools
import signal
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.text import Text

from revimpute.exceptions import RevimputeError

app = typer.Typer(
    name="revimpute",
    help="Find missing and disguised-missing values and fill them by reverse training.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True, highlight=False)


def _print_version(value: bool) -> None:
    if value:
        from revimpute import __version__

        typer.echo(f"revimpute {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Find missing and disguised-missing values and fill them by reverse training."""

#: Exit codes: bad input (one line on stderr), interrupted (Ctrl-C), terminated (SIGTERM).
EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_TERMINATED = 2, 130, 143


def one_line(message: object) -> str:
    """``message`` with every run of whitespace (newlines included) as one space."""
    return " ".join(str(message).split())


def say(message: str, *, out: Console | None = None) -> None:
    """Print ``message`` as plain text (no markup), on stderr unless ``out`` is given."""
    (out or console).print(Text(message), soft_wrap=True)


def print_error(message: object) -> None:
    """Print ``error: message`` on one line of stderr."""
    console.print(Text.assemble(("error:", "bold red"), " ", one_line(message)), soft_wrap=True)


def fail(message: str) -> typer.Exit:
    """Print ``message`` as a one-line error and return the exit to raise."""
    print_error(message)
    return typer.Exit(code=EXIT_BAD_INPUT)


@contextmanager
def warnings_as_lines(quiet: bool) -> Iterator[None]:
    """Show each warning as one ``warning: ...`` line (none at all when ``quiet``)."""

    def show(message: Any, category: type, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
        console.print(Text.assemble(("warning:", "yellow"), " ", one_line(message)), soft_wrap=True)

    with warnings.catch_warnings():
        if quiet:
            warnings.simplefilter("ignore")
        else:
            warnings.simplefilter("default")
            warnings.showwarning = show
        yield


def command(*args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``app.command`` whose input errors end as a one-line message and exit code 2.

    A command with a ``quiet`` parameter gets its warnings silenced by it;
    others show them as one line each.
    """
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def run(*a: Any, **k: Any) -> Any:
            try:
                with warnings_as_lines(bool(k.get("quiet", False))):
                    return func(*a, **k)
            except RevimputeError as exc:
                raise fail(str(exc)) from None
            except ValueError as exc:
                if not _is_parameter_error(exc):
                    raise
                raise fail(str(exc)) from None
            except OSError as exc:
                where = f"{exc.filename}: " if exc.filename else ""
                raise fail(f"{where}{exc.strerror or exc}") from None

        return app.command(*args, **kwargs)(run)

    return decorate


def _is_parameter_error(exc: BaseException) -> bool:
    """True for scikit-learn's InvalidParameterError (a parameter given a wrong value)."""
    validation = sys.modules.get("sklearn.utils._param_validation")
    return validation is not None and isinstance(exc, validation.InvalidParameterError)


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when the process receives SIGTERM."""


_received: list[int] = []  # the signals the process received while a command ran


def _terminate(signum: int, frame: Any) -> None:
    _received.append(signum)
    raise Terminated()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``revimpute`` script.

    Usage errors (unknown option, a value of the wrong type) and input errors
    print one line and exit with 2; Ctrl-C exits with 130 and SIGTERM with 143,
    after removing any partly written output.
    """
    from typer.exceptions import TyperException

    previous = signal.signal(signal.SIGTERM, _terminate)
    _received.clear()
    try:
        code = app(args=argv, prog_name="revimpute", standalone_mode=False)
        if code == EXIT_INTERRUPTED:  # typer turns Ctrl-C (and so SIGTERM) into exit code 130
            raise Terminated() if _received else KeyboardInterrupt()
    except Terminated:
        print_error("terminated (SIGTERM); no output was written")
        code = EXIT_TERMINATED
    except KeyboardInterrupt:
        print_error("interrupted; no output was written")
        code = EXIT_INTERRUPTED
    except RevimputeError as exc:
        print_error(exc)
        code = EXIT_BAD_INPUT
    except TyperException as exc:  # usage errors: unknown option, bad value, missing argument
        code = _usage_error(exc)
    finally:
        signal.signal(signal.SIGTERM, previous)
    sys.exit(code if isinstance(code, int) else 0)


def _usage_error(exc: Any) -> int:
    """Print a usage error on one line (the help, when no command was given)."""
    if type(exc).__name__ == "NoArgsIsHelpError" and getattr(exc, "ctx", None) is not None:
        typer.echo(exc.ctx.get_help())
        return 0
    if type(exc).__name__ == "Abort":  # end of input while a command asked for it
        print_error("interrupted; no output was written")
        return EXIT_INTERRUPTED
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    hint = ""
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        hint = f" (see `{ctx.command_path} --help`)"
    print_error(f"{message}{hint}")
    return int(getattr(exc, "exit_code", EXIT_BAD_INPUT) or EXIT_BAD_INPUT)
