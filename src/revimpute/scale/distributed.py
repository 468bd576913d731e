"""Impute with Dask: DataFrames partition by partition, on a local or remote cluster.

(The module is called ``distributed`` inside ``revimpute.scale``; it imports
the ``distributed`` package absolutely, so the names never clash.)

A fitted imputer is shipped to the workers once (scattered to every worker
when a distributed client is active, a single graph node otherwise) and every
partition is imputed with ``map_partitions``. A ReverseImputer fills each row
independently of the others, so the result is bitwise what
``imputer.transform(ddf.compute())`` gives, whatever the partitioning -- as
long as torch computes the same bits in the workers and in the caller (see
the note on threads in :func:`impute_dask`).

Needs the ``dask`` extra: ``pip install "revimpute[dask]"``.
"""

from __future__ import annotations

import collections
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from revimpute.clean import TablePlan
from revimpute.dialect import is_gzip
from revimpute.exceptions import RevimputeError
from revimpute.io import csv_options, keep_written_text, output_separator, table_format
from revimpute.scale._schema import TableSchema
from revimpute.scale.chunks import check_positive, file_schema, plan_options
from revimpute.scale.streaming import (
    OutputText,
    StreamReport,
    _is_fitted,
    ensure_fitted,
    quiet_copy,
    transform_chunk,
    write_chunks,
)

if TYPE_CHECKING:  # pragma: no cover
    import dask.dataframe as dd
    from distributed import Client

__all__ = ["connect", "impute_dask", "impute_file_dask"]

_LOCAL = re.compile(r"local:(\d+)")
_TCP = re.compile(r"tcp://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})")


def _require_dask() -> None:
    try:
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise RevimputeError(
            f"Dask is not installed ({exc}); install it with: pip install \"revimpute[dask]\""
        ) from None


