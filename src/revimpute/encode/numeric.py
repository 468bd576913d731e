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
        """Learn ``center_`` and ``scale_`` from the cells where ``missing`` is False.

        A column whose statistics overflow float64 (values near 1e154 and
        beyond), or whose spread is real but below 1e-12 (values near 1e-13),
        gets them computed in units of its largest magnitude instead, so any
        finite column has a finite, positive scale. Columns without spread
        get scale 1.
        """
        # column-major, so each column is reduced the same way whatever the input's layout
        values = np.asfortranarray(np.where(missing, np.nan, X))
        with np.errstate(all="ignore"):
            center, scale = self._statistics(values)
            spread = scale > 1e-12
            magnitude = np.nanmax(np.abs(values), axis=0)
            magnitude = np.where(np.isfinite(magnitude) & (magnitude > 0), magnitude, 1.0)
            overflow = ~(np.isfinite(center) & np.isfinite(scale))
            small = ~spread & (scale > 1e-9 * magnitude)  # a real spread, below 1e-12 in absolute terms
            rescale = (overflow | small) & ~np.isnan(values).all(axis=0)
            if rescale.any():
                magnitude = magnitude[rescale]
                unit_center, unit_scale = self._statistics(values[:, rescale] / magnitude)
                spread[rescale] = unit_scale > 1e-12
                unit_scale = np.where(np.isfinite(unit_scale), unit_scale, 1.0)
                center[rescale] = unit_center * magnitude
                scale[rescale] = np.where(np.isfinite(unit_scale * magnitude), unit_scale * magnitude, magnitude)
        scale = np.where(np.isfinite(scale) & spread & (scale > 0), scale, 1.0)
        center = np.where(np.isfinite(center), center, 0.0)
        self.center_ = center.astype(np.float64)
        self.scale_ = scale.astype(np.float64)
        return self

    def _statistics(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw center and scale of each column of ``values`` (NaN = missing)."""
        if self.method == "standard":
            return np.nanmean(values, axis=0), np.nanstd(values, axis=0)
        if self.method == "robust":
            center = np.nanmedian(values, axis=0)
            q1, q3 = np.nanpercentile(values, [25, 75], axis=0)
            scale = (q3 - q1) / 1.349
            return center, np.where(scale > 1e-12, scale, np.nanstd(values, axis=0))
        if self.method == "minmax":
            center = np.nanmin(values, axis=0)
            return center, np.nanmax(values, axis=0) - center
        n_cols = values.shape[1]
        return np.zeros(n_cols), np.ones(n_cols)

    @classmethod
    def from_arrays(cls, method: str, center: np.ndarray, scale: np.ndarray) -> NumericScaler:
        """Rebuild a fitted scaler (used when loading a saved model)."""
        scaler = cls(method)
        scaler.center_ = np.asarray(center, dtype=np.float64)
        scaler.scale_ = np.asarray(scale, dtype=np.float64)
        return scaler

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Table units -> network units (float32).

        A finite value always gives a finite float64 unit; it can exceed
        float32 only with ``"none"`` scaling (magnitudes over 3.4e38), which
        :func:`unscalable_columns` reports.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            z = (X - self.center_) / self.scale_
            overflow = ~np.isfinite(z) & np.isfinite(X)
            if overflow.any():  # X - center overflowed: the same quotient, taken term by term
                z = np.where(overflow, X / self.scale_ - self.center_ / self.scale_, z)
        if self.method == "robust":
            with np.errstate(invalid="ignore"):
                tail = np.abs(z) > ROBUST_KNEE
                z = np.where(tail, np.sign(z) * (ROBUST_KNEE + np.log1p(np.abs(z) - ROBUST_KNEE)), z)
        with np.errstate(over="ignore"):
            return z.astype(np.float32)

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        """Network units -> table units (float64)."""
        z = np.asarray(Z, dtype=np.float64)
        if self.method == "robust":
            with np.errstate(invalid="ignore", over="ignore"):
                tail = np.abs(z) > ROBUST_KNEE
                z = np.where(tail, np.sign(z) * (ROBUST_KNEE + np.expm1(np.abs(z) - ROBUST_KNEE)), z)
        with np.errstate(over="ignore", invalid="ignore"):
            return z * self.scale_ + self.center_


def unscalable_columns(X: np.ndarray, scaled: np.ndarray) -> np.ndarray:
    """Indices of the columns where a finite value of ``X`` has no finite scaled unit."""
    return np.flatnonzero((np.isfinite(X) & ~np.isfinite(scaled)).any(axis=0))
