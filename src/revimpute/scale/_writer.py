"""Append imputed chunks to one CSV/TSV or Parquet file."""

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
from revimpute.scale._readers import csv_separator, is_gzip


class ChunkWriter:
    """Write DataFrames one after the other into a single table file.

    The format comes from ``target``'s extension (``.csv``/``.tsv``/``.csv.gz``
    or ``.parquet``); the bytes go to ``path`` (usually a temporary file beside
    the target, see :func:`revimpute.io.atomic_path`). CSV chunks are written
    as :func:`revimpute.io.write_table` writes a whole frame (no index column,
    header once), so the file is byte for byte the same. Parquet chunks become
    row groups of one file whose schema is fixed by the first chunk; a later
    chunk whose column types differ is an error, never a silent change.

    Parameters
    ----------
    path : path-like
        Where the bytes go.
    target : path-like
        The final file name, which decides the format.
    """

    def __init__(self, path: str | os.PathLike, target: str | os.PathLike) -> None:
        self.path = Path(path)
        self.target = Path(target)
        self.format = table_format(self.target)
        self.rows = 0
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
        frame.to_csv(self._handle, header=first, index=False, sep=csv_separator(self.target))

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
