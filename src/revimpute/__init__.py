"""revimpute: find disguised missing values and fill them by reverse training."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
