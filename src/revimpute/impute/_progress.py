"""Progress bars for long work (rich), silent unless asked for."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

console = Console(stderr=True)


@contextlib.contextmanager
def progress_bar(
    enabled: bool, description: str, total: int, unit: str = ""
) -> Iterator[Callable[..., None]]:
    """Yield ``tick(advance, status="")``; draws a rich bar on stderr when enabled."""
    if not enabled:
        yield lambda advance=1, status="": None
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task(description, total=total, status="")

        def tick(advance: int = 1, status: str = "") -> None:
            progress.update(task, advance=advance, status=status)

        yield tick
