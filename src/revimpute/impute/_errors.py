"""The errors revimpute's imputers raise, and estimators' errors as one-line input errors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sklearn.utils._param_validation import InvalidParameterError

from revimpute.exceptions import InputDataError, RevimputeError


class ParameterError(RevimputeError, InvalidParameterError):
    """A parameter given a value it cannot take.

    A :class:`~revimpute.exceptions.RevimputeError` (the command line shows it
    on one line) that is also scikit-learn's ``InvalidParameterError``, which
    scikit-learn's checks and ``except`` clauses look for.
    """


class InputTypeError(InputDataError, TypeError):
    """A cell that is no number where numbers are expected (a dict, say).

    Also a ``TypeError``, as NumPy's conversion error for such a cell is.
    """


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (whitespace runs, newlines included, become one space)."""
    return " ".join(str(exc).split())


@contextlib.contextmanager
def as_input_error(method: str, step: str) -> Iterator[None]:
    """A scikit-learn estimator's ValueError on the data, as a one-line :class:`InputDataError`."""
    try:
        yield
    except RevimputeError:
        raise
    except ValueError as exc:
        raise InputDataError(
            f"{method}.{step} cannot handle this table ({one_line(exc)}); extreme magnitudes are a common "
            "cause: rescale the columns or try another method"
        ) from None
