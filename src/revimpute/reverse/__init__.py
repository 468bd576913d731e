"""The reverse-training engine: frozen model, optimised missing cells, clean-up pass."""

from revimpute.reverse.engine import (
    ReverseConfig,
    ReverseReport,
    cleanup_pass,
    one_pass,
    reverse_impute,
    reverse_impute_ensemble,
)
from revimpute.reverse.ensemble import Network, ensemble_mean

__all__ = [
    "Network", "ReverseConfig", "ReverseReport", "cleanup_pass", "ensemble_mean", "one_pass", "reverse_impute",
    "reverse_impute_ensemble",
]
