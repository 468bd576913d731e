"""What ``revimpute impute`` and its uncertainty outputs share: the imputer to run, the cleaned
table's columns, and formula-safe CSV output."""

from __future__ import annotations

from typing import Any

from revimpute.cli._app import fail, say
from revimpute.cli._options import print_findings


def print_treated_as_missing(table: Any) -> None:
    """Say how many cells are treated as missing, and list every disguised value applied (detection on)."""
    if table.plan.policy != "off":
        print_findings(table.findings, int(table.mask.to_numpy().sum()))


def without_empty_columns(table: Any, drop: bool, *, fitting: bool, quiet: bool) -> tuple[Any, Any]:
    """``(frame, text)`` of a cleaned table, less its columns with no observed value when ``drop``.

    Raises an input error naming them when an imputer is to be fitted on them.
    """
    dropped = table.plan.columns_to_drop(drop, fitting)
    if not dropped:
        return table.frame, table.text
    if not quiet:
        say(f"note: left out {len(dropped)} column(s) with no observed value: "
            + ", ".join(repr(str(label)) for label in dropped))
    keep = [label for label in table.frame.columns if label not in set(dropped)]
    return table.frame[keep], None if table.text is None else table.text[keep]


def build_imputer(method: str, model: str | None, seed: int, quiet: bool, jobs: int, device: str = "cpu") -> Any:
    """The imputer ``impute`` runs: a saved model, or a fresh registry method."""
    from revimpute.exceptions import RevimputeError
    from revimpute.impute import ReverseImputer, get_imputer, imputer_name

    try:
        method = imputer_name(method)
    except RevimputeError as exc:
        raise fail(str(exc).replace("unknown imputer", "unknown method")) from None
    if model is not None and method != "reverse":
        raise fail("--model holds a reverse-training model; leave --method out or use --method reverse")
    if model is not None:
        imputer = ReverseImputer.load(model)
        imputer.set_params(verbose=not quiet, n_jobs=jobs, device=device)
        return imputer
    default = get_imputer(method)
    params = {"random_state": seed} if "random_state" in default.get_params() else {}
    if isinstance(default, ReverseImputer):  # reverse, autoencoder
        params.update(verbose=not quiet, n_jobs=jobs, device=device)
    return get_imputer(method, **params)


def formulas_in_output(frame: Any, escape: bool, quiet: bool) -> Any:
    """Escape formula-like text cells of a CSV output, or warn about them."""
    from revimpute.io import escape_formulas

    escaped, counts = escape_formulas(frame)
    if not quiet:
        say_formulas(counts, escape)
    return escaped if escape else frame


def say_formulas(counts: dict, escaped: bool) -> None:
    """Say which columns hold formula-like text cells, escaped or not."""
    if not counts:
        return
    listing = ", ".join(f"{label!r} ({n})" for label, n in counts.items())
    if escaped:
        say(f"escaped formula-like text cells with ': {listing}")
    else:
        say(f"note: text cells that a spreadsheet would run as formulas are written as they are: {listing}; "
            "add --escape-formulas to prefix them with '")
