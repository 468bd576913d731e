"""Accuracy against time of the automatic training budget (docs/scale.md).

Each setting is a :class:`revimpute.nn.budget.TrainingBudget` (JSON fields) and, optionally,
``ReverseImputer`` parameters (key ``"params"``). Every setting runs on the same cases, one after
the other, and prints its mean RMSE on the missing cells, its RMSE relative to the first setting
(geometric mean of the per-case ratios), its total fit + transform seconds and the floating-point
operations of its fits and searches (``bench_speed_tables.flop_counts``: a count of the work done,
independent of the machine's load).

Cases: the benchmark grid's tables (``--datasets``, default wine, glass, cpus, iris, crabs,
penguins; min-max scaled, 30% missing) x mechanisms x seeds, as ``revimpute bench`` builds them,
and synthetic tables (``--synthetic 5000x30``: ``tanh`` of a 4-factor model plus noise, 20% MCAR,
``--synthetic-seed``; see ``bench_speed_tables.py``).

    python benchmarks/bench_training_budget.py --settings '[{}, {"steps": 150}, {"steps": 600}]'
    python benchmarks/bench_training_budget.py --datasets diabetes pima --settings '[...]'
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time

import numpy as np

from revimpute import ReverseImputer
from revimpute.bench.cases import Case, prepare_case
from revimpute.nn import budget as budget_module
from revimpute.nn.budget import TrainingBudget, automatic_hidden_sizes, automatic_training

from bench_speed_tables import SYNTHETIC, flop_counts, holes, synthetic


class BudgetImputer(ReverseImputer):
    """ReverseImputer whose automatic budget and widths use the module-level :data:`CURRENT` knobs."""

    def training_config(self, n_features, n_samples, n_units=None):
        config = super().training_config(n_features, n_samples, n_units)
        fields = {}
        if self.hidden_sizes is None:
            fields["hidden_sizes"] = automatic_hidden_sizes(n_samples, n_features if n_units is None else n_units,
                                                            CURRENT)
        if self.batch_size is None:
            fields.update(automatic_training(n_samples, self.validation_fraction, self.learning_rate,
                                             self.max_epochs, self.patience, budget=CURRENT))
        return dataclasses.replace(config, **fields)


CURRENT = budget_module.DEFAULT_BUDGET


def cases(args) -> list[tuple[str, np.ndarray, np.ndarray]]:
    out = []
    for dataset in args.datasets:
        for mechanism in args.mechanisms:
            for seed in args.seeds:
                data = prepare_case(Case(dataset, mechanism, args.rate, seed))
                out.append((f"{dataset}/{mechanism}/{seed}", data.truth, data.mask))
    for name in args.synthetic:
        for seed in args.synthetic_seed:
            truth = synthetic(*SYNTHETIC[name], seed=seed)
            scale = truth.std(axis=0)
            mask = holes(truth, 0.2, seed)
            out.append((f"{name}/seed{seed}", truth / scale, mask))
    return out


def search_sweep(setting: dict, params: dict, searches: list[dict], all_cases: list) -> None:
    """Fit once per case, then search with every setting of ``searches``; one line per search setting."""
    rmses = np.zeros((len(searches), len(all_cases)))
    seconds = np.zeros(len(searches))
    steps = np.zeros((len(searches), len(all_cases)))
    for c, (_name, truth, mask) in enumerate(all_cases):
        holed = np.where(mask, np.nan, truth)
        imputer = BudgetImputer(**params).fit(holed)
        for k, search in enumerate(searches):
            imputer.set_params(**search)
            start = time.perf_counter()
            filled = imputer.transform(holed)
            seconds[k] += time.perf_counter() - start
            rmses[k, c] = float(np.sqrt(np.mean((filled[mask] - truth[mask]) ** 2)))
            steps[k, c] = imputer.reverse_report_.steps_per_row
    for k, search in enumerate(searches):
        ratio = float(np.exp(np.mean(np.log(rmses[k] / rmses[0]))))
        print(f"{json.dumps(setting)} search {json.dumps(search):50s} mean RMSE {rmses[k].mean():.5f}  "
              f"vs first {ratio:.4f}  steps/row {steps[k].mean():5.1f}  transform {seconds[k]:6.1f} s", flush=True)


def main() -> None:
    global CURRENT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", required=True, help="JSON list of TrainingBudget fields (+ 'params')")
    parser.add_argument("--datasets", nargs="*", default=["wine", "glass", "cpus", "iris", "crabs", "penguins"])
    parser.add_argument("--mechanisms", nargs="+", default=["mcar", "mar", "mnar_logistic"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--rate", type=float, default=0.3)
    parser.add_argument("--synthetic", nargs="*", default=[], choices=list(SYNTHETIC))
    parser.add_argument("--synthetic-seed", type=int, nargs="+", default=[1],
                        help="seeds of the synthetic tables (each table drawn once per seed)")
    parser.add_argument("--per-case", action="store_true", help="print every case's RMSE")
    parser.add_argument("--search", default=None,
                        help="JSON list of search parameters (reverse_steps, reverse_patience, ...): each setting's "
                             "networks are fitted once per case and searched with each of these")
    args = parser.parse_args()
    settings = json.loads(args.settings)
    all_cases = cases(args)
    print(f"{len(all_cases)} cases; load average {os.getloadavg()[0]:.2f}", flush=True)
    reference = None
    for setting in settings:
        setting = dict(setting)
        params = setting.pop("params", {})
        CURRENT = TrainingBudget(**setting)
        if args.search is not None:
            search_sweep(setting, params, json.loads(args.search), all_cases)
            continue
        rmses, seconds, gflop = [], 0.0, 0.0
        for name, truth, mask in all_cases:
            start = time.perf_counter()
            imputer = BudgetImputer(**params)
            holed = np.where(mask, np.nan, truth)
            filled = imputer.fit_transform(holed)
            case_seconds = time.perf_counter() - start
            seconds += case_seconds
            fit_flops, search_flops = flop_counts(imputer, len(holed), int(mask.any(axis=1).sum()))
            gflop += (fit_flops + search_flops) / 1e9
            rmses.append(float(np.sqrt(np.mean((filled[mask] - truth[mask]) ** 2))))
            if args.per_case:
                print(f"    {name}: {rmses[-1]:.4f}  {case_seconds:6.2f} s  {(fit_flops + search_flops) / 1e9:7.1f} GFLOP",
                      flush=True)
        rmses = np.array(rmses)
        if reference is None:
            reference = rmses
        ratio = float(np.exp(np.mean(np.log(rmses / reference))))
        print(f"{json.dumps({**setting, 'params': params}) if params else json.dumps(setting):60s} "
              f"mean RMSE {rmses.mean():.5f}  vs first {ratio:.4f}  {seconds:7.1f} s  {gflop:8.1f} GFLOP  "
              f"(load {os.getloadavg()[0]:.1f})", flush=True)


if __name__ == "__main__":
    main()
