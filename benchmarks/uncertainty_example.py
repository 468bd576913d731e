"""The worked example of docs/uncertainty.md: the trust report on the mixed penguins table.

Hides 20% of the cells of ``penguins_mixed`` (333 rows: species, island, sex and four
measurements; completely at random, seed 0), writes the holed table to ``--work``, runs

    revimpute impute penguins_holed.csv -o penguins_filled.csv --detect off --seed 0 \\
        --intervals 0.9 --multiple 5 --report report.html --report-json report.json

through :func:`revimpute.cli.main`, then prints the report's table, the coverage of the 90%
intervals and prediction sets on the hidden cells (whose truth is known), and saves two of the
report's pictures to ``docs/img``. From the repository root:

    OMP_NUM_THREADS=1 python benchmarks/uncertainty_example.py --work /tmp/penguins
"""

from __future__ import annotations

import argparse
import base64
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from revimpute.bench.datasets import load_table
from revimpute.cli import main as revimpute


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("/tmp/penguins"))
    parser.add_argument("--img", type=Path, default=Path("docs/img"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    full = load_table("penguins_mixed").frame
    mask = np.random.default_rng(0).random(full.shape) < 0.2
    full.mask(mask).to_csv(args.work / "penguins_holed.csv", index=False)
    truth = full.astype(object).astype(str)
    w = args.work
    try:
        revimpute(["impute", str(w / "penguins_holed.csv"), "-o", str(w / "penguins_filled.csv"), "--detect", "off",
                   "--seed", "0", "--intervals", "0.9", "--multiple", "5", "--report", str(w / "report.html"),
                   "--report-json", str(w / "report.json"), "-q"])
    except SystemExit as done:
        if done.code:
            raise
    out = pd.read_csv(w / "penguins_filled.csv")
    doc = json.loads((w / "report.json").read_text())
    print("| column | imputed | estimated error (90% interval) | true error on the hidden cells | "
          "90% interval / set coverage on the hidden cells |")
    print("|---|---|---|---|---|")
    for j, column in enumerate(full.columns):
        hidden = mask[:, j]
        if f"{column}_lower" in out:
            value = full[column].to_numpy(dtype=float)
            inside = (out[f"{column}_lower"] <= value) & (value <= out[f"{column}_upper"])
            width = (out[f"{column}_upper"] - out[f"{column}_lower"])[hidden]
            covered = f"{inside[hidden].mean():.1%} (median width {width.median():.3g})"
            true = f"RMSE {np.sqrt(np.mean((out[column].to_numpy(dtype=float) - value)[hidden] ** 2)):.3g}"
        else:
            sets = out[f"{column}_set"].map(lambda s: [str(v) for v in json.loads(s)])
            inside = np.array([t in s for t, s in zip(truth[column], sets)])
            size = sets[hidden].map(len).mean()
            covered = f"{inside[hidden].mean():.1%} (mean set size {size:.2f})"
            wrong = out[column].astype(str).to_numpy()[hidden] != truth[column].to_numpy()[hidden]
            true = f"{np.mean(wrong):.1%} wrong"
        error = doc["columns"][j]["error"]
        if error["metric"] == "RMSE":
            text = f"RMSE {error['estimate']:.3g} ({error['low']:.3g} to {error['high']:.3g})"
        else:
            text = f"{error['estimate']:.1%} wrong ({error['low']:.1%} to {error['high']:.1%})"
        print(f"| {column} | {doc['columns'][j]['imputed']} | {text} | {true} | {covered} |")
    pictures = re.findall(r'alt="([^"]+): observed and imputed values" src="data:image/png;base64,([^"]+)"',
                          (w / "report.html").read_text())
    for label, data in pictures:
        if label in ("body_mass_g", "island"):
            target = args.img / f"trust_{label}.png"
            target.write_bytes(base64.b64decode(data))
            print(f"saved {target}")


if __name__ == "__main__":
    main()
