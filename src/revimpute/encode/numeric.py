"""Scaling of numeric columns between table units and the network's units."""

from __future__ import annotations

import numpy as np

SCALINGS = ("standard", "robust", "minmax", "none")
#: Beyond this many robust standard deviations, ``"robust"`` scaling compresses logarithmically.
ROBUST_KNEE = 3.0


class NumericScaler:
    """Per-column affine scaling learned from the observed cells only.

    ``scaled = (value - center) / scale``. Columns without spread get scale 1.
    ``"robust"`` then compresses the tails: beyond :data:`ROBUST_KNEE` a value
    ``z`` becomes ``sign(z) * (knee + log1p(|z| - knee))``, a smooth,
    invertible map, so that a few extreme values (a sensor glitch of 10^6
    among grams) cannot dominate the network's loss while ordinary values are
    scaled linearly.

    Parameters
    ----------
    method : {"standard", "robust", "minmax", "none"}
        ``"standard"``: observed mean and standard deviation; ``"robust"``:
        observed median and interquartile range / 1.349 (the standard
        deviation for normal data, unmoved by a few outliers; falls back to
        the standard deviation when the quartiles coincide), with
        logarithmic tails; ``"minmax"``:
        observed minimum and range; ``"none"``: identity.
    """

    def __init__(self, method: str = "standard") -> None:
        if method not in SCALINGS:
            raise ValueError(f"scaling must be one of {SCALINGS}, got {method!r}")
        self.method = method

    def fit(self, X: np.ndarray, missing: np.ndarray) -> NumericScaler:
        """Learn ``center_`` and ``scale_`` from the cells where ``missing`` is False."""
        # column-major, so each column is reduced the same way whatever the input's layout
        values = np.asfortranarray(np.where(missing, np.nan, X))
        n_cols = X.shape[1]
        if self.method == "standard":
            center = np.nanmean(values, axis=0)
            scale = np.nanstd(values, axis=0)
        elif self.method == "robust":
            with np.errstate(all="ignore"):
                center = np.nanmedian(values, axis=0)
                q1, q3 = np.nanpercentile(values, [25, 75], axis=0)
                scale = (q3 - q1) / 1.349
                scale = np.where(scale > 1e-12, scale, np.nanstd(values, axis=0))
        elif self.method == "minmax":
            center = np.nanmin(values, axis=0)
            scale = np.nanmax(values, axis=0) - center
        else:
            center = np.zeros(n_cols)
            scale = np.ones(n_cols)
        scale = np.where(np.isfinite(scale) & (scale > 1e-12), scale, 1.0)
        center = np.where(np.isfinite(center), center, 0.0)
        self.center_ = center.astype(np.float64)
        self.scale_ = scale.astype(np.float64)
        return self

    @classmethod
    def from_arrays(cls, method: str, center: np.ndarray, scale: np.ndarray) -> NumericScaler:
        """Rebuild a fitted scaler (used when loading a saved model)."""
        scaler = cls(method)
        scaler.center_ = np.asarray(center, dtype=np.float64)
        scaler.scale_ = np.asarray(scale, dtype=np.float64)
        return scaler

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Table units -> network units (float32)."""
        z = (X - self.center_) / self.scale_
        if self.method == "robust":
            with np.errstate(invalid="ignore"):
                tail = np.abs(z) > ROBUST_KNEE
                z = np.where(tail, np.sign(z) * (ROBUST_KNEE + np.log1p(np.abs(z) - ROBUST_KNEE)), z)
        return z.astype(np.float32)

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        """Network units -> table units (float64)."""
        z = np.asarray(Z, dtype=np.float64)
        if self.method == "robust":
            with np.errstate(invalid="ignore", over="ignore"):
                tail = np.abs(z) > ROBUST_KNEE
                z = np.where(tail, np.sign(z) * (ROBUST_KNEE + np.expm1(np.abs(z) - ROBUST_KNEE)), z)
        return z * self.scale_ + self.center_
