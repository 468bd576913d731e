"""Docstring fragments shared by several functions, written once.

A docstring holds a line ``%(name)s`` where a fragment goes; :func:`fill_doc`
replaces that line by the fragment, indented as the line was. A placeholder
without a fragment is an error when the module is imported.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import TypeVar

__all__ = ["fill_doc"]

T = TypeVar("T")


def fill_doc(**fragments: str) -> Callable[[T], T]:
    """Decorator that puts the given fragments into a function's or class's docstring.

    Parameters
    ----------
    **fragments : str
        Text of each fragment, by the name its placeholder line gives
        (``%(name)s``). Indentation common to its lines is removed, then the
        placeholder's indentation is added.

    Returns
    -------
    callable
        The decorator: it changes ``__doc__`` and returns the object itself.

    Raises
    ------
    KeyError
        If the docstring names a fragment that was not given.

    Examples
    --------
    >>> from revimpute.docstrings import fill_doc
    >>> @fill_doc(both="x : float\\n    A number.")
    ... def double(x):
    ...     '''Twice ``x``.
    ...
    ...     Parameters
    ...     ----------
    ...     %(both)s
    ...     '''
    ...     return 2 * x
    >>> print(double.__doc__.splitlines()[4])
        x : float
    """

    def decorate(obj: T) -> T:
        if obj.__doc__:  # None under python -OO
            obj.__doc__ = _filled(obj.__doc__, fragments)
        return obj

    return decorate


def _filled(doc: str, fragments: dict[str, str]) -> str:
    lines: list[str] = []
    for line in doc.splitlines():
        stripped = line.strip()
        if stripped.startswith("%(") and stripped.endswith(")s"):
            indent = line[: len(line) - len(line.lstrip())]
            fragment = textwrap.dedent(fragments[stripped[2:-2]]).strip("\n")
            lines.extend(indent + part if part else part for part in fragment.splitlines())
        else:
            lines.append(line)
    return "\n".join(lines)
