"""Counting a corpus's parts as tasks of a Dask cluster (the optional extra tempgen[dask]):
one task per part, each writing its count file (lm/parts.py) into a folder the workers and
the merging machine share. Dask schedules and retries; a part that still fails stops the
run with a one-line error naming it, and leaves no partial count file (count files are
written atomically).

A worker needs tempgen installed, the part's path readable and the output folder writable
under the same names as on the machine that submits.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from tempgen.errors import TempgenError
from tempgen.lm.parts import PartCounts, check_options, count_part

INSTALL = "pip install 'tempgen[dask]'"
RETRIES = 2  # times Dask runs a failed task again before the run stops
CONNECT_TIMEOUT = "10s"


def outputs_for(parts: Sequence[str], folder: str) -> list[str]:
    """Each part's count file in `folder`: its file name + ".counts" (absolute paths, as
    workers elsewhere read them); a TempgenError when two parts share a name."""
    seen: dict[str, str] = {}
    out = []
    for part in parts:
        if part == "-":
            raise TempgenError("a Dask task cannot read stdin: give the parts as files")
        name = Path(part).name + ".counts"
        if name in seen:
            raise TempgenError(f"{seen[name]} and {part} would both be counted into {name}; "
                               "give parts distinct file names")
        seen[name] = part
        out.append(os.path.abspath(os.path.join(folder, name)))
    return out


def count_task(part: str, output: str, options: dict) -> PartCounts:
    """One part, counted on a worker (a module-level function, so Dask sends it by name)."""
    return count_part(part, output, **options)


def _client(address: str, workers: int):
    """A Dask client of the scheduler at `address`, or of a cluster of `workers` processes
    on this machine when `address` is "local"; the cluster to close with it, or None."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise TempgenError(f"--scheduler needs Dask's distributed package: {INSTALL}"
                           ) from None
    if address == "local":
        import logging

        # (its workers' logs would reach the user's terminal: a failed part is reported
        # once, by the error that stops the run)
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.CRITICAL)
        return Client(cluster), cluster
    try:
        return Client(address, timeout=CONNECT_TIMEOUT), None
    except (OSError, TimeoutError, ValueError) as exc:
        raise TempgenError(f"cannot reach the Dask scheduler at {address} "
                           f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
                           ) from None


def _failure(part: str, exc: BaseException) -> TempgenError:
    if isinstance(exc, TempgenError):
        return TempgenError(str(exc))
    name = type(exc).__name__
    if name == "KilledWorker":
        return TempgenError(f"{part}: the workers counting it died (out of memory? give "
                            "workers more memory, count with a smaller --memory, or cut "
                            "smaller parts)")
    first = str(exc).splitlines()[0] if str(exc) else ""
    return TempgenError(f"{part}: {name}{': ' + first if first else ''}")


def count_on_dask(address: str, parts: Sequence[str], folder: str, *, level: str = "char",
                  order: int | None = None, per_line: bool = False,
                  memory: int | None = None, temp_dir: str | None = None,
                  encoding: str = "utf-8", errors: str = "strict", workers: int = 2,
                  retries: int = RETRIES,
                  on_start: Callable[[str | None], None] | None = None,
                  on_done: Callable[[int, int, PartCounts], None] | None = None
                  ) -> list[PartCounts]:
    """Count every part as a task of the Dask scheduler at `address` ("local": a cluster of
    `workers` processes here), each into `folder`/<part's name>.counts; in the parts' order.
    on_start(the dashboard's address or None) once connected; on_done(done, total, counts)
    as each part is counted."""
    order = check_options(level, order)
    if not parts:
        raise TempgenError("no parts to count")
    outputs = outputs_for(parts, folder)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise TempgenError(f"{folder}: cannot make the output folder "
                           f"({exc.strerror or exc})") from None
    options = {"level": level, "order": order, "per_line": per_line, "memory": memory,
               "temp_dir": temp_dir, "encoding": encoding, "errors": errors}
    client, cluster = _client(address, workers)
    try:
        from distributed import as_completed

        if on_start:
            on_start(getattr(client, "dashboard_link", None) if cluster is None else None)
        futures = [client.submit(count_task, os.path.abspath(p), out, options,
                                 key=f"tempgen-count-{i}-{Path(p).name}", retries=retries,
                                 pure=False)
                   for i, (p, out) in enumerate(zip(parts, outputs, strict=True))]
        part_of = {f.key: p for f, p in zip(futures, parts, strict=True)}
        results: dict[str, PartCounts] = {}
        for future in as_completed(futures):
            if future.status != "finished":
                exc = future.exception()
                client.cancel(futures)
                raise _failure(part_of[future.key], exc)
            results[future.key] = future.result()
            if on_done:
                on_done(len(results), len(parts), results[future.key])
        return [results[f.key] for f in futures]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
