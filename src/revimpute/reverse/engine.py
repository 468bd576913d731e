"""The reverse-training engine.

The autoencoder's weights are frozen. For every row being imputed, the missing
input cells become the trainable parameters; they are optimised, all rows of a
chunk at once but each independently, so that the network reconstructs the
completed row:

* loss per row = mean squared error between the network's output and its input
  (over all cells, or over the observed cells only, ``loss``), plus a spherical
  penalty ``sphere_weight * (||z|| - radius)**2`` on the bottleneck code, where
  ``radius`` is the mean code norm of the training rows;
* input dropout: each step hides a share of the input cells from the network
  (as the denoising training did); the masks are a deterministic function of
  (seed, row content, step), see :mod:`.row_noise`;
* Adam on the missing cells, started from the autoencoder's own one-pass fill;
* per-row convergence: a row whose smoothed loss has not improved by ``tol``
  (relative) for ``patience`` steps is frozen and stops costing compute;
* a final clean-up pass through the autoencoder whose output fills only the
  missing cells.

Mixed tables (:class:`~revimpute.encode.layout.UnitLayout`): a missing
categorical cell is a vector of free logits fed to the network through a
softmax (a relaxed one-hot), a missing boolean a free logit through a sigmoid;
observed categorical and boolean cells are scored by cross-entropy
(:mod:`revimpute.nn.heads`). Results come back in the network's input space:
probabilities for those cells.

The result is the *mode* estimate: a sharp, likely row. ``estimate="mean"``
averages it with the network's one-pass fill (which approximates the
conditional mean under the training masks); ``estimate="pass"`` returns the
one-pass fill alone. docs/method.md gives the measurements behind each.

Every product runs through batch-invariant kernels and every loss is a sum of
per-row terms, so a row's result is bitwise the same whichever rows share its
chunk, in whatever order, with whatever chunk size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from revimpute.encode.layout import UnitLayout
from revimpute.nn.autoencoder import MLPAutoencoder
from revimpute.nn.ensemble import FrozenEnsemble
from revimpute.nn.heads import Heads
from revimpute.reverse.row_noise import dropout_keep, row_keys, splitmix64, uniform_for_step

LOSSES = ("all", "observed", "heldout")
ESTIMATES = ("mean", "mode", "pass")
_RESTART_SALT = np.uint64(0xD1B54A32D192ED03)


@dataclass(frozen=True)
class ReverseConfig:
    """Settings of the reverse search (see ``ReverseImputer`` for their meaning)."""

    max_steps: int = 200
    learning_rate: float = 0.05
    loss: str = "observed"
    sphere_weight: float = 0.001
    input_dropout: float = 0.1
    tol: float = 1e-4
    patience: int = 10
    cleanup: bool = True
    n_restarts: int = 1
    restart_noise: float = 0.5
    chunk_size: int = 4096
    estimate: str = "mode"


@dataclass
class ReverseReport:
    """What the reverse search did, summed over all chunks."""

    rows: int = 0
    cells: int = 0
    steps_per_row: float = 0.0
    rows_converged: int = 0
    row_steps: int = 0

    def add(self, rows: int, cells: int, steps: np.ndarray, converged: int) -> None:
        self.rows += rows
        self.cells += cells
        self.row_steps += int(steps.sum())
        self.rows_converged += converged
        self.steps_per_row = self.row_steps / max(self.rows, 1)


def _to_tensors(X: np.ndarray, missing: np.ndarray, device: torch.device):
    x = torch.from_numpy(np.where(missing, 0.0, X).astype(np.float32)).to(device)
    miss = torch.from_numpy(missing).to(device)
    return x, miss


def one_pass(
    model: MLPAutoencoder,
    X: np.ndarray,
    missing: np.ndarray,
    device: str | torch.device = "cpu",
    layout: UnitLayout | None = None,
) -> np.ndarray:
    """The autoencoder's one-pass fill: missing cells hidden, output fills them.

    Returns a float32 array equal to ``X`` on observed cells (probabilities in
    the boolean and categorical units of a mixed ``layout``).
    """
    device = torch.device(device)
    heads = Heads(layout, device)
    x, miss = _to_tensors(X, missing, device)
    with torch.no_grad():
        recon, _ = model(x, (~miss).float(), batch_invariant=True)
        filled = torch.where(miss, heads.activate(recon), x)
    return filled.cpu().numpy()


def cleanup_pass(
    model: MLPAutoencoder, filled: torch.Tensor, missing: torch.Tensor, heads: Heads | None = None
) -> torch.Tensor:
    """Pass completed rows once more through the network; its output fills the missing cells."""
    heads = heads or Heads(None)
    with torch.no_grad():
        cleaned, _ = model(filled, torch.ones_like(filled), batch_invariant=True)
        return torch.where(missing, heads.activate(cleaned), filled)


def _search(
    networks: FrozenEnsemble,
    x_obs: torch.Tensor,
    miss: torch.Tensor,
    start: torch.Tensor,
    keys: list[np.ndarray],
    config: ReverseConfig,
    radii: torch.Tensor,
    bounds: tuple[torch.Tensor, torch.Tensor] | None = None,
    heads: Heads | None = None,
    layout: UnitLayout | None = None,
) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """Optimise the missing cells of every row of a chunk, for every network at once.

    ``start`` holds each network's starting point, shape ``(E, n, d)``; ``keys``
    each network's row keys; ``radii`` the code radii, shape ``(E, 1)``. A
    (network, row) pair converges on its own; a row stays in the computed set
    while any network still optimises it, and a converged pair is no longer
    updated, so every pair follows exactly the steps it takes alone.

    Returns the free parameters (logits for boolean and categorical units),
    the steps each pair took, shape ``(E, n)``, and the rows each network
    converged on, shape ``(E,)``.
    """
    heads = heads or Heads(None)
    n_members = networks.size
    n_rows, n_units = x_obs.shape
    n_cols = layout.n_columns if layout is not None else n_units
    device = x_obs.device
    u = start.clone()
    adam_m = torch.zeros_like(u)
    adam_v = torch.zeros_like(u)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    weight_obs = (~miss).float()
    ema = torch.full((n_members, n_rows), float("inf"), device=device)
    best = torch.full((n_members, n_rows), float("inf"), device=device)
    since = torch.zeros((n_members, n_rows), dtype=torch.long, device=device)
    steps_done = np.zeros((n_members, n_rows), dtype=np.int64)
    pair_active = torch.ones((n_members, n_rows), dtype=torch.bool, device=device)
    rows = torch.arange(n_rows, device=device)  # rows some network still optimises

    for step in range(config.max_steps):
        if rows.numel() == 0:
            break
        rows_np = rows.cpu().numpy()
        act = pair_active[:, rows]  # (E, na)
        steps_done[:, rows_np] += act.cpu().numpy()
        shape = (n_members, len(rows_np), n_units)
        miss_a = miss[rows].expand(shape)
        u_old = u[:, rows]
        u_a = u_old.clone().requires_grad_(True)
        x_a = torch.where(miss_a, _activate(heads, u_a), x_obs[rows].expand(shape))
        keep = dropout_keep(np.concatenate([k[rows_np] for k in keys]), step, n_cols, config.input_dropout)
        keep = keep.reshape(n_members, len(rows_np), n_cols)
        if layout is not None:
            keep = layout.expand(keep)  # a categorical group is dropped whole
        visible = torch.from_numpy(keep.astype(np.float32)).to(device)
        if config.loss == "heldout":
            # hide observed cells only; score the network on the hidden ones
            visible = torch.maximum(visible, miss_a.float())
            held = weight_obs[rows] * (1 - visible)
            has_held = held.sum(dim=2, keepdim=True) > 0
            weight = torch.where(has_held, held, weight_obs[rows].expand(shape))
        elif config.loss == "all":
            weight = torch.ones(shape, device=device)
        else:
            weight = weight_obs[rows].expand(shape)
        recon, z = networks(x_a, visible)
        total_loss, n_cells = _row_loss(heads, recon, x_a, weight)
        per_row = total_loss / n_cells.clamp_min(1.0)
        if config.sphere_weight > 0:
            per_row = per_row + config.sphere_weight * (z.norm(dim=2) - radii) ** 2
        (grad,) = torch.autograd.grad(per_row.sum(), u_a)
        with torch.no_grad():
            grad = grad * miss_a
            act3 = act.unsqueeze(2)
            m = beta1 * adam_m[:, rows] + (1 - beta1) * grad
            v = beta2 * adam_v[:, rows] + (1 - beta2) * grad * grad
            adam_m[:, rows] = torch.where(act3, m, adam_m[:, rows])
            adam_v[:, rows] = torch.where(act3, v, adam_v[:, rows])
            t = step + 1
            m_hat = m / (1 - beta1**t)
            v_hat = v / (1 - beta2**t)
            step_u = u_old - config.learning_rate * m_hat / (v_hat.sqrt() + eps)
            if bounds is not None:  # projected step: stay inside the observed range
                step_u = torch.minimum(torch.maximum(step_u, bounds[0]), bounds[1])
            u[:, rows] = torch.where(act3, step_u, u_old)

            loss_now = per_row.detach()
            ema_old, best_old, since_old = ema[:, rows], best[:, rows], since[:, rows]
            ema_a = torch.where(torch.isinf(ema_old), loss_now, 0.8 * ema_old + 0.2 * loss_now)
            improved = ema_a < best_old * (1 - config.tol)
            best_a = torch.where(improved, ema_a, best_old)
            since_a = torch.where(improved, torch.zeros_like(since_old), since_old + 1)
            ema[:, rows] = torch.where(act, ema_a, ema_old)
            best[:, rows] = torch.where(act, best_a, best_old)
            since[:, rows] = torch.where(act, since_a, since_old)
            pair_active[:, rows] = act & (since_a < config.patience)
            rows = rows[pair_active[:, rows].any(dim=0)]

    converged = n_rows - pair_active.sum(dim=1).cpu().numpy()
    return u, steps_done, converged


def _activate(heads: Heads, raw: torch.Tensor) -> torch.Tensor:
    """:meth:`Heads.activate` on the last axis of a ``(E, n, d)`` block."""
    if heads.is_numeric:
        return raw
    return heads.activate(raw.reshape(-1, raw.shape[-1])).reshape(raw.shape)


def _row_loss(heads: Heads, out: torch.Tensor, target: torch.Tensor, weight: torch.Tensor):
    """:meth:`Heads.row_loss` of ``(E, n, d)`` blocks: per-(network, row) loss and cell count."""
    if heads.is_numeric:
        return ((out - target) ** 2 * weight).sum(dim=2), weight.sum(dim=2)
    n_members, n_rows, width = out.shape
    total, count = heads.row_loss(
        out.reshape(-1, width), target.reshape(-1, width), weight.reshape(-1, width).contiguous()
    )
    return total.reshape(n_members, n_rows), count.reshape(n_members, n_rows)


def reverse_impute(
    model: MLPAutoencoder,
    X: np.ndarray,
    missing: np.ndarray,
    config: ReverseConfig,
    radius: float,
    seed: int,
    device: str | torch.device = "cpu",
    progress: Callable[[int, int], None] | None = None,
    bounds: tuple[np.ndarray, np.ndarray] | None = None,
    layout: UnitLayout | None = None,
) -> tuple[np.ndarray, ReverseReport]:
    """Fill the missing cells of ``X`` by reverse training.

    Parameters
    ----------
    model : MLPAutoencoder
        Trained network; its weights are not changed.
    X : ndarray of shape (n, d)
        Scaled values; entries where ``missing`` is True are ignored.
    missing : ndarray of bool, same shape
    config : ReverseConfig
    radius : float
        Target norm of the latent code (mean over the training rows).
    seed : int
        Keys the row-wise dropout masks (with each row's own content).
    device : str or torch.device
    progress : callable(rows_done, rows_total) or None
    bounds : (lower, upper) arrays of shape (d,) or None
        Per-column limits (scaled units) for the missing cells: the search
        projects onto them after every step and the result is clipped to them.
        Use infinite limits for boolean and categorical units.
    layout : UnitLayout or None
        Unit structure of a mixed table; None: every unit is a numeric column.

    Returns
    -------
    filled : ndarray of float32, shape (n, d)
        ``X`` with the missing cells filled (observed cells as given);
        probabilities in boolean and categorical units.
    report : ReverseReport
    """
    filled, reports = reverse_impute_ensemble(
        [model], X, missing, config, [radius], [seed], device=device, progress=progress, bounds=bounds,
        layout=layout,
    )
    return filled[0], reports[0]


def reverse_impute_ensemble(
    models: Sequence[MLPAutoencoder],
    X: np.ndarray,
    missing: np.ndarray,
    config: ReverseConfig,
    radii: Sequence[float],
    seeds: Sequence[int],
    device: str | torch.device = "cpu",
    progress: Callable[[int, int], None] | None = None,
    bounds: tuple[np.ndarray, np.ndarray] | None = None,
    layout: UnitLayout | None = None,
) -> tuple[list[np.ndarray], list[ReverseReport]]:
    """:func:`reverse_impute` against several networks of one shape at once.

    All networks search a chunk together (one tensor, one batched product per
    network and layer, one Adam update for all); each network's result is
    bitwise what :func:`reverse_impute` gives with that network, its radius and
    its seed. ``progress`` counts rows (each row once, for all networks).

    Returns
    -------
    filled : list of ndarray, one per network (as :func:`reverse_impute`)
    reports : list of ReverseReport, one per network
    """
    if config.loss not in LOSSES:
        raise ValueError(f"reverse loss must be one of {LOSSES}, got {config.loss!r}")
    if config.estimate not in ESTIMATES:
        raise ValueError(f"estimate must be one of {ESTIMATES}, got {config.estimate!r}")
    search = config.max_steps > 0 and config.estimate != "pass"
    device = torch.device(device)
    heads = Heads(layout, device)
    networks = FrozenEnsemble(models, device)
    n_members = networks.size
    radii_t = torch.tensor([[float(r)] for r in radii], dtype=torch.float32, device=device)
    X = np.asarray(X, dtype=np.float32)
    missing = np.asarray(missing, dtype=bool)
    filled = [np.where(missing, np.float32(0), X).astype(np.float32) for _ in range(n_members)]
    todo = np.flatnonzero(missing.any(axis=1))
    bounds_t = None
    if bounds is not None:
        bounds_t = tuple(torch.as_tensor(np.asarray(b, dtype=np.float32), device=device) for b in bounds)
    reports = [ReverseReport() for _ in range(n_members)]
    chunk = max(1, int(config.chunk_size))
    for begin in range(0, len(todo), chunk):
        rows = todo[begin : begin + chunk]
        Xc, Mc = X[rows], missing[rows]
        x_obs, miss = _to_tensors(Xc, Mc, device)
        shape = (n_members, *x_obs.shape)
        with torch.no_grad():
            recon, _ = networks(x_obs.expand(shape), (~miss).float().expand(shape))
            start = torch.where(miss, recon, x_obs)  # free parameters: logits where not numeric
            start_filled = torch.where(miss, _activate(heads, recon), x_obs)
        keys = [row_keys(Xc, Mc, seed) for seed in seeds]
        total = torch.zeros_like(start)
        steps_sum = np.zeros((n_members, len(rows)), dtype=np.int64)
        converged = np.zeros(n_members, dtype=np.int64)
        for restart in range(max(1, config.n_restarts)):
            init = start
            rkeys = keys
            if restart > 0:
                with np.errstate(over="ignore"):
                    rkeys = [splitmix64(k ^ (_RESTART_SALT * np.uint64(restart))) for k in keys]
                noise = np.stack([uniform_for_step(k, -1, Mc.shape[1]) * 2.0 - 1.0 for k in rkeys])
                noise_t = torch.from_numpy(noise.astype(np.float32)).to(device)
                init = torch.where(miss, start + config.restart_noise * noise_t, start)
            if search:
                init, steps, conv = _search(
                    networks, x_obs, miss, init, rkeys, config, radii_t, bounds_t, heads, layout
                )
                steps_sum += steps
                converged += conv
            with torch.no_grad():
                result = torch.where(miss, _activate(heads, init), x_obs)
            if config.cleanup and search:
                with torch.no_grad():
                    cleaned, _ = networks(result, torch.ones_like(result))
                    result = torch.where(miss, _activate(heads, cleaned), result)
            total = total + result
        result = total / max(1, config.n_restarts)
        if search and config.estimate == "mean":
            result = 0.5 * (result + start_filled)
        if bounds_t is not None:
            result = torch.minimum(torch.maximum(result, bounds_t[0]), bounds_t[1])
        out = torch.where(miss, result, x_obs).cpu().numpy()
        for e in range(n_members):
            filled[e][rows] = out[e]
            reports[e].add(len(rows), int(Mc.sum()), steps_sum[e], int(converged[e]) // max(1, config.n_restarts))
        if progress is not None:
            progress(min(begin + chunk, len(todo)), len(todo))
    filled = [np.where(missing, f, X) for f in filled]
    return filled, reports
