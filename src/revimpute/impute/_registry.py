"""The imputers by name: ours and the baselines, one interface.

``get_imputer("knn")`` returns a fresh estimator with the revimpute input
handling (checks, DataFrame round trip, observed cells untouched).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sklearn.ensemble import ExtraTreesRegressor
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.linear_model import BayesianRidge

from revimpute.exceptions import RevimputeError


@dataclass(frozen=True)
class ImputerEntry:
    """A registered method: how to build it and one line about it."""

    name: str
    build: Callable[..., Any]
    summary: str


def _sklearn(factory: Callable[..., Any]) -> Callable[..., Any]:
    def build(**params: Any) -> Any:
        from revimpute.impute._wrapped import SklearnImputer

        wrapper_keys = {"missing_values", "add_indicator", "keep_empty_features"}
        outer = {k: v for k, v in params.items() if k in wrapper_keys}
        inner = {k: v for k, v in params.items() if k not in wrapper_keys}
        return SklearnImputer(factory(**inner), **outer)

    return build


def _reverse(**params: Any) -> Any:
    from revimpute.impute._reverse import ReverseImputer

    return ReverseImputer(**params)


def _autoencoder_pass(**params: Any) -> Any:
    from revimpute.impute._reverse import ReverseImputer

    return ReverseImputer(**{"estimate": "pass", **params})


def _most_frequent(**params: Any) -> Any:
    from revimpute.impute._mean_mode import MeanModeImputer

    return MeanModeImputer(**{"numeric_strategy": "most_frequent", **params})


def _constant(**params: Any) -> Any:
    from revimpute.impute._constant import ConstantImputer

    return ConstantImputer(**params)


def _cluster(**params: Any) -> Any:
    from revimpute.impute._cluster import ClusterImputer

    return ClusterImputer(**params)


def _iterative_trees(**params: Any) -> IterativeImputer:
    defaults = {"n_estimators": 100, "random_state": 0, "n_jobs": 1}
    forest = {**defaults, **{k: params.pop(k) for k in list(params) if k in defaults}}
    return IterativeImputer(
        estimator=ExtraTreesRegressor(**forest),
        **{"max_iter": 10, "random_state": 0, **params},
    )


def _mean_mode(**params: Any) -> Any:
    from revimpute.impute._mean_mode import MeanModeImputer

    return MeanModeImputer(**params)


def _missforest_mixed(**params: Any) -> Any:
    from revimpute.impute._missforest import MissForestImputer

    return MissForestImputer(**{"random_state": 0, **params})


def _gain(**params: Any) -> Any:
    from revimpute.impute._gain import GAINImputer

    return GAINImputer(**{"random_state": 0, **params})


def _miwae(**params: Any) -> Any:
    from revimpute.impute._miwae import MIWAEImputer

    return MIWAEImputer(**{"random_state": 0, **params})


def _sinkhorn(**params: Any) -> Any:
    from revimpute.impute._sinkhorn import SinkhornImputer

    return SinkhornImputer(**{"random_state": 0, **params})


_ENTRIES: dict[str, ImputerEntry] = {}

#: Old names still accepted by :func:`get_imputer` (with a ``FutureWarning``): old name -> (name, what it is).
_DEPRECATED_ALIASES: dict[str, tuple[str, str]] = {
    "missforest": (
        "iterative_trees",
        "scikit-learn's IterativeImputer with extra trees, numbers only; MissForest proper is "
        "'missforest_mixed'",
    ),
}


def register(name: str, build: Callable[..., Any], summary: str) -> None:
    """Add an imputer to the registry under ``name``."""
    _ENTRIES[name] = ImputerEntry(name, build, summary)


register("reverse", _reverse, "reverse training of an autoencoder (ours)")
register("autoencoder", _autoencoder_pass, "one forward pass of the same autoencoder")
register("mean", _sklearn(lambda **p: SimpleImputer(strategy="mean", **p)), "column mean")
register("median", _sklearn(lambda **p: SimpleImputer(strategy="median", **p)), "column median")
register("most_frequent", _most_frequent, "most frequent value of the column (any column type)")
register("constant", _constant, "a constant: 0, False or 'missing_value' by column type, or fill_value")
register("knn", _sklearn(lambda **p: KNNImputer(**{"n_neighbors": 5, **p})), "k nearest neighbours (k=5)")
register(
    "iterative",
    _sklearn(lambda **p: IterativeImputer(**{"estimator": BayesianRidge(), "max_iter": 10, "random_state": 0, **p})),
    "iterative regression with BayesianRidge (MICE-like)",
)
register(
    "iterative_trees",
    _sklearn(_iterative_trees),
    "iterative regression with extremely randomised trees (MissForest-style, numbers only)",
)
register("cluster", _cluster, "mean of the nearest agglomerative cluster")
register("mean_mode", _mean_mode, "mean for numeric, most frequent for categorical columns; mixed tables")
register(
    "missforest_mixed",
    _missforest_mixed,
    "MissForest (Stekhoven & Bühlmann 2012) with forests per column type; mixed tables",
)
register("gain", _gain, "GAIN, generative adversarial imputation (Yoon et al. 2018; our implementation)")
register("miwae", _miwae, "MIWAE, importance-weighted VAE imputation (Mattei & Frellsen 2019; our implementation)")
register("sinkhorn", _sinkhorn, "optimal-transport imputation (Muzellec et al. 2020; our implementation)")


def available_imputers() -> list[str]:
    """Names accepted by :func:`get_imputer`, each method once (old names not listed)."""
    return list(_ENTRIES)


def describe_imputers() -> dict[str, str]:
    """Name -> one-line description of every registered imputer."""
    return {name: entry.summary for name, entry in _ENTRIES.items()}


def renamed_imputers() -> dict[str, str]:
    """Old names :func:`get_imputer` still accepts, each with its current name (deprecated)."""
    return {old: new for old, (new, _) in _DEPRECATED_ALIASES.items()}


def imputer_name(name: str) -> str:
    """The registry's name for ``name``: itself, or the current name of an old one.

    An old name gives a ``FutureWarning`` saying what it is and what to use.

    Raises
    ------
    RevimputeError
        If ``name`` is unknown.
    """
    if name in _ENTRIES:
        return name
    if name in _DEPRECATED_ALIASES:
        new, what = _DEPRECATED_ALIASES[name]
        warnings.warn(
            f"the imputer name {name!r} is deprecated and will be removed in the next release: it is "
            f"{new!r} ({what}); use {new!r}",
            FutureWarning,
            stacklevel=3,
        )
        return new
    raise RevimputeError(f"unknown imputer {name!r}; choose one of {', '.join(available_imputers())}")


def get_imputer(name: str, **params: Any) -> Any:
    """A new, unfitted imputer by name.

    Parameters
    ----------
    name : str
        One of :func:`available_imputers`; the old name ``"missforest"``
        gives ``"iterative_trees"`` with a ``FutureWarning``.
    **params
        Passed to the imputer (for wrapped scikit-learn imputers, to the inner
        estimator, except ``missing_values``, ``add_indicator`` and
        ``keep_empty_features``).

    Raises
    ------
    RevimputeError
        If ``name`` is unknown.
    """
    return _ENTRIES[imputer_name(name)].build(**params)
