"""The reverse-training engine: frozen model, optimised missing cells, clean-up pass."""

from revimpute.reverse.engine import ReverseConfig, ReverseReport, one_pass, reverse_impute

__all__ = ["ReverseConfig", "ReverseReport", "one_pass", "reverse_impute"]
