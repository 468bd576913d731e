"""Provenance of a benchmark run: package versions, the machine and the revimpute commit."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["environment_info"]


def _git_output(*args: str) -> str | None:
    root = Path(__file__).resolve().parents[3]
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.rstrip() if done.returncode == 0 else None


def environment_info() -> dict[str, Any]:
    """Versions, machine and the revimpute commit, for the results' provenance."""
    import scipy
    import sklearn
    import threadpoolctl
    import torch

    import revimpute

    commit = _git_output("rev-parse", "--short", "HEAD")
    dirty = _git_output("status", "--porcelain", "--", "src/revimpute")
    return {
        "revimpute": getattr(revimpute, "__version__", "unknown"),
        "git_commit": commit,
        "uncommitted_source_changes": sorted(
            line[3:].strip() for line in (dirty or "").splitlines() if line.strip()
        ),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
        "scipy": scipy.__version__,
        "torch": torch.__version__,
        "threadpoolctl": threadpoolctl.__version__,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "threads_per_case": 1,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }
