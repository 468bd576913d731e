"""Scale: impute files larger than memory (streaming) and on Dask clusters.

:mod:`revimpute.scale.streaming` needs only pandas and pyarrow;
:mod:`revimpute.scale.distributed` needs the ``dask`` extra
(``pip install "revimpute[dask]"``) and is imported on first use.
"""

from __future__ import annotations

from typing import Any

from revimpute.scale.cleaning import CleanReport, clean_file
from revimpute.scale.streaming import (
    StreamReport,
    impute_file,
    iter_table_chunks,
    reservoir_sample,
    scan_table,
)

_DASK_NAMES = ("connect", "disconnect", "impute_dask", "impute_file_dask")

__all__ = [
    "CleanReport",
    "StreamReport",
    "clean_file",
    "connect",
    "disconnect",
    "impute_dask",
    "impute_file",
    "impute_file_dask",
    "iter_table_chunks",
    "reservoir_sample",
    "scan_table",
]


def __getattr__(name: str) -> Any:
    if name in _DASK_NAMES:
        from revimpute.scale import distributed

        return getattr(distributed, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
