"""An ensemble of autoencoders trained as one stacked model.

The ``n_models`` networks of an ensemble have the same shape, so their weights
are stacked along a leading axis (one tensor of shape ``(networks, out, in)``
per layer) and every layer of every network runs as one batched matrix product
(``torch.bmm``). Each network keeps what it has when trained alone: its own
seed (initial weights, held-out rows, data order and corruption masks all come
from its own generator, drawn in the same order as
:func:`~revimpute.nn.training.train_autoencoder` draws them), its own held-out
loss, best weights and early stopping. A network that stops is taken out of
the stack, so the others go on without computing it.

On the CPU the training runs its products at PyTorch's ``"medium"`` float32
matmul precision when a probe shows that it keeps float32's accuracy there
(:func:`fast_products_keep_float32`): PyTorch then hands them to oneDNN, whose
kernels run the training's small batched products faster on some CPUs
(docs/scale.md); the forward pass is ``bmm`` plus the bias, since ``baddbmm``
does not take that route. The setting is process-wide while the training runs
and the caller's is restored afterwards. A training step's backward pass is
written out by hand (:func:`stacked_gradients`, autograd's to float rounding) so
that it can write into tensors kept from step to step (:class:`StepBuffers`),
and Adam's update is PyTorch's fused kernel (:class:`StackedAdam`).

Each batch item of the product is its own matrix product, so a network's
weights agree with those it gets in a stack of its own to float rounding, not
bitwise: PyTorch's batched CPU products can round one item differently with a
different number of items (seen with MKL's product for a 34-row batch through
a 128 -> 9 layer, and with oneDNN's in ``tests/test_speed.py``). So the
ensemble always trains as one stack in seed order, never in groups chosen by
the free cores.
Against :func:`~revimpute.nn.training.train_autoencoder`, which runs
``F.linear`` at the caller's precision, they agree to float rounding.

:class:`FrozenEnsemble` is the imputation-time counterpart: the trained
networks stacked for the batch-invariant forward pass of the reverse search.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import torch
from torch import Tensor
from torch.nn import functional as F

from revimpute.encode.layout import UnitLayout
from revimpute.nn.autoencoder import MLPAutoencoder
from revimpute.nn.batch_invariant import TILE_ROWS, _padded, blockwise_silu
from revimpute.nn.heads import Heads
from revimpute.nn.training import (
    LR_SCHEDULES,
    EarlyStopping,
    TrainingConfig,
    TrainingHistory,
    _corrupt_columns,
    init_parameters,
)


def stack_parameters(models: Sequence[MLPAutoencoder]) -> list[Tensor]:
    """The networks' weights and biases stacked along a new first axis, layer by layer.

    Order: encoder layers then decoder layers, each as ``weight`` ``(E, out, in)``
    then ``bias`` ``(E, out)``.
    """
    out = []
    for k in range(len(models[0].encoder) + len(models[0].decoder)):
        layers = [_layer(m, k) for m in models]
        out.append(torch.stack([layer.weight.detach() for layer in layers]))
        out.append(torch.stack([layer.bias.detach() for layer in layers]))
    return out


def _layer(model: MLPAutoencoder, k: int) -> torch.nn.Linear:
    n_enc = len(model.encoder)
    return model.encoder[k] if k < n_enc else model.decoder[k - n_enc]


def _silu_after(k: int, n_encoder: int, n_layers: int) -> bool:
    """Whether layer ``k``'s output goes through ``silu``: every layer's but the code's and the last one's."""
    return k != n_encoder - 1 and k < n_layers - 1


def stacked_forward(
    params: Sequence[Tensor], n_encoder: int, x: Tensor, observed: Tensor, mask_channel: bool = True
) -> tuple[Tensor, Tensor]:
    """Every network's reconstruction of its rows: ``x`` and ``observed`` of shape ``(E, n, d)``.

    Returns the reconstructions ``(E, n, d)`` and the codes ``(E, n, latent)``.
    """
    h = x * observed
    if mask_channel:
        h = torch.cat([h, observed], dim=2)
    n_layers = len(params) // 2
    z = h
    for k in range(n_layers):
        weight, bias = params[2 * k], params[2 * k + 1]
        h = torch.bmm(h, weight.transpose(1, 2)) + bias.unsqueeze(1)
        if k == n_encoder - 1:
            z = h
        elif _silu_after(k, n_encoder, n_layers):
            h = F.silu(h)
    return h, z


class StepBuffers:
    """The tensors a training step writes its layers' values and gradients into, kept from step to step.

    One set per shape of a step (networks in the stack, rows in the batch):
    a fresh tensor of a few hundred kilobytes at every operation of every step
    makes the C allocator hand memory back to the system and take it again,
    and each page taken again is a page fault; writing into the same tensors
    avoids it (measured in docs/scale.md).
    """

    def __init__(self) -> None:
        self._sets: dict[tuple[int, ...], dict[str, list[Tensor]]] = {}

    def get(self, params: Sequence[Tensor], x: Tensor, mask_channel: bool) -> dict[str, list[Tensor]]:
        """The buffers for a step of the stacked ``params`` on ``x`` of shape ``(E, n, d)``."""
        n_members, n_rows, width = x.shape
        key = (n_members, n_rows, width, mask_channel, *(p.shape[1] for p in params[::2]))
        if key not in self._sets:
            def empty(columns: int) -> Tensor:
                return torch.empty(n_members, n_rows, columns, dtype=x.dtype, device=x.device)

            widths_out = [w.shape[1] for w in params[::2]]
            widths_in = [w.shape[2] for w in params[::2]]
            # the stack only shrinks: the sets of a larger one will not be used again
            self._sets = {k: v for k, v in self._sets.items() if k[0] == n_members}
            self._sets[key] = {
                "input": [empty(widths_in[0])],
                "linear": [empty(w) for w in widths_out],
                "silu": [empty(w) for w in widths_out],
                "grad_input": [empty(w) for w in widths_in],
                "grad_linear": [empty(w) for w in widths_in],
            }
        return self._sets[key]


def stacked_gradients(
    params: Sequence[Tensor], n_encoder: int, heads: Heads, x: Tensor, visible: Tensor, observed: Tensor,
    grads: Sequence[Tensor], mask_channel: bool = True, buffers: StepBuffers | None = None,
) -> Tensor:
    """One training step's forward and backward pass: each network's loss, its gradients written to ``grads``.

    The forward pass is :func:`stacked_forward` of ``x`` with only the
    ``visible`` cells shown; the loss is each network's loss on its
    ``observed`` cells. Autograd differentiates the loss alone; the layers'
    gradients are computed here, each written into a tensor of ``buffers``
    (:class:`StepBuffers`) instead of a fresh one and without a graph built and
    walked at every step: the weight's gradient is the output gradient times
    the layer's input, one product in the weight's ``(out, in)`` layout written
    into ``grads``, the bias's the output gradient summed over the rows, the
    input's the output gradient times the weight, then ``silu_backward``.
    Autograd computes the weight's product in the ``(in, out)`` layout and
    copies it, and the two layouts round differently: the gradients agree with
    autograd's to float rounding (tested), not bitwise.
    ``grads`` holds one tensor per parameter, each of its parameter's shape.

    Returns
    -------
    Tensor of shape ``(E,)``: each network's loss, detached.
    """
    work = (StepBuffers() if buffers is None else buffers).get(params, x, mask_channel)
    n_layers = len(params) // 2
    with torch.no_grad():
        h = work["input"][0]
        if mask_channel:
            torch.cat([x * visible, visible], dim=2, out=h)
        else:
            torch.mul(x, visible, out=h)
        inputs = []
        for k in range(n_layers):
            weight, bias = params[2 * k], params[2 * k + 1]
            inputs.append(h)
            h = torch.bmm(h, weight.transpose(1, 2), out=work["linear"][k])
            h.add_(bias.unsqueeze(1))
            if _silu_after(k, n_encoder, n_layers):
                h = torch.ops.aten.silu.out(h, out=work["silu"][k])
    out = h.detach().requires_grad_(True)
    with torch.enable_grad():
        losses = _member_loss(heads, out, x, observed)
        (grad,) = torch.autograd.grad(losses.sum(), out)
    with torch.no_grad():
        for k in reversed(range(n_layers)):
            torch.bmm(grad.transpose(1, 2), inputs[k], out=grads[2 * k])
            torch.sum(grad, dim=1, out=grads[2 * k + 1])
            if k == 0:
                break
            grad = torch.bmm(grad, params[2 * k], out=work["grad_input"][k])
            if _silu_after(k - 1, n_encoder, n_layers):
                grad = torch.ops.aten.silu_backward.grad_input(
                    grad, work["linear"][k - 1], grad_input=work["grad_linear"][k])
    return losses.detach()


def _member_loss(heads: Heads, out: Tensor, target: Tensor, weight: Tensor) -> Tensor:
    """Each network's loss averaged over its weighted cells: shape ``(E,)``."""
    if heads.is_numeric:
        return (((out - target) ** 2) * weight).sum(dim=(1, 2)) / weight.sum(dim=(1, 2)).clamp_min(1.0)
    n_members, n_rows, width = out.shape
    total, count = heads.row_loss(out.reshape(-1, width), target.reshape(-1, width), weight.reshape(-1, width))
    return total.reshape(n_members, n_rows).sum(dim=1) / count.reshape(n_members, n_rows).sum(dim=1).clamp_min(1.0)


