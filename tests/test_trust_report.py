"""The trust report: estimated errors with intervals, JSON and HTML."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from revimpute import ReverseImputer
from revimpute.uncertainty.report import (
    calibration_errors,
    error_with_interval,
    render_trust_html,
    trust_columns,
    trust_document,
    write_trust_report,
)

from conftest import FAST


def test_rmse_and_share_wrong_with_their_intervals():
    squared = np.array([1.0, 4.0, 9.0, 16.0] * 10)
    error = error_with_interval(squared, True, scale=2.0)
    assert error.metric == "RMSE" and error.cells == 40
    assert error.estimate == pytest.approx(math.sqrt(7.5))
    assert error.low < error.estimate < error.high
    assert error.relative == pytest.approx(math.sqrt(7.5) / 2.0)
    wrong = error_with_interval(np.array([0.0, 1.0, 0.0, 0.0] * 25), False)
    assert wrong.metric == "share wrong" and wrong.estimate == 0.25 and wrong.relative is None
    assert 0.1 < wrong.low < 0.25 < wrong.high < 0.4
    none_wrong = error_with_interval(np.zeros(27), False)  # no error seen in 27 cells is not proof of none
    assert none_wrong.estimate == 0.0 and none_wrong.low == 0.0 and 0.05 < none_wrong.high < 0.15
    assert error_with_interval(squared, True) == error_with_interval(squared, True)  # seeded
    empty = error_with_interval(np.array([]), True)
    assert empty.cells == 0 and math.isnan(empty.estimate)


@pytest.fixture(scope="module")
def fitted_mixed():
    rng = np.random.default_rng(0)
    n = 200
    z = rng.normal(size=n)
    frame = pd.DataFrame({"x": z, "y": 2 * z + 0.1 * rng.normal(size=n), "k": np.where(z > 0, "up", "down")})
    holed = frame.mask(rng.random(frame.shape) < 0.15)
    return holed, ReverseImputer(**{**FAST, "calibration": 0.2}).fit(holed)


def test_calibration_errors_cover_every_column(fitted_mixed):
    holed, imputer = fitted_mixed
    errors = calibration_errors(imputer, holed)
    assert sorted(errors) == [0, 1, 2]
    assert errors[0].metric == "RMSE" and errors[2].metric == "share wrong"
    calibration = imputer.calibration_
    assert errors[0].cells + errors[1].cells == int(calibration.column.size)
    assert errors[2].cells == int(calibration.class_column.size)
    assert errors[1].relative == pytest.approx(errors[1].estimate / holed["y"].dropna().std(ddof=0))


def test_documents_are_strict_json_and_html_holds_every_column(fitted_mixed, tmp_path):
    holed, imputer = fitted_mixed
    after = imputer.transform(holed)
    errors = calibration_errors(imputer, holed)
    errors[1] = error_with_interval(np.array([]), True)  # no cells: NaN, written as null
    columns = trust_columns(holed, ["reverse"] * 3, errors)
    assert [c.imputed for c in columns] == list(holed.isna().sum())
    doc = trust_document(columns, "t.csv", "reverse", len(after), "held-out cells")
    text = json.dumps(doc, allow_nan=False)
    assert json.loads(text)["columns"][1]["error"]["estimate"] is None
    page = render_trust_html(columns, holed, after, "<t>.csv", "reverse", "held-out cells")
    assert "&lt;t&gt;.csv" in page and "<t>" not in page
    assert page.count("data:image/png;base64,") == 3
    written = write_trust_report(columns, holed, after, "t.csv", "reverse", "cells", tmp_path / "r.html",
                                 tmp_path / "r.json")
    assert [p.name for p in written] == ["r.html", "r.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.json"]
