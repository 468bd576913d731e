"""``revimpute impute`` with uncertainty: ``--intervals``, ``--multiple``, ``--report``, ``--method auto``.

Everything here runs in memory (not with ``--chunk-rows`` or ``--dask``):

* ``--intervals C``: after each number column ``X`` of the output come ``X_lower`` and
  ``X_upper``, the bounds of the calibrated interval at coverage ``C`` of its imputed cells
  (``lower = upper = the value`` in observed cells); after each boolean or categorical column,
  ``X_set``: the prediction set at the same coverage as JSON text (``["a", "b"]``; the value
  alone in observed cells);
* ``--multiple m``: ``m`` completed tables beside ``-o``, named ``OUT.imp1.EXT`` ..
  ``OUT.impm.EXT`` (``ReverseImputer.sample``);
* ``--report FILE.html`` / ``--report-json FILE.json``: per column, the share imputed, the
  method and its estimated error on this table (revimpute.uncertainty.report);
* ``--method auto``: the method chosen per column on a held-out split (``AutoImputer``).

A reverse-training model fitted here for these options holds out ``--calibration`` of the
rows (0.1 unless given); a model given with ``--model`` must have been fitted with
``revimpute fit --calibration``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from revimpute.cli._app import fail, say

DEFAULT_CALIBRATION = 0.1
_SUFFIXES = (".csv.gz", ".tsv.gz", ".csv", ".tsv", ".parquet")


def wanted(method: str, intervals: float | None, multiple: int | None, report: str | None,
           report_json: str | None) -> bool:
    """True when ``impute`` must take this module's path."""
    return method == "auto" or intervals is not None or multiple is not None or report is not None \
        or report_json is not None


def imputation_paths(output: str, m: int) -> list[str]:
    """``out.csv`` -> ``out.imp1.csv`` .. ``out.impm.csv`` (the extension kept, ``.csv.gz`` too)."""
    lower = output.lower()
    suffix = next((s for s in _SUFFIXES if lower.endswith(s)), Path(output).suffix)
    stem = output[: len(output) - len(suffix)] if suffix else output
    return [f"{stem}.imp{k}{output[len(stem):]}" for k in range(1, m + 1)]


def check_options(data: str, output: str, method: str, model: str | None, intervals: float | None,
                  multiple: int | None, report: str | None, report_json: str | None,
                  calibration: float | None, streaming: bool) -> None:
    """One-line errors for option values and combinations this path cannot serve."""
    if streaming:
        raise fail("--intervals, --multiple, --report, --report-json and --method auto run in memory; "
                   "leave out --chunk-rows and --dask")
    if intervals is not None and not 0 < intervals < 1:
        raise fail(f"--intervals is a coverage strictly between 0 and 1, e.g. 0.9 (got {intervals})")
    if multiple is not None and multiple < 1:
        raise fail(f"--multiple must be a whole number of imputations >= 1 (got {multiple})")
    if calibration is not None and not 0 < calibration < 0.5:
        raise fail(f"--calibration is a share of the rows strictly between 0 and 0.5 (got {calibration})")
    if (intervals is not None or multiple is not None) and method != "reverse":
        raise fail("--intervals and --multiple come from a calibrated reverse-training model; "
                   f"use --method reverse (got --method {method})")
    if calibration is not None and method != "reverse":
        raise fail("--calibration holds rows out of a reverse-training fit; "
                   f"use --method reverse (got --method {method})")
    if calibration is not None and model is not None:
        raise fail("--calibration applies when the model is fitted here; a --model was calibrated (or not) "
                   "by `revimpute fit --calibration`")
    if model is not None and method == "auto":
        raise fail("--model holds a reverse-training model; --method auto chooses and fits its own methods")
    if report is not None and not report.lower().endswith((".html", ".htm")):
        raise fail(f"{report}: --report writes HTML; give a file name ending in .html")
    if report_json is not None and not report_json.lower().endswith(".json"):
        raise fail(f"{report_json}: --report-json writes JSON; give a file name ending in .json")
    given = [Path(data).resolve(), Path(output).resolve()]
    extra = [p for p in (report, report_json) if p is not None]
    if multiple is not None:
        extra += imputation_paths(output, multiple)
    for path in extra:
        if Path(path).resolve() in given:
            raise fail(f"{path}: would replace the input or the output; choose another name")
        given.append(Path(path).resolve())


