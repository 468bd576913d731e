"""Table <-> float tensor (network units) or one work column per column: column kinds, scaling, class codes, inverse transform."""

from revimpute.encode.codes import CodedTable, CodeEncoder
from revimpute.encode.kinds import ColumnKind, infer_column_kind, infer_column_kinds
from revimpute.encode.layout import UnitLayout
from revimpute.encode.numeric import SCALINGS, NumericScaler
from revimpute.encode.table import EncodedTable, TableEncoder

__all__ = [
    "SCALINGS",
    "CodeEncoder",
    "CodedTable",
    "ColumnKind",
    "EncodedTable",
    "NumericScaler",
    "TableEncoder",
    "UnitLayout",
    "infer_column_kind",
    "infer_column_kinds",
]
