"""pandas and polars DataFrames in, the same kind out.

The imputers work on pandas. A polars DataFrame is converted on the way in
(integer columns with gaps become pandas' nullable ``Int64`` and booleans
``boolean``, so they are not mistaken for floats) and the result is cast back
to the input's polars schema on the way out.
"""

from __future__ import annotations

import sys
from typing import Any

import pandas as pd


def is_polars_frame(X: Any) -> bool:
    """True for a ``polars.DataFrame`` (without importing polars when it is not loaded)."""
    polars = sys.modules.get("polars")
    return polars is not None and isinstance(X, polars.DataFrame)


def is_frame(X: Any) -> bool:
    """True for a pandas or polars DataFrame."""
    return isinstance(X, pd.DataFrame) or is_polars_frame(X)


def to_pandas(X: Any) -> tuple[pd.DataFrame, Any]:
    """``(pandas frame, polars schema or None)`` for a pandas or polars DataFrame."""
    if isinstance(X, pd.DataFrame):
        return X, None
    import polars as pl

    frame = X.to_pandas()
    for name, dtype in X.schema.items():
        if dtype.is_integer():
            frame[name] = frame[name].astype("Int64")
        elif dtype == pl.Boolean:
            frame[name] = frame[name].astype("boolean")
    return frame, X.schema


def like_input(frame: pd.DataFrame, schema: Any) -> Any:
    """Give ``frame`` back as the kind it came in (``schema`` from :func:`to_pandas`)."""
    if schema is None:
        return frame
    import polars as pl

    out = pl.from_pandas(frame)
    casts = {name: dtype for name, dtype in schema.items() if name in out.columns and out.schema[name] != dtype}
    return out.cast(casts) if casts else out
