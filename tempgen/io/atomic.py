"""Writing files atomically: the target is either untouched or complete.

A file is written to a temporary file in the target's folder and renamed over it. A symbolic
link stays a link: the file it points to is the one replaced. A replaced file keeps its
permissions; a new one gets those `open` would give it. Only regular files are written: a
device, a FIFO or a folder at the target is refused, never replaced.
"""

from __future__ import annotations

import os
import signal
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

from tempgen.errors import TempgenError

HELD = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}  # the signals a run stops at


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` (see the module doc); every failure is one TempgenError naming
    the path, and leaves nothing behind (Ctrl-C and SIGTERM included)."""
    with atomic_file(path, binary=True) as f:
        f.write(data)


@contextmanager
def atomic_file(path: str | os.PathLike, binary: bool = False):
    """A file (UTF-8 text, or bytes) to write a streamed output into; it takes the place of
    `path` (see the module doc) when the block ends without an exception, and is removed
    when it ends with one."""
    target = _target(path)
    tmp = None
    try:
        # (a signal's exception may not land between the file's creation and its name's
        # being known here: then nothing could remove it)
        held = signal.pthread_sigmask(signal.SIG_BLOCK, HELD)
        try:
            fd, tmp = tempfile.mkstemp(prefix=".tempgen-", suffix=".tmp", dir=target.parent)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        os.fchmod(fd, _mode(target))
        with (os.fdopen(fd, "wb") if binary else
              os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="")) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise TempgenError(f"{path}: cannot write ({exc.strerror or exc})") from None
        raise


def check_not_input(output: str | os.PathLike, inputs) -> None:
    """Refuse to write `output` over one of the command's `inputs` (paths; "-" and names
    that are not files are passed over)."""
    try:
        target = _target(output)
    except TempgenError:
        return  # atomic_write will say what is wrong with it
    for source in inputs:
        if not source or source == "-":
            continue
        same = Path(os.path.realpath(source)) == target or (
            target.exists() and os.path.exists(source) and os.path.samefile(source, target))
        if same:
            raise TempgenError(f"{output}: is also an input or output of this command ({source}); "
                               "write the output elsewhere")


def _target(path: str | os.PathLike) -> Path:
    """The file to replace: `path`, or the file a symbolic link at `path` points to."""
    if not str(path):
        raise TempgenError("an empty output file name")
    target = Path(os.path.realpath(path))
    try:
        st = os.stat(target)
    except FileNotFoundError:
        if not target.parent.is_dir():
            raise TempgenError(f"{path}: folder {Path(path).parent} does not exist") from None
        return target
    except OSError as exc:
        raise TempgenError(f"{path}: cannot write ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise TempgenError(f"{path}: is a directory; give a file name")
    if not stat.S_ISREG(st.st_mode):
        raise TempgenError(f"{path}: not a regular file (tempgen never replaces a device, "
                           "FIFO or socket)")
    return target


def _mode(target: Path) -> int:
    """The permissions of the file being replaced, or those of a new file."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
