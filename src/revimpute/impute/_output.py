"""What ``set_output`` asks of a transformer's output."""

from __future__ import annotations

from typing import Any

import pandas as pd


def as_requested(estimator: Any, output: Any) -> Any:
    """``output``, or its values as a NumPy array when ``set_output(transform="default")`` was called.

    revimpute's imputers give a DataFrame back as a DataFrame (index, column
    names and dtypes kept). As in scikit-learn, an explicit
    ``set_output(transform="default")`` asks for a NumPy array instead;
    ``"pandas"`` and ``"polars"`` are handled by scikit-learn's wrapper.
    """
    config = getattr(estimator, "_sklearn_output_config", {})
    if config.get("transform") == "default" and isinstance(output, pd.DataFrame):
        return output.to_numpy()
    return output
