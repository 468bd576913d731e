"""Detect missing and disguised-missing values in a table.

:func:`detect_missing` scans each column once (see
:mod:`revimpute.detect.columns`; in a table of at most :data:`BATCH_MAX_ROWS`
rows the text columns are first factorised together, and those no rule can
flag, or only the numeric rules, are settled from their group:
:mod:`revimpute.detect.batch`), sets aside zeros that the rest of the table
shows to be real (:mod:`revimpute.detect.natural`), lets values missing on the
same rows raise each other (:mod:`revimpute.detect.comissing`), keeps the
suspicious values whose confidence reaches the policy's threshold, and returns
the findings, a mask of cells to treat as missing and the cleaned frame.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from revimpute.detect import tokens as tk
from revimpute.detect.batch import NUMBERS, OWN, QUIET, Settled, TextGroup, settle, text_groups
from revimpute.detect.columns import FLOAT_EXACT as _FLOAT_EXACT
from revimpute.detect.columns import INT64_LIMIT as _INT64_LIMIT
from revimpute.detect.columns import ZERO_PADDED_SHARE, scan_column
from revimpute.detect.scan import ColumnScan
from revimpute.detect.comissing import pair_code_zeros, raise_co_missing
from revimpute.detect.formatted import NumberFormat
from revimpute.detect.natural import explain_zeros
from revimpute.detect.types import (
    CONFIDENCE_THRESHOLD,
    POLICIES,
    ColumnSummary,
    DetectionResult,
    Finding,
)
from revimpute.exceptions import InputDataError, RevimputeError



def _parse_user_values(values: Iterable[str]) -> tuple[frozenset[str], np.ndarray]:
    """Normalised texts and the numbers among user-given values."""
    if isinstance(values, str):
        values = (values,)
    texts = [value if isinstance(value, str) else str(value) for value in values]
    if not texts:
        return frozenset(), np.array([], dtype=float)
    norm = frozenset(tk.normalize(texts).tolist())
    numbers = pd.to_numeric(pd.Series(texts, dtype=object).str.strip(), errors="coerce")
    numbers = numbers.to_numpy(dtype=float)
    return norm, numbers[~np.isnan(numbers)]


def _never_mask(scan: ColumnScan, never_norm: frozenset[str], never_numbers: np.ndarray) -> np.ndarray:
    n = scan.counts.size
    out = np.zeros(n, dtype=bool)
    if not never_norm and not never_numbers.size:
        return out
    if never_numbers.size:
        out |= np.isin(scan.numbers, never_numbers)
    if never_norm:
        candidates = np.flatnonzero(scan.confidence > 0)
        for i in candidates:
            if tk.normalize([scan.write(int(i))]).iloc[0] in never_norm:
                out[i] = True
    return out


#: Columns of tables with at most this many rows are compared by content, and
#: a column holding exactly the cells of an earlier one reuses its scan (a
#: wide table of a few rows often repeats its columns' values).
SHARED_SCAN_MAX_ROWS = 64
#: The text columns of tables with at most this many rows are factorised and
#: routed together (:mod:`revimpute.detect.batch`): there the fixed cost of
#: scanning a column on its own outweighs the work on its cells.
BATCH_MAX_ROWS = 1024


class _Columns:
    """The columns of a frame as Series, made when first asked for.

    When every column is ``object``, the frame's cells are read once as one
    2-D array (``values``) and the columns are cut from it.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.values = None
        if frame.shape[1] and all(dtype == object for dtype in frame.dtypes):
            self.values = frame.to_numpy(dtype=object)

    def __getitem__(self, position: int) -> pd.Series:
        frame = self.frame
        if self.values is None:
            return frame.iloc[:, position]
        return pd.Series(self.values[:, position], index=frame.index, name=frame.columns[position],
                         dtype=object, copy=False)


