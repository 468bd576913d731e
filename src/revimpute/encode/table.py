"""A table with columns of any type <-> the network's float units, and back.

:class:`TableEncoder` learns at fit, from the observed cells only, how each
column is represented (see :mod:`.kinds` and :mod:`.layout`):

* numeric columns: scaled (``scaling``, by default standard; ``"robust"``
  uses the median and interquartile range);
* integer columns: as numeric, rounded and clipped to the observed range at
  decode;
* datetime columns: as numeric timestamps (seconds), rounded to whole days
  when every observed value is a midnight, else to whole seconds;
* boolean columns: one unit, 0/1;
* categorical and text columns: one unit per category seen at fit (one-hot);
* identifier columns (more distinct values than ``max_categories``) and
  columns with no observed value (``keep_empty``) are not encoded; decode
  leaves identifiers as given.

Decoding writes imputed values into a copy of the given frame, so observed
cells, the index, column names and dtypes come back exactly as given.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from revimpute.encode.checks import empty_columns_error, plain, text_cells_error, unknown_categories_error
from revimpute.encode.columns import ColumnCode, holding_kind, number_values, observed_categories
from revimpute.encode.finite import reject_infinite
from revimpute.encode.kinds import DEFAULT_MAX_CATEGORIES, ColumnKind, infer_column_kinds
from revimpute.encode.layout import UnitLayout
from revimpute.encode.numeric import NumericScaler, unscalable_columns
from revimpute.exceptions import InputDataError

HANDLE_UNKNOWN = ("missing", "error")
_NUMBER_KINDS = (ColumnKind.NUMERIC, ColumnKind.INTEGER, ColumnKind.DATETIME)


@dataclass
class EncodedTable:
    """A table as network units.

    Attributes
    ----------
    values : ndarray of float32, shape (n, n_units)
        Scaled numbers, 0/1 booleans, one-hot groups; 0 where missing.
    missing : ndarray of bool, shape (n, n_units)
        True on every unit of a missing cell.
    cell_missing : ndarray of bool, shape (n, n_columns)
        Missing cells of the table (identifier columns included).
    unknown : dict
        Column label -> categories met that were not seen at fit (treated as missing).
    """

    values: np.ndarray
    missing: np.ndarray
    cell_missing: np.ndarray
    unknown: dict[Any, list[Any]]


def _label(frame: pd.DataFrame, j: int) -> Any:
    return frame.columns[j]


class TableEncoder:
    """Encode a mixed-type DataFrame for the network, and decode its output.

    Parameters
    ----------
    scaling : {"standard", "robust", "minmax", "none"}, default="standard"
        Scaling of numeric, integer and datetime columns.
    max_categories : int, default=200
        A text/categorical column with more distinct values is an identifier.
    handle_unknown : {"missing", "error"}, default="missing"
        A category not seen at fit: treated as missing (and reported), or an error.
    missing_values : float or None, default=None
        An extra placeholder that marks missing cells in numeric columns.
    keep_empty : bool, default=False
        Accept columns with no observed value (not encoded; numeric and
        boolean ones are filled with 0 / False at decode).

    Attributes
    ----------
    codes_ : list of ColumnCode
    layout_ : UnitLayout
    scaler_ : NumericScaler
        Over the number units (numeric, integer and datetime columns), in order.
    """

    def __init__(
        self,
        scaling: str = "standard",
        max_categories: int = DEFAULT_MAX_CATEGORIES,
        handle_unknown: str = "missing",
        missing_values: Any = None,
        keep_empty: bool = False,
    ) -> None:
        if handle_unknown not in HANDLE_UNKNOWN:
            raise ValueError(f"handle_unknown must be one of {HANDLE_UNKNOWN}, got {handle_unknown!r}")
        self.scaling = scaling
        self.max_categories = max_categories
        self.handle_unknown = handle_unknown
        self.missing_values = missing_values
        self.keep_empty = keep_empty

    # --- per-column conversion --------------------------------------------------
    def _placeholder(self, series: pd.Series) -> np.ndarray:
        mv = self.missing_values
        if mv is None or (isinstance(mv, float) and np.isnan(mv)):
            return np.zeros(len(series), dtype=bool)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(series == mv, dtype=bool)

    def _numbers(self, series: pd.Series, code: ColumnCode, label: Any) -> np.ndarray:
        """A number-like column as float64 (NaN where missing)."""
        isna = series.isna().to_numpy(dtype=bool)
        if code.kind == ColumnKind.DATETIME:
            try:
                stamps = pd.to_datetime(series)
            except (TypeError, ValueError) as exc:
                raise InputDataError(f"column {label!r} must hold dates: {exc}") from None
            if stamps.dt.tz is not None:
                stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
            seconds = (stamps - pd.Timestamp(0)) / pd.Timedelta(1, "s")
            values = seconds.to_numpy(dtype=np.float64, na_value=np.nan).copy()
        else:
            numeric = pd.to_numeric(series, errors="coerce")
            values = numeric.to_numpy(dtype=np.float64, na_value=np.nan).copy()
            bad = np.isnan(values) & ~isna
            if bad.any():
                raise text_cells_error(label, series, bad, "but was numeric at fit")
            reject_infinite(values, repr(label))
        values[self._placeholder(series)] = np.nan
        return values

    @staticmethod
    def _booleans(series: pd.Series, label: Any) -> np.ndarray:
        """A boolean column as float64 0/1 (NaN where missing)."""
        try:
            flags = series.astype("boolean")
        except (TypeError, ValueError):
            bad = series[~series.isna() & ~series.isin([True, False])]
            raise InputDataError(
                f"column {label!r} was boolean at fit but holds {bad.iloc[0]!r} "
                f"(row {plain(bad.index[0])!r}); give True/False or leave the cell empty"
            ) from None
        return flags.to_numpy(dtype=np.float64, na_value=np.nan)

    # --- fit ------------------------------------------------------------------------
    def fit(self, frame: pd.DataFrame, kinds: list[ColumnKind] | None = None) -> TableEncoder:
        """Learn each column's kind, categories, range and scaling from ``frame``.

        Parameters
        ----------
        frame : DataFrame
        kinds : list of ColumnKind, optional
            Each column's kind; None infers them from the values
            (:func:`~revimpute.encode.kinds.infer_column_kinds`). A numeric
            array read as a frame has every column ``ColumnKind.NUMERIC``.

        Raises
        ------
        InputDataError
            A column without any observed value (unless ``keep_empty``), a
            column mixing value types, text where numbers are expected, or inf.
        """
        if kinds is None:
            kinds = infer_column_kinds(frame, max_categories=self.max_categories)
        elif len(kinds) != frame.shape[1]:
            raise ValueError(f"kinds: {len(kinds)} given for a table of {frame.shape[1]} columns")
        self.codes_: list[ColumnCode] = []
        number_columns: list[np.ndarray] = []
        column_of_unit: list[int] = []
        numeric_units: list[int] = []
        boolean_units: list[int] = []
        groups: list[tuple[int, int]] = []
        n_encoded = 0
        empty_labels = []
        for j, kind in enumerate(kinds):
            label = _label(frame, j)
            series = frame.iloc[:, j]
            code = ColumnCode(kind)
            observed = ~(series.isna().to_numpy(dtype=bool) | self._placeholder(series))
            if not observed.any():
                code.empty = True
                empty_labels.append(label)
                self.codes_.append(code)
                continue
            if kind == ColumnKind.IDENTIFIER:
                warnings.warn(
                    f"column {label!r} has {series.nunique()} distinct values (more than "
                    f"max_categories={self.max_categories}): treated as an identifier and left "
                    "alone (its gaps stay)", UserWarning, stacklevel=3,
                )
                self.codes_.append(code)
                continue
            code.start = len(column_of_unit)
            if kind in _NUMBER_KINDS:
                values = self._numbers(series, code, label)
                code.low, code.high = float(np.nanmin(values)), float(np.nanmax(values))
                if kind == ColumnKind.INTEGER:
                    exact = series[observed]
                    code.exact_low, code.exact_high = int(exact.min()), int(exact.max())
                if kind == ColumnKind.DATETIME:
                    stamps = pd.to_datetime(series)
                    tz = stamps.dt.tz
                    code.timezone = str(tz) if tz is not None else None
                    local = stamps.dropna()
                    code.round_to_days = bool((local == local.dt.normalize()).all())
                number_columns.append(values)
                numeric_units.append(code.start)
                code.width = 1
            elif kind == ColumnKind.BOOLEAN:
                self._booleans(series, label)
                boolean_units.append(code.start)
                code.width = 1
            else:
                code.categories = observed_categories(series)
                code.width = len(code.categories)
                groups.append((code.start, code.start + code.width))
            column_of_unit.extend([n_encoded] * code.width)
            n_encoded += 1
            self.codes_.append(code)
        if empty_labels and not self.keep_empty:
            raise empty_columns_error([repr(c) for c in empty_labels], kept="(numeric ones filled with 0)")
        if not column_of_unit:
            raise InputDataError("no column can be imputed: every column is an identifier or empty")
        self.layout_ = UnitLayout(
            np.asarray(column_of_unit, dtype=np.int64),
            np.asarray(numeric_units, dtype=np.int64),
            np.asarray(boolean_units, dtype=np.int64),
            tuple(groups),
        )
        numbers = np.column_stack(number_columns) if number_columns else np.zeros((len(frame), 0))
        self.scaler_ = NumericScaler(self.scaling).fit(np.nan_to_num(numbers), np.isnan(numbers))
        self.n_columns_ = frame.shape[1]
        return self

    # --- encode ----------------------------------------------------------------------
    def encode(self, frame: pd.DataFrame) -> EncodedTable:
        """``frame`` (with the columns seen at fit) as network units.

        Raises
        ------
        InputDataError
            Wrong number of columns, text in a numeric column, inf, a non-boolean
            value in a boolean column, or (``handle_unknown="error"``) an unknown category.
        """
        if frame.shape[1] != self.n_columns_:
            raise InputDataError(
                f"the table has {frame.shape[1]} columns; the model was fitted on {self.n_columns_}"
            )
        n_rows = len(frame)
        layout = self.layout_
        values = np.zeros((n_rows, layout.n_units), dtype=np.float32)
        missing = np.zeros((n_rows, layout.n_units), dtype=bool)
        cell_missing = np.zeros((n_rows, frame.shape[1]), dtype=bool)
        numbers: list[np.ndarray] = []
        number_labels: list[Any] = []
        unknown: dict[Any, list[Any]] = {}
        floats = self._float_columns(frame)
        for j, code in enumerate(self.codes_):
            label = _label(frame, j)
            if j in floats:  # read with the others already: no text, NaN where missing
                col = floats[j]
                reject_infinite(col, repr(label))
                col[self._placeholder(col)] = np.nan
                numbers.append(col)
                number_labels.append(label)
                cell_missing[:, j] = np.isnan(col)
                missing[:, code.start] = cell_missing[:, j]
                continue
            series = frame.iloc[:, j]
            isna = series.isna().to_numpy(dtype=bool) | self._placeholder(series)
            cell_missing[:, j] = isna
            if not code.encoded:
                continue
            cols = slice(code.start, code.start + code.width)
            if code.kind in _NUMBER_KINDS:
                col = self._numbers(series, code, label)
                numbers.append(col)
                number_labels.append(label)
                cell_missing[:, j] = np.isnan(col)
            elif code.kind == ColumnKind.BOOLEAN:
                col = self._booleans(series, label)
                values[:, code.start] = np.nan_to_num(col).astype(np.float32)
            else:
                values_obj = series.astype(object).where(~isna, None).to_numpy()
                codes = pd.Index(code.categories, dtype=object).get_indexer(values_obj)
                new = (codes < 0) & ~isna
                if new.any():
                    if self.handle_unknown == "error":
                        raise unknown_categories_error(label, series[new].tolist(), int(new.sum()))
                    unknown[label] = list(dict.fromkeys(series[new].tolist()))
                    cell_missing[:, j] |= new
                rows = np.flatnonzero(codes >= 0)
                values[rows, code.start + codes[rows]] = 1.0
            missing[:, cols] = cell_missing[:, j][:, None]
        if numbers:
            block = np.column_stack(numbers)
            scaled = self.scaler_.transform(np.nan_to_num(block))
            too_large = unscalable_columns(block, scaled)
            if too_large.size:
                k = int(too_large[0])
                raise InputDataError(
                    f"column {number_labels[k]!r} holds values up to {np.nanmax(np.abs(block[:, k])):g}, "
                    f"beyond the network's float32 range with scaling={self.scaling!r}; use "
                    "scaling='standard' or 'robust'"
                )
            scaled[np.isnan(block)] = 0.0
            values[:, layout.numeric_units] = scaled
        return EncodedTable(values, missing, cell_missing, unknown)

    def _float_columns(self, frame: pd.DataFrame) -> dict[int, np.ndarray]:
        """The encoded numeric columns of a NumPy float dtype, read in one conversion (float64).

        The values :meth:`_numbers` reads one column at a time (before the
        placeholder), without a pandas operation per column: a wide array
        read as a frame is encoded in one step.
        """
        at = [
            j for j, (code, dtype) in enumerate(zip(self.codes_, frame.dtypes))
            if code.encoded and code.kind == ColumnKind.NUMERIC and isinstance(dtype, np.dtype) and dtype.kind == "f"
        ]
        if not at:
            return {}
        block = frame.iloc[:, at].to_numpy(dtype=np.float64, copy=True)
        return {j: block[:, k] for k, j in enumerate(at)}

    # --- decode ----------------------------------------------------------------------
    def unit_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Observed range of every unit in network units (infinite for non-numeric units)."""
        lower = np.full(self.layout_.n_units, -np.inf, dtype=np.float32)
        upper = np.full(self.layout_.n_units, np.inf, dtype=np.float32)
        codes = [c for c in self.codes_ if c.encoded and c.kind in _NUMBER_KINDS]
        if codes:
            lows = self.scaler_.transform(np.array([[c.low for c in codes]]))[0]
            highs = self.scaler_.transform(np.array([[c.high for c in codes]]))[0]
            lower[self.layout_.numeric_units] = lows
            upper[self.layout_.numeric_units] = highs
        return lower, upper

    def numbers(self, filled: np.ndarray, clip: bool = True) -> np.ndarray:
        """The number columns (numeric, integer, datetime) of network units in table units, clipped.

        Parameters
        ----------
        filled : ndarray of shape (n, n_units)
        clip : bool, default=True
            As :meth:`decode`: numeric columns inside the range observed at
            fit; integer and datetime columns always.

        Returns
        -------
        ndarray of float64, shape (n, n_number_columns)
            One column per encoded number column, in order; the values
            :meth:`decode` writes (before rounding whole numbers and dates).
        """
        codes = [c for c in self.codes_ if c.encoded and c.kind in _NUMBER_KINDS]
        numbers = self._table_numbers(filled)
        clipped = [clip or c.kind != ColumnKind.NUMERIC for c in codes]
        if any(clipped):
            low = np.array([c.low if on else -np.inf for c, on in zip(codes, clipped)])
            high = np.array([c.high if on else np.inf for c, on in zip(codes, clipped)])
            numbers = np.clip(numbers, low, high)
        return numbers

    def _table_numbers(self, filled: np.ndarray) -> np.ndarray:
        """The number columns of network units in table units, not clipped."""
        return self.scaler_.inverse_transform(filled[:, self.layout_.numeric_units])

    def decode(
        self, frame: pd.DataFrame, filled: np.ndarray, cell_missing: np.ndarray, clip: bool = True
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Write the imputed cells into a copy of ``frame``.

        Parameters
        ----------
        frame : DataFrame
            The table as given to :meth:`encode`.
        filled : ndarray of shape (n, n_units)
            Network units with the missing cells filled (probabilities for
            boolean and categorical units).
        cell_missing : ndarray of bool, shape (n, n_columns)
            Which cells to fill (from :meth:`encode`).
        clip : bool, default=True
            Keep imputed numbers inside the range observed at fit, in the
            column's own units (whole numbers and datetimes always are).

        Returns
        -------
        table : DataFrame
            ``frame`` with the missing cells of encoded columns filled, same
            index, columns and dtypes; every other cell is the object given
            (identifier columns untouched).
        confidence : DataFrame of float
            For each imputed boolean or categorical cell, the probability of
            the chosen value; NaN elsewhere.
        """
        out = frame.copy()
        confidence = pd.DataFrame(np.nan, index=frame.index, columns=range(frame.shape[1]))
        numbers = self._table_numbers(filled)  # number_values clips them, as it rounds
        k = 0
        for j, code in enumerate(self.codes_):
            rows = np.flatnonzero(cell_missing[:, j])
            is_number = code.encoded and code.kind in _NUMBER_KINDS
            if rows.size == 0 or not (code.encoded or code.empty):
                k += is_number
                continue
            series = holding_kind(out.iloc[:, j].copy(), code)
            if code.empty:
                if code.kind in (ColumnKind.NUMERIC, ColumnKind.INTEGER):
                    series.iloc[rows] = 0
                elif code.kind == ColumnKind.BOOLEAN:
                    series.iloc[rows] = False
                else:
                    continue
            elif is_number:
                series.iloc[rows] = number_values(numbers[rows, k], code, series, clip)
                k += 1
            elif code.kind == ColumnKind.BOOLEAN:
                p = filled[rows, code.start].astype(np.float64)
                series.iloc[rows] = p >= 0.5
                confidence.iloc[rows, j] = np.maximum(p, 1 - p)
            else:
                probs = filled[rows, code.start : code.start + code.width]
                if isinstance(series.dtype, pd.CategoricalDtype):
                    # a category dtype can only hold its own categories: choose among those
                    allowed = pd.Index(code.categories, dtype=object).isin(list(series.cat.categories))
                    if not allowed.any():
                        raise InputDataError(
                            f"column {frame.columns[j]!r}: its categories {list(series.cat.categories)[:10]} "
                            f"share none with those seen at fit {code.categories[:10]}; nothing can be imputed"
                        )
                    probs = np.where(allowed, probs, -1.0)
                best = probs.argmax(axis=1)
                choice = np.empty(len(rows), dtype=object)
                choice[:] = [code.categories[b] for b in best]
                series.iloc[rows] = choice
                confidence.iloc[rows, j] = probs[np.arange(len(rows)), best].astype(np.float64)
            out.isetitem(j, series)
        confidence.columns = frame.columns
        return out, confidence

    # --- persistence -------------------------------------------------------------------
    def to_json(self) -> dict:
        """Everything but the scaler arrays, as JSON-ready data."""
        return {
            "scaling": self.scaling,
            "max_categories": self.max_categories,
            "handle_unknown": self.handle_unknown,
            "missing_values": None if self.missing_values is None or (
                isinstance(self.missing_values, float) and np.isnan(self.missing_values)
            ) else self.missing_values,
            "keep_empty": self.keep_empty,
            "n_columns": self.n_columns_,
            "columns": [
                {
                    "kind": c.kind.value, "start": c.start, "width": c.width,
                    "categories": list(c.categories), "low": None if np.isnan(c.low) else c.low,
                    "high": None if np.isnan(c.high) else c.high, "timezone": c.timezone,
                    "round_to_days": c.round_to_days, "empty": c.empty,
                    "exact_low": c.exact_low, "exact_high": c.exact_high,
                }
                for c in self.codes_
            ],
            "layout": self.layout_.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict, center: np.ndarray, scale: np.ndarray) -> TableEncoder:
        """Rebuild a fitted encoder from :meth:`to_json` and the scaler arrays."""
        encoder = cls(data["scaling"], data["max_categories"], data["handle_unknown"],
                      data["missing_values"], data["keep_empty"])
        encoder.codes_ = [
            ColumnCode(
                ColumnKind(c["kind"]), c["start"], c["width"], list(c["categories"]),
                np.nan if c["low"] is None else float(c["low"]),
                np.nan if c["high"] is None else float(c["high"]),
                c["timezone"], bool(c["round_to_days"]), bool(c["empty"]),
                c.get("exact_low"), c.get("exact_high"),
            )
            for c in data["columns"]
        ]
        encoder.layout_ = UnitLayout.from_json(data["layout"])
        encoder.scaler_ = NumericScaler.from_arrays(data["scaling"], center, scale)
        encoder.n_columns_ = int(data["n_columns"])
        return encoder
