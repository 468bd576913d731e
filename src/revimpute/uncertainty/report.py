"""How far to trust each imputed column: a JSON document and a self-contained HTML report.

Per column: how many cells were imputed and by which method, the method's
estimated error on this table with a 90% interval (RMSE in the
column's units, days for datetimes; the share wrong for booleans and
categories), and a picture of the observed against the imputed values.

The error comes from cells whose truth is known and that the method did not
see: the held-out calibration cells of a calibrated
:class:`~revimpute.ReverseImputer` (:func:`calibration_errors`), or the
cells an :class:`~revimpute.impute.AutoImputer` hid to score its candidates
(:func:`candidate_errors`, every candidate's error beside the chosen one's).
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from revimpute.io import atomic_path

LEVEL = 0.9
"""Level of the intervals of the errors."""

_BOOTSTRAPS = 2000
_SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class ColumnError:
    """An estimated error with its interval.

    Attributes
    ----------
    metric : {"RMSE", "share wrong"}
    unit : str
        ``"days"`` for datetime RMSE, else ``""`` (the column's own units).
    estimate, low, high : float
        The estimate and its :data:`LEVEL` interval (bootstrap for RMSE,
        Wilson score for the share wrong).
    cells : int
        Held-out cells it was measured on.
    relative : float or None
        RMSE divided by the standard deviation of the column's observed values.
    """

    metric: str
    unit: str
    estimate: float
    low: float
    high: float
    cells: int
    relative: float | None = None


@dataclass
class TrustColumn:
    """What the report says about one column."""

    column: str
    kind: str
    method: str | None
    imputed: int
    share_imputed: float
    error: ColumnError | None
    candidates: dict[str, ColumnError] = field(default_factory=dict)


def wilson_interval(share: float, n: int, level: float) -> tuple[float, float]:
    """Wilson score interval of a proportion ``share`` observed in ``n`` trials.

    Unlike a bootstrap over the cells, it does not collapse to a point when
    no cell (or every cell) was wrong.
    """
    from scipy import stats

    z = float(stats.norm.ppf((1 + level) / 2))
    centre = (share + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(share * (1 - share) / n + z**2 / (4 * n**2))
    return max(0.0, centre - half), min(1.0, centre + half)


def error_with_interval(errors: np.ndarray, squared: bool, scale: float | None = None,
                        unit: str = "", seed: int = 0) -> ColumnError:
    """RMSE (``squared``: ``errors`` are squared errors) or mean of 0/1 errors, with an interval at :data:`LEVEL`.

    The RMSE's interval is a bootstrap over the cells (seeded by ``seed``), the
    share wrong's a Wilson score interval (:func:`wilson_interval`). ``scale``
    (a standard deviation) gives ``relative``.
    """
    errors = np.asarray(errors, dtype=np.float64)
    n = errors.size
    if n == 0:
        return ColumnError("RMSE" if squared else "share wrong", unit, math.nan, math.nan, math.nan, 0)
    estimate = errors.mean()
    if squared:
        rng = np.random.default_rng(seed)
        means = errors[rng.integers(0, n, size=(_BOOTSTRAPS, n))].mean(axis=1)
        low, high = np.quantile(means, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    else:
        low, high = wilson_interval(float(estimate), n, LEVEL)
    if squared:
        estimate, low, high = math.sqrt(estimate), math.sqrt(low), math.sqrt(high)
    relative = estimate / scale if squared and scale and scale > 0 else None
    return ColumnError("RMSE" if squared else "share wrong", unit, float(estimate), float(low), float(high), n,
                       None if relative is None else float(relative))


def _kind(series: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return "datetime"
    if pd.api.types.is_bool_dtype(series.dtype):
        return "boolean"
    if pd.api.types.is_numeric_dtype(series.dtype):
        return "integer" if pd.api.types.is_integer_dtype(series.dtype) else "numeric"
    return "categorical"


def _numbers(series: pd.Series) -> np.ndarray:
    """Observed values of a number or datetime column as floats (days for datetimes)."""
    observed = series.dropna()
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        stamps = pd.to_datetime(observed)
        if stamps.dt.tz is not None:
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        return ((stamps - pd.Timestamp(0)) / pd.Timedelta(days=1)).to_numpy(dtype=np.float64)
    return pd.to_numeric(observed, errors="coerce").to_numpy(dtype=np.float64)


def _spread(series: pd.Series) -> float | None:
    values = _numbers(series)
    values = values[np.isfinite(values)]
    return float(values.std()) if values.size > 1 else None


def calibration_errors(imputer: Any, frame: pd.DataFrame) -> dict[int, ColumnError]:
    """Column position -> the error of a calibrated ReverseImputer, from its held-out cells.

    Parameters
    ----------
    imputer : ReverseImputer
        Fitted with ``calibration``.
    frame : DataFrame
        The table it was fitted on (for the columns' standard deviations).
    """
    calibration = imputer.calibration_
    positions = [j for j, code in enumerate(imputer.encoder_.codes_) if code.encoded]
    out = {}
    for c, j in enumerate(positions):
        series = frame.iloc[:, j]
        number = calibration.column == c
        classes = calibration.class_column == c
        if number.any():
            residual = calibration.table_residual[number]
            datetime = pd.api.types.is_datetime64_any_dtype(series.dtype)
            if datetime:
                residual = residual / _SECONDS_PER_DAY
            out[int(j)] = error_with_interval(residual**2, True, _spread(series), "days" if datetime else "", seed=j)
        elif classes.any():
            out[int(j)] = error_with_interval(~calibration.class_correct[classes], False, seed=j)
    return out


def candidate_errors(auto: Any, frame: pd.DataFrame) -> dict[int, dict[str, ColumnError]]:
    """Column position -> candidate -> its error on the cells an AutoImputer held out."""
    out: dict[int, dict[str, ColumnError]] = {}
    for (name, j), errors in auto.cell_errors_.items():
        series = frame.iloc[:, j]
        kind = _kind(series)
        squared = kind in ("numeric", "integer", "datetime")
        out.setdefault(int(j), {})[name] = error_with_interval(
            errors, squared, _spread(series) if squared else None, "days" if kind == "datetime" else "", seed=j
        )
    return out


def trust_columns(before: pd.DataFrame, methods: list[str | None], errors: dict[int, ColumnError],
                  candidates: dict[int, dict[str, ColumnError]] | None = None) -> list[TrustColumn]:
    """One :class:`TrustColumn` per column of ``before`` (the table with its gaps)."""
    columns = []
    for j, label in enumerate(before.columns):
        series = before.iloc[:, j]
        imputed = int(series.isna().sum())
        columns.append(TrustColumn(
            str(label), _kind(series), methods[j], imputed, imputed / max(len(series), 1), errors.get(j),
            dict((candidates or {}).get(j, {})),
        ))
    return columns


def trust_document(columns: list[TrustColumn], source: str, method: str, rows: int,
                   error_source: str, seconds: dict[str, float] | None = None) -> dict:
    """The JSON form of the report."""
    return _plain({
        "source": source, "method": method, "rows": rows, "error_source": error_source,
        "interval_level": LEVEL, "seconds": seconds or {},
        "columns": [asdict(c) for c in columns],
    })


def _plain(value: Any) -> Any:
    """``value`` with every NaN or infinite float as None (strict JSON)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _figure_png(label: str, kind: str, observed: pd.Series, imputed: pd.Series) -> bytes:
    """Observed against imputed values of one column: histograms, or bars of category counts."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.2, 2.6), dpi=90)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    if kind in ("numeric", "integer", "datetime"):
        a, b = _numbers(observed), _numbers(imputed)
        both = np.concatenate([a, b])
        both = both[np.isfinite(both)]
        bins = np.histogram_bin_edges(both, bins=min(30, max(5, int(np.sqrt(both.size))))) if both.size else 10
        ax.hist(a, bins=bins, density=True, alpha=0.55, color="#4c72b0", label=f"observed ({a.size})")
        ax.hist(b, bins=bins, density=True, alpha=0.55, color="#dd8452", label=f"imputed ({b.size})")
        if kind == "datetime":  # days since 1970-01-01 are matplotlib's date numbers
            from matplotlib.dates import AutoDateFormatter, AutoDateLocator

            locator = AutoDateLocator(maxticks=5)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(AutoDateFormatter(locator))
    else:
        values = [str(v) for v in pd.concat([observed, imputed]).astype(object).unique()][:20]
        shown_obs = observed.astype(object).map(str).value_counts(normalize=True)
        shown_imp = imputed.astype(object).map(str).value_counts(normalize=True)
        x = np.arange(len(values))
        ax.bar(x - 0.2, [shown_obs.get(v, 0.0) for v in values], 0.4, color="#4c72b0",
               label=f"observed ({len(observed)})")
        ax.bar(x + 0.2, [shown_imp.get(v, 0.0) for v in values], 0.4, color="#dd8452",
               label=f"imputed ({len(imputed)})")
        ax.set_xticks(x)
        ax.set_xticklabels(values, rotation=30, ha="right", fontsize=7, parse_math=False)
    ax.set_title(label, fontsize=9, parse_math=False)  # shown as written: "$" starts no mathtext
    ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _error_text(error: ColumnError | None) -> str:
    if error is None or error.cells == 0:
        return "n/a"
    unit = f" {error.unit}" if error.unit else ""
    if error.metric == "share wrong":
        return f"{error.estimate:.1%} wrong ({error.low:.1%} to {error.high:.1%}; {error.cells} cells)"
    relative = f", {error.relative:.2f} SD" if error.relative is not None else ""
    return (f"RMSE {error.estimate:.4g}{unit} ({error.low:.4g} to {error.high:.4g}{relative}; "
            f"{error.cells} cells)")


def render_trust_html(columns: list[TrustColumn], before: pd.DataFrame, after: pd.DataFrame, source: str,
                      method: str, error_source: str, seconds: dict[str, float] | None = None) -> str:
    """The self-contained HTML report (pictures embedded as base64 PNGs)."""
    rows = []
    for c in columns:
        candidates = "; ".join(f"{name}: {_error_text(err)}" for name, err in c.candidates.items())
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in (
            c.column, c.kind, c.method or "-", c.imputed, f"{c.share_imputed:.1%}", _error_text(c.error),
            candidates or "-",
        )) + "</tr>")
    pictures = []
    for j, c in enumerate(columns):
        missing = before.iloc[:, j].isna().to_numpy()
        if not missing.any() or missing.all():
            continue
        png = _figure_png(c.column, c.kind, before.iloc[:, j][~missing], after.iloc[:, j][missing])
        pictures.append(f'<figure><img alt="{html.escape(c.column)}: observed and imputed values" '
                        f'src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}"></figure>')
    timing = "".join(f"<li>{html.escape(k)}: {v:.1f} s</li>" for k, v in (seconds or {}).items())
    title = html.escape(f"revimpute trust report: {source}")
    head = "".join(f"<th>{h}</th>" for h in ("column", "kind", "method", "imputed", "share imputed",
                                            f"estimated error ({LEVEL:.0%} interval)", "other methods"))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }}
th {{ background: #f0f0f0; }}
figure {{ display: inline-block; margin: 0.3em; }}
</style></head><body>
<h1>{title}</h1>
<p>{len(after)} rows &times; {len(columns)} columns; method <code>{html.escape(method)}</code>;
{sum(c.imputed for c in columns)} cells imputed.</p>
<p>Estimated errors: {html.escape(error_source)} {LEVEL:.0%} intervals by bootstrap over those cells
(RMSE) or Wilson score intervals (share wrong).
RMSE is in the column's units (days for datetimes) and, after the interval, in standard deviations
of the column's observed values; booleans and categories give the share imputed wrong.</p>
<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>
{f'<h2>Time</h2><ul>{timing}</ul>' if timing else ''}
<h2>Observed and imputed values</h2>
{''.join(pictures) or '<p>No column had imputed cells.</p>'}
</body></html>
"""


def write_trust_report(columns: list[TrustColumn], before: pd.DataFrame, after: pd.DataFrame, source: str,
                       method: str, error_source: str, html_path: str | os.PathLike | None = None,
                       json_path: str | os.PathLike | None = None,
                       seconds: dict[str, float] | None = None) -> list[Path]:
    """Write the HTML and/or JSON report atomically; returns the paths written."""
    written = []
    if html_path is not None:
        text = render_trust_html(columns, before, after, source, method, error_source, seconds)
        with atomic_path(html_path) as tmp:
            tmp.write_text(text, encoding="utf-8")
        written.append(Path(html_path))
    if json_path is not None:
        doc = trust_document(columns, source, method, len(after), error_source, seconds)
        with atomic_path(json_path) as tmp:
            tmp.write_text(json.dumps(doc, indent=2, allow_nan=False), encoding="utf-8")
        written.append(Path(json_path))
    return written
