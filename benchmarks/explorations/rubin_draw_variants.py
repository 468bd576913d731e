"""Which way of drawing multiple imputations gives honest Rubin intervals? (the search behind ``sample``)

The simulation is ``benchmarks/bench_rubin.py``'s (its ``make_table``, ``ols`` and ``pooled``); each
repetition's calibrated model is fitted once, one search pass of its networks is kept (the pass
``sample(holed, 5, random_state=rep)`` runs: the networks' dropout seeds mixed with the draw seed),
and every variant below draws its five tables from those same networks' imputations, so the
variants differ only in how a number cell is drawn:

* ``before``: network ``e(k)``'s imputation + ``max(spread, floor) * shrink * r``, ``r`` from the
  column's held-out residuals divided by their cells' ``max(spread, floor)`` (the code before
  this search, commit b317f92);
* ``raw_ek``: ``e(k)`` + ``shrink * r``, ``r`` the raw held-out residual (network units),
  ``shrink = sqrt(1 - spread**2 / mean(r**2))``;
* ``raw_mean``: the ensemble's imputation + ``r`` (raw);
* ``raw_mean_abb``: the same, ``r`` drawn from an approximate Bayesian bootstrap of the residuals
  (resampled with replacement once per imputation and column);
* ``raw_ek_abb``: ``e(k)`` + ``shrink * r``, ``r`` from the bootstrap resample;
* ``shift_abb``: ``mean + (e(k) - mean) / sqrt(n_networks)`` + ``r`` from the bootstrap resample
  (what ``sample`` does since commit 70f671a);
* ``shift_half_abb``: the same with ``/ sqrt(2)``.

Everything is clipped as ``sample`` clips. The two stages (the first is the slow one, about 12 s
per repetition on one thread):

    OMP_NUM_THREADS=1 python benchmarks/explorations/rubin_draw_variants.py --prepare 0 50 --cache /tmp/rubin_cache
    OMP_NUM_THREADS=1 python benchmarks/explorations/rubin_draw_variants.py --prepare 50 100 --cache /tmp/rubin_cache
    python benchmarks/explorations/rubin_draw_variants.py --evaluate --cache /tmp/rubin_cache \\
        --out benchmarks/results/uncertainty/rubin-variants.json
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_rubin import make_table, pooled  # noqa: E402

from revimpute import ReverseImputer  # noqa: E402
from revimpute.bench.provenance import environment_info  # noqa: E402
from revimpute.conformal import draw_keys, pick, uniforms  # noqa: E402
from revimpute.impute._uncertain import _mix  # noqa: E402

VARIANTS = ["before", "raw_ek", "raw_mean", "raw_mean_abb", "raw_ek_abb", "shift_abb", "shift_half_abb"]


def prepare(first: int, last: int, cache: Path) -> None:
    torch.set_num_threads(1)
    cache.mkdir(parents=True, exist_ok=True)
    out = {}
    for rep in range(first, last):
        rng = np.random.default_rng([2024, rep])
        full, holed = make_table(500, rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            imp = ReverseImputer(calibration=0.1, random_state=rep).fit(holed)
            given = imp._units_of(holed)
            draw_seed = _mix(imp.seed_, rep + 1)
            point, members = imp._members(given, [_mix(s, draw_seed, 0) for s in imp._model_seeds()])
        out[rep] = {"holed": holed, "units": given["units"], "missing": given["missing"], "point": point,
                    "members": members, "cal": imp.calibration_, "scaler": imp.scaler_,
                    "bounds": imp.scaled_bounds(), "draw_seed": draw_seed,
                    "order": np.random.default_rng(draw_seed).permutation(len(members)),
                    "dmin": imp.data_min_, "dmax": imp.data_max_}
        print(rep, flush=True)
    with open(cache / f"members_{first}.pkl", "wb") as f:
        pickle.dump(out, f)


def _shrink(spread: np.ndarray, pool: np.ndarray) -> np.ndarray:
    second = float(np.mean(pool**2)) if pool.size else 1.0
    return np.sqrt(np.clip(1.0 - spread**2 / second, 0.0, 1.0)) if second > 0 else np.zeros_like(spread)


def tables(d: dict, variant: str, m: int = 5) -> list[np.ndarray]:
    cal, units, missing, members = d["cal"], d["units"], d["missing"], d["members"]
    n = len(members)
    stack = np.stack([x.astype(np.float64) for x in members])
    spread = stack.std(axis=0)
    keys = draw_keys(units, missing, d["draw_seed"])
    n_columns = units.shape[1]
    scale = cal.cell_scale(np.broadcast_to(np.arange(n_columns), spread.shape), spread)
    normalised = cal.residual / cal.cell_scale(cal.column, cal.spread)
    out = []
    for k in range(m):
        member = members[d["order"][k % n]].astype(np.float64)
        mean = d["point"].astype(np.float64)
        u = uniforms(keys, k, n_columns, 0)
        filled = member.copy()
        for c in range(n_columns):
            own = cal.column == c
            raw = cal.residual[own]
            if variant == "before":
                pool = normalised[own] if own.sum() >= 30 else normalised
                second = float(np.mean(pool**2))
                s = np.sqrt(np.clip(1.0 - (spread[:, c] / scale[:, c]) ** 2 / second, 0.0, 1.0))
                filled[:, c] = member[:, c] + scale[:, c] * s * pick(pool, u[:, c])
                continue
            if variant.endswith("abb"):
                raw = raw[np.random.default_rng([d["draw_seed"], k, c, 0xB007]).integers(0, raw.size, raw.size)]
            r = pick(raw, u[:, c])
            if variant.startswith("raw_ek"):
                filled[:, c] = member[:, c] + _shrink(spread[:, c], raw) * r
            elif variant.startswith("raw_mean"):
                filled[:, c] = mean[:, c] + r
            else:
                root = np.sqrt(2.0) if variant == "shift_half_abb" else np.sqrt(n)
                filled[:, c] = mean[:, c] + (member[:, c] - mean[:, c]) / root + r
        if d["bounds"] is not None:
            filled = np.clip(filled, d["bounds"][0], d["bounds"][1])
        values = np.clip(d["scaler"].inverse_transform(np.where(missing, filled, units)), d["dmin"], d["dmax"])
        out.append(np.where(np.isnan(d["holed"]), values, d["holed"]))
    return out


def evaluate(cache: Path, out: Path | None) -> None:
    data: dict = {}
    for path in sorted(cache.glob("members_*.pkl")):
        with open(path, "rb") as f:
            data.update(pickle.load(f))
    reps = sorted(data)
    lines = [f"{len(reps)} repetitions ({reps[0]}-{reps[-1]}), m = 5", "",
             "| variant | 95% CI coverage | bias | empirical SD | mean SE | mean FMI |", "|---|---|---|---|---|---|"]
    doc: dict = {"environment": environment_info(), "reps": reps, "variants": {}}
    for variant in VARIANTS:
        rows = [pooled(tables(data[r], variant), 497) for r in reps]
        est = np.array([r["estimate"] for r in rows])
        covered = float(np.mean([r["low"] <= 1.0 <= r["high"] for r in rows]))
        summary = {"coverage": covered, "bias": float(est.mean() - 1.0), "sd": float(est.std(ddof=1)),
                   "mean_se": float(np.mean([r["se"] for r in rows])),
                   "mean_fmi": float(np.mean([r["fmi"] for r in rows]))}
        doc["variants"][variant] = {"summary": summary, "reps": rows}
        lines.append(f"| {variant} | {covered:.1%} | {summary['bias']:+.4f} | {summary['sd']:.4f} | "
                     f"{summary['mean_se']:.4f} | {summary['mean_fmi']:.2f} |")
    print("\n".join(lines))
    if out is not None:
        out.write_text(json.dumps(doc, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/rubin_cache"))
    parser.add_argument("--prepare", type=int, nargs=2, metavar=("FIRST", "LAST"))
    parser.add_argument("--evaluate", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.prepare:
        prepare(*args.prepare, args.cache)
    if args.evaluate:
        evaluate(args.cache, args.out)


if __name__ == "__main__":
    main()
