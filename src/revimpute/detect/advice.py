"""Advice on dropping columns and rows with gaps instead of imputing them.

A column with no observed value cannot be imputed and one that is nearly
empty holds little to learn from: :func:`drop_advice` proposes dropping
those first (``revimpute impute --drop-empty-columns`` leaves out the empty
ones). On the other columns, dropping rows is safe when few rows are lost and
the gaps are missing completely at random (MCAR). It measures both:

* the share of rows that dropping would lose (every row counted);
* Little's MCAR test on the numeric columns (:mod:`revimpute.detect.little`),
  on at most :data:`LITTLE_MAX_ROWS` rows and :data:`LITTLE_MAX_COLUMNS`
  columns (those with the most gaps);
* for each column with gaps (at most :data:`TEST_MAX_COLUMNS`, those with the
  most gaps), whether the rows where it is missing differ from the rows where
  it is present, on the other columns (at most :data:`TEST_MAX_COLUMNS`):
  Mann-Whitney U for a numeric column, chi-square for a categorical one, with
  Holm's correction over all the tests run.

The tests run on a seeded random sample of rows, so their cost is bounded
whatever the table's size, and turns them into a one-line recommendation
with its reason.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from revimpute.detect.little import little_mcar_test
from revimpute.exceptions import InputDataError, RevimputeError

#: Categorical columns with more distinct values than this share of their
#: observed rows look like identifiers and are not tested.
ID_LIKE_SHARE = 0.5
#: Categories kept per column in chi-square tables (the rest are pooled).
MAX_CATEGORIES = 20
#: Fewest observations per group for a two-sample test.
MIN_GROUP = 5
#: A column missing at least this share of its cells is "nearly empty".
NEARLY_EMPTY_SHARE = 0.9
#: Little's test uses at most this many rows (of the tested sample) and columns.
LITTLE_MAX_ROWS = 2_000
LITTLE_MAX_COLUMNS = 20
#: At most this many columns with gaps are tested, each against at most this many others.
TEST_MAX_COLUMNS = 30


@dataclass(frozen=True)
class ColumnTest:
    """Do rows with gaps in ``column`` differ from rows without?

    Attributes
    ----------
    column : str
        The column with gaps.
    missing : int
        Its number of gaps (in the rows tested).
    missing_share : float
        Its share of gaps (in the rows tested).
    tests : int
        How many other columns it was compared on.
    pvalue : float
        Smallest Holm-adjusted p-value over those comparisons (NaN if none).
    against : str or None
        The other column giving that p-value.
    test : str
        ``"mann-whitney"`` or ``"chi-square"`` (the test giving ``pvalue``).
    differs : bool
        True when ``pvalue < alpha``.
    """

    column: str
    missing: int
    missing_share: float
    tests: int
    pvalue: float
    against: str | None
    test: str
    differs: bool


@dataclass(frozen=True)
class DropAdvice:
    """Whether dropping rows with gaps is reasonable, and why.

    Attributes
    ----------
    rows : int
        Rows in the table.
    rows_lost : int
        Rows with at least one gap in the columns kept (what dropping them
        would remove, once the columns to drop are gone).
    rows_lost_share : float
        ``rows_lost / rows``.
    little_statistic, little_df, little_pvalue : float, int, float
        Little's MCAR test on the numeric columns (NaN/0/NaN when it does not
        apply).
    little_patterns : int
        Missingness patterns seen by the test.
    little_columns : tuple of str
        Columns the test used.
    column_tests : list of ColumnTest
        One entry per column with gaps.
    tested_rows : int
        Rows used by the per-column tests (a seeded random sample of at most
        ``max_rows`` rows).
    drop_ok : bool
        True when dropping rows is recommended.
    recommendation : str
        One line: what to do and why.
    empty_columns : tuple of str
        Columns with no observed value: to drop first.
    sparse_columns : tuple of (str, float)
        Other columns missing at least :data:`NEARLY_EMPTY_SHARE` of their
        cells, with that share: worth dropping too.
    little_rows : int
        Rows Little's test used.
    """

    rows: int
    rows_lost: int
    rows_lost_share: float
    little_statistic: float
    little_df: int
    little_pvalue: float
    little_patterns: int
    little_columns: tuple[str, ...]
    column_tests: list[ColumnTest] = field(default_factory=list)
    tested_rows: int = 0
    drop_ok: bool = False
    recommendation: str = ""
    empty_columns: tuple[str, ...] = ()
    sparse_columns: tuple[tuple[str, float], ...] = ()
    little_rows: int = 0

    def to_dict(self) -> dict:
        """Return a JSON-ready dict (NaN written as None)."""
        out = asdict(self)
        out["little_columns"] = list(self.little_columns)
        out["empty_columns"] = list(self.empty_columns)
        out["sparse_columns"] = [{"column": name, "missing_share": share} for name, share in self.sparse_columns]
        return _nan_to_none(out)


def _nan_to_none(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _nan_to_none(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_nan_to_none(item) for item in value]
    return value


def holm(pvalues: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment of p-values (family-wise error control).

    Parameters
    ----------
    pvalues : numpy.ndarray
        Raw p-values.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, same order, capped at 1.
    """
    pvalues = np.asarray(pvalues, dtype=float)
    m = pvalues.size
    if m == 0:
        return pvalues
    order = np.argsort(pvalues, kind="stable")
    scaled = (m - np.arange(m)) * pvalues[order]
    adjusted = np.minimum(np.maximum.accumulate(scaled), 1.0)
    out = np.empty(m)
    out[order] = adjusted
    return out


