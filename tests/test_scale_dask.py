"""Dask execution: impute_dask on a local process cluster is bitwise the
single-process transform for any partitioning; impute_file_dask writes the
same file as impute_file; connect() parses specs and fails clearly."""

from __future__ import annotations

import os
import socket
import time

import numpy as np
import pandas as pd
import pytest
import torch

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from revimpute import ReverseImputer  # noqa: E402
from revimpute.exceptions import InputDataError, RevimputeError  # noqa: E402
from revimpute.clean import read_clean  # noqa: E402
from revimpute.io import keep_written_text, read_table, write_table  # noqa: E402
from revimpute.scale import distributed as rdist  # noqa: E402
from revimpute.scale import impute_file  # noqa: E402
from revimpute.scale.distributed import connect, impute_dask, impute_file_dask  # noqa: E402


def assert_written(path, expected: pd.DataFrame) -> None:
    """``path`` holds exactly ``expected``: Parquet as a bitwise-equal frame, CSV byte for
    byte as pandas writes the whole frame (before pandas 3.1, read_csv does not parse
    every float back exactly, so CSV outputs are not compared by re-reading them)."""
    if str(path).endswith(".parquet"):
        pd.testing.assert_frame_equal(read_table(path), expected, check_exact=True)
    else:
        assert path.read_bytes() == expected.to_csv(index=False).encode()


def in_memory(path, detect: str = "auto") -> pd.DataFrame:
    """The table as the in-memory path reads it (CSV: typed from its text)."""
    return read_clean(path, detect).frame


def make_table(n: int = 700, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "count": rng.integers(0, 30, n),
        "gappy_int": rng.integers(0, 9, n).astype(float),
        "a": rng.normal(size=n),
        "b": rng.normal(size=n),
    })
    frame["b"] += 0.5 * frame["a"]
    frame.loc[rng.random(n) < 0.25, "a"] = np.nan
    frame.loc[rng.random(n) < 0.2, "b"] = np.nan
    frame.loc[rng.random(n) < 0.1, "gappy_int"] = np.nan
    return frame


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return make_table()


@pytest.fixture(scope="module")
def fitted(table) -> ReverseImputer:
    return ReverseImputer(hidden_sizes=(32,), latent_size=4, max_epochs=5, reverse_steps=10).fit(table)


@pytest.fixture(scope="module")
def client():
    """A LocalCluster of 2 worker processes (1 thread each) on 127.0.0.1.

    Starting it and warming its workers takes seconds: every test that uses it is marked slow.
    """
    client = connect("local:2")
    try:
        yield client
    finally:
        cluster = client.cluster
        client.close()
        assert cluster.status.name == "closed"  # the client owns and stops its cluster


@pytest.mark.slow
def test_local_cluster_is_two_single_thread_processes_on_loopback(client):
    workers = client.scheduler_info()["workers"]
    assert len(workers) == 2
    assert all(address.startswith("tcp://127.0.0.1:") for address in workers)
    assert set(client.nthreads().values()) == {1}
    pids = client.run(lambda: __import__("os").getpid())
    assert len(set(pids.values())) == 2 and os.getpid() not in pids.values()
    # the nanny starts workers with OMP_NUM_THREADS=1: torch runs one thread there
    assert set(client.run(lambda: __import__("torch").get_num_threads()).values()) == {1}
    # ... but not with dask's MALLOC_TRIM_THRESHOLD_=65536, which slows torch 2.5-4x
    parent = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    worker_values = client.run(lambda: __import__("os").environ.get("MALLOC_TRIM_THRESHOLD_"))
    assert set(worker_values.values()) == {parent}


@pytest.mark.slow
@pytest.mark.parametrize("npartitions", [1, 3, 7])
def test_impute_dask_is_bitwise_single_process(client, table, fitted, npartitions):
    # reference in this process with 2 torch threads; the workers run 1 thread
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        expected = fitted.transform(table)
    finally:
        torch.set_num_threads(previous)
    ddf = dd.from_pandas(table, npartitions=npartitions)
    assert ddf.npartitions == npartitions
    result = impute_dask(ddf, fitted)
    assert result.npartitions == npartitions
    pd.testing.assert_frame_equal(result._meta, expected.iloc[:0])
    computed = result.compute()
    pd.testing.assert_frame_equal(computed, expected, check_exact=True)
    assert not computed.isna().any().any()


