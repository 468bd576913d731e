#!/usr/bin/env bash
# The benchmark behind docs/benchmarks.md: every imputer of the registry at its
# defaults on 6 offline tables x 3 mechanisms at 30% missing x 3 seeds, plus
# GAIN's published setting (breast cancer, 20% MCAR, rng 0) as a cross-check.
#
# One run at a time, one thread per run, niced (the machine is shared); each
# method gets at most TIME_BUDGET seconds per case, else it is reported as a
# timeout. Seed 0 of the whole grid runs first, then seeds 1 and 2 are added
# (--resume keeps what is already in OUT_DIR), so a run cut short still covers
# every cell. The results are saved after every case; start the script again
# to continue an interrupted run.
#
# Usage, from the repository root with the virtual environment active:
#     benchmarks/run_full_benchmark.sh [OUT_DIR]
# After a change to our method, run only ours again (the peers' runs are kept):
#     SEED_STAGES=0,1,2 RERUN=reverse,autoencoder benchmarks/run_full_benchmark.sh
# The rate sweep behind benchmarks/results/rate_sweep (about 35 minutes):
#     DATASETS=wine MECHANISMS=mcar,mnar_logistic RATES=0.1,0.3,0.5 SEED_STAGES=0,1,2 CROSSCHECK=0 \
#         benchmarks/run_full_benchmark.sh benchmarks/results/rate_sweep
# The larger grid (all mechanisms and rates; many hours on 2 cores):
#     RATES=0.1,0.3,0.5 MECHANISMS=mcar,mar,mnar_logistic,mnar_quantile,column_block \
#         benchmarks/run_full_benchmark.sh
set -euo pipefail

OUT="${1:-benchmarks/results}"
DATASETS="${DATASETS:-wine,glass,cpus,iris,crabs,penguins}"
MECHANISMS="${MECHANISMS:-mcar,mar,mnar_logistic}"
RATES="${RATES:-0.3}"
SEED_STAGES="${SEED_STAGES:-0 0,1,2}"
TIME_BUDGET="${TIME_BUDGET:-300}"
RERUN="${RERUN:-}"
CROSSCHECK="${CROSSCHECK:-1}"
extra=()
if [[ "$CROSSCHECK" == 1 ]]; then
    extra+=(--crosscheck)
fi

export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

for seeds in $SEED_STAGES; do
    resume=()
    if [[ -f "$OUT/results.json" ]]; then
        resume=(--resume)
        if [[ -n "$RERUN" ]]; then
            resume+=(--rerun "$RERUN")
        fi
    fi
    (
        set -x
        nice -n 10 revimpute bench \
            --datasets "$DATASETS" \
            --mechanisms "$MECHANISMS" \
            --rates "$RATES" \
            --seeds "$seeds" \
            --time-budget "$TIME_BUDGET" \
            --out "$OUT" \
            "${extra[@]}" "${resume[@]}"
    )
done
