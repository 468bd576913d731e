"""Progress bars for streaming work: rows with rate and ETA, or bytes while scanning."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.text import Text

console = Console(stderr=True)


class _RowRateColumn(ProgressColumn):
    """Rows per second, from rich's own moving estimate of the speed."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if speed is None and task.elapsed and task.completed:  # one chunk: no moving estimate yet
            speed = task.completed / task.elapsed
        return Text("? rows/s" if speed is None else f"{speed:,.0f} rows/s")


@contextlib.contextmanager
def rows_progress(
    enabled: bool, description: str, total: int | None
) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n_rows)``; draw a rows bar (count, rows/s, ETA) on stderr if enabled.

    ``total=None`` gives an indeterminate bar.
    """
    if not enabled:
        yield lambda n_rows: None
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        _RowRateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n_rows: progress.update(task, advance=n_rows)


@contextlib.contextmanager
def bytes_progress(
    enabled: bool, description: str, total: int | None
) -> Iterator[Callable[[int], None]]:
    """Yield ``update(bytes_done)`` (absolute position); draw a bytes bar if enabled.

    The bar is drawn on a terminal only, and is transient: it is gone once the
    file is read (or fails to read, so that an error stays the only line).
    """
    if not enabled or not console.is_terminal:
        yield lambda done: None
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=total)
        yield lambda done: progress.update(task, completed=done)
