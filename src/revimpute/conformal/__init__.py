"""Calibrated uncertainty of imputations: held-out cells, conformity scores, row-keyed draws.

The pieces :class:`~revimpute.ReverseImputer` uses for ``calibration``,
:meth:`~revimpute.ReverseImputer.impute_with_uncertainty` and
:meth:`~revimpute.ReverseImputer.sample` (docs/uncertainty.md).
"""

from revimpute.conformal.draws import draw_class, draw_keys, pick, resample, uniforms
from revimpute.conformal.holdout import MAX_CELLS, calibration_rows, hidden_cells
from revimpute.conformal.scores import (
    FLOOR_QUANTILE,
    MIN_COLUMN_SCORES,
    MIN_DRAW_SCORES,
    Calibration,
    conformal_quantile,
)

__all__ = [
    "FLOOR_QUANTILE",
    "MAX_CELLS",
    "MIN_COLUMN_SCORES",
    "MIN_DRAW_SCORES",
    "Calibration",
    "calibration_rows",
    "conformal_quantile",
    "draw_class",
    "draw_keys",
    "hidden_cells",
    "pick",
    "resample",
    "uniforms",
]
