"""Benchmark results: one record per method and case, saved as JSON and CSV."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from revimpute.exceptions import RevimputeError

__all__ = ["BenchResults", "RunRecord"]


@dataclass
class RunRecord:
    """The outcome of one method on one case.

    ``status`` is ``"ok"``, ``"timeout"`` or ``"error"``; scores are None
    unless it is ``"ok"``. ``seconds`` is the method's fit + imputation time
    (the time budget where it timed out); ``peak_mib`` the extra resident
    memory it needed. ``group`` is ``"grid"`` or ``"crosscheck"``.
    """

    dataset: str
    mechanism: str
    rate: float
    seed: int
    method: str
    status: str
    group: str = "grid"
    missing_share: float | None = None
    n_rows: int | None = None
    n_columns: int | None = None
    rmse: float | None = None
    mae: float | None = None
    wasserstein: float | None = None
    downstream: float | None = None
    downstream_metric: str | None = None
    seconds: float | None = None
    peak_mib: float | None = None
    observed_max_change: float | None = None
    time_budget: float | None = None
    params: str = ""
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def key(self) -> tuple[str, str, float, int, str]:
        return (self.dataset, self.mechanism, self.rate, self.seed, self.method)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class BenchResults:
    """Records of a run with the configuration, the cases and the environment."""

    config: dict[str, Any]
    environment: dict[str, Any]
    command: str
    cases: list[dict[str, Any]] = field(default_factory=list)
    records: list[RunRecord] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        """The records as a DataFrame (one row per method and case)."""
        columns = [f.name for f in fields(RunRecord)]
        rows = [r.to_dict() for r in self.records]
        frame = pd.DataFrame(rows, columns=columns)
        frame["warnings"] = frame["warnings"].map(lambda w: " | ".join(w) if isinstance(w, list) else w)
        return frame

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config, "environment": self.environment, "command": self.command,
            "cases": self.cases, "records": [r.to_dict() for r in self.records],
        }

    def save(self, out_dir: str | os.PathLike) -> None:
        """Write ``results.json`` (everything) and ``results.csv`` (the records) into ``out_dir``."""
        from revimpute.io import atomic_path

        out = Path(out_dir)
        with atomic_path(out / "results.json") as tmp:
            tmp.write_text(json.dumps(self.to_dict(), indent=1, default=_json_default), encoding="utf-8")
        with atomic_path(out / "results.csv") as tmp:
            self.frame().to_csv(tmp, index=False)

    @classmethod
    def load(cls, out_dir: str | os.PathLike) -> BenchResults:
        """Read the ``results.json`` written by :meth:`save`.

        Raises
        ------
        RevimputeError
            If the file is missing or not a results file.
        """
        path = Path(out_dir) / "results.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            records = [RunRecord(**r) for r in data["records"]]
            return cls(data["config"], data["environment"], data["command"], data["cases"], records)
        except FileNotFoundError:
            raise RevimputeError(f"{path}: no results to resume from") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise RevimputeError(f"{path}: not a revimpute bench results file ({exc})") from None


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