@pytest.mark.slow
def test_impute_dask_shuffled_partitions_and_empty_partition(client, table, fitted):
    shuffled = table.sample(frac=1.0, random_state=3)
    ddf = dd.from_pandas(shuffled.reset_index(drop=True), npartitions=4)
    filtered = ddf[ddf.index.to_series() >= 400]  # the first partitions become empty
    assert (filtered.map_partitions(len).compute() == 0).sum() >= 2
    computed = impute_dask(filtered, fitted).compute()
    expected = fitted.transform(shuffled.reset_index(drop=True).iloc[400:])
    pd.testing.assert_frame_equal(computed, expected, check_exact=True)


def test_impute_dask_without_distributed_client_uses_delayed(monkeypatch, table, fitted):
    monkeypatch.setattr(rdist, "_active_client", lambda: None)
    result = impute_dask(dd.from_pandas(table, npartitions=3), fitted)
    computed = result.compute(scheduler="sync")
    pd.testing.assert_frame_equal(computed, fitted.transform(table), check_exact=True)


@pytest.mark.slow
def test_impute_dask_keeps_indicator_columns(client, table):
    imputer = ReverseImputer(hidden_sizes=(16,), latent_size=3, max_epochs=3, reverse_steps=5,
                             add_indicator=True).fit(table)
    computed = impute_dask(dd.from_pandas(table, npartitions=3), imputer).compute()
    pd.testing.assert_frame_equal(computed, imputer.transform(table), check_exact=True)
    assert computed.columns[-1].startswith("missingindicator_")


@pytest.mark.slow
def test_impute_dask_needs_a_fitted_imputer(client, table):
    with pytest.raises(RevimputeError, match="fitted imputer"):
        impute_dask(dd.from_pandas(table, npartitions=2), ReverseImputer())


@pytest.mark.slow
@pytest.mark.parametrize("suffix_in", [".csv", ".parquet"])
def test_impute_file_dask_writes_what_impute_file_writes(client, tmp_path, table, fitted, suffix_in):
    source = tmp_path / f"in{suffix_in}"
    if suffix_in == ".csv":
        table.astype({"gappy_int": "Int64"}).to_csv(source, index=False)
    else:
        table.to_parquet(source, row_group_size=100)
    for suffix_out in (".csv", ".parquet"):
        by_dask = tmp_path / f"dask{suffix_out}"
        streamed = tmp_path / f"stream{suffix_out}"
        report = impute_file_dask(source, by_dask, fitted, client, blocksize=8_000, progress=False)
        assert report.rows == len(table) and report.fitted_on == "already fitted"
        if suffix_in == ".csv":
            assert report.chunks >= 3  # really split into partitions
        impute_file(source, streamed, fitted, chunk_rows=128, progress=False)
        if suffix_out == ".csv":
            assert by_dask.read_bytes() == streamed.read_bytes()
        else:
            pd.testing.assert_frame_equal(read_table(by_dask), read_table(streamed),
                                          check_exact=True)
        assert_written(by_dask, fitted.transform(in_memory(source)))
    # CSV: the int column with gaps is Int64 (written "3"), as in memory; Parquet: float64
    gappy = pd.Int64Dtype() if suffix_in == ".csv" else np.dtype(np.float64)
    assert in_memory(source)["gappy_int"].dtype == gappy


