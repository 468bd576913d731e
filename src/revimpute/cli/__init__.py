"""The ``revimpute`` command line: scan, clean, fit, impute, methods, demo and bench.

Every error caused by the input is printed as one line and exits with code 2;
success exits with 0. Each command lives in its own module; importing this
package loads typer and rich only (the library is imported when a command runs).
"""

from revimpute.cli import _bench, _clean, _demo, _impute, _scan  # noqa: F401  (they register the commands)
from revimpute.cli._app import app, main

__all__ = ["app", "main"]
