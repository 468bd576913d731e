"""Batch-invariant linear layers.

A BLAS matrix product picks its kernel and blocking from the matrix shapes, so
row ``i`` of ``X @ W.T`` can differ in the last bits depending on how many other
rows ``X`` holds. revimpute promises that a row's imputation never depends on
which rows share its batch, so every layer used at imputation time multiplies
in fixed tiles of :data:`TILE_ROWS` rows through one batched product: each tile
is the same-shaped GEMM whatever the batch size, and inside a tile the result
of a row does not depend on its position or neighbours. The test-suite checks
this property end to end (``tests/test_determinism.py``).
"""

from __future__ import annotations

import torch
from torch import Tensor

TILE_ROWS = 32


def pad_rows(x: Tensor, multiple: int = TILE_ROWS) -> Tensor:
    """Pad ``x`` with zero rows so that its row count is a multiple of ``multiple``."""
    extra = (-x.shape[0]) % multiple
    if extra == 0:
        return x
    return torch.cat([x, x.new_zeros((extra, *x.shape[1:]))], dim=0)


def tiled_linear(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """``x @ weight.T + bias`` computed tile by tile, bitwise independent of batch size.

    ``x`` must have a row count that is a multiple of :data:`TILE_ROWS`
    (see :func:`pad_rows`).
    """
    n_rows, n_in = x.shape
    if n_rows % TILE_ROWS:
        raise ValueError(f"tiled_linear needs a multiple of {TILE_ROWS} rows, got {n_rows}")
    n_tiles = n_rows // TILE_ROWS
    tiles = x.reshape(n_tiles, TILE_ROWS, n_in)
    weight_t = weight.t().unsqueeze(0).expand(n_tiles, -1, -1)
    out = torch.bmm(tiles, weight_t).reshape(n_rows, weight.shape[0])
    if bias is not None:
        out = out + bias
    return out
