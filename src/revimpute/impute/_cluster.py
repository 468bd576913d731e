"""Imputation from clusters of similar rows (agglomerative clustering)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.utils._param_validation import Interval, StrOptions

from revimpute.impute._numeric import _NumericImputer


class ClusterImputer(_NumericImputer):
    """Fill a row's gaps with the mean of the cluster it is closest to.

    At fit, rows are standardised, their gaps filled with the column mean, and
    grouped by agglomerative clustering; each cluster keeps the mean of its
    observed values per column. At transform, distances to the centroids are
    measured on the row's observed columns alone, and each missing cell takes
    the value of the nearest centroid whose cluster saw that column observed.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters (capped at the number of rows).
    linkage : {"ward", "complete", "average", "single"}, default="ward"
    missing_values, add_indicator, keep_empty_features
        As in :class:`SklearnImputer`.

    Attributes
    ----------
    centroids_ : ndarray of shape (n_clusters, n_features)
        Per-cluster means of the observed values, in table units.
    has_value_ : ndarray of bool, shape (n_clusters, n_features)
        Whether a cluster had an observed value in a column; a missing cell is
        filled from the nearest cluster that had one.
    """

    _parameter_constraints: dict = {
        **_NumericImputer._parameter_constraints,
        "n_clusters": [Interval(numbers.Integral, 1, None, closed="left")],
        "linkage": [StrOptions({"ward", "complete", "average", "single"})],
    }

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        linkage: str = "ward",
        missing_values: Any = np.nan,
        add_indicator: bool = False,
        keep_empty_features: bool = False,
    ) -> None:
        super().__init__(
            missing_values=missing_values, add_indicator=add_indicator, keep_empty_features=keep_empty_features
        )
        self.n_clusters = n_clusters
        self.linkage = linkage

    def _fit_values(self, X: np.ndarray, missing: np.ndarray) -> None:
        values = np.where(missing, np.nan, X)
        self.mean_ = np.nanmean(values, axis=0)
        std = np.nanstd(values, axis=0)
        self.scale_ = np.where(std > 1e-12, std, 1.0)
        standard = np.where(missing, 0.0, (X - self.mean_) / self.scale_)
        k = min(self.n_clusters, X.shape[0])
        if k < 2:
            labels = np.zeros(X.shape[0], dtype=int)
        else:
            labels = AgglomerativeClustering(n_clusters=k, linkage=self.linkage).fit_predict(standard)
        centroids = np.empty((k, X.shape[1]))
        has_value = np.empty((k, X.shape[1]), dtype=bool)
        for c in range(k):  # loop over clusters, vectorised over rows and columns
            members = values[labels == c]
            counts = (~np.isnan(members)).sum(axis=0)
            sums = np.nansum(members, axis=0)
            has_value[c] = counts > 0
            centroids[c] = np.where(has_value[c], sums / np.maximum(counts, 1), self.mean_)
        self.centroids_ = centroids
        self.has_value_ = has_value

    def _impute_values(self, X: np.ndarray, missing: np.ndarray) -> np.ndarray:
        standard = np.where(missing, 0.0, (X - self.mean_) / self.scale_)
        cents = (self.centroids_ - self.mean_) / self.scale_
        observed = (~missing).astype(np.float64)
        # squared distance on observed columns only, averaged over their number
        d2 = (
            (standard**2 * observed).sum(axis=1, keepdims=True)
            - 2.0 * (standard * observed) @ cents.T
            + observed @ (cents**2).T
        ) / np.maximum(observed.sum(axis=1, keepdims=True), 1.0)
        filled = X.copy()
        for j in np.flatnonzero(missing.any(axis=0)):  # per column: nearest cluster that saw it
            d2_j = np.where(self.has_value_[:, j][None, :], d2, np.inf)
            nearest = np.argmin(d2_j, axis=1)
            rows = missing[:, j]
            filled[rows, j] = self.centroids_[nearest[rows], j]
        return filled
