"""Table <-> float tensor: column kinds, scaling, categorical groups, inverse transform."""

from revimpute.encode.kinds import ColumnKind, infer_column_kind, infer_column_kinds
from revimpute.encode.layout import UnitLayout
from revimpute.encode.numeric import SCALINGS, NumericScaler
from revimpute.encode.table import EncodedTable, TableEncoder

__all__ = [
    "SCALINGS",
    "ColumnKind",
    "EncodedTable",
    "NumericScaler",
    "TableEncoder",
    "UnitLayout",
    "infer_column_kind",
    "infer_column_kinds",
]
