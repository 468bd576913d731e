"""revimpute: find disguised missing values and fill them by reverse training.

The estimators are loaded on first use, so that importing the package (and
starting the command line) does not load PyTorch or scikit-learn.
"""

from __future__ import annotations

from typing import Any

from revimpute.version import __version__

__all__ = ["ReverseImputer", "__version__", "available_imputers", "get_imputer"]


def __getattr__(name: str) -> Any:
    if name in ("ReverseImputer", "available_imputers", "get_imputer"):
        from revimpute import impute

        return getattr(impute, name)
    raise AttributeError(f"module 'revimpute' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
