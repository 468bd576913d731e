"""The reverse-training engine: frozen model, optimised missing cells, clean-up pass."""

from revimpute.reverse.engine import (
    ReverseConfig,
    ReverseReport,
    cleanup_pass,
    one_pass,
    reverse_impute,
    reverse_impute_ensemble,
)

__all__ = ["ReverseConfig", "ReverseReport", "cleanup_pass", "one_pass", "reverse_impute", "reverse_impute_ensemble"]
