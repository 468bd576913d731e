"""Advice on dropping rows with gaps instead of imputing them.

Dropping rows is safe when few rows are lost and the gaps are missing
completely at random (MCAR). :func:`drop_advice` measures both:

* the share of rows that dropping would lose;
* Little's MCAR test on the numeric columns (:mod:`revimpute.detect.little`);
* for each column with gaps, whether the rows where it is missing differ from
  the rows where it is present, on every other column: Mann-Whitney U for a
  numeric column, chi-square for a categorical one, with Holm's correction
  over all the tests run.

and turns them into a one-line recommendation with its reason.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from revimpute.detect.little import little_mcar_test
from revimpute.exceptions import InputDataError, RevimputeError

#: Categorical columns with more distinct values than this share of their
#: observed rows look like identifiers and are not tested.
ID_LIKE_SHARE = 0.5
#: Categories kept per column in chi-square tables (the rest are pooled).
MAX_CATEGORIES = 20
#: Fewest observations per group for a two-sample test.
MIN_GROUP = 5


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
        Rows with at least one gap (what dropping would remove).
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
        Rows used by the tests (a seeded random sample of at most
        ``max_rows`` rows).
    drop_ok : bool
        True when dropping is recommended.
    recommendation : str
        One line: what to do and why.
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

    def to_dict(self) -> dict:
        """Return a JSON-ready dict (NaN written as None)."""
        out = asdict(self)
        out["little_columns"] = list(self.little_columns)
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


def _is_numeric(series: pd.Series) -> bool:
    return bool(
        pd.api.types.is_numeric_dtype(series.dtype)
        and not pd.api.types.is_bool_dtype(series.dtype)
    )


def _numeric_test(values: np.ndarray, gap: np.ndarray) -> float:
    observed = ~np.isnan(values)
    a = values[gap & observed]
    b = values[~gap & observed]
    if a.size < MIN_GROUP or b.size < MIN_GROUP:
        return float("nan")
    if np.ptp(np.concatenate([a, b])) == 0:
        return float("nan")
    return float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)


def _categorical_test(values: pd.Series, gap: np.ndarray) -> float:
    observed = values.notna().to_numpy()
    cats = values[observed].astype(str)
    if cats.nunique() > ID_LIKE_SHARE * max(cats.size, 1) or cats.nunique() < 2:
        return float("nan")
    top = cats.value_counts().index[:MAX_CATEGORIES]
    cats = cats.where(cats.isin(top), "(other)")
    table = pd.crosstab(cats.to_numpy(), gap[observed])
    if table.shape[0] < 2 or table.shape[1] < 2 or min(gap[observed].sum(),
                                                       (~gap[observed]).sum()) < MIN_GROUP:
        return float("nan")
    return float(stats.chi2_contingency(table.to_numpy()).pvalue)


def _column_tests(frame: pd.DataFrame, alpha: float) -> list[ColumnTest]:
    names = [str(name) for name in frame.columns]
    missing = frame.isna().to_numpy()
    numeric = [_is_numeric(frame.iloc[:, j]) for j in range(frame.shape[1])]
    arrays = [
        frame.iloc[:, j].to_numpy(dtype=float, na_value=np.nan) if numeric[j] else None
        for j in range(frame.shape[1])
    ]
    raw: list[tuple[int, int, float, str]] = []
    gap_columns = [j for j in range(frame.shape[1]) if 0 < missing[:, j].sum() < frame.shape[0]]
    for j in gap_columns:
        gap = missing[:, j]
        for k in range(frame.shape[1]):
            if k == j:
                continue
            if numeric[k]:
                p, name = _numeric_test(arrays[k], gap), "mann-whitney"
            else:
                p, name = _categorical_test(frame.iloc[:, k], gap), "chi-square"
            if not math.isnan(p):
                raw.append((j, k, p, name))
    adjusted = holm(np.array([p for _, _, p, _ in raw]))
    out = []
    n = frame.shape[0]
    for j in gap_columns:
        rows = [(adjusted[t], raw[t][1], raw[t][3]) for t in range(len(raw)) if raw[t][0] == j]
        n_missing = int(missing[:, j].sum())
        if rows:
            best = min(rows, key=lambda r: (r[0], r[1]))
            out.append(ColumnTest(names[j], n_missing, n_missing / n, len(rows),
                                  float(best[0]), names[best[1]], best[2], bool(best[0] < alpha)))
        else:
            out.append(ColumnTest(names[j], n_missing, n_missing / n, 0,
                                  float("nan"), None, "", False))
    return out


def _little(frame: pd.DataFrame) -> tuple[float, int, float, int, tuple[str, ...]]:
    cols = []
    for j in range(frame.shape[1]):
        series = frame.iloc[:, j]
        if not _is_numeric(series):
            continue
        values = series.to_numpy(dtype=float, na_value=np.nan)
        observed = values[~np.isnan(values)]
        if observed.size >= 2 and np.ptp(observed) > 0:
            cols.append(j)
    if not cols:
        return float("nan"), 0, float("nan"), 0, ()
    data = frame.iloc[:, cols].to_numpy(dtype=float, na_value=np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = little_mcar_test(data)
    names = tuple(str(frame.columns[j]) for j in cols)
    return result.statistic, result.df, result.pvalue, result.n_patterns, names


def _fmt_p(p: float) -> str:
    return "n/a" if math.isnan(p) else f"{p:.3g}"


def drop_advice(
    frame: pd.DataFrame,
    *,
    alpha: float = 0.05,
    max_lost_share: float = 0.05,
    max_rows: int = 50_000,
    random_state: int | None = 0,
) -> DropAdvice:
    """Say whether rows with gaps can be dropped instead of imputed.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table whose gaps are NaN/None, typically
        ``detect_missing(...).cleaned``.
    alpha : float, default=0.05
        Significance level for Little's test and the (Holm-corrected)
        per-column tests.
    max_lost_share : float, default=0.05
        Largest share of rows dropping may lose and still be recommended.
    max_rows : int, default=50_000
        The tests run on a random sample of at most this many rows (drawn
        with ``random_state``), which keeps them fast and keeps huge tables
        from making negligible differences "significant". The share of rows
        lost always uses every row.
    random_state : int or None, default=0
        Seed of the row sample.

    Returns
    -------
    DropAdvice

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
    missing_rows = frame.isna().any(axis=1).to_numpy()
    rows_lost = int(missing_rows.sum())
    share = rows_lost / n

    sample = frame
    if n > max_rows:
        rng = np.random.default_rng(random_state)
        sample = frame.iloc[np.sort(rng.choice(n, size=max_rows, replace=False))]

    if rows_lost == 0:
        return DropAdvice(n, 0, 0.0, float("nan"), 0, float("nan"), 1, (), [], sample.shape[0],
                          True, "Nothing to drop or impute: no row has a gap.")

    statistic, df, pvalue, patterns, little_cols = _little(sample)
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
            f"Drop the rows with gaps: it loses only {share:.1%} of rows and the gaps look "
            f"random ({little_words}; no column's gaps relate to the other columns)."
        )
    elif random_gaps:
        drop_ok = False
        text = (
            f"Impute rather than drop: the gaps look random ({little_words}), but dropping "
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
            f"Impute, do not drop: rows with gaps differ from complete rows ("
            + "; ".join(reasons)
            + f"), so dropping them ({share:.1%} of rows) would bias the result."
        )
    return DropAdvice(
        rows=n, rows_lost=rows_lost, rows_lost_share=share,
        little_statistic=statistic, little_df=df, little_pvalue=pvalue,
        little_patterns=patterns, little_columns=little_cols, column_tests=tests,
        tested_rows=int(sample.shape[0]), drop_ok=drop_ok, recommendation=text,
    )
