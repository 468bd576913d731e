"""Exceptions raised by revimpute.

Every error a user can cause (bad data, bad file, bad parameter) is a
:class:`RevimputeError`, so the command line can print its message on one line
and exit with code 2 instead of showing a traceback.
"""

from __future__ import annotations


class RevimputeError(ValueError):
    """Base class for errors caused by the user's input."""


class InputDataError(RevimputeError):
    """The table or array given to revimpute cannot be used as it is."""


class ModelFileError(RevimputeError):
    """A saved model is missing, corrupt, tampered with or does not match."""