class _TableScans(Sequence):
    """Every column's scan; a column settled in its group gets its scan when first read.

    ``group_of[j]`` is the group (among ``groups``) of settled column ``j``
    (-1 for the others, whose scans are in ``scans``), ``k_of[j]`` its place
    in the group.
    """

    def __init__(self, scans: dict[int, ColumnScan], groups: list[TextGroup], group_of: np.ndarray,
                 k_of: np.ndarray) -> None:
        self.scans = dict(scans)
        self.groups = groups
        self.group_of = group_of
        self.k_of = k_of

    def __len__(self) -> int:
        return self.group_of.size

    def __getitem__(self, position: int) -> ColumnScan:
        scan = self.scans.get(position)
        if scan is None:
            group = self.groups[int(self.group_of[position])]
            scan = self.scans[position] = group.scan(int(self.k_of[position]))
        return scan


def _content_key(series: pd.Series) -> tuple | None:
    """A key equal for two columns of the same dtype holding the same cells, in a short table."""
    if len(series) > SHARED_SCAN_MAX_ROWS:
        return None
    return (str(series.dtype), tuple(series.tolist()))


def _own_copy(scan: ColumnScan) -> ColumnScan:
    """A copy of ``scan`` whose per-value verdicts (which co-missingness raises) are its own."""
    return replace(scan, kinds=scan.kinds.copy(), confidence=scan.confidence.copy(),
                   evidence=scan.evidence.copy())


def _same_verdicts(a: ColumnScan, b: ColumnScan) -> bool:
    """Whether two scans of the same cells ended with the same verdicts (co-missingness may differ)."""
    return (np.array_equal(a.confidence, b.confidence) and np.array_equal(a.evidence, b.evidence)
            and np.array_equal(a.kinds, b.kinds))


@dataclass
class _ColumnResult:
    """What :func:`detect_missing` returns for one column."""

    findings: list[Finding]
    clean: pd.Series
    inferred: str
    format: NumberFormat | None
    mask: np.ndarray
    native: np.ndarray
    summary: ColumnSummary

    def renamed(self, name: str) -> _ColumnResult:
        """The same result for a column of another name."""
        return _ColumnResult([replace(f, column=name) for f in self.findings], self.clean, self.inferred,
                             self.format, self.mask, self.native, replace(self.summary, column=name))


def _column_result(series: pd.Series, scan: ColumnScan, never: np.ndarray, name: str, threshold: float,
                   n_rows: int) -> _ColumnResult:
    """Findings, mask and cleaned column of one scanned column."""
    # native gaps (an empty cell of a text column) are masked, not findings
    flagged = (scan.confidence >= threshold) & ~never & (scan.counts > 0) & ~scan.native
    native_codes = np.flatnonzero(scan.native)
    flagged_codes = np.flatnonzero(flagged)
    masked_codes = np.concatenate([native_codes, flagged_codes]).astype(np.int64)

    native_mask = scan.codes < 0
    if native_codes.size:
        native_mask = native_mask | np.isin(scan.codes, native_codes)
    mask = native_mask | np.isin(scan.codes, flagged_codes) if flagged_codes.size else native_mask

    column_findings = [
        Finding(
            column=name,
            value=scan.write(int(i)),
            count=int(scan.counts[i]),
            share=float(scan.counts[i] / n_rows) if n_rows else 0.0,
            kind=str(scan.kinds[i]),
            evidence=str(scan.evidence[i]),
            confidence=round(float(scan.confidence[i]), 2),
        )
        for i in np.flatnonzero(flagged)
    ]
    column_findings.sort(key=lambda f: (-f.count, f.value))

    clean, inferred = _cast_clean(series, scan, masked_codes, mask)
    fmt = scan.format if scan.format is not None and inferred == "numeric" else None
    n_native = int(native_mask.sum())
    n_missing = int(mask.sum())
    summary = ColumnSummary(
        column=name,
        inferred=inferred,
        rows=n_rows,
        native_missing=n_native,
        disguised=n_missing - n_native,
        missing=n_missing,
        missing_share=float(n_missing / n_rows) if n_rows else 0.0,
        cleaned_dtype=str(clean.dtype),
        format=fmt.describe() if fmt is not None else "",
    )
    return _ColumnResult(column_findings, clean, inferred, fmt, mask, native_mask, summary)


