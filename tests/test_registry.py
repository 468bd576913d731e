"""Every registered imputer builds, imputes, keeps observed cells and beats nothing-filled."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from revimpute import available_imputers, get_imputer
from revimpute.exceptions import InputDataError, RevimputeError

from conftest import FAST, low_rank_data, with_holes

TRAINED = {**FAST, "max_epochs": 300, "patience": 50}
QUICK_PARAMS = {
    "reverse": TRAINED,
    "autoencoder": TRAINED,
    "iterative_trees": {"n_estimators": 10, "max_iter": 3},
    "gain": {"n_iterations": 2000},
    "miwae": {"n_epochs": 20},
    "sinkhorn": {"n_iterations": 100},
    "missforest_mixed": {"n_estimators": 10, "max_iter": 3},
}


def test_registry_lists_the_promised_methods():
    names = set(available_imputers())
    assert {"reverse", "autoencoder", "mean", "median", "most_frequent", "knn", "iterative",
            "iterative_trees", "cluster", "gain", "miwae", "sinkhorn", "mean_mode", "missforest_mixed"} <= names
    assert len(names) == len(available_imputers())  # each method once


def test_old_name_missforest_is_iterative_trees_with_a_future_warning():
    with pytest.warns(FutureWarning, match="'missforest' is deprecated.*'iterative_trees'.*'missforest_mixed'"):
        old = get_imputer("missforest", n_estimators=7)
    assert "missforest" not in available_imputers()
    new = get_imputer("iterative_trees", n_estimators=7)
    assert type(old) is type(new) and repr(old.get_params()) == repr(new.get_params())


#: Registry methods whose fit here takes seconds.
SLOW = {"gain", "sinkhorn"}


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in available_imputers()]
)
def test_each_imputer_fills_dataframe_and_keeps_observed(name):
    X = low_rank_data(n=150, d=5)
    Xh, mask = with_holes(X, rate=0.2)
    df = pd.DataFrame(Xh, columns=list("abcde"), index=np.arange(150) + 10)
    imp = get_imputer(name, **QUICK_PARAMS.get(name, {}))
    out = imp.fit(df).transform(df)
    assert isinstance(out, pd.DataFrame) and out.index.equals(df.index)
    assert not out.isna().any().any()
    assert np.array_equal(out.to_numpy()[~mask], X[~mask])
    if name not in ("mean", "median", "most_frequent", "mean_mode", "constant"):
        mean_err = np.sqrt(np.mean((np.nanmean(Xh, axis=0)[np.nonzero(mask)[1]] - X[mask]) ** 2))
        err = np.sqrt(np.mean((out.to_numpy()[mask] - X[mask]) ** 2))
        assert err < mean_err, f"{name}: {err:.3f} not better than the column mean {mean_err:.3f}"


def test_unknown_name_is_a_clear_error():
    with pytest.raises(RevimputeError, match="unknown imputer 'nope'.*knn"):
        get_imputer("nope")


def test_numeric_only_imputers_point_to_mixed_ones_for_text_columns():
    import pandas as pd

    from revimpute.exceptions import InputDataError

    frame = pd.DataFrame({"x": [1.0, None, 3.0, 4.0] * 5, "kind": ["a", "b", None, "a"] * 5})
    with pytest.raises(InputDataError, match=r"column 'kind' is categorical.*'mean_mode'"):
        get_imputer("knn").fit(frame)


@pytest.mark.parametrize("name", available_imputers())
def test_every_imputer_refuses_a_bad_table_with_the_same_message(name):
    """One message per bad input, whichever method reads the table."""
    imputer = get_imputer(name)
    with pytest.raises(InputDataError, match=r"^the table has no rows: 0 sample\(s\) \(shape=\(0, 2\)\)"):
        imputer.fit(np.empty((0, 2)))
    with pytest.raises(InputDataError, match=r"^the table has no rows: 0 sample\(s\) \(shape=\(0, 2\)\)"):
        imputer.fit(pd.DataFrame({"a": pd.Series([], dtype=float), "b": pd.Series([], dtype=float)}))
    with pytest.raises(InputDataError, match=r"^expected a 2D array \(a table\), got 1D array instead"):
        imputer.fit(np.arange(4.0))
    with pytest.raises(InputDataError, match=r"^Complex data not supported"):
        imputer.fit(np.ones((4, 2), dtype=complex))
    if name != "constant":  # a constant needs nothing from the column
        empty = np.array([[1.0, np.nan], [2.0, np.nan], [3.0, np.nan]])
        with pytest.raises(InputDataError, match=r"^column 1 has no observed value, so nothing can be learned "):
            imputer.fit(empty)
