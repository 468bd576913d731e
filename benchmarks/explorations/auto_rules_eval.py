"""Evaluate ``AutoImputer`` choice rules offline on the file of ``auto_rules.py`` (docs/uncertainty.md).

A rule maps the held-out errors of one column (candidate -> squared errors on the same hidden cells)
to a method; the case's RMSE on the real hidden cells is recomputed exactly from the single methods'
per-column sums of squared errors. Reported per group of tables: the median over cases of
``RMSE(rule) / RMSE(best single method of the case)``, its mean, the share of cases above 1.02 and
the share of columns that leave ``reverse``.

    python benchmarks/explorations/auto_rules_eval.py a.json.gz b.json.gz
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path
from typing import Callable

import numpy as np

BOOTSTRAPS = 1000
GROUPS = {
    "choose (wine glass cpus, 27)": {"wine", "glass", "cpus"},
    "confirm grid (iris crabs penguins, 27)": {"iris", "crabs", "penguins"},
    "grid (54)": {"wine", "glass", "cpus", "iris", "crabs", "penguins"},
    "held-out (diabetes pima, 18)": {"diabetes", "pima"},
    "all (72)": {"wine", "glass", "cpus", "iris", "crabs", "penguins", "diabetes", "pima"},
}


def p_values(errors: dict[str, np.ndarray], default: str, seed: int) -> dict[str, float]:
    """One-sided paired bootstrap p-value of each candidate against ``default`` (same resamples for all)."""
    base = errors[default]
    rng = np.random.default_rng(seed)
    index = rng.integers(0, base.size, size=(BOOTSTRAPS, base.size))
    out = {}
    for name, e in errors.items():
        if name == default:
            continue
        diff = e - base
        out[name] = 1.0 if diff.mean() >= 0 else float(np.mean(diff[index].mean(axis=1) >= 0))
    return out


def sequential(confidence: float) -> Callable:
    """The rule of ``choices_at`` at 0.9 (before): each candidate in turn against the current best."""
    def rule(errors, order, seed):
        best = order[0]
        for name in order[1:]:
            diff = errors[name] - errors[best]
            if diff.mean() >= 0:
                continue
            if confidence <= 0:
                best = name
                continue
            rng = np.random.default_rng(seed)
            means = diff[rng.integers(0, diff.size, size=(BOOTSTRAPS, diff.size))].mean(axis=1)
            if np.mean(means >= 0) <= 1 - confidence:
                best = name
        return best
    return rule


def holm(alpha: float, margin: float = 0.0) -> Callable:
    """Holm over the candidates against the default; the lowest mean error among those it rejects.

    ``margin``: a candidate must also have a mean error at most ``1 - margin`` times the default's.
    """
    def rule(errors, order, seed):
        default = order[0]
        p = p_values(errors, default, seed)
        m = len(p)
        rejected = []
        for k, (name, value) in enumerate(sorted(p.items(), key=lambda x: x[1])):
            if value > alpha / (m - k):
                break
            rejected.append(name)
        base = errors[default].mean()
        rejected = [n for n in rejected if errors[n].mean() <= (1 - margin) * base]
        return min(rejected, key=lambda n: errors[n].mean()) if rejected else default
    return rule


def never(errors, order, seed):
    return order[0]


def case_rmse(case: dict, methods: list[str]) -> float:
    sse = sum(case["sse"][m][j] for j, m in enumerate(methods))
    return float(np.sqrt(sse / sum(case["n"])))


def single_rmse(case: dict, name: str) -> float:
    return case_rmse(case, [name] * len(case["n"]))


def column_errors(case: dict, splits: tuple[str, ...], j: int) -> dict[str, np.ndarray] | None:
    names = list(case["sse"])
    errors = {n: np.concatenate([np.asarray(case["splits"][s]["errors"][n][j], dtype=np.float64) for s in splits])
              for n in names}
    if errors[names[0]].size == 0:
        return None
    return errors


def choose(case: dict, rule: Callable, splits: tuple[str, ...]) -> list[str]:
    names = list(case["sse"])
    if getattr(rule, "table", None):
        return rule.table(case, splits)
    methods = []
    for j in range(len(case["n"])):
        errors = column_errors(case, splits, j)
        methods.append(names[0] if errors is None else rule(errors, names, int(case["seed"]) + j))
    return methods


def table(alpha: float, columns: float | None = None) -> Callable:
    """One method for the table: Holm over the candidates on all held-out cells, each column's errors
    divided by the default's mean there; with ``columns``, each column then leaves it by Holm at that level."""
    def pick(case, splits):
        names = list(case["sse"])
        parts = {n: [] for n in names}
        cols = []
        for j in range(len(case["n"])):
            errors = column_errors(case, splits, j)
            if errors is None:
                continue
            cols.append((j, errors))
            scale = errors[names[0]].mean() or 1.0
            for n in names:
                parts[n].append(errors[n] / scale)
        if not cols:
            return [names[0]] * len(case["n"])
        pooled = {n: np.concatenate(v) for n, v in parts.items()}
        start = holm(alpha)(pooled, names, int(case["seed"]))
        methods = [start] * len(case["n"])
        if columns is not None:
            order = [start] + [n for n in names if n != start]
            for j, errors in cols:
                methods[j] = holm(columns)(errors, order, int(case["seed"]) + j)
        return methods

    def rule(errors, order, seed):
        raise AssertionError
    rule.table = pick
    return rule


