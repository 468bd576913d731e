"""Show detection results: rich tables, a JSON document and an HTML report.

The HTML report is one self-contained file: the missingness matrix (a
matplotlib PNG embedded as base64, in the style of missingno's matrix, with
disguised missing cells in a colour of their own), the drop-or-impute advice,
the findings and the per-column overview.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table
from rich.text import Text

from revimpute.detect.advice import DropAdvice
from revimpute.detect.types import DetectionResult
from revimpute.io import atomic_path

#: Rows of the findings and overview tables printed on a terminal (the JSON
#: document and the HTML report hold them all).
MAX_PRINTED_ROWS = 200

PRESENT = np.array([0.27, 0.30, 0.35])
NATIVE = np.array([1.0, 1.0, 1.0])
DISGUISED = np.array([0.93, 0.45, 0.10])


def _show(value: str, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def findings_table(result: DetectionResult, limit: int | None = None) -> Table:
    """A rich table of the findings (one row per flagged value; the first ``limit``)."""
    table = Table(title="Disguised missing values", title_justify="left")
    for name, justify in (("column", "left"), ("value", "left"), ("count", "right"),
                          ("share", "right")):
        table.add_column(name, justify=justify, overflow="fold")
    table.add_column("kind", no_wrap=True)
    table.add_column("conf.", justify="right", no_wrap=True)
    table.add_column("evidence", justify="left", overflow="fold", ratio=1, min_width=30)
    for f in result.findings[:limit]:  # Text: values and names are shown as written, never as markup
        table.add_row(Text(f.column), Text(_show(f.value)), str(f.count), f"{f.share:.1%}", f.kind,
                      f"{f.confidence:.2f}", Text(f.evidence))
    return table


def overview_table(result: DetectionResult, limit: int | None = None) -> Table:
    """A rich table with the missingness of every column (of ``limit`` columns: those with
    the most missing cells, in table order)."""
    table = Table(title="Missingness per column", title_justify="left")
    for name, justify in (("column", "left"), ("type", "left"), ("native", "right"),
                          ("disguised", "right"), ("missing", "right"), ("share", "right")):
        table.add_column(name, justify=justify, overflow="fold")
    columns = result.columns
    if limit is not None and len(columns) > limit:
        keep = set(np.argsort([-c.missing for c in columns], kind="stable")[:limit].tolist())
        columns = [c for j, c in enumerate(columns) if j in keep]
    for c in columns:
        table.add_row(Text(c.column), c.inferred, str(c.native_missing), str(c.disguised),
                      str(c.missing), f"{c.missing_share:.1%}")
    return table


def _p(value: float) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else f"{value:.3g}"


def advice_lines(advice: DropAdvice) -> list[str]:
    """The advice as a few plain-text lines."""
    lines = []
    if advice.empty_columns:
        lines.append(f"Columns with no observed value: {', '.join(repr(c) for c in advice.empty_columns[:10])}"
                     + (f" and {len(advice.empty_columns) - 10} more" if len(advice.empty_columns) > 10 else "")
                     + ".")
    if advice.sparse_columns:
        lines.append("Nearly empty columns: " + ", ".join(f"{c!r} ({share:.0%} missing)"
                                                         for c, share in advice.sparse_columns[:10])
                     + (f" and {len(advice.sparse_columns) - 10} more" if len(advice.sparse_columns) > 10 else "")
                     + ".")
    rest = " (in the other columns)" if advice.empty_columns or advice.sparse_columns else ""
    lines.append(
        f"Dropping rows with gaps{rest} would lose {advice.rows_lost} of {advice.rows} rows "
        f"({advice.rows_lost_share:.1%})."
    )
    if advice.little_columns:
        lines.append(
            f"Little's MCAR test on {len(advice.little_columns)} numeric column(s): "
            f"d2={advice.little_statistic:.3f}, df={advice.little_df}, "
            f"p={_p(advice.little_pvalue)} ({advice.little_patterns} pattern(s), "
            f"{advice.little_rows} rows)."
        )
    differing = [t for t in advice.column_tests if t.differs]
    for t in differing:
        lines.append(
            f"Rows missing {t.column!r} differ in {t.against!r} "
            f"({t.test}, Holm-adjusted p={_p(t.pvalue)})."
        )
    lines.append(f"Recommendation: {advice.recommendation}")
    return lines


def print_scan(console: Console, result: DetectionResult, advice: DropAdvice | None,
               source: str) -> None:
    """Print the findings, the per-column overview and the advice (unless None)."""
    n_rows = result.n_rows
    console.print(
        Text.assemble((source, "bold"), f": {n_rows} rows x {len(result.columns)} columns, "
                      f"policy {result.policy!r}, {len(result.findings)} finding(s)"),
        highlight=False,
    )
    if result.findings:
        console.print(findings_table(result, MAX_PRINTED_ROWS))
        _say_more(console, len(result.findings), "findings")
    else:
        console.print("No disguised missing values found.")
    console.print(overview_table(result, MAX_PRINTED_ROWS))
    _say_more(console, len(result.columns), "columns (those with the most missing cells are shown)")
    for line in advice_lines(advice) if advice is not None else ():
        console.print(line, highlight=False, markup=False)


def _say_more(console: Console, total: int, what: str) -> None:
    if total > MAX_PRINTED_ROWS:
        console.print(f"{MAX_PRINTED_ROWS} of {total} {what}; --json or --report lists them all.",
                      highlight=False, markup=False)


def scan_document(result: DetectionResult, advice: DropAdvice | None, source: str) -> dict:
    """The JSON document printed by ``revimpute scan --json`` (``advice`` None when skipped)."""
    doc = {"source": source}
    doc.update(result.to_dict())
    doc["advice"] = advice.to_dict() if advice is not None else None
    return doc


def missingness_png(result: DetectionResult, max_rows: int = 2000) -> bytes:
    """Draw the missingness matrix as a PNG.

    Rows run down, columns across; present cells are dark, native missing
    cells white and disguised missing cells orange. Tables with more than
    ``max_rows`` rows are shown in ``max_rows`` horizontal bands, each
    coloured by the share of present, native and disguised cells in it, so
    no gap disappears from the picture.

    Parameters
    ----------
    result : DetectionResult
    max_rows : int, default=2000

    Returns
    -------
    bytes
        PNG data.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    mask = result.mask.to_numpy(dtype=bool)
    n_rows, n_cols = mask.shape
    if result.native is not None:
        native = result.native.to_numpy(dtype=bool) & mask
    else:
        native = mask.copy()
    disguised = mask & ~native
    present = ~mask
    if n_rows > max_rows:
        edges = np.linspace(0, n_rows, max_rows + 1).astype(int)
        sizes = np.diff(edges)[:, None]
        shares = [np.add.reduceat(arr.astype(float), edges[:-1], axis=0) / sizes
                  for arr in (present, native, disguised)]
    else:
        shares = [arr.astype(float) for arr in (present, native, disguised)]
    image = (shares[0][..., None] * PRESENT + shares[1][..., None] * NATIVE
             + shares[2][..., None] * DISGUISED)
    image = np.clip(image, 0, 1)

    width = min(max(6.0, 0.45 * n_cols + 2), 30.0)
    fig = Figure(figsize=(width, 6.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.imshow(image, aspect="auto", interpolation="nearest",
              extent=(-0.5, n_cols - 0.5, n_rows, 0))
    ax.set_xticks(range(n_cols))
    # column names are shown as written ("$" would otherwise start mathtext)
    ax.set_xticklabels([str(c) for c in result.mask.columns], rotation=45, ha="left",
                       fontsize=9, parse_math=False)
    ax.xaxis.tick_top()
    ax.set_ylabel("row")
    for x in np.arange(0.5, n_cols - 0.5):
        ax.axvline(x, color="white", linewidth=1)
    ax.legend(handles=[Patch(color=PRESENT, label="present"),
                       Patch(facecolor=NATIVE, edgecolor="grey", label="missing (NaN/empty)"),
                       Patch(color=DISGUISED, label="disguised missing")],
              loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=3, frameon=False)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _html_table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(result: DetectionResult, advice: DropAdvice | None, source: str) -> str:
    """Render the self-contained HTML report (picture embedded as base64)."""
    png = base64.b64encode(missingness_png(result)).decode("ascii")
    findings = _html_table(
        ["column", "value", "count", "share", "kind", "confidence", "evidence"],
        [[f.column, repr(f.value), f.count, f"{f.share:.1%}", f.kind, f"{f.confidence:.2f}",
          f.evidence] for f in result.findings],
    ) if result.findings else "<p>No disguised missing values found.</p>"
    overview = _html_table(
        ["column", "type", "native missing", "disguised", "missing", "share", "cleaned dtype"],
        [[c.column, c.inferred, c.native_missing, c.disguised, c.missing,
          f"{c.missing_share:.1%}", c.cleaned_dtype] for c in result.columns],
    )
    lines = advice_lines(advice) if advice is not None else ["Advice skipped (--no-advice)."]
    advice_html = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    title = html.escape(f"revimpute scan: {source}")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }}
th {{ background: #f0f0f0; }}
img {{ max-width: 100%; }}
</style></head><body>
<h1>{title}</h1>
<p>{result.n_rows} rows &times; {len(result.columns)} columns; policy
<code>{html.escape(result.policy)}</code>; {len(result.findings)} finding(s).</p>
<h2>Missingness matrix</h2>
<img alt="missingness matrix" src="data:image/png;base64,{png}">
<h2>Drop or impute?</h2>
<ul>{advice_html}</ul>
<h2>Findings</h2>
{findings}
<h2>Columns</h2>
{overview}
</body></html>
"""


def write_report(path: str | os.PathLike, result: DetectionResult, advice: DropAdvice | None,
                 source: str) -> Path:
    """Write the HTML report atomically and return its path."""
    text = render_html(result, advice, source)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)