def _cast_clean(series: pd.Series, scan: ColumnScan, masked_codes: np.ndarray,
                mask: np.ndarray) -> tuple[pd.Series, str]:
    """Cast a column with masked cells set to NaN; return it and what it holds."""
    index = series.index
    n_rows = mask.size
    if scan.family == "passthrough":
        if not mask.any():
            out = series.copy()
        else:
            out = series.where(~mask)
        if pd.api.types.is_bool_dtype(series.dtype):
            inferred = "boolean"
        elif pd.api.types.is_datetime64_any_dtype(series.dtype):
            inferred = "datetime"
        else:
            inferred = "other"
        return out, inferred

    remaining = np.ones(scan.counts.size, dtype=bool)
    remaining[masked_codes] = False
    remaining &= scan.counts > 0
    if n_rows and mask.all():
        return pd.Series(np.full(n_rows, np.nan), index=index, name=series.name), "empty"

    if scan.family == "numeric" and not mask.any():
        if isinstance(series.dtype, np.dtype):
            return series.copy(), "numeric"
        dtype = np.int64 if pd.api.types.is_integer_dtype(series.dtype) else np.float64
        return series.astype(dtype), "numeric"
    numbers = scan.numbers
    kept_numbers = numbers[remaining]
    inexact = np.isfinite(kept_numbers) & (np.abs(kept_numbers) >= _FLOAT_EXACT)
    codes_like = False
    if scan.zero_padded is not None and remaining.any():
        padded_cells = scan.counts[remaining & scan.zero_padded].sum()
        codes_like = padded_cells >= ZERO_PADDED_SHARE * scan.counts[remaining].sum()
    if (remaining.any() and not np.isnan(kept_numbers).any() and not inexact.any()
            and not codes_like):
        values = np.where(scan.codes >= 0, numbers[np.maximum(scan.codes, 0)], np.nan)
        values[mask] = np.nan
        kept = values[~mask]
        integral = (
            not mask.any()
            and np.isfinite(kept).all()
            and (kept == np.round(kept)).all()
            and (np.abs(kept) < _INT64_LIMIT).all()
            and (scan.family == "text" or pd.api.types.is_integer_dtype(series.dtype))
        )
        dtype = np.int64 if integral else np.float64
        return pd.Series(values.astype(dtype), index=index, name=series.name), "numeric"
    out = series.where(~mask) if mask.any() else series.copy()
    return out, "text"