class _Member:
    """What one network of the ensemble keeps to itself while training."""

    def __init__(self, seed: int, config: TrainingConfig) -> None:
        self.generator = torch.Generator().manual_seed(int(seed))
        self.history = TrainingHistory()
        self.stopping = EarlyStopping(config)
        self.best: list[Tensor] = []


def train_ensemble(
    X: np.ndarray,
    observed: np.ndarray,
    config: TrainingConfig,
    seeds: Sequence[int],
    progress: Callable[[int, int, float, float], None] | None = None,
    device: str | torch.device = "cpu",
    layout: UnitLayout | None = None,
) -> list[tuple[MLPAutoencoder, TrainingHistory]]:
    """Train one :class:`MLPAutoencoder` per seed, all as one stacked model.

    Parameters are those of :func:`~revimpute.nn.training.train_autoencoder`,
    with ``seeds`` (one network each) instead of ``seed``; ``progress`` is
    called after every epoch of the ensemble with the mean training and
    held-out losses of the networks still training.

    Returns
    -------
    list of (model, history), one per seed, each model in eval mode with its
    best weights and no gradients.
    """
    if config.lr_schedule not in LR_SCHEDULES:
        raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, got {config.lr_schedule!r}")
    fast = torch.device(device).type == "cpu" and fast_products_keep_float32()
    with matmul_precision("medium" if fast else torch.get_float32_matmul_precision()):
        return _train_ensemble(X, observed, config, seeds, progress, device, layout)


