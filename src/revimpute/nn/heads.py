"""Output heads per column type: how network outputs become values, and their losses.

* numeric units: the output is the value; squared error;
* boolean units: the output is a logit; sigmoid, binary cross-entropy;
* categorical groups: the outputs are logits; softmax, cross-entropy.

Targets are in the network's *input* space: a scaled number, a probability for
a boolean (0/1 when observed), a probability vector for a categorical group
(one-hot when observed). Cross-entropies are taken against these soft targets,
so the same loss scores observed cells and current guesses alike.

Sigmoids are computed as two-way softmaxes and every softmax runs over the
last dimension of a contiguous block, one row at a time: a row's result does
not depend on how many rows share the batch (see :mod:`.batch_invariant`).
"""

from __future__ import annotations

import torch
from torch import Tensor

from revimpute.encode.layout import UnitLayout


def _two_way(logits: Tensor) -> Tensor:
    """Stack ``(0, logit)`` on a new last axis: a sigmoid as a 2-way softmax."""
    return torch.stack([torch.zeros_like(logits), logits], dim=-1)


class Heads:
    """A :class:`UnitLayout` as tensors on one device, with its activation and loss.

    Parameters
    ----------
    layout : UnitLayout or None
        None means every unit is numeric (the plain squared-error network).
    device : torch.device
    """

    def __init__(self, layout: UnitLayout | None, device: torch.device | str = "cpu") -> None:
        self.layout = layout
        self.is_numeric = layout is None or layout.is_numeric
        if self.is_numeric:
            return
        self.numeric = torch.as_tensor(layout.numeric_units, dtype=torch.long, device=device)
        self.boolean = torch.as_tensor(layout.boolean_units, dtype=torch.long, device=device)
        self.groups = layout.groups

    def activate(self, raw: Tensor) -> Tensor:
        """Outputs (or free parameters) -> input space: probabilities for booleans and groups."""
        if self.is_numeric:
            return raw
        out = raw.clone()
        if self.boolean.numel():
            out[:, self.boolean] = torch.softmax(_two_way(raw[:, self.boolean]), dim=-1)[..., 1]
        for start, stop in self.groups:
            out[:, start:stop] = torch.softmax(raw[:, start:stop].contiguous(), dim=1)
        return out

    def row_loss(self, out: Tensor, target: Tensor, weight: Tensor) -> tuple[Tensor, Tensor]:
        """Per-row summed loss over the weighted cells, and the number of weighted cells.

        ``weight`` is 0/1 per unit and the same on every unit of a group; a
        group counts as one cell.
        """
        if self.is_numeric:
            return ((out - target) ** 2 * weight).sum(dim=1), weight.sum(dim=1)
        total = ((out[:, self.numeric] - target[:, self.numeric]) ** 2 * weight[:, self.numeric]).sum(dim=1)
        count = weight[:, self.numeric].sum(dim=1)
        if self.boolean.numel():
            log_p = torch.log_softmax(_two_way(out[:, self.boolean]), dim=-1)
            t = target[:, self.boolean]
            bce = -(t * log_p[..., 1] + (1 - t) * log_p[..., 0])
            total = total + (bce * weight[:, self.boolean]).sum(dim=1)
            count = count + weight[:, self.boolean].sum(dim=1)
        for start, stop in self.groups:
            log_p = torch.log_softmax(out[:, start:stop].contiguous(), dim=1)
            ce = -(target[:, start:stop] * log_p).sum(dim=1)
            total = total + ce * weight[:, start]
            count = count + weight[:, start]
        return total, count

    def mean_loss(self, out: Tensor, target: Tensor, weight: Tensor) -> Tensor:
        """Loss averaged over all weighted cells of the batch (training)."""
        if self.is_numeric:
            return (((out - target) ** 2) * weight).sum() / weight.sum().clamp_min(1.0)
        total, count = self.row_loss(out, target, weight)
        return total.sum() / count.sum().clamp_min(1.0)