def evaluate(cases: list[dict], rule: Callable, splits: tuple[str, ...]) -> dict[str, tuple]:
    ratios, switched = {}, {}
    for case in cases:
        methods = choose(case, rule, splits)
        best = min(single_rmse(case, n) for n in case["sse"])
        key = case["dataset"]
        ratios.setdefault(key, []).append(case_rmse(case, methods) / best)
        cols = [m for m, n in zip(methods, case["n"]) if n > 0]
        switched.setdefault(key, []).append((sum(m != "reverse" for m in cols), len(cols)))
    out = {}
    for group, tables in GROUPS.items():
        r = np.array([x for t in tables for x in ratios.get(t, [])])
        s = [x for t in tables for x in switched.get(t, [])]
        if r.size:
            out[group] = (np.median(r), r.mean(), np.mean(r > 1.02), sum(a for a, _ in s) / max(1, sum(b for _, b in s)),
                          r.size)
    return out


RULES: dict[str, Callable] = {
    "reverse always": never,
    "sequential 0.5": sequential(0.5),
    "sequential 0.9 (before)": sequential(0.9),
    "sequential 0.95": sequential(0.95),
    "sequential 0.99": sequential(0.99),
    "holm 0.1": holm(0.1),
    "holm 0.05": holm(0.05),
    "holm 0.01": holm(0.01),
    "holm 0.1 margin 5%": holm(0.1, 0.05),
    "holm 0.1 margin 10%": holm(0.1, 0.10),
    "holm 0.1 margin 20%": holm(0.1, 0.20),
    "holm 0.05 margin 10%": holm(0.05, 0.10),
    "table holm 0.1": table(0.1),
    "table holm 0.05": table(0.05),
    "table holm 0.1 then columns holm 0.1": table(0.1, 0.1),
    "table holm 0.1 then columns holm 0.05": table(0.1, 0.05),
}
SPLITS = [("mcar",), ("mcar2",), ("mcar", "mcar2"), ("pattern",), ("mcar", "pattern")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--rules", nargs="*", help="only these rules")
    parser.add_argument("--splits", nargs="*", help="only these splits, e.g. mcar mcar+mcar2")
    parser.add_argument("--groups", nargs="*", help="only groups starting with these words")
    args = parser.parse_args()
    cases = [c for f in args.files for c in json.loads(gzip.decompress(f.read_bytes()))["cases"]]
    print(f"{len(cases)} cases")
    singles = list(cases[0]["sse"])
    for group, tables in GROUPS.items():
        chosen = [c for c in cases if c["dataset"] in tables]
        if chosen:
            print(group, "single methods' median ratio to the case's best: " + ", ".join(
                f"{n} {np.median([single_rmse(c, n) / min(single_rmse(c, m) for m in singles) for c in chosen]):.4f}"
                for n in singles))
    splits = SPLITS if not args.splits else [tuple(s.split("+")) for s in args.splits]
    print("| rule | split | group | median | mean | > 1.02 | columns off reverse | cases |")
    print("|---|---|---|---|---|---|---|---|")
    for name, rule in RULES.items():
        if args.rules and name not in args.rules:
            continue
        for split in splits:
            if not all(s in cases[0]["splits"] for s in split):
                continue
            for group, (med, mean, worse, off, n) in evaluate(cases, rule, split).items():
                if args.groups and not any(group.startswith(g) for g in args.groups):
                    continue
                print(f"| {name} | {'+'.join(split)} | {group} | {med:.4f} | {mean:.4f} | {worse:.0%} | {off:.0%} | {n} |")


if __name__ == "__main__":
    main()
