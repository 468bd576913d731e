"""Where each table column lives in the network's float tensor (its *units*).

A numeric, integer or datetime column is one unit holding a scaled value; a
boolean column is one unit holding a probability (0/1 when observed) whose
network output is a logit; a categorical column with k categories is a group
of k units holding a one-hot vector (a probability vector while it is being
imputed) whose network outputs are k logits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class UnitLayout:
    """The unit structure of an encoded table.

    Parameters
    ----------
    column_of_unit : ndarray of int, shape (n_units,)
        Index of the (encoded) column each unit belongs to; non-decreasing.
    numeric_units : ndarray of int
        Units holding scaled numbers (squared-error loss).
    boolean_units : ndarray of int
        Units holding a probability with a sigmoid head (binary cross-entropy).
    groups : tuple of (start, stop)
        Unit ranges of the categorical columns (softmax head, cross-entropy).
    """

    column_of_unit: np.ndarray
    numeric_units: np.ndarray
    boolean_units: np.ndarray
    groups: tuple[tuple[int, int], ...]

    @classmethod
    def numeric(cls, n_columns: int) -> UnitLayout:
        """The layout of ``n_columns`` numeric columns: one unit each."""
        units = np.arange(n_columns, dtype=np.int64)
        return cls(units, units, np.empty(0, dtype=np.int64), ())

    @property
    def n_units(self) -> int:
        return int(len(self.column_of_unit))

    @property
    def n_columns(self) -> int:
        return int(self.column_of_unit[-1]) + 1 if len(self.column_of_unit) else 0

    @property
    def is_numeric(self) -> bool:
        """True when every unit is a plain number (no heads beyond squared error)."""
        return len(self.boolean_units) == 0 and not self.groups

    def expand(self, per_column: np.ndarray) -> np.ndarray:
        """Repeat a per-column array (..., n_columns) over the units (..., n_units)."""
        if self.n_columns == self.n_units:
            return per_column
        return np.take(per_column, self.column_of_unit, axis=-1)

    def first_units(self) -> np.ndarray:
        """The first unit of every column, in column order."""
        starts = np.flatnonzero(np.r_[True, np.diff(self.column_of_unit) != 0])
        return starts.astype(np.int64)

    def to_json(self) -> dict:
        """A JSON-ready description (for saving a model)."""
        return {
            "column_of_unit": self.column_of_unit.tolist(),
            "numeric_units": self.numeric_units.tolist(),
            "boolean_units": self.boolean_units.tolist(),
            "groups": [list(g) for g in self.groups],
        }

    @classmethod
    def from_json(cls, data: dict) -> UnitLayout:
        """Inverse of :meth:`to_json`."""
        return cls(
            np.asarray(data["column_of_unit"], dtype=np.int64),
            np.asarray(data["numeric_units"], dtype=np.int64),
            np.asarray(data["boolean_units"], dtype=np.int64),
            tuple((int(a), int(b)) for a, b in data["groups"]),
        )
