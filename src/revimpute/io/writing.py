"""Writing tables atomically: to a temporary file in the target's folder, renamed into place when complete."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from revimpute.dialect import CsvDialect, default_separator
from revimpute.io.formats import table_format


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` on success.

    On any exception the temporary file is removed and ``path`` is untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".part", dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o666 & ~umask)  # mkstemp creates 0600; give the file the usual mode
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def output_separator(path: str | os.PathLike, dialect: CsvDialect | None = None) -> str:
    """The separator of a CSV output: a tab for ``.tsv``, else the input's (``dialect``) or a comma."""
    if default_separator(path) == "\t" or dialect is None:
        return default_separator(path)
    return dialect.sep


def write_table(frame: pd.DataFrame, path: str | os.PathLike, *, sep: str | None = None) -> None:
    """Write ``frame`` to CSV (UTF-8) or Parquet (by extension), atomically.

    ``sep`` is the CSV separator (default: a tab for ``.tsv``, else a comma).
    """
    fmt = table_format(path)
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            frame.to_parquet(tmp)
        else:
            compression = "gzip" if str(path).lower().endswith(".gz") else None
            frame.to_csv(tmp, index=False, sep=sep or default_separator(path), compression=compression,
                         encoding="utf-8")