def connect(spec: str, *, timeout: float = 10.0) -> Client:
    """Start or reach a Dask cluster and return a client to it.

    Parameters
    ----------
    spec : str
        ``"local:N"``: start ``N`` worker processes on this machine (one
        thread each, listening on 127.0.0.1 only, no dashboard, glibc's
        default ``malloc`` settings); closing the client stops them.
        ``"tcp://HOST:PORT"``: connect to a running scheduler (its workers
        must have revimpute installed and see the files given to
        :func:`impute_file_dask`; start them without
        ``MALLOC_TRIM_THRESHOLD_``, which slows torch down several times).
    timeout : float, default=10.0
        Seconds to wait for a remote scheduler.

    Returns
    -------
    distributed.Client

    Raises
    ------
    RevimputeError
        If ``spec`` is malformed, the scheduler cannot be reached within
        ``timeout``, or the local cluster cannot start.
    """
    _require_dask()
    from distributed import Client

    text = str(spec).strip()
    local = _LOCAL.fullmatch(text)
    if local:
        n_workers = int(local.group(1))
        if n_workers < 1:
            raise RevimputeError(f"{spec!r}: a local cluster needs at least 1 worker (local:N, N >= 1)")
        import dask

        try:
            # Client(**kwargs) starts the LocalCluster itself and stops it on close().
            # Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, which makes
            # glibc mmap/munmap every tensor temporary above 128 KiB: torch runs the
            # reverse search several times slower. Workers keep glibc's defaults instead
            # (OMP_NUM_THREADS=1 etc. are kept).
            keep_malloc = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
            with dask.config.set(keep_malloc):
                return Client(
                    n_workers=n_workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                )
        except Exception as exc:
            raise RevimputeError(f"could not start a local Dask cluster ({spec}): {exc}") from None
    remote = _TCP.fullmatch(text)
    if remote:
        port = int(remote.group(2))
        if not 0 < port < 65536:
            raise RevimputeError(f"{spec!r}: port {port} is out of range (1-65535)")
        try:
            return Client(text, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise RevimputeError(
                f"cannot reach a Dask scheduler at {text} within {timeout:g} s ({exc}); "
                "check the address and that `dask scheduler` is running there"
            ) from None
    raise RevimputeError(
        f"{spec!r} is not a Dask cluster: use local:N (N worker processes on this "
        "machine) or tcp://HOST:PORT (a running Dask scheduler)"
    )


def _active_client() -> Client | None:
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:
        return None


def _probe_value(dtype: Any, code: Any) -> Any:
    """A valid observed value for a column: from the fitted encoder when there is one."""
    if code is not None and not code.empty:
        kind = code.kind.value
        if kind == "boolean":
            return False
        if kind == "categorical":
            return code.categories[0]
        if kind == "datetime":
            stamp = pd.Timestamp(code.low, unit="s")
            return stamp.tz_localize("UTC").tz_convert(code.timezone) if code.timezone else stamp
        if kind in ("numeric", "integer"):
            return 0
        return None  # identifiers are left alone
    if pd.api.types.is_bool_dtype(dtype):
        return False
    if pd.api.types.is_numeric_dtype(dtype):
        return 0
    return "0"


def _probe_frame(meta: pd.DataFrame, imputer: Any = None) -> pd.DataFrame:
    """One fully observed row with the dtypes of ``meta`` (zeros, False, a known category)."""
    encoder = getattr(imputer, "encoder_", None)
    data = {}
    for j, dtype in enumerate(meta.dtypes):
        code = encoder.codes_[j] if encoder is not None and j < len(encoder.codes_) else None
        value = _probe_value(dtype, code)
        try:
            data[j] = pd.Series([value], dtype=dtype)
        except (TypeError, ValueError):  # e.g. a number for a column read as text
            data[j] = pd.Series([str(value)], dtype=dtype)
    probe = pd.DataFrame(data)
    probe.columns = meta.columns
    return probe


def _output_meta(meta: pd.DataFrame, imputer: Any) -> pd.DataFrame:
    """The empty frame ``imputer.transform`` gives for partitions like ``meta``.

    Found by imputing one fully observed row (nothing to fill, so it is quick),
    so column names and dtypes (indicator columns too) are exactly those of
    the real partitions.
    """
    out = transform_chunk(imputer, _probe_frame(meta, imputer)).iloc[:0]
    out.index = meta.index[:0]
    return out


def _impute_partition(part: pd.DataFrame, imputer: Any, meta: pd.DataFrame) -> pd.DataFrame:
    if len(part) == 0:
        empty = meta.copy()
        empty.index = part.index
        return empty
    return transform_chunk(imputer, part)


def impute_dask(ddf: dd.DataFrame, imputer: Any, *, client: Client | None = None) -> dd.DataFrame:
    """Impute a Dask DataFrame partition by partition with a fitted imputer.

    The imputer is shipped to the workers once: scattered to every worker
    (``broadcast=True``) when a distributed client is active (``client`` or
    the default one), else put in the graph as one ``dask.delayed`` node.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        Columns as the imputer was fitted on.
    imputer : estimator
        A fitted revimpute imputer (or scikit-learn transformer).
    client : distributed.Client, optional
        Defaults to the active client, if any.

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy; same index and partitions as ``ddf``, the imputer's output
        columns and dtypes.

    Raises
    ------
    RevimputeError
        If the imputer is not fitted or Dask is not installed.

    Notes
    -----
    With a :class:`~revimpute.ReverseImputer` the result equals
    ``imputer.transform(ddf.compute())`` bitwise for any partitioning, on
    condition that torch gives the same bits in every process. Dask's nanny
    starts workers with ``OMP_NUM_THREADS=1``; a process whose torch uses 3 or
    more intra-op threads can differ in the last bits (elementwise kernels
    split tensors between threads at offsets that depend on the tensor size).
    """
    _require_dask()
    if not _is_fitted(imputer):
        raise RevimputeError(
            "impute_dask needs a fitted imputer: fit it first (for a big table, on "
            "revimpute.scale.reservoir_sample(...)), or use impute_file_dask, which fits it"
        )
    worker_imputer = quiet_copy(imputer)
    meta = _output_meta(ddf._meta, worker_imputer)
    shipped = _ship(worker_imputer, client if client is not None else _active_client())
    return ddf.map_partitions(_impute_partition, shipped, meta, meta=meta)


def _ship(imputer: Any, client: Client | None) -> Any:
    """The imputer as the workers get it: scattered to each once, or one graph node."""
    import dask

    if client is not None:
        return client.scatter(imputer, broadcast=True, hash=False)
    return dask.delayed(imputer, traverse=False)


def _typed_partition(part: pd.DataFrame, plan: TablePlan, read_dtypes: dict[Any, Any],
                     keep: list[Any] | None) -> pd.DataFrame:
    """One partition as read, cleaned and typed by ``plan`` (``keep``: the columns kept)."""
    if read_dtypes:
        part = part.astype({label: dt for label, dt in read_dtypes.items() if part[label].dtype != dt})
    typed = plan.typed(part)
    return typed if keep is None else typed[keep]


def _impute_keeping_text(text: pd.DataFrame, imputer: Any, plan: TablePlan, keep: list[Any] | None,
                         meta: pd.DataFrame, writers: dict[int, Any]) -> pd.DataFrame:
    """One partition of a CSV file imputed, with the written text of every cell it did not fill."""
    part = _typed_partition(text, plan, {}, keep)
    text = text if keep is None else text[keep]
    out = _impute_partition(part, imputer, meta)
    if len(part) == 0:
        return out.astype(object)
    return keep_written_text(out, part, text, writers)


def impute_text_dask(text: dd.DataFrame, imputer: Any, plan: TablePlan, *, keep: list[Any] | None = None,
                     writers: dict[int, Any] | None = None, client: Client | None = None) -> dd.DataFrame:
    """Impute a CSV file read as text, partition by partition, keeping the text of observed cells.

    Each partition is cleaned and typed by ``plan`` in the worker, imputed,
    and written back as text: every cell not imputed as it was written
    (:func:`revimpute.io.keep_written_text`).
    """
    worker_imputer = quiet_copy(imputer)
    typed_meta = _typed_partition(text._meta, plan, {}, keep)
    meta = _output_meta(typed_meta, worker_imputer)
    shipped = _ship(worker_imputer, client if client is not None else _active_client())
    return text.map_partitions(_impute_keeping_text, shipped, plan, keep, meta, writers or {},
                               meta=meta.astype(object))


def _read_dask(schema: TableSchema, blocksize: int | str, keep: list[Any] | None) -> dd.DataFrame:
    """The file as a Dask DataFrame, every partition cleaned and typed as :func:`iter_table_chunks` does."""
    raw = _read_dask_raw(schema, blocksize)
    meta = _typed_partition(raw._meta, schema.plan, schema.read_dtypes, keep)
    return raw.map_partitions(_typed_partition, schema.plan, schema.read_dtypes, keep, meta=meta)


def _read_dask_raw(schema: TableSchema, blocksize: int | str) -> dd.DataFrame:
    """The file's partitions as read: a CSV file's cells as written, a Parquet file as stored.

    Dask's own conversion of text columns to ``string[pyarrow]`` is switched
    off, so partitions hold what the streaming chunks hold.
    """
    import dask
    import dask.dataframe as dd

    path = str(schema.path)
    with dask.config.set({"dataframe.convert-string": False}):
        if schema.format == "parquet":
            return dd.read_parquet(path, blocksize=blocksize)
        whole = is_gzip(path) or schema.dialect.encoding.startswith("utf-16")
        return dd.read_csv(path, blocksize=None if whole else blocksize, **csv_options(schema.dialect))


def _ordered_results(client: Client, parts: Iterable[Any], window: int) -> Iterator[pd.DataFrame]:
    """Compute partitions on the cluster, at most ``window`` at a time, in order."""
    todo = iter(parts)
    pending: collections.deque = collections.deque()
    try:
        for part in todo:
            pending.append(client.compute(part))
            if len(pending) >= window:
                break
        while pending:
            future = pending.popleft()
            frame = future.result()
            future.release()
            following = next(todo, None)
            if following is not None:
                pending.append(client.compute(following))
            yield frame
    finally:
        if pending:
            client.cancel(list(pending))


def impute_file_dask(
    in_path: str | os.PathLike,
    out_path: str | os.PathLike,
    imputer: Any,
    client: Client | None = None,
    *,
    blocksize: int | str = "16MiB",
    chunk_rows: int = 100_000,
    fit_sample_rows: int = 200_000,
    random_state: Any = 0,
    max_pending: int | None = None,
    progress: bool = True,
    escape_formulas: bool = False,
    detect: str = "auto",
    tokens: Iterable[str] = (),
    never: Iterable[str] = (),
    sample_rows: int | None = None,
    encoding: str | None = None,
    sep: str | None = None,
    drop_empty_columns: bool = False,
    on_plan: Callable[[TableSchema], None] | None = None,
) -> StreamReport:
    """Impute a CSV/TSV or Parquet file on a Dask cluster into one output file.

    The file is cleaned and typed as :func:`~revimpute.scale.streaming.impute_file`
    does (findings and column types decided first, by passes over the file in
    this process); the workers read the file (``dask.dataframe.read_csv`` of
    every cell as text, or ``read_parquet``), clean, type and impute its
    partitions; this process gathers the imputed partitions in file order, at
    most ``max_pending`` in flight, and appends them to a temporary file beside
    ``out_path`` that is renamed into place only when complete. So the output
    is one ordinary file (not a folder of parts), memory stays bounded on both
    sides, a failure leaves no partial output, and the file is the same as
    :func:`~revimpute.scale.streaming.impute_file` writes.

    Parameters
    ----------
    in_path : str or path-like
        ``.csv``, ``.tsv``, ``.csv.gz`` or ``.parquet``; the workers must see
        this path (same machine or shared storage).
    out_path : str or path-like
        Output table, written by this process; extension chooses the format.
    imputer : estimator
        Fitted here first (whole file or a reservoir sample of
        ``fit_sample_rows`` rows) if it is not fitted.
    client : distributed.Client, optional
        Defaults to the active client (see :func:`connect`).
    blocksize : int or str, default="16MiB"
        Bytes of input per partition (a ``.csv.gz`` file is one partition).
    chunk_rows : int, default=100_000
        Rows per chunk of the local passes (column types, fit sample).
    fit_sample_rows : int, default=200_000
    random_state : int, RandomState, Generator or None, default=0
        Seed of the fit sample.
    max_pending : int, optional
        Partitions computed ahead of the writer; default twice the cluster's
        worker threads.
    progress : bool, default=True
    escape_formulas, detect, tokens, never, sample_rows, encoding, sep, drop_empty_columns, on_plan
        As for :func:`~revimpute.scale.streaming.impute_file`.

    Returns
    -------
    StreamReport
        ``chunks`` counts partitions.

    Raises
    ------
    RevimputeError
        No client, Dask missing, bad parameters; :class:`InputDataError` for
        unreadable input or values the imputer rejects.
    """
    _require_dask()
    begin = time.perf_counter()
    chunk_rows = check_positive("chunk_rows", chunk_rows)
    fit_sample_rows = check_positive("fit_sample_rows", fit_sample_rows)
    client = client if client is not None else _active_client()
    if client is None:
        raise RevimputeError(
            "impute_file_dask needs a Dask client: pass revimpute.scale.connect('local:N') "
            "or connect('tcp://HOST:PORT')"
        )
    table_format(out_path)
    options = plan_options(detect, tokens, never, sample_rows or fit_sample_rows, random_state, encoding, sep)
    schema, sample = file_schema(in_path, chunk_rows, progress, options)
    if on_plan is not None:
        on_plan(schema)
    dropped = schema.plan.columns_to_drop(drop_empty_columns, not _is_fitted(imputer))
    keep = [label for label in schema.columns if label not in set(dropped)] if dropped else None
    fitted_on, fit_rows, fit_seconds = ensure_fitted(
        imputer, schema, chunk_rows=chunk_rows, fit_sample_rows=fit_sample_rows,
        random_state=random_state, progress=progress,
        sample=sample if options.sample_rows == fit_sample_rows else None, keep=keep,
    )
    del sample
    csv_out = table_format(out_path) == "csv"
    output = OutputText(keep=False, escape=escape_formulas)
    if schema.format == "csv" and csv_out:
        writers = schema.plan.value_writers(keep or schema.columns)
        result = impute_text_dask(_read_dask_raw(schema, blocksize), imputer, schema.plan, keep=keep,
                                  writers=writers, client=client)
    else:
        result = impute_dask(_read_dask(schema, blocksize, keep), imputer, client=client)
    if max_pending is None:
        max_pending = 2 * max(1, sum(client.nthreads().values()))
    max_pending = check_positive("max_pending", max_pending)

    def frames() -> Iterator[pd.DataFrame]:
        output.counts.clear()
        for frame in _ordered_results(client, result.to_delayed(), max_pending):
            yield output.apply(frame, frame, None) if csv_out else frame

    rows, chunks = write_chunks(
        out_path, frames, progress=progress, description=f"imputing {Path(in_path).name} on Dask",
        total_rows=schema.n_rows, sep=output_separator(out_path, schema.dialect),
    )
    return StreamReport.of_run(begin=begin, rows=rows, chunks=chunks, fit=(fitted_on, fit_rows, fit_seconds),
                               output=output, schema=schema, dropped=dropped)


def disconnect(client: Client, timeout: float = 30.0) -> None:
    """Close ``client`` and, for a local cluster it started, stop its workers quietly.

    Workers get ``timeout`` seconds to exit; Dask's own shutdown notices
    (a nanny "still alive ... killing" a worker that has not yet exited) are
    not shown, errors are.
    """
    import logging

    loggers = [logging.getLogger(name) for name in ("distributed", "distributed.nanny", "distributed.worker",
                                                    "distributed.scheduler", "distributed.core")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        cluster = getattr(client, "cluster", None)
        client.close(timeout=timeout)
        if cluster is not None:
            cluster.close(timeout=timeout)
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)
