"""Masks for 28 x 28 images stored as rows of 784 pixels in row-major order (MNIST).

Pixel row ``r`` of an image is columns ``28*r`` to ``28*r + 27`` of its row.
Every function returns a boolean mask of shape ``(n, 784)``, True where a
pixel is to be hidden.
"""

from __future__ import annotations

import math

import numpy as np

from revimpute.bench.missingness import RandomState, _rng, mcar
from revimpute.docstrings import fill_doc
from revimpute.exceptions import RevimputeError

__all__ = [
    "IMAGE_SIDE",
    "band_rows",
    "image_band",
    "image_center_square",
    "image_random_pixels",
    "image_random_rows",
]

IMAGE_SIDE = 28
_BAND_CENTRES = {"top": 8.5, "middle": 13.5, "bottom": 18.5}


def _check_image_count(n: int) -> int:
    if int(n) != n or n < 0:
        raise RevimputeError(f"n (number of images) must be a non-negative integer, got {n!r}")
    return int(n)


def _check_side_length(k: int, name: str) -> int:
    if int(k) != k or not 1 <= k <= IMAGE_SIDE:
        raise RevimputeError(f"{name} must be an integer from 1 to {IMAGE_SIDE}, got {k!r}")
    return int(k)


def _rows_to_pixels(row_mask: np.ndarray) -> np.ndarray:
    """(n, 28) mask of pixel rows -> (n, 784) mask of pixels."""
    return np.repeat(row_mask, IMAGE_SIDE, axis=1)


def band_rows(k: int = 10, position: str = "middle") -> range:
    """Pixel rows hidden by :func:`image_band`.

    The band of ``k`` rows is centred on row 8.5 (top), 13.5 (middle) or 18.5
    (bottom), rounding down for odd ``k`` and kept inside the image; for
    ``k = 10`` this gives rows 4-13, 9-18 and 14-23.

    Parameters
    ----------
    k : int from 1 to 28
        Height of the band in pixel rows.
    position : {"top", "middle", "bottom"}
        Where the band lies.

    Returns
    -------
    range
        The hidden pixel rows (0 = top row).

    Raises
    ------
    RevimputeError
        If ``k`` or ``position`` is invalid.
    """
    k = _check_side_length(k, "k")
    if position not in _BAND_CENTRES:
        raise RevimputeError(
            f"position must be 'top', 'middle' or 'bottom', got {position!r}"
        )
    start = math.floor(_BAND_CENTRES[position] - (k - 1) / 2)
    start = min(max(start, 0), IMAGE_SIDE - k)
    return range(start, start + k)


_image_mask = fill_doc(
    images="""
        Parameters
        ----------
        n : int
            Number of images.""",
    random_state="""
        random_state : int, numpy.random.Generator or None
            Seed or generator.""",
    mask="""
        Returns
        -------
        numpy.ndarray of bool, shape (n, 784)""",
)


@_image_mask
def image_band(n: int, k: int = 10, position: str = "middle") -> np.ndarray:
    """Hide a horizontal band of ``k`` whole pixel rows in each of ``n`` images.

    %(images)s
    k : int from 1 to 28, default=10
        Height of the band in pixel rows.
    position : {"top", "middle", "bottom"}, default="middle"
        Band placement; see :func:`band_rows` (k = 10: rows 4-13, 9-18, 14-23).

    %(mask)s
        The same band in every image.

    Raises
    ------
    RevimputeError
        If ``n``, ``k`` or ``position`` is invalid.
    """
    n = _check_image_count(n)
    row_mask = np.zeros((n, IMAGE_SIDE), dtype=bool)
    row_mask[:, list(band_rows(k, position))] = True
    return _rows_to_pixels(row_mask)


@_image_mask
def image_random_rows(n: int, k: int, random_state: RandomState = None) -> np.ndarray:
    """Hide ``k`` distinct whole pixel rows, drawn at random for each image.

    %(images)s
    k : int from 1 to 28
        Number of pixel rows hidden in each image.
    %(random_state)s

    %(mask)s

    Raises
    ------
    RevimputeError
        If ``n`` or ``k`` is invalid.
    """
    n = _check_image_count(n)
    k = _check_side_length(k, "k")
    chosen = np.argsort(_rng(random_state).random((n, IMAGE_SIDE)), axis=1)[:, :k]
    row_mask = np.zeros((n, IMAGE_SIDE), dtype=bool)
    np.put_along_axis(row_mask, chosen, True, axis=1)
    return _rows_to_pixels(row_mask)


@_image_mask
def image_center_square(n: int, size: int) -> np.ndarray:
    """Hide a ``size`` x ``size`` square at the centre of each image.

    The square covers rows and columns ``(28 - size) // 2`` to
    ``(28 - size) // 2 + size - 1`` (e.g. 9-18 for ``size = 10``).

    %(images)s
    size : int from 1 to 28
        Side of the square in pixels.

    %(mask)s

    Raises
    ------
    RevimputeError
        If ``n`` or ``size`` is invalid.
    """
    n = _check_image_count(n)
    size = _check_side_length(size, "size")
    start = (IMAGE_SIDE - size) // 2
    image = np.zeros((IMAGE_SIDE, IMAGE_SIDE), dtype=bool)
    image[start : start + size, start : start + size] = True
    return np.tile(image.reshape(1, -1), (n, 1))


@_image_mask
def image_random_pixels(n: int, rate: float, random_state: RandomState = None) -> np.ndarray:
    """Hide each pixel of ``n`` images independently with probability ``rate``.

    The same as ``mcar((n, 784), rate, random_state)``.

    %(images)s
    rate : float in [0, 1]
        Probability that a pixel is hidden.
    %(random_state)s

    %(mask)s

    Raises
    ------
    RevimputeError
        If ``n`` or ``rate`` is invalid.
    """
    n = _check_image_count(n)
    return mcar((n, IMAGE_SIDE * IMAGE_SIDE), rate, random_state)
