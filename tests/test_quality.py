"""Imputation quality on the team's fixed protocol A (breast cancer, 20% MCAR, seed 0).

Figures measured on this protocol (docs/method.md): mean 0.151, KNN 0.082,
autoencoder pass 0.061, ReverseImputer (default, estimate="mean") 0.059.
"""

from __future__ import annotations

import pytest

from revimpute.bench.demo import table_demo


@pytest.mark.slow
def test_breast_cancer_reverse_beats_mean_knn_and_the_pass_of_its_network():
    rows, shape, n_missing = table_demo(methods=("mean", "knn", "autoencoder", "reverse"))
    rmse = {r.method: r.rmse for r in rows}
    assert shape == (569, 30) and n_missing == 3403
    assert rmse["mean"] == pytest.approx(0.1505, abs=5e-4)
    assert rmse["knn"] == pytest.approx(0.0824, abs=5e-4)
    assert rmse["reverse"] < rmse["knn"] < rmse["mean"]
    assert rmse["reverse"] <= rmse["autoencoder"]
    assert rmse["reverse"] < 0.065
