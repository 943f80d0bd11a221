"""The one writer of standard output, and the signals a run ends on.

Every byte for stdout goes through `Stdout`, which turns a failed write into one exception:
the reader went away (a closed pipe: tempgen stops quietly, exit 0), or the output cannot be
written (a full disk, a closed stdout: a one-line error, exit 1). Characters the output's
encoding cannot hold are written as backslash escapes. JSON is strict (views/strict.py).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys


class OutputGone(Exception):
    """The reader of stdout went away (EPIPE)."""


class OutputFailed(Exception):
    """stdout cannot be written; the message says why."""


class Terminated(BaseException):
    """A SIGTERM or SIGHUP arrived: the run stops as for Ctrl-C (files being written are
    removed), exit 128 + the signal's number."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class Stdout:
    """stdout with its write errors turned into OutputGone / OutputFailed."""

    def __init__(self, stream):
        self.stream = stream
        if stream is not None and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")

    def _call(self, name, *args):
        stop_if_signalled()
        if self.stream is None:
            raise OutputFailed("stdout is closed")
        try:
            return getattr(self.stream, name)(*args)
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise OutputGone from None
            raise OutputFailed(f"cannot write to stdout ({exc.strerror or exc})") from None

    def write(self, text: str) -> int:
        return self._call("write", text)

    def flush(self) -> None:
        if self.stream is not None:
            self._call("flush")

    def isatty(self) -> bool:
        return self.stream is not None and self.stream.isatty()

    def __getattr__(self, name):  # encoding, fileno, ...: the stream's own
        if self.stream is None:
            raise AttributeError(name)
        return getattr(self.stream, name)


def install() -> None:
    """Guard stdout and make SIGTERM and SIGHUP end the run as Ctrl-C does."""
    if not isinstance(sys.stdout, Stdout):
        sys.stdout = Stdout(sys.stdout)
    signal.signal(signal.SIGINT, on_interrupt)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_terminate)


# The signal that ended the run, once one arrived. A signal's exception is raised wherever
# the interpreter happens to be, which may be where it can only be reported and is lost (a
# finaliser, a callback); the next write raises it again, so a run that writes always stops.
_signalled: int | None = None


def on_interrupt(signum, frame):
    global _signalled
    _signalled = signum
    raise KeyboardInterrupt


def on_terminate(signum, frame):
    global _signalled
    _signalled = signum
    raise Terminated(signum)


def forget_signal() -> None:
    """The run is ending: a signal that arrived is not to be raised again."""
    global _signalled
    _signalled = None


def stop_if_signalled() -> None:
    """Raise again the exception of a signal that arrived, if one did."""
    if _signalled == signal.SIGINT:
        raise KeyboardInterrupt
    if _signalled is not None:
        raise Terminated(_signalled)


@contextlib.contextmanager
def destination(path: str | None):
    """Where a command's output goes: stdout, or the file `path`, written atomically (it
    appears complete, or not at all)."""
    if path is None:
        yield sys.stdout
        return
    from tempgen.io.atomic import atomic_file

    with atomic_file(path) as f:
        yield f


def silence() -> None:
    """After a failed or abandoned output: send what is left to /dev/null, so the
    interpreter's last flush at exit has nothing to complain about (nor a signal to raise
    again: the run is ending)."""
    forget_signal()
    stream = getattr(sys.stdout, "stream", sys.stdout)
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, AttributeError, ValueError):
        pass


def emit(text: str = "", file=None) -> None:
    """One line of output (to stdout, or `file`)."""
    (file or sys.stdout).write(text + "\n")


def json_line(obj, file=None) -> None:
    """One strict JSON document on a line (no NaN or Infinity: see `strict`)."""
    from tempgen.views.strict import dumps

    emit(dumps(obj), file)


def streamed_json_line(head: dict, chunks, varies: bool, file=None) -> None:
    """One strict JSON line of a sample too long to hold, the same bytes as json_line of
    `head` and the whole sample (Sample.to_dict): "text" and its per-token fields as
    `chunks` give them (generate/samples.py, sample_chunks), each spooled to a temporary
    file meanwhile, then written in order; with `varies`, the temperatures and Mirostat's
    bounds (when any is a number) after "stopped"."""
    from tempgen.generate.samples import FIELDS
    from tempgen.io.spool import TextSpool
    from tempgen.views.strict import dumps, strict

    spools = {name: TextSpool() for name in ("text", *FIELDS)}
    seen = dict.fromkeys(FIELDS, False)  # (an item written: a comma before the next)
    has_mu, stopped = False, False
    try:
        for chunk in chunks:
            spools["text"].write(dumps(chunk["text"])[1:-1])
            for name in FIELDS:
                if chunk[name]:
                    spools[name].write((", " if seen[name] else "") +
                                       dumps(strict(chunk[name]))[1:-1])
                    seen[name] = True
            has_mu = has_mu or any(m == m for m in chunk["mirostat_mu"])
            stopped = chunk.get("stopped", stopped)
        out = file or sys.stdout
        out.write(dumps(head)[:-1] + (", " if head else "") + '"text": "')
        out.writelines(spools["text"].pieces())
        out.write('"')
        late = [n for n in FIELDS[4:] if varies and (n != "mirostat_mu" or has_mu)]
        for name in [*FIELDS[:4], "stopped", *late]:
            if name == "stopped":
                out.write(f', "stopped": {"true" if stopped else "false"}')
                continue
            out.write(f', "{name}": [')
            out.writelines(spools[name].pieces())
            out.write("]")
        out.write("}\n")
    finally:
        for spool in spools.values():
            spool.close()
