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
    from rich.progress import DownloadColumn, TimeRemainingColumn

    with _bar(total, label, DownloadColumn(), TimeRemainingColumn()) as update:
        yield update


@contextmanager
def parts_bar(total: int, label: str):
    """A bar of parts done out of `total`, on stderr (terminals only). Yields
    update(done, label=None)."""
    from rich.progress import MofNCompleteColumn

    with _bar(total, label, MofNCompleteColumn()) as update:
        yield update


@contextmanager
def _bar(total: int | None, label: str, *columns):
    """A labelled bar with `columns` (the first after the bar) and the time elapsed."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    first, rest = columns[0], columns[1:]
    with Progress(TextColumn("{task.description:<22}"), BarColumn(), first,
                  TimeElapsedColumn(), *rest, console=console, transient=True,
                  disable=not console.is_terminal) as bar:
        task = bar.add_task(label, total=total)

        def update(done: int, label: str | None = None) -> None:
            bar.update(task, completed=done, **({"description": label} if label else {}))

        yield update
