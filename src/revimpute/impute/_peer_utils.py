"""Plumbing shared by the generative peer imputers (GAIN, MIWAE, Sinkhorn).

The algorithms live in ``_gain.py``, ``_miwae.py`` and ``_sinkhorn.py``; this
module holds what they do alike: checking the input array, turning
``random_state`` into local generators, building linear layers without touching
PyTorch's global random state, and putting the observed cells back unchanged.
"""

from __future__ import annotations

import inspect
from numbers import Integral
from typing import Union

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, InvalidParameterError
from sklearn.utils.validation import check_array, check_is_fitted

from revimpute.encode.finite import reject_infinite
from revimpute.exceptions import InputDataError, RevimputeError

#: ``check_array``'s switch for the finiteness check (renamed in scikit-learn 1.6).
_FINITE_KEYWORD = (
    "ensure_all_finite"
    if "ensure_all_finite" in inspect.signature(check_array).parameters
    else "force_all_finite"
)

RandomState = Union[None, int, np.random.Generator]

#: ``random_state`` accepted by every peer imputer (scikit-learn constraint syntax).
RANDOM_STATE_CONSTRAINT = [None, Interval(Integral, 0, None, closed="left"), np.random.Generator]


def to_float_array(X: object, *, what: str) -> np.ndarray:
    """Return ``X`` as a new 2-D float64 array, with NaN marking the missing cells.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        A numpy array, a pandas DataFrame or anything ``np.asarray`` reads.
    what : str
        Name of the estimator and method, used in error messages.

    Returns
    -------
    numpy.ndarray
        The data as float64 (a copy; ``X`` is never modified).

    Raises
    ------
    InputDataError
        If ``X`` cannot be read as real numbers, is sparse, is not 2-D, is
        empty or holds an infinite value.
    """
    try:
        array = check_array(X, dtype=np.float64, copy=True, input_name="X", **{_FINITE_KEYWORD: False})
    except (TypeError, ValueError) as exc:
        reason = " ".join(str(exc).split()).rstrip(".")  # one line, for the command line
        raise InputDataError(
            f"{what}: {reason}. The data must be a dense 2-D table of real numbers with NaN for "
            "missing cells; encode text or categorical columns as numbers first."
        ) from exc
    reject_infinite(array, str, what)
    return array


def check_fit_columns(X: np.ndarray, *, what: str) -> None:
    """Refuse training data with a column that has no observed value.

    Raises
    ------
    InputDataError
        Naming the column indices that are entirely missing.
    """
    empty = np.flatnonzero(np.isnan(X).all(axis=0))
    if empty.size:
        listed = ", ".join(str(int(c)) for c in empty[:10]) + (" ..." if empty.size > 10 else "")
        raise InputDataError(
            f"{what}: column(s) {listed} have no observed value, so nothing can be learned "
            "about them; drop them or give at least one value."
        )


def torch_generator(seed: int) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with ``seed`` (the global generator is left alone)."""
    return torch.Generator().manual_seed(int(seed))


def draw_seeds(random_state: RandomState, count: int) -> list[int]:
    """Draw ``count`` independent 63-bit seeds from ``random_state``.

    ``None`` gives fresh entropy, an int a fixed stream, and a
    ``numpy.random.Generator`` is drawn from (and so advanced), as in numpy.
    """
    rng = np.random.default_rng(random_state)
    return [int(s) for s in rng.integers(0, 2**63 - 1, size=count)]


def make_linear(n_in: int, n_out: int) -> torch.nn.Linear:
    """An uninitialised ``nn.Linear`` built without drawing from the global generator.

    PyTorch initialises a new layer from its global random state; building it
    on the ``meta`` device and materialising it empty avoids that. The caller
    initialises the weights from its own generator.
    """
    return torch.nn.Linear(n_in, n_out, device="meta").to_empty(device="cpu")


def default_bias_init_(layer: torch.nn.Linear, generator: torch.Generator) -> None:
    """Draw ``layer.bias`` as PyTorch's default init does, U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1.0 / np.sqrt(layer.in_features)
    with torch.no_grad():
        layer.bias.uniform_(-bound, bound, generator=generator)


def keep_observed(X: np.ndarray, imputed: np.ndarray) -> np.ndarray:
    """Return ``imputed`` in the missing cells of ``X`` and ``X`` itself elsewhere.

    The observed cells are copied from ``X`` so they are bitwise unchanged.
    """
    return np.where(np.isnan(X), imputed, X)


def column_scale(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of the observed values of each column.

    A column whose observed values are all equal gets a scale of 1, so
    standardising it gives zeros instead of NaN.
    """
    mean = np.nanmean(X, axis=0)
    std = np.nanstd(X, axis=0)
    std = np.where(std > 0, std, 1.0)
    return mean, std


class PeerImputerBase(TransformerMixin, BaseEstimator):
    """Input checks and scikit-learn plumbing shared by the generative peer imputers.

    Subclasses declare ``_parameter_constraints`` and implement ``fit`` and
    ``transform`` using :meth:`_validated_fit_input` and
    :meth:`_validated_transform_input`.
    """

    _parameter_constraints: dict = {}

    def _validated_fit_input(self, X: object) -> np.ndarray:
        """Check the parameters and the training data; set ``n_features_in_``."""
        try:
            self._validate_params()
        except InvalidParameterError as exc:
            raise RevimputeError(f"{type(self).__name__}: {exc}") from exc
        what = f"{type(self).__name__}.fit"
        array = to_float_array(X, what=what)
        check_fit_columns(array, what=what)
        self.n_features_in_ = array.shape[1]
        return array

    def _validated_transform_input(self, X: object) -> np.ndarray:
        """Check that the estimator is fitted and that ``X`` matches the training columns."""
        check_is_fitted(self, "n_features_in_")
        what = f"{type(self).__name__}.transform"
        array = to_float_array(X, what=what)
        if array.shape[1] != self.n_features_in_:
            raise InputDataError(
                f"{what}: X has {array.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input (the columns seen at fit); give the same "
                "columns in the same order."
            )
        return array

    def __sklearn_tags__(self):  # scikit-learn >= 1.6
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def _more_tags(self) -> dict:  # scikit-learn < 1.6
        return {"allow_nan": True}

