"""scikit-learn's estimator checks on every revimpute imputer."""

from __future__ import annotations

from sklearn.impute import KNNImputer
from sklearn.utils.estimator_checks import parametrize_with_checks

from revimpute import ReverseImputer
from revimpute.impute import ClusterImputer, SklearnImputer


@parametrize_with_checks(
    [
        ReverseImputer(hidden_sizes=(16,), latent_size=4, max_epochs=3, reverse_steps=3),
        ReverseImputer(hidden_sizes=None, latent_size=4, max_epochs=3, reverse_steps=3, n_models=1),
        ClusterImputer(n_clusters=3),
        SklearnImputer(KNNImputer()),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
