"""Calibration, intervals and multiple imputation of :class:`~revimpute.ReverseImputer`.

The methods here work on the estimator's network units (see
:mod:`revimpute.conformal` for the scores and draws): ``calibration`` holds
rows out of training and scores the imputation of their observed cells;
:meth:`UncertaintyMixin.impute_with_uncertainty` turns the scores into
per-cell intervals and prediction sets; :meth:`UncertaintyMixin.sample` draws
completed tables.
"""

from __future__ import annotations

import numbers
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted, check_random_state

from revimpute.conformal import (
    Calibration,
    calibration_rows,
    draw_class,
    draw_keys,
    hidden_cells,
    pick,
    resample,
    uniforms,
)
from revimpute.encode.intervals import interval_frames
from revimpute.encode.layout import UnitLayout
from revimpute.encode.frames import like_input
from revimpute.exceptions import InputDataError, RevimputeError
from revimpute.impute._output import as_requested
from revimpute.reverse.row_noise import splitmix64


class ImputationIntervals(NamedTuple):
    """What :meth:`~revimpute.ReverseImputer.impute_with_uncertainty` returns.

    Attributes
    ----------
    imputed : ndarray or DataFrame
        As :meth:`~revimpute.ReverseImputer.transform` returns it.
    lower, upper : ndarray or DataFrame
        The same table with each imputed number cell (numeric, integer,
        datetime) replaced by its interval's bound. Observed cells hold
        their value (lower = upper = the value); imputed boolean and
        categorical cells stay missing here (see ``sets``).
    confidence : pandas DataFrame or None
        The probability of each imputed boolean or categorical value (as
        :meth:`~revimpute.ReverseImputer.impute_with_confidence`); None for a
        model fitted on an array.
    sets : pandas DataFrame or None
        For each imputed boolean or categorical cell, the tuple of values in
        its prediction set at the same coverage (most probable first); None
        elsewhere, and None for a model fitted on an array.
    """

    imputed: Any
    lower: Any
    upper: Any
    confidence: pd.DataFrame | None
    sets: pd.DataFrame | None


def _check_coverage(coverage: Any) -> float:
    if isinstance(coverage, bool) or not isinstance(coverage, numbers.Real) or not 0 < float(coverage) < 1:
        raise InputDataError(f"coverage must be a number strictly between 0 and 1, got {coverage!r}")
    return float(coverage)


def _seed_of(random_state: Any) -> int:
    """An int seed from ``random_state`` (an int, a RandomState or None)."""
    return int(check_random_state(random_state).randint(0, 2**31 - 1))


