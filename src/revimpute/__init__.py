"""revimpute: find disguised missing values and fill them by reverse training."""

from __future__ import annotations

__version__ = "0.1.0"

from revimpute.impute import ReverseImputer, available_imputers, get_imputer  # noqa: E402

__all__ = ["ReverseImputer", "__version__", "available_imputers", "get_imputer"]