def interval_columns(result: pd.DataFrame, lower: pd.DataFrame, upper: pd.DataFrame, sets: pd.DataFrame,
                     kinds: dict[int, str]) -> pd.DataFrame:
    """``result`` with ``X_lower`` / ``X_upper`` after number columns and ``X_set`` after class columns."""
    parts, names = [], []
    taken = {str(c) for c in result.columns}
    for j, label in enumerate(result.columns):
        parts.append(result.iloc[:, j])
        names.append(label)
        kind = kinds.get(j)
        added = []
        if kind == "number":
            added = [(f"{label}_lower", lower.iloc[:, j]), (f"{label}_upper", upper.iloc[:, j])]
        elif kind == "class":
            value = result.iloc[:, j]
            text = [json.dumps([_plain(v) for v in s] if isinstance(s, tuple) else [_plain(v)])
                    for s, v in zip(sets.iloc[:, j], value)]
            added = [(f"{label}_set", pd.Series(text, index=result.index, dtype=object))]
        for name, column in added:
            if name in taken:
                raise fail(f"the table already has a column {name!r}; rename it to write --intervals")
            taken.add(name)
            parts.append(column)
            names.append(name)
    out = pd.concat(parts, axis=1)
    out.columns = names
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    return value if isinstance(value, (bool, int, float, str)) or value is None else str(value)


def column_kinds(imputer: Any) -> dict[int, str]:
    """Column position -> ``"number"`` or ``"class"`` for the columns a frame-fitted model imputes."""
    kinds = {}
    for j, code in enumerate(imputer.encoder_.codes_):
        if code.encoded:
            kinds[j] = "number" if code.kind.value in ("numeric", "integer", "datetime") else "class"
    return kinds


def as_written(result: pd.DataFrame, table: Any, frame: pd.DataFrame, text: pd.DataFrame | None,
               output: str) -> pd.DataFrame:
    """``result`` with the cells it did not impute as the CSV file wrote them (CSV in and out).

    ``frame`` and ``text`` are the cleaned table's frame and text as imputed
    (its empty columns left out when asked); imputed values of a formatted
    column are written in its format.
    """
    from revimpute.io import keep_written_text, table_format

    if text is None or table_format(output) != "csv":
        return result
    return keep_written_text(result, frame, text, table.plan.value_writers(list(frame.columns)))


def prepared_output(result: pd.DataFrame, output: str, escape: bool, quiet: bool) -> pd.DataFrame:
    """``result`` as it will be written: formula-like CSV cells escaped or reported as ``impute`` does."""
    from revimpute.cli._steps import formulas_in_output
    from revimpute.io import table_format

    if table_format(output) == "csv":
        return formulas_in_output(result, escape, quiet)
    return result


def impute_uncertain(data: str, output: str, model: str | None, method: str, reading: Any, drop_empty: bool,
                     seed: int, jobs: int, device: str, quiet: bool, escape: bool,
                     intervals: float | None, multiple: int | None, report: str | None,
                     report_json: str | None, calibration: float | None) -> None:
    """Impute DATA in memory with the uncertainty options and write every file asked for.

    Every table and report is computed before the first file is written, so that an
    error leaves no file behind; each file is written atomically.
    """
    from revimpute.cli._steps import print_treated_as_missing, without_empty_columns
    from revimpute.cli._options import say_notes
    from revimpute.clean import read_clean
    from revimpute.io import atomic_path, write_table

    start = time.perf_counter()
    table = read_clean(data, reading.detect, reading.tokens, reading.never, **reading.clean_options())
    if not quiet:
        say_notes(table.notes)
        print_treated_as_missing(table)
    frame, text = without_empty_columns(table, drop_empty, fitting=model is None, quiet=quiet)
    reporting = report is not None or report_json is not None
    if method == "auto":
        result, imputer, trust = _impute_auto(frame, seed, quiet)
    else:
        result, imputer, trust = _impute_one(frame, method, model, seed, quiet, jobs, device, intervals, multiple,
                                             reporting, calibration)
    if intervals is not None:
        uncertain = trust.pop("uncertain")
        lower, upper = (as_written(t, table, frame, text, output) for t in (uncertain.lower, uncertain.upper))
        written = interval_columns(as_written(result, table, frame, text, output), lower, upper, uncertain.sets,
                                   column_kinds(imputer))
    else:
        written = as_written(result, table, frame, text, output)
    tables = [(output, prepared_output(written, output, escape, quiet))]
    paths = [] if multiple is None else imputation_paths(output, multiple)
    if paths:
        draws = imputer.sample(frame, multiple, random_state=seed)
        tables += [(path, prepared_output(as_written(draw, table, frame, text, path), path, escape, True))
                   for path, draw in zip(paths, draws)]
    texts = []
    if reporting:
        from revimpute.uncertainty.report import render_trust_html, trust_columns, trust_document

        trust["seconds"]["total"] = time.perf_counter() - start
        columns = trust_columns(frame, trust["methods"], trust["errors"], trust.get("candidates"))
        if report is not None:
            texts.append((report, render_trust_html(columns, frame, result, data, method, trust["source"],
                                                    trust["seconds"])))
        if report_json is not None:
            doc = trust_document(columns, data, method, len(result), trust["source"], trust["seconds"])
            texts.append((report_json, json.dumps(doc, indent=2, allow_nan=False)))
    for path, frame_out in tables:
        write_table(frame_out, path)
    for path, text in texts:
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
    if not quiet:
        say(f"wrote {len(result)} rows to {output}")
        if paths:
            say(f"wrote {multiple} imputations to {', '.join(paths)}")
        if texts:
            say(f"wrote the trust report to {', '.join(path for path, _ in texts)}")


