"""Batch-invariant layers.

A BLAS matrix product picks its kernel and blocking from the matrix shapes, so
row ``i`` of ``X @ W.T`` can differ in the last bits depending on how many other
rows ``X`` holds. revimpute promises that a row's imputation never depends on
which rows share its batch, so every layer used at imputation time:

* multiplies in fixed tiles of :data:`TILE_ROWS` rows through one batched
  product, so each tile is the same-shaped GEMM whatever the batch size;
* pads both widths of every product to a multiple of :data:`PAD_COLUMNS` with
  zeros — some MKL kernels for narrow outputs (6-11 columns) give even and
  odd rows of a tile different bits, and the padding keeps them on the
  regular kernel;
* applies the activation in blocks of whole tiles small enough to run on one
  thread, each a multiple of the vector width: a multi-threaded elementwise
  kernel splits the flat buffer at offsets that depend on the row count, and
  its scalar tail computes ``silu`` in other bits than its vector body.

These are observed properties of the CPU kernels, not documented guarantees;
``tests/test_determinism.py`` checks them end to end (widths 3 to 12, one and
four threads, alone / batched / shuffled / chunked).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F

TILE_ROWS = 32
PAD_COLUMNS = 16
_SERIAL_ELEMENTS = 32767  # below ATen's grain size (32768): one thread
_COLUMN_CHUNK = 1008  # a multiple of PAD_COLUMNS with TILE_ROWS * chunk < grain size


def pad_rows(x: Tensor, multiple: int = TILE_ROWS) -> Tensor:
    """Pad ``x`` with zero rows so that its row count is a multiple of ``multiple``."""
    extra = (-x.shape[0]) % multiple
    if extra == 0:
        return x
    return torch.cat([x, x.new_zeros((extra, *x.shape[1:]))], dim=0)


def _padded(width: int) -> int:
    return width + (-width) % PAD_COLUMNS


def tiled_linear(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """``x @ weight.T + bias`` computed tile by tile, bitwise independent of batch size.

    ``x`` must have a row count that is a multiple of :data:`TILE_ROWS`
    (see :func:`pad_rows`).
    """
    n_rows, n_in = x.shape
    if n_rows % TILE_ROWS:
        raise ValueError(f"tiled_linear needs a multiple of {TILE_ROWS} rows, got {n_rows}")
    n_out = weight.shape[0]
    k, m = _padded(n_in), _padded(n_out)
    if k != n_in:
        x = F.pad(x, (0, k - n_in))
    w = F.pad(weight, (0, k - n_in, 0, m - n_out)) if (k, m) != (n_in, n_out) else weight
    n_tiles = n_rows // TILE_ROWS
    tiles = x.reshape(n_tiles, TILE_ROWS, k)
    weight_t = w.t().unsqueeze(0).expand(n_tiles, -1, -1)
    out = torch.bmm(tiles, weight_t).reshape(n_rows, m)[:, :n_out].contiguous()
    if bias is not None:
        out = out + bias
    return out


def blockwise_silu(h: Tensor) -> Tensor:
    """``silu(h)`` with every row computed by the same single-threaded vector code."""
    n_rows, width = h.shape
    if width * TILE_ROWS > _SERIAL_ELEMENTS:
        parts = [blockwise_silu(h[:, c : c + _COLUMN_CHUNK].contiguous()) for c in range(0, width, _COLUMN_CHUNK)]
        return torch.cat(parts, dim=1)
    rows = max(TILE_ROWS, (_SERIAL_ELEMENTS // width) // TILE_ROWS * TILE_ROWS)
    if n_rows <= rows:
        return F.silu(h)
    return torch.cat([F.silu(block) for block in h.split(rows)], dim=0)
