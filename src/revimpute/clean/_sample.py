"""A uniform sample of a table's rows, the same however the table is cut into chunks.

Algorithm R (Vitter), vectorised over each chunk: every row has the same
chance ``n_rows / total`` to be in the sample and the memory used is the
sample plus one chunk. Row ``i`` (0-based, counted over the whole table) takes
slot ``i`` while ``i < n_rows``; after that it draws ``j`` uniform in
``[0, i]`` and replaces slot ``j`` if ``j < n_rows``. The draw is SplitMix64
keyed by the seed and counted by the row's position, so the sample depends on
the rows and the seed only: a whole frame given as one chunk and a file read
in chunks of any size give the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def splitmix64(values: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser applied elementwise to a uint64 array.

    The same function as :func:`revimpute.reverse.row_noise.splitmix64`,
    kept here so that sampling a file does not load the engine (and PyTorch).
    """
    with np.errstate(over="ignore"):
        z = values + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
        return z ^ (z >> np.uint64(31))


def sample_key(random_state: Any) -> np.uint64:
    """The 64-bit key of the draws for a seed (an int, a RandomState/Generator, or None)."""
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        seed = int(random_state)
    elif isinstance(random_state, np.random.Generator):
        seed = int(random_state.integers(0, 2**31 - 1))
    elif isinstance(random_state, np.random.RandomState):
        seed = int(random_state.randint(0, 2**31 - 1))
    elif random_state is None:
        seed = int(np.random.randint(0, 2**31 - 1))
    else:
        raise TypeError(f"random_state must be an int, a RandomState, a Generator or None, got {random_state!r}")
    return splitmix64(np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))[0]


def reservoir_slots(positions: np.ndarray, n_rows: int, key: np.uint64) -> np.ndarray:
    """Algorithm R's slot for each row position (a slot >= ``n_rows`` means "skip")."""
    pos = positions.astype(np.uint64)
    with np.errstate(over="ignore"):
        bits = splitmix64(key + pos * np.uint64(0x9E3779B97F4A7C15))
    draws = bits % (pos + np.uint64(1))
    return np.where(positions < n_rows, pos, draws)


class Reservoir:
    """Rows kept so far by Algorithm R; feed it chunks in table order.

    Parameters
    ----------
    n_rows : int
        Sample size.
    random_state : int, RandomState, Generator or None
        Seed of the draws.

    Attributes
    ----------
    seen : int
        Rows given so far.
    """

    def __init__(self, n_rows: int, random_state: Any = 0) -> None:
        self.n_rows = int(n_rows)
        self.key = sample_key(random_state)
        self.seen = 0
        self._slot_pos = np.full(self.n_rows, -1, dtype=np.int64)
        self._kept: list[pd.DataFrame] = []
        self._kept_pos = np.empty(0, dtype=np.int64)
        self._empty: pd.DataFrame | None = None

    def add(self, chunk: pd.DataFrame) -> None:
        """Offer the next rows of the table."""
        if self._empty is None:
            self._empty = chunk.iloc[:0]
        positions = np.arange(self.seen, self.seen + len(chunk), dtype=np.int64)
        self.seen += len(chunk)
        if not len(chunk):
            return
        slots = reservoir_slots(positions, self.n_rows, self.key)
        rows = np.flatnonzero(slots < np.uint64(self.n_rows))
        if not rows.size:
            return
        # a slot taken twice in this chunk keeps the later row
        _, first = np.unique(slots[rows][::-1], return_index=True)
        winners = np.sort(rows[::-1][first])
        self._slot_pos[slots[winners].astype(np.int64)] = positions[winners]
        self._kept.append(chunk if winners.size == len(chunk) else chunk.iloc[winners])
        self._kept_pos = np.concatenate([self._kept_pos, positions[winners]])
        alive = np.isin(self._kept_pos, self._slot_pos)
        if not alive.all():
            sample = pd.concat(self._kept)
            self._kept, self._kept_pos = [sample.iloc[np.flatnonzero(alive)]], self._kept_pos[alive]

    @property
    def positions(self) -> np.ndarray:
        """The table positions of the sampled rows, in table order."""
        return self._kept_pos.copy()

    def sample(self) -> pd.DataFrame:
        """The sampled rows in table order (the whole table when it has at most ``n_rows`` rows)."""
        if not self._kept:
            return self._empty if self._empty is not None else pd.DataFrame()
        return pd.concat(self._kept) if len(self._kept) > 1 else self._kept[0]


def reservoir_rows(chunks: Iterable[pd.DataFrame], n_rows: int, random_state: Any = 0) -> pd.DataFrame:
    """A uniform sample of ``n_rows`` rows of the table made of ``chunks`` (see the module's notes)."""
    reservoir = Reservoir(n_rows, random_state)
    for chunk in chunks:
        reservoir.add(chunk)
    return reservoir.sample()