def _mix(*values: int) -> int:
    """A 31-bit seed mixed from the given whole numbers."""
    key = np.zeros(1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for value in values:
            key = splitmix64(key ^ np.uint64(int(value) & 0xFFFFFFFFFFFFFFFF))
    return int(key[0] % np.uint64(2**31 - 1))


class UncertaintyMixin:
    """Held-out calibration, intervals and multiple imputation for ReverseImputer."""

    # --- fit --------------------------------------------------------------------------------
    def _fit_networks(self, units: np.ndarray, observed: np.ndarray, layout: UnitLayout) -> None:
        """Train the networks; with ``calibration``, on all but the held-out rows, then calibrate."""
        self.calibration_ = None
        if self.calibration is None:
            self._train(units, observed, layout)
            return
        seed = _seed_of(self.random_state)
        held = calibration_rows(units.shape[0], float(self.calibration), seed)
        self._train(units[~held], observed[~held], layout)
        bounds = self._training_bounds(units[~held], observed[~held], layout)
        self.calibration_ = self._calibrate(units[held], ~observed[held], layout, seed, bounds)

    def _training_bounds(
        self, units: np.ndarray, observed: np.ndarray, layout: UnitLayout
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """The clip bounds of the search, with number units' ranges taken over the training rows only.

        Held-out cells are imputed within the range the training rows observed,
        so a held-out value can lie beyond it as a missing value can lie beyond
        the range of the observed cells.
        """
        bounds = self.scaled_bounds()
        if bounds is None:
            return None
        lower, upper = np.array(bounds[0], copy=True), np.array(bounds[1], copy=True)
        for u in layout.numeric_units:
            seen = units[observed[:, u], u]
            if seen.size:
                lower[u], upper[u] = seen.min(), seen.max()
        return lower, upper

    @staticmethod
    def _number_columns(layout: UnitLayout) -> tuple[np.ndarray, np.ndarray]:
        """The number columns (encoded column index) and their units, in numeric-unit order."""
        return layout.column_of_unit[layout.numeric_units], layout.numeric_units

    def _to_table_units(self, block: np.ndarray) -> np.ndarray:
        """Number units (n, n_numbers) -> table units, clipped as the imputation is."""
        values = self.scaler_.inverse_transform(np.asarray(block, dtype=np.float64))
        return np.clip(values, self.data_min_, self.data_max_) if self.clip else values

    def _calibrate(self, units: np.ndarray, missing: np.ndarray, layout: UnitLayout, seed: int,
                   bounds: tuple[np.ndarray, np.ndarray] | None) -> Calibration:
        """Hide each observed cell of the held-out rows on its own, impute it (within ``bounds``), keep the errors."""
        column_of_unit = layout.column_of_unit
        first = layout.first_units()
        n_columns = len(first)
        rows, columns = hidden_cells(missing[:, first], seed)
        had_report = getattr(self, "reverse_report_", None)
        copy_missing = missing[rows] | (column_of_unit[None, :] == columns[:, None])
        copy_units = np.where(copy_missing, np.float32(0), units[rows]).astype(np.float32)
        truth = units[rows].astype(np.float64)
        if rows.size:
            point, members = self._member_imputations(copy_units, copy_missing, layout, bounds)
        else:
            point, members = copy_units, [copy_units]
        if had_report is None:
            self.__dict__.pop("reverse_report_", None)
        else:
            self.reverse_report_ = had_report
        stack = np.stack([m.astype(np.float64) for m in members])  # (E, n, units)
        point = point.astype(np.float64)
        number_columns, number_units = self._number_columns(layout)
        position = {int(c): k for k, c in enumerate(number_columns)}
        is_number = np.array([int(c) in position for c in columns], dtype=bool)
        at = np.flatnonzero(is_number)
        unit = number_units[[position[int(c)] for c in columns[at]]] if at.size else np.zeros(0, dtype=np.int64)
        residual = truth[at, unit] - point[at, unit]
        spread = stack[:, at, unit].std(axis=0)
        member_residual = (truth[at, unit][None, :] - stack[:, at, unit]).T
        table_truth = self._to_table_units(truth[:, number_units]) if number_units.size else truth[:, :0]
        table_point = self._to_table_units(point[:, number_units]) if number_units.size else point[:, :0]
        slot = np.array([position[int(c)] for c in columns[at]], dtype=np.int64)
        table_residual = table_truth[at, slot] - table_point[at, slot]
        class_column, class_score, class_correct = self._class_scores(layout, columns, truth, point)
        return Calibration.from_scores(
            n_columns, int(missing.shape[0]), columns[at], residual, spread, member_residual, table_residual,
            class_column, class_score, class_correct,
        )

    @staticmethod
    def _class_scores(
        layout: UnitLayout, columns: np.ndarray, truth: np.ndarray, point: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``1 - p(true value)`` and whether the imputed value was right, for boolean and categorical cells."""
        out_column, out_score, out_correct = [], [], []
        for b in layout.boolean_units:
            c = int(layout.column_of_unit[b])
            at = np.flatnonzero(columns == c)
            p = np.clip(point[at, b], 0.0, 1.0)
            true = truth[at, b] >= 0.5
            out_column.append(np.full(at.size, c))
            out_score.append(1.0 - np.where(true, p, 1.0 - p))
            out_correct.append((p >= 0.5) == true)
        for start, stop in layout.groups:
            c = int(layout.column_of_unit[start])
            at = np.flatnonzero(columns == c)
            probs = point[at, start:stop]
            true = truth[at, start:stop].argmax(axis=1)
            out_column.append(np.full(at.size, c))
            out_score.append(1.0 - probs[np.arange(at.size), true])
            out_correct.append(probs.argmax(axis=1) == true)
        if not out_column:
            return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=bool)
        return (np.concatenate(out_column).astype(np.int64), np.concatenate(out_score),
                np.concatenate(out_correct))

    # --- shared by intervals and draws --------------------------------------------------------
    def _calibrated(self, what: str) -> Calibration:
        check_is_fitted(self)
        calibration = getattr(self, "calibration_", None)
        if calibration is None:
            raise RevimputeError(
                f"{what} needs a calibrated model: this one was fitted without calibration; fit with "
                "ReverseImputer(calibration=0.1) (`revimpute fit --calibration 0.1`)"
            )
        return calibration

    def _units_of(self, X: Any) -> dict[str, Any]:
        """``X`` as network units, with what is needed to write tables back.

        An array-fitted model reads ``X`` as the numeric imputers do
        (``"array"`` holds what gives it back in its own representation); a
        DataFrame-fitted one as a frame.
        """
        array = None
        if self.fitted_on_array_:
            values, cell_missing, info = self._check_input(X, reset=False)
            frame, schema = self._array_frame(values, cell_missing), None
            array = {"X": X, "values": values, "cell_missing": cell_missing, "info": info}
        else:
            frame, schema = self._as_frame(X)
        encoded = self._encode_frame(frame)
        return {"frame": frame, "schema": schema, "encoded": encoded, "units": encoded.values,
                "missing": encoded.missing, "layout": self.encoder_.layout_, "array": array}

    def _members(self, given: dict[str, Any], seeds: list[int] | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
        units, missing = given["units"], given["missing"]
        if not missing.any():
            return units, [units] * len(self.models_)
        point, members = self._member_imputations(units, missing, given["layout"], self.scaled_bounds(), seeds)
        self._check_finite(point, missing)
        for member in members:
            self._check_finite(member, missing)
        return point, members

    def _table(self, given: dict[str, Any], filled: np.ndarray) -> Any:
        """Network units with the missing cells filled -> the table, as ``transform`` gives it."""
        array = given["array"]
        if array is not None:
            return as_requested(self, self._array_back(
                array["X"], array["values"], array["cell_missing"], array["info"], given["encoded"], filled
            ))
        out, _ = self._decode_frame(given["frame"], given["encoded"], filled)
        return as_requested(self, like_input(out, given["schema"]))

    # --- intervals ----------------------------------------------------------------------------
    def impute_with_uncertainty(self, X: Any, coverage: float = 0.9) -> ImputationIntervals:
        """Impute ``X`` with calibrated intervals and prediction sets at ``coverage``.

        Needs a model fitted with ``calibration``. Each imputed number cell
        gets ``estimate -/+ q * max(spread, floor)`` in network units, mapped
        to the column's units (whole numbers and datetimes rounded outward),
        where ``spread`` is the networks' disagreement on the cell and ``q``
        the split-conformal quantile of the column's held-out scores. The
        bounds are not clipped to the observed range (a missing value can lie
        beyond it; the calibration imputes held-out cells within the training
        rows' range so that it measures this too); each imputed boolean or categorical cell the
        values whose probability is at least ``1 - q`` (and always the
        imputed one).

        Parameters
        ----------
        X : array-like, pandas or polars DataFrame of shape (n_samples, n_features)
        coverage : float in (0, 1), default=0.9
            The share of imputed cells whose true value the intervals and sets
            should hold.

        Returns
        -------
        ImputationIntervals
            ``(imputed, lower, upper, confidence, sets)``; ``imputed`` is
            exactly what :meth:`transform` returns.

        Raises
        ------
        RevimputeError
            If the model was fitted without calibration, or ``coverage`` is
            not strictly between 0 and 1.
        """
        calibration = self._calibrated("impute_with_uncertainty")
        coverage = _check_coverage(coverage)
        given = self._units_of(X)
        point, members = self._members(given)
        layout = given["layout"]
        missing = given["missing"]
        number_columns, number_units = self._number_columns(layout)
        stack = np.stack([m.astype(np.float64) for m in members])
        centre = point[:, number_units].astype(np.float64)
        scale = calibration.cell_scale(
            np.broadcast_to(number_columns, centre.shape), stack[:, :, number_units].std(axis=0)
        )
        half = calibration.number_quantiles(coverage)[number_columns] * scale
        with np.errstate(invalid="ignore", over="ignore"):
            low = self.scaler_.inverse_transform(centre - half)
            high = self.scaler_.inverse_transform(centre + half)
        encoded = given["encoded"]
        lower, upper = interval_frames(self.encoder_, given["frame"], low, high, encoded.cell_missing)
        if given["array"] is not None:
            return ImputationIntervals(self._table(given, point), self._bound_table(given, lower, down=True),
                                       self._bound_table(given, upper, down=False), None, None)
        out, confidence = self._decode_frame(given["frame"], encoded, point)
        imputed, lower, upper = (as_requested(self, like_input(t, given["schema"])) for t in (out, lower, upper))
        sets = self._prediction_sets(given, point, calibration.class_quantiles(coverage))
        return ImputationIntervals(imputed, lower, upper, confidence, sets)

    def _bound_table(self, given: dict[str, Any], bounds: pd.DataFrame, down: bool) -> Any:
        """An array-fitted model's bound table (from :func:`interval_frames`) as ``X`` came.

        The bounds of whole-number columns (an integer array, a DataFrame's
        integer column) are rounded outward; observed cells are as given,
        columns without observed values at fit hold 0; no indicator columns.
        """
        array = given["array"]
        info, X, cell_missing = array["info"], array["X"], array["cell_missing"]
        whole = np.zeros(cell_missing.shape[1], dtype=bool)
        if info.dtypes is not None:
            whole = np.array([pd.api.types.is_integer_dtype(t) for t in info.dtypes], dtype=bool)
        elif isinstance(X, np.ndarray) and X.dtype.kind in "iu":
            whole[:] = True
        values = bounds.to_numpy(dtype=np.float64)
        rounded = np.floor(values) if down else np.ceil(values)
        values = np.where(whole, rounded, values)
        out = np.where(cell_missing, values, array["values"])
        out[:, self.empty_features_] = 0.0
        return as_requested(self, self._wrap(out, cell_missing, None, info, X))

    def _prediction_sets(self, given: dict[str, Any], point: np.ndarray, quantiles: np.ndarray) -> pd.DataFrame:
        """Per imputed boolean or categorical cell, the values with ``1 - p <= q`` (most probable first)."""
        frame, encoded = given["frame"], given["encoded"]
        sets = pd.DataFrame(None, index=frame.index, columns=frame.columns, dtype=object)
        c = 0
        for j, code in enumerate(self.encoder_.codes_):
            if not code.encoded:
                continue
            rows = np.flatnonzero(encoded.cell_missing[:, j])
            kind = code.kind.value
            if rows.size and kind in ("boolean", "categorical"):
                if kind == "boolean":
                    p = np.clip(point[rows, code.start].astype(np.float64), 0.0, 1.0)
                    probs, labels = np.column_stack([p, 1.0 - p]), [True, False]
                else:
                    probs = point[rows, code.start:code.start + code.width].astype(np.float64)
                    labels = list(code.categories)
                threshold = 1.0 - quantiles[c]
                cells = []
                for prob in probs:
                    order = np.argsort(-prob, kind="stable")
                    chosen = [labels[i] for i in order if prob[i] >= threshold or i == order[0]]
                    cells.append(tuple(chosen))
                column = sets.iloc[:, j].copy()
                column.iloc[rows] = pd.Series(cells, index=column.index[rows], dtype=object)
                sets.isetitem(j, column)
            c += 1
        return sets

    # --- multiple imputation ------------------------------------------------------------------
    def sample(self, X: Any, n_imputations: int = 5, random_state: int | None = None) -> list[Any]:
        """Draw ``n_imputations`` completed tables whose differences reflect the uncertainty.

        Needs a model fitted with ``calibration``. A number cell of imputation
        ``k`` is the ensemble's imputation, moved towards network ``e(k)``'s by
        ``1 / sqrt(n_networks)`` of their difference (the networks in an order
        drawn from ``random_state``, one each), plus a residual drawn from an
        approximate Bayesian bootstrap of the column's held-out residuals
        (resampled once per imputation and column, then one draw per cell; see
        :mod:`revimpute.conformal.draws`); boolean and categorical cells are
        drawn from network ``e(k)``'s probabilities. Each run of ``n_networks``
        imputations uses its own search pass (fresh dropout streams). Values
        are clipped as the imputation is. Every draw is a function of
        ``(random_state, k, the row)`` alone; observed cells are the same
        objects in every table.

        Parameters
        ----------
        X : array-like, pandas or polars DataFrame of shape (n_samples, n_features)
        n_imputations : int, default=5
            How many completed tables (at least 1).
        random_state : int or None, default=None
            Seed of the draws; None uses the model's own seed (the first
            tables then use the networks' imputations of :meth:`transform`).

        Returns
        -------
        list of ndarray or DataFrame
            ``n_imputations`` tables, each as :meth:`transform` returns one.

        Raises
        ------
        RevimputeError
            If the model was fitted without calibration, ``n_imputations`` is
            not a whole number >= 1 or ``random_state`` not a whole number >= 0.
        """
        calibration = self._calibrated("sample")
        if isinstance(n_imputations, bool) or not isinstance(n_imputations, numbers.Integral) or n_imputations < 1:
            raise InputDataError(f"n_imputations must be a whole number >= 1, got {n_imputations!r}")
        if random_state is not None and (
            isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral) or random_state < 0
        ):
            raise InputDataError(f"random_state must be None or a whole number >= 0, got {random_state!r}")
        given = self._units_of(X)
        units, missing, layout = given["units"], given["missing"], given["layout"]
        draw_seed = self.seed_ if random_state is None else _mix(self.seed_, int(random_state) + 1)
        n_networks = len(self.models_)
        order = np.random.default_rng(draw_seed).permutation(n_networks)
        keys = draw_keys(units, missing, draw_seed)
        n_columns = layout.n_columns
        number_columns, number_units = self._number_columns(layout)
        bounds = self.scaled_bounds()
        tables, passes = [], {}
        for k in range(int(n_imputations)):
            p = k // n_networks
            if p not in passes:
                passes.clear()  # one search pass in memory at a time
                seeds = None if (p == 0 and random_state is None) else [
                    _mix(seed, draw_seed, p) for seed in self._model_seeds()
                ]
                passes[p] = self._members(given, seeds)
            point, members = passes[p]
            centre = members[order[k % n_networks]].astype(np.float64)
            filled = centre.copy()
            if number_units.size:
                u = uniforms(keys, k, n_columns, stream=0)
                for slot, c in enumerate(number_columns):
                    pool = resample(calibration.residual_pool(int(c)), draw_seed, k, int(c))
                    unit = number_units[slot]
                    mean = point[:, unit].astype(np.float64)
                    # the ensemble mean moved by e(k)'s deviation over sqrt(n): a draw of the size of the
                    # mean's uncertainty from the networks' random training, then the residual
                    shifted = mean + (centre[:, unit] - mean) / np.sqrt(n_networks)
                    filled[:, unit] = shifted + pick(pool, u[:, c])
            self._draw_classes(filled, centre, layout, uniforms(keys, k, n_columns, stream=1))
            if bounds is not None:
                filled = np.clip(filled, bounds[0], bounds[1])
            filled = np.where(missing, filled, units).astype(np.float32)
            tables.append(self._table(given, filled))
        return tables

    @staticmethod
    def _draw_classes(filled: np.ndarray, centre: np.ndarray, layout: UnitLayout, u: np.ndarray) -> None:
        """Replace boolean and categorical probabilities by a value drawn from them (in place)."""
        for b in layout.boolean_units:
            c = int(layout.column_of_unit[b])
            filled[:, b] = (u[:, c] < np.clip(centre[:, b], 0.0, 1.0)).astype(np.float64)
        for start, stop in layout.groups:
            c = int(layout.column_of_unit[start])
            drawn = draw_class(centre[:, start:stop], u[:, c])
            one_hot = np.zeros((len(drawn), stop - start))
            one_hot[np.arange(len(drawn)), drawn] = 1.0
            filled[:, start:stop] = one_hot
