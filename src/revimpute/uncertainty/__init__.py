"""What to do with uncertain imputations: pool analyses of multiple imputations (Rubin's rules)."""

from revimpute.uncertainty.rubin import PooledEstimate, pool

__all__ = ["PooledEstimate", "pool"]