def detect_missing(
    frame: pd.DataFrame,
    policy: str = "auto",
    extra_tokens: Iterable[str] = (),
    never_flag: Iterable[str] = (),
) -> DetectionResult:
    """Find missing and disguised-missing values in a table.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table. Read it as text (``revimpute.io.read_table(path,
        as_text=True)``) so that ``"0"``, ``" "`` and ``""`` stay distinct;
        typed frames work too (numeric columns get the numeric rules only).
    policy : {"auto", "strict", "off"}, default="auto"
        ``"auto"`` flags findings with confidence >= 0.5, ``"strict"`` only
        those with confidence >= 0.8; ``"off"`` flags nothing and treats only
        NaN/None (and empty strings of a text column) as missing.
    extra_tokens : iterable of str, default=()
        More values that mean "missing" (matched after stripping and
        case-folding, and numerically when they are numbers); confidence 1.
    never_flag : iterable of str, default=()
        Values never to flag, matched the same way (NaN/None and empty
        strings still count as missing).

    Returns
    -------
    DetectionResult
        ``findings``, ``mask``, ``cleaned`` and a per-column overview. The
        same input always gives the same result. Columns whose numbers are
        written with formatting (``12.5%``, ``1,234``, ``$1,234.50``,
        ``(12.5)``) are numeric in ``cleaned``; ``formats`` and each
        :class:`ColumnSummary`'s ``format`` say which they are. The frame
        given is never changed.

    Raises
    ------
    InputDataError
        If ``frame`` is not a DataFrame.
    RevimputeError
        If ``policy`` is not one of the three names.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputDataError(
            f"detect_missing needs a pandas DataFrame, got {type(frame).__name__}"
        )
    if policy not in POLICIES:
        raise RevimputeError(
            f"unknown detection policy {policy!r}; use one of {', '.join(POLICIES)}"
        )
    detect = policy != "off"
    threshold = CONFIDENCE_THRESHOLD.get(policy, 1.1)
    if detect:
        extra_norm, extra_numbers = _parse_user_values(extra_tokens)
    else:
        extra_norm, extra_numbers = frozenset(), np.array([], dtype=float)
    never_norm, never_numbers = _parse_user_values(never_flag)

    n_rows, n_cols = frame.shape
    names = [str(name) for name in frame.columns.tolist()]
    columns = _Columns(frame)
    groups: list[TextGroup] = []
    group_of = np.full(n_cols, -1, dtype=np.int64)
    k_of = np.zeros(n_cols, dtype=np.int64)
    if n_rows <= BATCH_MAX_ROWS:
        text_positions = [j for j, dtype in enumerate(frame.dtypes) if dtype == object]
        groups = text_groups(frame, text_positions, detect=detect, extra_norm=extra_norm,
                             extra_numbers=extra_numbers, values=columns.values)
        for g, group in enumerate(groups):
            ks = np.flatnonzero(group.route != OWN)
            group_of[group.positions[ks]] = g
            k_of[group.positions[ks]] = ks

    # every column that can hold a finding gets its scan now: the columns of
    # numbers of a group and those scanned on their own; a quiet column's
    # scan is made only if a rule of the table asks for it
    scanned: dict[int, ColumnScan] = {}
    for group in groups:
        for k in np.flatnonzero(group.route == NUMBERS).tolist():
            scanned[int(group.positions[k])] = group.scan(k)
    keys: dict[int, tuple | None] = {}
    seen: dict[tuple, ColumnScan] = {}
    for position in np.flatnonzero(group_of < 0).tolist():
        series = columns[position]
        key = keys[position] = _content_key(series)
        scan = seen.get(key) if key is not None else None
        if scan is None:
            scan = scan_column(series, detect=detect, extra_norm=extra_norm, extra_numbers=extra_numbers)
            if key is not None:
                seen[key] = scan
        else:  # a column holding exactly the cells of an earlier one: the same scan
            scan = _own_copy(scan)
        scanned[position] = scan
    active = sorted(scanned)
    nevers = {position: _never_mask(scanned[position], never_norm, never_numbers) for position in active}
    if detect:
        explain_zeros(_TableScans(scanned, groups, group_of, k_of), names, active)
        some = [scanned[position] for position in active]
        some_names = [names[position] for position in active]
        some_nevers = [nevers[position] for position in active]
        pair_code_zeros(some, some_names, some_nevers)
        raise_co_missing(some, some_names, some_nevers)

    findings: list[Finding] = []
    summaries: list[ColumnSummary | None] = [None] * n_cols
    mask = np.zeros((n_rows, n_cols), dtype=bool)
    native = np.zeros((n_rows, n_cols), dtype=bool)
    cleaned_columns: dict[int, pd.Series] = {}
    settled = [list(np.flatnonzero(group.route == QUIET).tolist()) for group in groups]
    formats = {}
    done: dict[tuple, tuple[ColumnScan, np.ndarray, _ColumnResult]] = {}
    for position in active:
        name = names[position]
        scan, never = scanned[position], nevers[position]
        if group_of[position] >= 0:
            if not _flags_any(scan, never, threshold):  # nothing flagged: settled with its group
                settled[group_of[position]].append(int(k_of[position]))
                continue
            result = _column_result(columns[position], scan, never, name, threshold, n_rows)
        else:
            key = keys[position]
            earlier = done.get(key) if key is not None else None
            if earlier is not None and _same_verdicts(earlier[0], scan) and np.array_equal(earlier[1], never):
                result = earlier[2].renamed(name)  # the same cells and verdicts: the same result
            else:
                result = _column_result(columns[position], scan, never, name, threshold, n_rows)
                if key is not None:
                    done[key] = (scan, never, result)
        findings.extend(result.findings)
        if result.format is not None:
            formats[name] = result.format
        cleaned_columns[position] = result.clean
        mask[:, position] = result.mask
        native[:, position] = result.native
        summaries[position] = result.summary

    blocks = []
    for group, ks in zip(groups, settled):
        if ks:
            blocks.extend(_settled_blocks(group, settle(group, np.sort(ks)), frame, columns, names,
                                          mask, native, summaries))
    if blocks:
        cleaned = _assemble(frame, blocks, cleaned_columns)
    else:
        cleaned = pd.concat(list(cleaned_columns.values()), axis=1) if cleaned_columns else frame.copy()
    cleaned.columns = frame.columns
    cleaned.index = frame.index
    return DetectionResult(
        findings=findings,
        mask=pd.DataFrame(mask, index=frame.index, columns=frame.columns),
        cleaned=cleaned,
        columns=summaries,
        policy=policy,
        native=pd.DataFrame(native, index=frame.index, columns=frame.columns),
        formats=formats,
    )


def _flags_any(scan: ColumnScan, never: np.ndarray, threshold: float) -> bool:
    """Whether :func:`_column_result` would flag a value of ``scan``."""
    return bool(((scan.confidence >= threshold) & ~never & (scan.counts > 0) & ~scan.native).any())


def _settled_blocks(group: TextGroup, done: Settled, frame: pd.DataFrame, columns: _Columns,
                    names: list[str], mask: np.ndarray, native: np.ndarray,
                    summaries: list[ColumnSummary | None]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Record the mask and overview of settled columns; return their cleaned cells.

    Returns ``(positions, cells)`` pairs, ``cells`` of shape ``(rows,
    len(positions))`` and one dtype: what :func:`_cast_clean` makes of each
    column (NaN for an empty column, its numbers as ``int64`` or ``float64``,
    or its cells with the native gaps NaN).
    """
    positions = group.positions[done.ks]
    n_rows = frame.shape[0]
    mask[:, positions] = done.native.T
    native[:, positions] = done.native.T
    n_native = done.native.sum(axis=1)
    integral = done.integral
    numeric = (done.inferred != "text") & ~integral  # NaN columns and columns of numbers as float
    dtypes = np.where(integral, "int64", np.where(numeric, "float64", "object"))
    for position, inferred, dtype, count in zip(positions.tolist(), done.inferred.tolist(), dtypes.tolist(),
                                                n_native.tolist()):
        summaries[position] = ColumnSummary(
            column=names[position], inferred=inferred, rows=n_rows, native_missing=count,
            disguised=0, missing=count, missing_share=count / n_rows if n_rows else 0.0,
            cleaned_dtype=dtype, format="")
    blocks = []
    if integral.any():
        blocks.append((positions[integral], done.numbers[integral].T.astype(np.int64)))
    if numeric.any():
        blocks.append((positions[numeric], np.ascontiguousarray(done.numbers[numeric].T)))
    text = ~integral & ~numeric
    if text.any():
        chosen = positions[text]
        if columns.values is not None:
            cells = columns.values[:, chosen].copy()
        else:
            cells = frame.iloc[:, chosen].to_numpy(dtype=object, copy=True)
        cells[done.native[text].T] = np.nan
        blocks.append((chosen, cells))
    return blocks


def _assemble(frame: pd.DataFrame, blocks: list[tuple[np.ndarray, np.ndarray]],
              series: dict[int, pd.Series]) -> pd.DataFrame:
    """The cleaned frame from blocks of settled columns and the other columns' Series."""
    parts, order = [], []
    for positions, cells in blocks:
        parts.append(pd.DataFrame(cells, index=frame.index, dtype=cells.dtype, copy=False))
        order.append(positions)
    if series:
        rest = pd.concat(list(series.values()), axis=1)
        rest.columns = range(rest.shape[1])
        parts.append(rest)
        order.append(np.fromiter(series.keys(), dtype=np.int64, count=len(series)))
    joined = pd.concat(parts, axis=1)
    joined.columns = range(joined.shape[1])
    return joined.iloc[:, np.argsort(np.concatenate(order), kind="stable")]
