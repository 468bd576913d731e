"""ReverseImputer (scikit-learn API) and the baseline imputers behind one registry."""

from revimpute.impute._auto import MIXED_CANDIDATES, NUMERIC_CANDIDATES, AutoImputer
from revimpute.impute._cluster import ClusterImputer
from revimpute.impute._constant import ConstantImputer
from revimpute.impute._gain import GAINImputer
from revimpute.impute._mean_mode import MeanModeImputer
from revimpute.impute._missforest import MissForestImputer
from revimpute.impute._miwae import MIWAEImputer
from revimpute.impute._persistence import check_save_target
from revimpute.impute._registry import (
    available_imputers,
    describe_imputers,
    get_imputer,
    imputer_name,
    register,
    renamed_imputers,
)
from revimpute.impute._reverse import ReverseImputer
from revimpute.impute._sinkhorn import SinkhornImputer
from revimpute.impute._wrapped import SklearnImputer

__all__ = [
    "MIXED_CANDIDATES",
    "NUMERIC_CANDIDATES",
    "AutoImputer",
    "ClusterImputer",
    "ConstantImputer",
    "GAINImputer",
    "MIWAEImputer",
    "MeanModeImputer",
    "MissForestImputer",
    "ReverseImputer",
    "SinkhornImputer",
    "SklearnImputer",
    "available_imputers",
    "check_save_target",
    "describe_imputers",
    "get_imputer",
    "imputer_name",
    "register",
    "renamed_imputers",
]