@pytest.mark.slow
def test_impute_file_dask_types_columns_as_in_memory(client, tmp_path, table):
    # Int64 (whole numbers with gaps), boolean (True/False text with blanks) and datetime
    # (ISO dates) columns: 4 columns, as above
    n = len(table)
    frame = pd.DataFrame({
        "gappy_int": table["gappy_int"].astype("Int64"),
        "flag": np.where(table["count"].to_numpy() % 2 == 0, " true", "FALSE "),
        "day": (pd.Timestamp("2020-01-01") + pd.to_timedelta(table["count"], unit="D")).dt.strftime("%Y-%m-%d"),
        "a": table["a"],
    })
    frame.loc[np.arange(n) % 9 == 4, "flag"] = None
    frame.loc[np.arange(n) % 11 == 6, "day"] = None
    source = tmp_path / "typed.csv"
    frame.to_csv(source, index=False)
    whole = in_memory(source)
    assert list(whole.dtypes.astype(str)) == ["Int64", "boolean", "datetime64[us]", "float64"]
    imputer = ReverseImputer(hidden_sizes=(16,), latent_size=3, max_epochs=3,
                             reverse_steps=5).fit(whole)
    impute_file_dask(source, tmp_path / "dask.csv", imputer, client, blocksize=8_000,
                     progress=False)
    impute_file(source, tmp_path / "stream.csv", imputer, chunk_rows=100, progress=False)
    # a CSV output keeps the text of every cell that was not imputed (" true", "FALSE ")
    written = keep_written_text(imputer.transform(whole), whole, read_table(source, as_text=True))
    write_table(written, tmp_path / "whole.csv")
    assert (tmp_path / "dask.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert (tmp_path / "stream.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert not read_table(tmp_path / "dask.csv", as_text=True)["gappy_int"].str.contains(".", regex=False).any()
    flags = read_table(tmp_path / "dask.csv", as_text=True)["flag"]
    assert set(flags) == {" true", "FALSE ", "True", "False"}


@pytest.mark.slow
def test_impute_file_dask_booleans_with_gaps_match_streaming(client, tmp_path, table):
    # 4 columns, like the other tables here: 5 would give the network a 10-wide first
    # layer, whose input-gradient GEMM is not row-position invariant in MKL (core issue)
    frame = table.drop(columns="b")
    frame["flag"] = pd.Series(np.arange(len(frame)) % 3 == 0, dtype=object)
    frame.loc[600:620, "flag"] = None  # gaps only late: early partitions see pure booleans
    source = tmp_path / "flags.csv"
    frame.to_csv(source, index=False)
    whole = in_memory(source)
    assert whole["flag"].dtype == pd.BooleanDtype()  # True/False text with gaps
    imputer = ReverseImputer(hidden_sizes=(16,), latent_size=3, max_epochs=3,
                             reverse_steps=5).fit(whole)
    impute_file_dask(source, tmp_path / "dask.csv", imputer, client, blocksize=8_000,
                     progress=False)
    impute_file(source, tmp_path / "stream.csv", imputer, chunk_rows=100, progress=False)
    assert (tmp_path / "dask.csv").read_bytes() == (tmp_path / "stream.csv").read_bytes()
    written = keep_written_text(imputer.transform(whole), whole, read_table(source, as_text=True))
    assert (tmp_path / "dask.csv").read_bytes() == written.to_csv(index=False).encode()


@pytest.mark.slow
def test_impute_file_dask_fits_an_unfitted_imputer(client, tmp_path, table):
    source = tmp_path / "in.csv"
    table.to_csv(source, index=False)
    imputer = ReverseImputer(hidden_sizes=(16,), latent_size=3, max_epochs=3, reverse_steps=5)
    report = impute_file_dask(source, tmp_path / "out.csv", imputer, client,
                              fit_sample_rows=300, blocksize=10_000, progress=False)
    assert report.fitted_on == "sample of 300 rows" and report.fit_rows == 300
    assert_written(tmp_path / "out.csv", imputer.transform(in_memory(source)))


@pytest.mark.slow
def test_impute_file_dask_failure_leaves_no_output(client, tmp_path, table, fitted):
    frame = table.astype({"a": object})
    frame.loc[650, "a"] = "n/a?"
    source = tmp_path / "bad.csv"
    frame.to_csv(source, index=False)
    target = tmp_path / "out.parquet"
    target.write_bytes(b"keep me")
    with pytest.raises(InputDataError, match=r"'a'.*'n/a\?'"):
        impute_file_dask(source, target, fitted, client, blocksize=6_000, progress=False)
    assert target.read_bytes() == b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "out.parquet"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    "spec",
    ["local", "local:0", "local:two", "local:-1", "tcp://127.0.0.1", "tcp://:8786",
     "tcp://127.0.0.1:99999", "http://127.0.0.1:8786", "", "127.0.0.1:8786"],
)
def test_connect_rejects_malformed_specs(spec):
    with pytest.raises(RevimputeError, match=r"local:N|port|at least 1 worker"):
        connect(spec)


def test_connect_fails_fast_when_no_scheduler_listens():
    begin = time.perf_counter()
    with pytest.raises(RevimputeError, match="cannot reach a Dask scheduler"):
        connect(f"tcp://127.0.0.1:{_free_port()}", timeout=1.0)
    assert time.perf_counter() - begin < 15


@pytest.mark.slow
def test_connect_to_a_running_scheduler_by_address(client):
    second = connect(client.scheduler.address, timeout=5.0)
    try:
        assert second.scheduler_info()["id"] == client.scheduler_info()["id"]
    finally:
        second.close()
