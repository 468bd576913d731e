"""The reverse-training engine: frozen model, optimised missing cells, clean-up pass."""

from revimpute.reverse.engine import (
    ReverseConfig,
    ReverseReport,
    cleanup_pass,
    one_pass,
    reverse_impute,
    reverse_impute_ensemble,
)
from revimpute.reverse.ensemble import (
    EnsembleEstimates,
    Network,
    ensemble_estimates,
    ensemble_mean,
    ensemble_pass,
)

__all__ = [
    "EnsembleEstimates", "Network", "ReverseConfig", "ReverseReport", "cleanup_pass", "ensemble_estimates",
    "ensemble_mean", "ensemble_pass", "one_pass", "reverse_impute", "reverse_impute_ensemble",
]
