"""Detect missing and disguised-missing values, and advise on dropping rows.

>>> from revimpute.detect import detect_missing, drop_advice
>>> result = detect_missing(frame)            # doctest: +SKIP
>>> advice = drop_advice(result.cleaned)      # doctest: +SKIP
"""

from revimpute.detect.advice import ColumnTest, DropAdvice, drop_advice
from revimpute.detect.detector import detect_missing
from revimpute.detect.little import LittleResult, little_mcar_test
from revimpute.detect.types import (
    CONFIDENCE_THRESHOLD,
    KINDS,
    POLICIES,
    ColumnSummary,
    DetectionResult,
    Finding,
)

__all__ = [
    "CONFIDENCE_THRESHOLD",
    "KINDS",
    "POLICIES",
    "ColumnSummary",
    "ColumnTest",
    "DetectionResult",
    "DropAdvice",
    "Finding",
    "LittleResult",
    "detect_missing",
    "drop_advice",
    "little_mcar_test",
]
