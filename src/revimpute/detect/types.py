"""Result types of the detector: one finding, one column summary, the whole result."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

from revimpute.detect.formatted import NumberFormat

#: The kinds of finding the detector reports, in the order the docs explain them.
KINDS: tuple[str, ...] = (
    "null_token",
    "sentinel",
    "placeholder",
    "repeated_char",
    "implausible_default",
)

#: Detection policies accepted by :func:`revimpute.detect.detect_missing`.
POLICIES: tuple[str, ...] = ("auto", "strict", "off")

#: Lowest confidence a finding needs to be flagged under each policy.
CONFIDENCE_THRESHOLD: dict[str, float] = {"auto": 0.5, "strict": 0.8}


@dataclass(frozen=True)
class Finding:
    """One value of one column that the detector treats as missing.

    Attributes
    ----------
    column : str
        Name of the column.
    value : str
        The value as written in the file (numbers from typed columns are
        written without a trailing ``.0`` when they are whole).
    count : int
        Number of cells of the column holding exactly this value.
    share : float
        ``count`` divided by the number of rows.
    kind : str
        One of :data:`KINDS`.
    evidence : str
        Why the value is treated as missing, in words.
    confidence : float
        How sure the detector is, in ``[0, 1]``.
    """

    column: str
    value: str
    count: int
    share: float
    kind: str
    evidence: str
    confidence: float

    def to_dict(self) -> dict:
        """Return the finding as a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class ColumnSummary:
    """Missingness overview of one column.

    Attributes
    ----------
    column : str
        Name of the column.
    inferred : str
        What the column holds once flagged cells are gone: ``"numeric"``,
        ``"text"``, ``"boolean"``, ``"datetime"``, ``"empty"`` or ``"other"``.
    rows : int
        Number of rows.
    native_missing : int
        Cells already missing before detection (NaN/None, and empty strings
        of a table read as text).
    disguised : int
        Cells flagged by findings (disguised missing values).
    missing : int
        All cells treated as missing (native and disguised).
    missing_share : float
        ``missing / rows``.
    cleaned_dtype : str
        dtype of the column in :attr:`DetectionResult.cleaned`.
    format : str
        ``""`` for a column whose numbers (if any) are written plainly;
        otherwise how its numbers are written, in words (``"percent"``,
        ``"currency $, thousands separator \",\""``...). Such a column is
        numeric in :attr:`DetectionResult.cleaned`, holding the numbers read
        through the format (``"12.5%"`` is ``12.5``); the text of its cells is
        in the frame given to the detector, and the full format in
        :attr:`DetectionResult.formats`.
    """

    column: str
    inferred: str
    rows: int
    native_missing: int
    disguised: int
    missing: int
    missing_share: float
    cleaned_dtype: str
    format: str = ""

    def to_dict(self) -> dict:
        """Return the summary as a JSON-ready dict."""
        return asdict(self)


@dataclass
class DetectionResult:
    """What :func:`revimpute.detect.detect_missing` found in a table.

    Attributes
    ----------
    findings : list of Finding
        Flagged values, ordered by column, then by count (largest first).
    mask : pandas.DataFrame
        Booleans with the frame's index and columns; ``True`` marks a cell to
        treat as missing (native NaN/None included).
    cleaned : pandas.DataFrame
        The frame with masked cells set to NaN and each column cast to the
        type it has once they are gone.
    columns : list of ColumnSummary
        One overview per column, in the frame's column order.
    policy : str
        The policy used (``"auto"``, ``"strict"`` or ``"off"``).
    native : pandas.DataFrame or None
        Booleans: cells missing before detection (NaN/None, and empty strings
        of a table read as text); ``mask & ~native`` are the disguised ones.
    formats : dict of str to NumberFormat
        The columns whose numbers are written with formatting (``12.5%``,
        ``1,234``, ``$1,234.50``, ``(12.5)``), by column name, with how they
        are written. Their column in ``cleaned`` holds the numbers read
        through the format; every other column of ``cleaned`` holds the
        values as given.
    """

    findings: list[Finding]
    mask: pd.DataFrame
    cleaned: pd.DataFrame
    columns: list[ColumnSummary] = field(default_factory=list)
    policy: str = "auto"
    native: pd.DataFrame | None = None
    formats: dict[str, NumberFormat] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        """Number of rows of the scanned frame."""
        return int(self.mask.shape[0])

    def to_dict(self) -> dict:
        """Return a JSON-ready dict with ``findings``, ``columns``, ``formats`` and ``policy``."""
        return {
            "policy": self.policy,
            "rows": self.n_rows,
            "findings": [finding.to_dict() for finding in self.findings],
            "columns": [summary.to_dict() for summary in self.columns],
            "formats": {name: fmt.to_dict() for name, fmt in self.formats.items()},
        }
