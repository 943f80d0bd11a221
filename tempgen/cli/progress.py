"""A progress display on stderr, shown only when stderr is a terminal."""

from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def status(message: str):
    """A spinner with a message on stderr while a long step runs (terminals only)."""
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:
        yield
        return
    with console.status(message):
        yield


@contextmanager
def reading_bar(total: int | None, label: str):
    """A bar of bytes read out of `total` (None: not known beforehand), with the time left,
    on stderr (terminals only). Yields update(done, label=None)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    with Progress(TextColumn("{task.description:<22}"), BarColumn(), DownloadColumn(),
                  TimeElapsedColumn(), TimeRemainingColumn(), console=console,
                  transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task(label, total=total)

        def update(done: int, label: str | None = None) -> None:
            bar.update(task, completed=done, **({"description": label} if label else {}))

        yield update


@contextmanager
def parts_bar(total: int, label: str):
    """A bar of parts done out of `total`, on stderr (terminals only). Yields
    update(done, label=None)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(stderr=True)
    with Progress(TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True,
                  disable=not console.is_terminal) as bar:
        task = bar.add_task(label, total=total)

        def update(done: int, label: str | None = None) -> None:
            bar.update(task, completed=done, **({"description": label} if label else {}))

        yield update
