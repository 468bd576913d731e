"""Append imputed chunks to one CSV/TSV or Parquet file.

pandas writes a datetime column to CSV in one layout for the whole column:
dates only when every value is a midnight, else with the time, and with as
many fraction digits (0, 3, 6 or 9) as the finest value needs. Written chunk
by chunk, each chunk would choose its own layout. :class:`ChunkWriter` writes
every chunk of a column in the layout of all the chunks so far, and says
(:attr:`ChunkWriter.consistent`) when a later chunk needed a finer layout
than earlier chunks were written in; the caller then writes the file again
with :attr:`ChunkWriter.datetime_layouts` given from the start.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from revimpute.exceptions import InputDataError
from revimpute.io import table_format
from revimpute.dialect import default_separator, is_gzip


#: A datetime column's CSV layout: (time shown, fraction digits).
Layout = tuple[bool, int]

_FRACTION_STEP = {0: pd.Timedelta(0), 3: pd.Timedelta(milliseconds=1),
                  6: pd.Timedelta(microseconds=1), 9: pd.Timedelta(nanoseconds=1)}


def _layout(text: pd.Series) -> Layout | None:
    """The layout pandas chose for a column it formatted as ``text`` (None: no value).

    pandas formats every value of a column alike, so the first value tells.
    """
    shown = text.dropna()
    if shown.empty:
        return None
    _, _, time = str(shown.iloc[0]).partition(" ")
    if not time:
        return False, 0
    _, dot, fraction = time.partition(".")
    return True, (len(fraction) - len(fraction.lstrip("0123456789")) if dot else 0)


def _format_datetimes(column: pd.Series, layout: Layout) -> tuple[pd.Series, Layout | None]:
    """``column`` as the text pandas writes to CSV for a whole column in ``layout``
    (or a finer one, if the column needs it), and the layout the column alone needs.

    pandas' own formatter is used: a first value that needs exactly ``layout``
    is put in front of the column, formatted with it and dropped.
    """
    own = column.astype(str)
    needed = _layout(own)
    if needed is None or needed >= layout:
        return own, needed
    shows_time, digits = layout
    tz = getattr(column.dtype, "tz", None)
    stamp = pd.Timestamp("2000-01-01", tz=tz)
    if shows_time:
        stamp += pd.Timedelta(seconds=1) + _FRACTION_STEP[digits]
    lead = pd.Series([stamp]).astype(column.dtype)
    text = pd.concat([lead, column], ignore_index=True).astype(str).iloc[1:]
    text.index = column.index
    return text, needed


class ChunkWriter:
    """Write DataFrames one after the other into a single table file.

    The format comes from ``target``'s extension (``.csv``/``.tsv``/``.csv.gz``
    or ``.parquet``); the bytes go to ``path`` (usually a temporary file beside
    the target, see :func:`revimpute.io.atomic_path`). CSV chunks are written
    as :func:`revimpute.io.write_table` writes a whole frame (no index column,
    header once) and every datetime column in one layout (see the module's
    notes), so the file is byte for byte the same. Parquet chunks become
    row groups of one file whose schema is fixed by the first chunk; a later
    chunk whose column types differ is an error, never a silent change.

    Parameters
    ----------
    path : path-like
        Where the bytes go.
    target : path-like
        The final file name, which decides the format.
    datetime_layouts : dict, optional
        CSV: column label -> layout ``(time shown, fraction digits)`` to write
        datetime columns in from the first chunk (a column may still need a
        finer one), usually :attr:`datetime_layouts` of an earlier writer of
        the same rows.
    sep : str, optional
        CSV: the separator (default: a tab for ``.tsv``, else a comma).

    Attributes
    ----------
    rows : int
        Rows written so far.
    datetime_layouts : dict
        The layout of each datetime column, over all chunks so far.
    consistent : bool
        False when a chunk needed a finer layout for a datetime column than
        earlier rows were written in: the file then differs from what pandas
        writes for the whole frame, and should be written again with
        ``datetime_layouts=writer.datetime_layouts``.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        target: str | os.PathLike,
        datetime_layouts: dict[Any, Layout] | None = None,
        sep: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.target = Path(target)
        self.format = table_format(self.target)
        self.sep = sep or default_separator(self.target)
        self.rows = 0
        self.datetime_layouts: dict[Any, Layout] = dict(datetime_layouts or {})
        self.consistent = True
        self._handle: IO[str] | None = None
        self._parquet: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None
        self._keep_index = False

    def write(self, frame: pd.DataFrame) -> None:
        """Append ``frame`` (same columns and dtypes as the first one)."""
        if self.format == "parquet":
            self._write_parquet(frame)
        else:
            self._write_csv(frame)
        self.rows += len(frame)

    def _write_csv(self, frame: pd.DataFrame) -> None:
        first = self._handle is None
        if first:
            if is_gzip(self.target):
                self._handle = gzip.open(self.path, "wt", encoding="utf-8", newline="")
            else:
                self._handle = open(self.path, "w", encoding="utf-8", newline="")
        frame = self._datetimes_in_layout(frame)
        frame.to_csv(self._handle, header=first, index=False, sep=self.sep)

    def _datetimes_in_layout(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with each datetime column as text in the column's layout so far."""
        out = frame
        for j, dtype in enumerate(frame.dtypes):
            if not pd.api.types.is_datetime64_any_dtype(dtype):
                continue
            label = frame.columns[j]
            before = self.datetime_layouts.get(label)
            text, needed = _format_datetimes(frame.iloc[:, j], before or (False, 0))
            if needed is None:
                continue  # no value in this chunk: written as gaps in any layout
            if before is not None and needed > before and self.rows > 0:
                self.consistent = False  # earlier rows were written in a coarser layout
            self.datetime_layouts[label] = max(needed, before) if before is not None else needed
            if out is frame:
                out = frame.copy(deep=False)
            out.isetitem(j, text)
        return out

    def _write_parquet(self, frame: pd.DataFrame) -> None:
        if self._parquet is None:
            self._keep_index = not isinstance(frame.index, pd.RangeIndex)
            table = pa.Table.from_pandas(frame, preserve_index=self._keep_index)
            self._schema = table.schema
            self._parquet = pq.ParquetWriter(self.path, self._schema)
        else:
            try:
                table = pa.Table.from_pandas(
                    frame, schema=self._schema, preserve_index=self._keep_index
                )
            except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError) as exc:
                raise InputDataError(
                    f"{self.target}: rows {self.rows}.. have column types that differ from "
                    f"the first rows' ({exc})"
                ) from None
        self._parquet.write_table(table)

    def close(self) -> None:
        """Finish the file (Parquet footer, flush); safe to call twice."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None

    def __enter__(self) -> ChunkWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Any:
        self.close()
        return None