@contextmanager
def matmul_precision(precision: str) -> Iterator[None]:
    """Run the block at PyTorch's float32 matmul ``precision``, then restore the caller's."""
    before = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision(precision)
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(before)


FAST_PRODUCT_TOLERANCE = 1e-5
"""Largest error (relative to the largest output) a product may have for the training to use it."""

_FAST_PRODUCTS: list[bool] = []


def fast_products_keep_float32() -> bool:
    """Whether batched products at PyTorch's ``"medium"`` float32 precision keep float32's accuracy here.

    Under that setting PyTorch may hand float32 products to oneDNN, which on
    some CPUs computes them faster at float32 accuracy and on others (those
    with bfloat16 matrix units) in bfloat16. A probe product is compared with
    its float64 value once per process; the setting is used only where its
    error stays below :data:`FAST_PRODUCT_TOLERANCE`.
    """
    if not _FAST_PRODUCTS:
        generator = torch.Generator().manual_seed(0)
        a = torch.randn(5, 64, 96, generator=generator)
        b = torch.randn(5, 96, 48, generator=generator)
        exact = torch.bmm(a.double(), b.double())
        with matmul_precision("medium"):
            fast = torch.bmm(a, b).double()
        _FAST_PRODUCTS.append(bool((fast - exact).abs().max() <= FAST_PRODUCT_TOLERANCE * exact.abs().max()))
    return _FAST_PRODUCTS[0]


