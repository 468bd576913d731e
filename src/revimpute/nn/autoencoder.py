"""The MLP autoencoder that learns the data distribution.

The network reads a row whose unobserved cells are zeroed, optionally followed
by the observation mask as a second channel, encodes it into a small latent
code and decodes a full row. The same module serves training (fast ``F.linear``)
and imputation (batch-invariant tiled products, see :mod:`.batch_invariant`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from revimpute.nn.batch_invariant import blockwise_silu, pad_rows, tiled_linear


class MLPAutoencoder(nn.Module):
    """Fully connected autoencoder with an optional observation-mask input channel.

    Parameters
    ----------
    n_features : int
        Width of a data row.
    hidden_sizes : sequence of int
        Widths of the encoder's hidden layers; the decoder mirrors them.
    latent_size : int
        Width of the bottleneck code.
    mask_channel : bool, default=True
        Feed the observation mask (1 = observed) beside the values, so the
        network can tell a zero value from a missing one.
    """

    def __init__(
        self,
        n_features: int,
        hidden_sizes: Sequence[int],
        latent_size: int,
        mask_channel: bool = True,
    ) -> None:
        super().__init__()
        self.n_features = int(n_features)
        self.hidden_sizes = tuple(int(h) for h in hidden_sizes)
        self.latent_size = int(latent_size)
        self.mask_channel = bool(mask_channel)
        n_in = self.n_features * (2 if self.mask_channel else 1)
        enc_sizes = (n_in, *self.hidden_sizes, self.latent_size)
        dec_sizes = (self.latent_size, *reversed(self.hidden_sizes), self.n_features)
        self.encoder = nn.ModuleList(
            nn.Linear(a, b) for a, b in zip(enc_sizes[:-1], enc_sizes[1:])
        )
        self.decoder = nn.ModuleList(
            nn.Linear(a, b) for a, b in zip(dec_sizes[:-1], dec_sizes[1:])
        )

    def config(self) -> dict:
        """Constructor arguments, for saving the architecture as JSON."""
        return {
            "n_features": self.n_features,
            "hidden_sizes": list(self.hidden_sizes),
            "latent_size": self.latent_size,
            "mask_channel": self.mask_channel,
        }

    @staticmethod
    def _run(layers: nn.ModuleList, h: Tensor, last_activation: bool, invariant: bool) -> Tensor:
        for i, layer in enumerate(layers):
            if invariant:
                h = tiled_linear(h, layer.weight, layer.bias)
            else:
                h = F.linear(h, layer.weight, layer.bias)
            if i < len(layers) - 1 or last_activation:
                h = blockwise_silu(h) if invariant else F.silu(h)
        return h

    def forward(
        self, x: Tensor, observed: Tensor, batch_invariant: bool = False
    ) -> tuple[Tensor, Tensor]:
        """Reconstruct rows.

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Values; entries where ``observed`` is 0 are ignored (zeroed).
        observed : Tensor of shape (n, n_features)
            1.0 where the value is given to the network, 0.0 where hidden.
        batch_invariant : bool, default=False
            Use tiled products so that each row's output is bitwise independent
            of the other rows in the batch (imputation time).

        Returns
        -------
        reconstruction : Tensor of shape (n, n_features)
        code : Tensor of shape (n, latent_size)
        """
        n_rows = x.shape[0]
        h = x * observed
        if self.mask_channel:
            h = torch.cat([h, observed], dim=1)
        if batch_invariant:
            h = pad_rows(h)
        z = self._run(self.encoder, h, last_activation=False, invariant=batch_invariant)
        out = self._run(self.decoder, z, last_activation=False, invariant=batch_invariant)
        return out[:n_rows], z[:n_rows]
