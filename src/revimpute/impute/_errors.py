"""Errors of the estimators revimpute runs, as one-line input errors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from revimpute.exceptions import InputDataError, RevimputeError


@contextlib.contextmanager
def as_input_error(method: str, step: str) -> Iterator[None]:
    """A scikit-learn estimator's ValueError on the data, as a one-line :class:`InputDataError`."""
    try:
        yield
    except RevimputeError:
        raise
    except ValueError as exc:
        reason = " ".join(str(exc).split())
        raise InputDataError(
            f"{method}.{step} cannot handle this table ({reason}); extreme magnitudes are a common "
            "cause: rescale the columns or try another method"
        ) from None