def _average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``x``, ties given their average rank (scipy's ``rankdata(x)``)."""
    order = np.argsort(x, kind="mergesort")
    inverse = np.empty(x.size, dtype=np.intp)
    inverse[order] = np.arange(x.size)
    ordered = x[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]]
    dense = starts.cumsum()[inverse]
    bounds = np.r_[np.flatnonzero(starts), x.size]
    return 0.5 * (bounds[dense] + bounds[dense - 1] + 1)


def _numeric_tests(values: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    """Mann-Whitney U p-values of one numeric column against several gap patterns at once.

    For each column of ``gaps`` (rows where another column is missing), the
    observed ``values`` of those rows are compared with the others': the
    normal approximation with tie and continuity corrections (scipy's
    ``mannwhitneyu(method="asymptotic")``), from one ranking of the values.
    NaN where a group has fewer than :data:`MIN_GROUP` values or all values
    are equal.
    """
    observed = ~np.isnan(values)
    x = values[observed]
    out = np.full(gaps.shape[1], np.nan)
    n = x.size
    if n < 2 * MIN_GROUP or np.ptp(x) == 0:
        return out
    ranks = _average_ranks(x)
    _, ties = np.unique(x, return_counts=True)
    tie_term = float((ties**3 - ties).sum()) / (n * (n - 1))
    groups = gaps[observed].astype(float)
    n_a = groups.sum(axis=0)
    n_b = n - n_a
    u = ranks @ groups - n_a * (n_a + 1) / 2
    mu = n_a * n_b / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma = np.sqrt(n_a * n_b / 12 * ((n + 1) - tie_term))
        z = (np.abs(u - mu) - 0.5) / sigma
    ok = (n_a >= MIN_GROUP) & (n_b >= MIN_GROUP) & (sigma > 0)
    out[ok] = np.minimum(2 * special.ndtr(-np.maximum(z[ok], 0)), 1.0)
    return out


def _categorical_tests(values: pd.Series, gaps: np.ndarray) -> np.ndarray:
    """Chi-square p-values (scipy's ``chi2_contingency``, Yates-corrected for two
    categories) of one categorical column against several gap patterns at once.

    The :data:`MAX_CATEGORIES` most frequent categories are kept, the rest
    pooled; NaN for an identifier-like column, fewer than two categories, or a
    group of fewer than :data:`MIN_GROUP` rows.
    """
    out = np.full(gaps.shape[1], np.nan)
    observed = values.notna().to_numpy()
    cats = values[observed].astype(str)
    distinct = cats.nunique()
    if distinct > ID_LIKE_SHARE * max(cats.size, 1) or distinct < 2:
        return out
    top = cats.value_counts().index[:MAX_CATEGORIES]
    codes, _ = pd.factorize(cats.where(cats.isin(top), "(other)"))
    onehot = np.zeros((codes.size, codes.max() + 1))
    onehot[np.arange(codes.size), codes] = 1.0
    groups = gaps[observed].astype(float)
    in_gap = onehot.T @ groups  # categories x patterns
    totals = onehot.sum(axis=0)[:, None]
    table = np.stack([totals - in_gap, in_gap], axis=-1)  # categories x patterns x 2
    size = codes.size
    col = table.sum(axis=0)  # patterns x 2
    expected = totals[:, :, None] * col[None] / size
    dof = totals.shape[0] - 1
    if dof == 1:  # Yates' correction, as scipy applies it
        diff = expected - table
        table = table + np.sign(diff) * np.minimum(0.5, np.abs(diff))
    with np.errstate(invalid="ignore", divide="ignore"):
        statistic = ((table - expected) ** 2 / expected).sum(axis=(0, 2))
    ok = col.min(axis=1) >= MIN_GROUP
    out[ok] = special.chdtrc(dof, statistic[ok])
    return out


def _numeric_columns(frame: pd.DataFrame) -> np.ndarray:
    """Which columns are numeric (not boolean), from the dtypes alone."""
    return np.array([pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
                     for dtype in frame.dtypes], dtype=bool)


def _most_gaps(candidates: np.ndarray, gaps: np.ndarray, limit: int) -> np.ndarray:
    """At most ``limit`` of the ``candidates`` (positions), those with the most gaps, in table order."""
    if candidates.size <= limit:
        return candidates
    order = np.argsort(-gaps[candidates], kind="stable")[:limit]
    return np.sort(candidates[order])


def _column_tests(frame: pd.DataFrame, alpha: float) -> list[ColumnTest]:
    names = [str(name) for name in frame.columns]
    missing = frame.isna().to_numpy()
    gaps = missing.sum(axis=0)
    numeric = _numeric_columns(frame)
    gap_columns = _most_gaps(np.flatnonzero((gaps > 0) & (gaps < frame.shape[0])), gaps, TEST_MAX_COLUMNS)
    partners = _most_gaps(np.arange(frame.shape[1]), -gaps, TEST_MAX_COLUMNS + 1)  # the most observed
    pvalues = np.full((gap_columns.size, frame.shape[1]), np.nan)
    kinds = {}
    for k in partners:
        against = gap_columns != k
        if not against.any():
            continue
        patterns = missing[:, gap_columns[against]]
        if numeric[k]:
            p = _numeric_tests(frame.iloc[:, k].to_numpy(dtype=float, na_value=np.nan), patterns)
            kinds[k] = "mann-whitney"
        else:
            p = _categorical_tests(frame.iloc[:, k], patterns)
            kinds[k] = "chi-square"
        pvalues[against, k] = p
    raw = [(i, k) for i in range(gap_columns.size) for k in partners if not math.isnan(pvalues[i, k])]
    adjusted = holm(np.array([pvalues[i, k] for i, k in raw]))
    best: dict[int, tuple[float, int]] = {}
    tests = dict.fromkeys(range(gap_columns.size), 0)
    for (i, k), p in zip(raw, adjusted):
        tests[i] += 1
        if i not in best or (p, k) < best[i]:
            best[i] = (float(p), int(k))
    out = []
    n = frame.shape[0]
    for i, j in enumerate(gap_columns):
        n_missing = int(gaps[j])
        if i in best:
            p, k = best[i]
            out.append(ColumnTest(names[j], n_missing, n_missing / n, tests[i], p, names[k], kinds[k],
                                  bool(p < alpha)))
        else:
            out.append(ColumnTest(names[j], n_missing, n_missing / n, 0, float("nan"), None, "", False))
    return out


def _little(frame: pd.DataFrame, random_state: int | None) -> tuple[float, int, float, int, tuple[str, ...], int]:
    """Little's test on at most LITTLE_MAX_ROWS rows and LITTLE_MAX_COLUMNS numeric columns."""
    numeric = np.flatnonzero(_numeric_columns(frame))
    nothing = (float("nan"), 0, float("nan"), 0, (), 0)
    if not numeric.size:
        return nothing
    if frame.shape[0] > LITTLE_MAX_ROWS:
        rng = np.random.default_rng(random_state)
        frame = frame.iloc[np.sort(rng.choice(frame.shape[0], size=LITTLE_MAX_ROWS, replace=False))]
    data = frame.iloc[:, numeric].to_numpy(dtype=float, na_value=np.nan)
    observed = ~np.isnan(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        spread = np.nanmax(data, axis=0) - np.nanmin(data, axis=0)
    usable = np.flatnonzero((observed.sum(axis=0) >= 2) & (np.nan_to_num(spread) > 0))
    if not usable.size:
        return nothing
    usable = _most_gaps(usable, (~observed).sum(axis=0), LITTLE_MAX_COLUMNS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = little_mcar_test(data[:, usable])
    names = tuple(str(frame.columns[numeric[j]]) for j in usable)
    return result.statistic, result.df, result.pvalue, result.n_patterns, names, int(data.shape[0])


def _fmt_p(p: float) -> str:
    return "n/a" if math.isnan(p) else f"{p:.3g}"


def _names(columns: list[str] | tuple[str, ...]) -> str:
    shown = ", ".join(repr(c) for c in columns[:5])
    return shown + (f" and {len(columns) - 5} more" if len(columns) > 5 else "")


def _column_words(empty: tuple[str, ...], sparse: tuple[tuple[str, float], ...]) -> str:
    """The advice on columns, as the start of the recommendation ("" when none)."""
    parts = []
    if empty:
        parts.append(f"drop the column(s) {_names(empty)} first: they have no observed value, so "
                     "nothing can fill them (impute --drop-empty-columns leaves them out)")
    if sparse:
        listed = [f"{name!r} ({share:.0%} missing)" for name, share in sparse[:5]]
        more = f" and {len(sparse) - 5} more" if len(sparse) > 5 else ""
        parts.append(f"consider dropping the nearly empty column(s) {', '.join(listed)}{more}")
    if not parts:
        return ""
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + ". Then, on the other columns: "


def _sentence(columns: str, text: str) -> str:
    """The advice on columns (if any) then ``text``, as one sentence-cased line."""
    return columns + text if columns else text[0].upper() + text[1:]


def drop_advice(
    frame: pd.DataFrame,
    *,
    alpha: float = 0.05,
    max_lost_share: float = 0.05,
    max_rows: int = 5_000,
    random_state: int | None = 0,
) -> DropAdvice:
    """Say whether columns and rows with gaps can be dropped instead of imputed.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table whose gaps are NaN/None, typically
        ``revimpute.clean.read_clean(...).frame``.
    alpha : float, default=0.05
        Significance level for Little's test and the (Holm-corrected)
        per-column tests.
    max_lost_share : float, default=0.05
        Largest share of rows dropping may lose and still be recommended.
    max_rows : int, default=5_000
        The per-column tests run on a random sample of at most this many
        rows (drawn with ``random_state``), and Little's test on at most
        :data:`LITTLE_MAX_ROWS` of them, which keeps them fast and keeps huge
        tables from making negligible differences "significant". The share
        of rows lost always uses every row.
    random_state : int or None, default=0
        Seed of the row samples.

    Returns
    -------
    DropAdvice
        Columns with no observed value and nearly empty ones are proposed
        for dropping first; the statistics on rows are those of the other
        columns.

    Raises
    ------
    InputDataError
        If ``frame`` is not a DataFrame or has no rows.
    RevimputeError
        If ``alpha`` or ``max_lost_share`` is not in (0, 1).
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputDataError(f"drop_advice needs a pandas DataFrame, got {type(frame).__name__}")
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise InputDataError("drop_advice needs a table with at least one row and one column")
    for name, value in (("alpha", alpha), ("max_lost_share", max_lost_share)):
        if not 0 < value < 1:
            raise RevimputeError(f"{name} must be between 0 and 1, got {value}")
    n = frame.shape[0]
    missing = frame.isna().to_numpy()
    shares = missing.mean(axis=0)
    names = [str(c) for c in frame.columns]
    empty = tuple(names[j] for j in np.flatnonzero(shares == 1.0))
    sparse = tuple((names[j], float(shares[j])) for j in np.flatnonzero((shares >= NEARLY_EMPTY_SHARE)
                                                                         & (shares < 1.0)))
    kept = np.flatnonzero(shares < NEARLY_EMPTY_SHARE)
    columns = _column_words(empty, sparse)
    missing_rows = missing[:, kept].any(axis=1) if kept.size else np.zeros(n, dtype=bool)
    rows_lost = int(missing_rows.sum())
    share = rows_lost / n
    frame = frame.iloc[:, kept]

    sample = frame
    if n > max_rows:
        rng = np.random.default_rng(random_state)
        sample = frame.iloc[np.sort(rng.choice(n, size=max_rows, replace=False))]
    extra = {"empty_columns": empty, "sparse_columns": sparse}

    if rows_lost == 0:
        words = "no row has a gap in them" if columns else "no row has a gap"
        return DropAdvice(n, 0, 0.0, float("nan"), 0, float("nan"), 1, (), [], sample.shape[0],
                          True, _sentence(columns, f"nothing to drop or impute: {words}."), **extra)

    statistic, df, pvalue, patterns, little_cols, little_rows = _little(sample, random_state)
    tests = _column_tests(sample, alpha)
    differing = [t for t in tests if t.differs]
    little_rejects = not math.isnan(pvalue) and pvalue < alpha
    random_gaps = not little_rejects and not differing

    little_words = (
        f"Little's MCAR test p={_fmt_p(pvalue)}" if not math.isnan(pvalue)
        else "Little's MCAR test not applicable"
    )
    if random_gaps and share <= max_lost_share:
        drop_ok = True
        text = (
            f"drop the rows with gaps: it loses only {share:.1%} of rows and the gaps look "
            f"random ({little_words}; no column's gaps relate to the other columns)."
        )
    elif random_gaps:
        drop_ok = False
        text = (
            f"impute rather than drop: the gaps look random ({little_words}), but dropping "
            f"would lose {share:.1%} of rows."
        )
    else:
        drop_ok = False
        reasons = []
        if little_rejects:
            reasons.append(little_words)
        for test in sorted(differing, key=lambda t: (t.pvalue, t.column))[:2]:
            reasons.append(
                f"rows missing {test.column!r} differ in {test.against!r} "
                f"({test.test}, Holm p={_fmt_p(test.pvalue)})"
            )
        text = (
            "impute, do not drop: rows with gaps differ from complete rows ("
            + "; ".join(reasons)
            + f"), so dropping them ({share:.1%} of rows) would bias the result."
        )
    return DropAdvice(
        rows=n, rows_lost=rows_lost, rows_lost_share=share,
        little_statistic=statistic, little_df=df, little_pvalue=pvalue,
        little_patterns=patterns, little_columns=little_cols, column_tests=tests,
        tested_rows=int(sample.shape[0]), drop_ok=drop_ok, recommendation=_sentence(columns, text),
        little_rows=little_rows, **extra,
    )
