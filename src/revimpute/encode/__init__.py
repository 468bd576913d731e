"""Table <-> float tensor: scaling and inverse transform."""

from revimpute.encode.numeric import SCALINGS, NumericScaler

__all__ = ["SCALINGS", "NumericScaler"]
