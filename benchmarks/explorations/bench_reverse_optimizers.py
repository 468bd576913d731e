"""Accuracy/time curve of the reverse search: step budgets and optimisers (issue 6).

Two cases, one fitted network each:

* protocol A: breast_cancer (569 x 30) min-max scaled, 20% MCAR per seed, ReverseImputer(random_state=seed)
  with its default ``estimate="mean"``; RMSE on the missing cells, averaged over the seeds;
* MNIST: the first --mnist-rows test digits with the middle band (pixel rows 9-18) hidden, the cached
  network of the MNIST experiment (never retrained here), ``estimate="mode"``; RMSE on the missing
  pixels and the share of all 784 pixels whose rounded value is right.

Methods, all from the same start (the network's one-pass fill), with the same loss (the engine's per-row
reconstruction error on the observed cells + spherical code penalty), the same clean-up pass, estimate
and clipping to the observed range:

* ``adam lr=...``: the engine itself (``revimpute.reverse.reverse_impute``), Adam on the missing cells,
  row-keyed input dropout (a fresh mask per step), per-row convergence, at each step budget;
* ``lbfgs``: ``torch.optim.LBFGS`` (strong Wolfe line search, history 10) on the missing cells of the
  whole chunk; L-BFGS needs a deterministic objective, so the row-keyed dropout mask of step 0 is held
  fixed. The budget is L-BFGS iterations; the figure's time axis makes the extra function evaluations of
  the line search visible. One line search for the whole chunk couples the rows, so this variant would
  break the engine's guarantee that a row's result does not depend on its batch.

Seconds are wall time of the search + clean-up (the start pass included), on the threads given.

    OMP_NUM_THREADS=1 python benchmarks/explorations/bench_reverse_optimizers.py
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from revimpute import ReverseImputer, __version__
from revimpute.bench.datasets import load_table, minmax_scale
from revimpute.bench.mnist import load_mnist
from revimpute.bench.mnist_experiment import corruption_mask, mnist_model
from revimpute.reverse import ReverseConfig, cleanup_pass, reverse_impute
from revimpute.reverse.row_noise import dropout_keep, row_keys

STEPS = (0, 10, 25, 50, 100, 200)
ADAM_LRS = (0.05, 0.02, 0.1)
LBFGS_ITERS = (5, 10, 25, 50)


def _prepared(imputer: ReverseImputer, holed: np.ndarray):
    """Network-unit values, missing mask and bounds of a table for ``imputer``."""
    missing = np.isnan(holed)
    x = imputer.scaler_.transform(np.where(missing, 0.0, holed)).astype(np.float32)
    return x, missing, imputer.scaled_bounds()


def run_engine(imputer, x, missing, bounds, estimate, steps, lr) -> np.ndarray:
    """The engine as is, with a step budget and an Adam step size."""
    config = replace(imputer.reverse_config(), max_steps=steps, learning_rate=lr, estimate=estimate)
    filled, _ = reverse_impute(imputer.model_, x, missing, config, imputer.radius_, imputer.seed_, bounds=bounds)
    return filled


def run_lbfgs(imputer, x, missing, bounds, estimate, iterations) -> np.ndarray:
    """L-BFGS on the missing cells of the whole table (one chunk), same loss, start and finish."""
    model, config = imputer.model_, imputer.reverse_config()
    x_obs = torch.from_numpy(np.where(missing, 0.0, x).astype(np.float32))
    miss = torch.from_numpy(missing)
    with torch.no_grad():
        recon, _ = model(x_obs, (~miss).float(), batch_invariant=True)
        start = torch.where(miss, recon, x_obs)
    if iterations == 0:
        result = start
    else:
        keys = row_keys(x, missing, imputer.seed_)
        visible = torch.from_numpy(dropout_keep(keys, 0, x.shape[1], config.input_dropout).astype(np.float32))
        weight = (~miss).float() if config.loss == "observed" else torch.ones_like(x_obs)
        u = start.clone().requires_grad_(True)
        optimizer = torch.optim.LBFGS([u], lr=1.0, max_iter=iterations, history_size=10,
                                      line_search_fn="strong_wolfe", tolerance_grad=0.0, tolerance_change=0.0)

        def closure() -> torch.Tensor:
            optimizer.zero_grad()
            x_in = torch.where(miss, u, x_obs)
            out, z = model(x_in, visible, batch_invariant=True)
            per_row = ((out - x_in) ** 2 * weight).sum(dim=1) / weight.sum(dim=1).clamp_min(1.0)
            per_row = per_row + config.sphere_weight * (z.norm(dim=1) - imputer.radius_) ** 2
            loss = per_row.sum()
            loss.backward()
            return loss

        optimizer.step(closure)
        result = u.detach()
        if bounds is not None:
            lower, upper = (torch.from_numpy(np.asarray(b, dtype=np.float32)) for b in bounds)
            result = torch.minimum(torch.maximum(result, lower), upper)
        result = cleanup_pass(model, torch.where(miss, result, x_obs), miss)
        if estimate == "mean":
            result = 0.5 * (result + start)
    if bounds is not None:
        lower, upper = (torch.from_numpy(np.asarray(b, dtype=np.float32)) for b in bounds)
        result = torch.minimum(torch.maximum(result, lower), upper)
    return torch.where(miss, result, x_obs).numpy()


def _methods():
    for lr in ADAM_LRS:
        for steps in STEPS:
            yield f"adam lr={lr:g}", steps, (lambda imp, x, m, b, est, s=steps, lr=lr: run_engine(imp, x, m, b, est, s, lr))
    for iters in LBFGS_ITERS:
        yield "lbfgs", iters, (lambda imp, x, m, b, est, it=iters: run_lbfgs(imp, x, m, b, est, it))


def breast_case(seeds) -> list[dict]:
    truth = minmax_scale(load_table("breast_cancer").frame).to_numpy(dtype=float)
    cases = []
    for seed in seeds:
        mask = np.random.default_rng(seed).random(truth.shape) < 0.2
        holed = np.where(mask, np.nan, truth)
        imputer = ReverseImputer(random_state=seed).fit(holed)
        cases.append((imputer, holed, mask))
    rows = []
    for method, steps, fn in _methods():
        rmse, secs = [], []
        for imputer, holed, mask in cases:
            x, missing, bounds = _prepared(imputer, holed)
            start = time.perf_counter()
            filled = fn(imputer, x, missing, bounds, "mean")
            secs.append(time.perf_counter() - start)
            filled = imputer.scaler_.inverse_transform(filled)
            rmse.append(float(np.sqrt(np.mean((filled[mask] - truth[mask]) ** 2))))
        rows.append({"case": "breast_cancer", "method": method, "steps": steps, "seconds": float(np.mean(secs)),
                     "rmse": float(np.mean(rmse)), "accuracy": None})
    return rows


def mnist_case(n_rows: int) -> list[dict]:
    data = load_mnist()
    imputer, _ = mnist_model(train=data.train, verbose=False)
    test = data.test[:n_rows]
    mask = corruption_mask("middle", len(test))
    holed = np.where(mask, np.nan, test)
    x, missing, bounds = _prepared(imputer, holed)
    rows = []
    for method, steps, fn in _methods():
        start = time.perf_counter()
        filled = imputer.scaler_.inverse_transform(fn(imputer, x, missing, bounds, "mode"))
        seconds = time.perf_counter() - start
        rows.append({"case": f"mnist {n_rows} middle", "method": method, "steps": steps, "seconds": seconds,
                     "rmse": float(np.sqrt(np.mean((filled[mask] - test[mask]) ** 2))),
                     "accuracy": float(np.mean((filled >= 0.5) == (test >= 0.5)))})
    return rows


def save_plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from revimpute.io import atomic_path

    cases = list(dict.fromkeys(r["case"] for r in rows))
    fig, axes = plt.subplots(1, len(cases), figsize=(6 * len(cases), 4.2), squeeze=False)
    for ax, case in zip(axes[0], cases):
        sub = [r for r in rows if r["case"] == case]
        metric = "accuracy" if sub[0]["accuracy"] is not None else "rmse"
        for method in dict.fromkeys(r["method"] for r in sub):
            pts = [r for r in sub if r["method"] == method]
            ax.plot([r["seconds"] for r in pts], [r[metric] for r in pts], marker="o", label=method)
            for r in pts:
                ax.annotate(str(r["steps"]), (r["seconds"], r[metric]), fontsize=7,
                            textcoords="offset points", xytext=(3, 3))
        ax.set_xscale("symlog", linthresh=0.1)
        ax.set_xlabel("seconds (search + clean-up)")
        ax.set_ylabel("rounded-pixel accuracy (higher is better)" if metric == "accuracy"
                      else "RMSE on missing cells (lower is better)")
        ax.set_title(f"{case}: labels = step budget (L-BFGS: iterations)", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--mnist-rows", type=int, default=1000)
    parser.add_argument("--skip-mnist", action="store_true")
    parser.add_argument("--plot", default="docs/img/reverse_accuracy_time.png")
    args = parser.parse_args()
    rows = breast_case(args.seeds)
    if not args.skip_mnist:
        rows += mnist_case(args.mnist_rows)
    print(f"revimpute {__version__}, torch {torch.__version__}, torch threads {torch.get_num_threads()}; "
          f"command: python {' '.join(sys.argv)}")
    print(f"breast_cancer: protocol A, seeds {args.seeds}, estimate=mean, mean over seeds; "
          f"MNIST: estimate=mode")
    print("| case | method | steps | seconds | RMSE missing | accuracy |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        acc = "" if r["accuracy"] is None else f"{r['accuracy']:.4f}"
        print(f"| {r['case']} | {r['method']} | {r['steps']} | {r['seconds']:.2f} | {r['rmse']:.4f} | {acc} |")
    if args.plot:
        save_plot(rows, Path(args.plot))
        print(f"figure: {args.plot}")


if __name__ == "__main__":
    main()