def _impute_auto(frame: pd.DataFrame, seed: int, quiet: bool) -> tuple[pd.DataFrame, Any, dict]:
    """``--method auto``: choose per column, fit the chosen methods, impute."""
    from revimpute.impute import AutoImputer
    from revimpute.uncertainty.report import candidate_errors

    auto = AutoImputer(random_state=seed).choose(frame)
    choosing = sum(auto.seconds_.values())
    start = time.perf_counter()
    result = auto.fit_chosen(frame).transform(frame)
    methods = list(auto.column_methods_)
    candidates = candidate_errors(auto, frame)
    if not quiet:
        chosen = ", ".join(f"{label!r}: {name}" for label, name in auto.choices_.items())
        say(f"--method auto chose per column: {chosen} ({choosing:.1f} s to choose)")
        for name, why in auto.failed_.items():
            say(f"--method auto left out {name}: {why}")
    return result, auto, {
        "methods": methods, "candidates": candidates,
        "errors": {j: candidates[j][methods[j]] for j in candidates if methods[j] in candidates[j]},
        "source": ("the held-out cells --method auto scored its candidates on (20% of the observed cells hidden "
                   "as other rows' gaps);"),
        "seconds": {"choosing the methods (every candidate on the held-out split)": choosing,
                    "fitting the chosen methods and imputing": time.perf_counter() - start},
    }


def _impute_one(frame: pd.DataFrame, method: str, model: str | None, seed: int, quiet: bool, jobs: int,
                device: str, intervals: float | None, multiple: int | None, reporting: bool,
                calibration: float | None) -> tuple[pd.DataFrame, Any, dict]:
    """One registry method (or a saved model): fit if needed, impute, estimate its error if asked."""
    from revimpute.cli._steps import build_imputer
    from revimpute.uncertainty.report import calibration_errors, candidate_errors

    reverse = method == "reverse"
    needs_calibration = reverse and (intervals is not None or multiple is not None or reporting)
    imputer = build_imputer(method, model, seed, quiet, jobs, device)
    if model is None and reverse and (needs_calibration or calibration is not None):
        imputer.set_params(calibration=calibration if calibration is not None else DEFAULT_CALIBRATION)
    start = time.perf_counter()
    if model is None:
        imputer.fit(frame)
    if needs_calibration and getattr(imputer, "calibration_", None) is None:
        raise fail(f"{model}: the model was fitted without calibration, which --intervals, --multiple and "
                   "--report need; refit it with `revimpute fit --calibration 0.1`")
    trust: dict = {"seconds": {}, "errors": {}, "methods": [method] * frame.shape[1]}
    if intervals is not None:
        trust["uncertain"] = imputer.impute_with_uncertainty(frame, intervals)
        result = trust["uncertain"].imputed
    else:
        result = imputer.transform(frame)
    trust["seconds"]["fit and impute"] = time.perf_counter() - start
    if reverse and not imputer.fitted_on_array_:
        kinds = column_kinds(imputer)
        trust["methods"] = [method if j in kinds else None for j in range(frame.shape[1])]
    if reporting and reverse:
        trust["errors"] = calibration_errors(imputer, frame)
        trust["source"] = (f"the calibration cells (the observed cells of the {imputer.calibration_.n_rows} rows "
                           "held out from training, hidden one at a time);")
    elif reporting:
        from revimpute.impute import AutoImputer

        start = time.perf_counter()
        holdout = AutoImputer(candidates=[method], split="random", confidence=0.0, random_state=seed).choose(frame)
        trust["errors"] = {j: e[method] for j, e in candidate_errors(holdout, frame).items()}
        trust["seconds"]["estimating the error (the method fitted again on a held-out split)"] = (
            time.perf_counter() - start)
        trust["source"] = "a held-out split (20% of the observed cells hidden, the method fitted again);"
    return result, imputer, trust