def _train_ensemble(
    X: np.ndarray, observed: np.ndarray, config: TrainingConfig, seeds: Sequence[int],
    progress: Callable[[int, int, float, float], None] | None, device: str | torch.device,
    layout: UnitLayout | None,
) -> list[tuple[MLPAutoencoder, TrainingHistory]]:
    device = torch.device(device)
    n_samples, n_features = X.shape
    x_all = torch.from_numpy(np.where(observed, X, 0.0).astype(np.float32)).to(device)
    obs_all = torch.from_numpy(observed.astype(np.float32)).to(device)
    n_val = int(round(config.validation_fraction * n_samples))
    if n_samples - n_val < 2 or n_val < 2:
        n_val = 0
    heads = Heads(layout, device)
    first_units = column_of_unit = None
    if layout is not None and layout.n_columns != layout.n_units:
        first_units = torch.as_tensor(layout.first_units())
        column_of_unit = torch.as_tensor(layout.column_of_unit)

    members = [_Member(seed, config) for seed in seeds]
    models, train_idx, val_x, val_obs, val_visible = [], [], [], [], []
    for member in members:  # the draws of train_autoencoder, in its order
        order = torch.randperm(n_samples, generator=member.generator)
        val_idx = order[:n_val]
        train_idx.append(order[n_val:])
        val_x.append(x_all[val_idx])
        val_obs.append(obs_all[val_idx])
        val_visible.append(
            _corrupt_columns(obs_all[val_idx].cpu(), config, member.generator, first_units, column_of_unit).to(device)
        )
        model = MLPAutoencoder(n_features, config.hidden_sizes, config.latent_size, config.mask_channel)
        init_parameters(model, member.generator)
        models.append(model)
    n_encoder = len(models[0].encoder)
    optimizer = StackedAdam([p.to(device) for p in stack_parameters(models)], lr=config.learning_rate,
                            weight_decay=config.weight_decay)
    params = optimizer.params
    for k, member in enumerate(members):
        member.best = [p[k].detach().clone() for p in params]
    active = list(range(len(members)))  # the members still training, in stack order
    n_train = len(train_idx[0])
    batch_size = max(1, min(config.batch_size, n_train))
    x_val = torch.stack(val_x) if n_val else None
    obs_val = torch.stack(val_obs) if n_val else None
    visible_val = torch.stack(val_visible) if n_val else None
    buffers = StepBuffers()

    for epoch in range(config.max_epochs):
        if config.lr_schedule == "cosine":
            optimizer.lr = config.learning_rate * 0.5 * (1 + math.cos(math.pi * epoch / config.max_epochs))
        perms = torch.stack([train_idx[k][torch.randperm(n_train, generator=members[k].generator)] for k in active])
        total = torch.zeros(len(active), device=device)
        for start in range(0, n_train, batch_size):
            idx = perms[:, start : start + batch_size]
            xb, ob = x_all[idx], obs_all[idx]
            visible = torch.stack([
                _corrupt_columns(ob[i].cpu(), config, members[k].generator, first_units, column_of_unit)
                for i, k in enumerate(active)
            ]).to(device)
            losses = stacked_gradients(params, n_encoder, heads, xb, visible, ob, optimizer.grads,
                                       config.mask_channel, buffers)
            optimizer.step()
            total += losses * idx.shape[1]
        train_losses = (total / n_train).tolist()
        with torch.no_grad():
            if n_val:
                recon, _ = stacked_forward(params, n_encoder, x_val, visible_val, config.mask_channel)
                hidden = obs_val * (1 - visible_val)
                has_hidden = hidden.sum(dim=(1, 2), keepdim=True) > 0
                scores = _member_loss(heads, recon, x_val, torch.where(has_hidden, hidden, obs_val)).tolist()
            else:
                scores = train_losses
        if progress is not None:
            progress(epoch + 1, config.max_epochs, float(np.mean(train_losses)), float(np.mean(scores)))
        stopped = []
        for i, k in enumerate(active):
            member, score = members[k], scores[i]
            member.history.train_loss.append(train_losses[i])
            member.history.validation_loss.append(score)
            best, stop = member.stopping.update(score)
            if best:
                member.best = [p[i].detach().clone() for p in params]
                member.history.best_epoch = epoch
            if stop:
                member.history.stopped_early = True
                stopped.append(i)
        if len(stopped) == len(active):
            break
        if stopped:
            keep = [i for i in range(len(active)) if i not in stopped]
            active = [active[i] for i in keep]
            params = optimizer.keep(keep)
            x_val = x_val[keep] if n_val else None
            obs_val = obs_val[keep] if n_val else None
            visible_val = visible_val[keep] if n_val else None

    out = []
    for model, member in zip(models, members):
        with torch.no_grad():
            for k in range(len(member.best) // 2):
                layer = _layer(model, k)
                layer.weight.copy_(member.best[2 * k])
                layer.bias.copy_(member.best[2 * k + 1])
        model.to(device).eval()
        for p in model.parameters():
            p.requires_grad_(False)
        out.append((model, member.history))
    return out


_FUSED_ADAM: dict[str, bool] = {}


def fused_adam_available(device: torch.device | str = "cpu") -> bool:
    """Whether PyTorch's fused Adam kernel (``torch.optim.Adam(fused=True)``'s) runs on ``device`` here.

    PyTorch has it for CUDA and, in its recent versions (2.4 on), for the
    CPU; one tiny update is tried once per process and device type.
    """
    kind = torch.device(device).type
    if kind not in _FUSED_ADAM:
        try:
            one = [torch.ones(2, device=device)]
            torch._fused_adam_(one, [torch.ones(2, device=device)], [torch.zeros(2, device=device)],
                               [torch.zeros(2, device=device)], [], [torch.ones((), device=device)], lr=0.1,
                               beta1=0.9, beta2=0.999, weight_decay=0.0, eps=1e-8, amsgrad=False, maximize=False)
            _FUSED_ADAM[kind] = bool(torch.isfinite(one[0]).all())
        except (AttributeError, NotImplementedError, RuntimeError):
            _FUSED_ADAM[kind] = False
    return _FUSED_ADAM[kind]


class StackedAdam:
    """Adam on the stacked parameters, as ``torch.optim.Adam(fused=True)`` computes it.

    The parameters live in one flat buffer (``params`` are views of it, each a
    leaf that takes gradients, and :attr:`grads` views of a second one), so an
    update is one call of PyTorch's fused Adam kernel over all parameters: one
    pass over the weights, gradients and moments instead of seven, with the
    weights bitwise those of ``torch.optim.Adam(fused=True)`` (tested), and
    without the optimizer's per-step bookkeeping. Where that kernel is missing
    (:func:`fused_adam_available`) or with ``fused=False``, the update is
    ``torch.optim.Adam(foreach=True)``'s multi-tensor operations in their order
    (moments by ``lerp`` and ``addcmul``, bias corrections as Python floats,
    ``weight_decay`` added to the gradient), each one call over the flat
    buffer, bitwise that optimizer's weights (tested); the two differ in the
    last bits. :meth:`keep` cuts the parameters and moments down to the
    networks still training.
    """

    def __init__(self, params: Sequence[Tensor], lr: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, fused: bool | None = None) -> None:
        self.lr = float(lr)
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.steps = 0
        device = params[0].device
        self.fused = fused_adam_available(device) if fused is None else bool(fused)
        self._step_count = torch.zeros((), device=device)  # the fused kernel reads the step here
        self._flatten([p.detach() for p in params])
        self.exp_avg = torch.zeros_like(self.flat)
        self.exp_avg_sq = torch.zeros_like(self.flat)

    def _flatten(self, tensors: list[Tensor]) -> None:
        self.flat = torch.cat([t.reshape(-1) for t in tensors])
        self.params: list[Tensor] = []
        self._grad = torch.empty_like(self.flat)  # the step's buffers, allocated once
        self._denom = None if self.fused else torch.empty_like(self.flat)
        self.grads: list[Tensor] = []
        start = 0
        for t in tensors:
            view = self.flat[start : start + t.numel()].view(t.shape)
            self.params.append(view.requires_grad_(True))
            self.grads.append(self._grad[start : start + t.numel()].view(t.shape))
            start += t.numel()

    @torch.no_grad()
    def step(self, grads: Sequence[Tensor] | None = None) -> None:
        """One Adam update of every parameter from its gradient.

        ``grads``: one per ``params``, in order; None takes those already
        written to :attr:`grads` (views of one flat buffer, one per parameter).
        """
        self.steps += 1
        if grads is not None:
            for view, g in zip(self.grads, grads):
                view.copy_(g)
        grad = self._grad
        if self.fused:
            self._step_count.fill_(float(self.steps))
            torch._fused_adam_([self.flat], [grad], [self.exp_avg], [self.exp_avg_sq], [], [self._step_count],
                               lr=self.lr, beta1=self.beta1, beta2=self.beta2, weight_decay=self.weight_decay,
                               eps=self.eps, amsgrad=False, maximize=False)
            return
        if self.weight_decay != 0:
            grad.add_(self.flat, alpha=self.weight_decay)
        self.exp_avg.lerp_(grad, 1 - self.beta1)
        self.exp_avg_sq.mul_(self.beta2)
        self.exp_avg_sq.addcmul_(grad, grad, value=1 - self.beta2)
        correction1 = 1 - self.beta1 ** float(self.steps)
        correction2 = 1 - self.beta2 ** float(self.steps)
        denom = torch.sqrt(self.exp_avg_sq, out=self._denom)
        denom.div_(correction2**0.5)
        denom.add_(self.eps)
        self.flat.addcdiv_(self.exp_avg, denom, value=(self.lr / correction1) * -1)

    def keep(self, keep: list[int]) -> list[Tensor]:
        """Keep the networks ``keep`` (positions in the stack) only; returns the new parameters."""
        index = torch.as_tensor(keep, device=self.flat.device)
        sizes = [p.numel() for p in self.params]

        def cut(flat: Tensor) -> Tensor:
            parts = [part.view(p.shape)[index].reshape(-1) for part, p in zip(flat.split(sizes), self.params)]
            return torch.cat(parts)

        self.exp_avg, self.exp_avg_sq = cut(self.exp_avg), cut(self.exp_avg_sq)
        self._flatten([p.detach()[index] for p in self.params])
        return self.params


class FrozenEnsemble:
    """Trained networks of one shape, frozen and stacked for the batch-invariant forward pass.

    Calling it on ``x`` and ``observed`` of shape ``(E, n, d)`` (row block ``e``
    for network ``e``) gives every network's reconstruction and code, computed
    with the products of :func:`~revimpute.nn.batch_invariant.tiled_linear`
    (one batched product of fixed tiles per network and layer) and
    :func:`~revimpute.nn.batch_invariant.blockwise_silu`: each row's result is
    bitwise what its network gives it alone, whatever the other rows and
    networks in the call.
    """

    def __init__(self, models: Sequence[MLPAutoencoder], device: str | torch.device = "cpu") -> None:
        first = models[0]
        self.size = len(models)
        self.mask_channel = first.mask_channel
        self.n_encoder = len(first.encoder)
        self.layers = []
        for k in range(len(first.encoder) + len(first.decoder)):
            weights = [_layer(m, k).weight.detach().to(device) for m in models]
            n_out, n_in = weights[0].shape
            k_in, m_out = _padded(n_in), _padded(n_out)
            padded = [F.pad(w, (0, k_in - n_in, 0, m_out - n_out)) if (k_in, m_out) != (n_in, n_out) else w
                      for w in weights]
            bias = torch.stack([_layer(m, k).bias.detach().to(device) for m in models]).unsqueeze(1)
            self.layers.append((padded, bias, n_in, n_out, k_in, m_out))

    def _linear(self, h: Tensor, layer: tuple) -> Tensor:
        padded, bias, n_in, n_out, k_in, m_out = layer
        n_members, n_rows, _ = h.shape
        if k_in != n_in:
            h = F.pad(h, (0, k_in - n_in))
        n_tiles = n_rows // TILE_ROWS
        tiles = h.reshape(n_members, n_tiles, TILE_ROWS, k_in)
        outs = [torch.bmm(block, weight.t().unsqueeze(0).expand(n_tiles, -1, -1))
                for block, weight in zip(tiles.unbind(0), padded)]
        out = torch.stack(outs).reshape(n_members, n_rows, m_out)[:, :, :n_out].contiguous()
        return out + bias

    def __call__(self, x: Tensor, observed: Tensor) -> tuple[Tensor, Tensor]:
        """Reconstructions ``(E, n, d)`` and codes ``(E, n, latent)`` of rows ``x`` (E, n, d)."""
        n_members, n_rows, _ = x.shape
        h = x * observed
        if self.mask_channel:
            h = torch.cat([h, observed], dim=2)
        extra = (-n_rows) % TILE_ROWS
        if extra:
            h = torch.cat([h, h.new_zeros((n_members, extra, h.shape[2]))], dim=1)
        z = h
        for k, layer in enumerate(self.layers):
            h = self._linear(h, layer)
            if k == self.n_encoder - 1:
                z = h
            elif _silu_after(k, self.n_encoder, len(self.layers)):
                h = blockwise_silu(h.reshape(-1, h.shape[2])).reshape(h.shape)
        return h[:, :n_rows], z[:, :n_rows]
