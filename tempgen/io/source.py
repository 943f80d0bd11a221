"""The one way tempgen reads an input (a file, a device, a FIFO, or stdin as "-"): every
failure is one TempgenError naming it, and nothing is read past a stated bound."""

from __future__ import annotations

import os
import stat
import sys
import zlib
from collections.abc import Callable, Iterator

from tempgen.errors import TempgenError

CHUNK = 1 << 20


def size_text(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB" if n >= 1e6 \
        else f"{n:,} bytes"


def _open(source: str, on_wait: Callable[[str], None] | None):
    """(a binary file, its label, its size when a regular file, else None)."""
    if source == "-":
        if sys.stdin is None or sys.stdin.closed:
            raise TempgenError("stdin (-) is closed: give a file, or pipe the text in")
        return sys.stdin.buffer, "<stdin>", None
    if not source:
        raise TempgenError("an empty file name")
    try:
        st = os.stat(source)
        if stat.S_ISDIR(st.st_mode):
            raise TempgenError(f"{source}: is a directory, not a file")
        if stat.S_ISFIFO(st.st_mode) and on_wait is not None:
            on_wait(source)  # opening blocks until something writes to it
        f = open(source, "rb")  # noqa: SIM115 (closed by the callers' with)
    except FileNotFoundError:
        raise TempgenError(f"{source}: no such file") from None
    except PermissionError:
        raise TempgenError(f"{source}: permission denied") from None
    except OSError as exc:
        raise TempgenError(f"{source}: cannot read ({exc.strerror or exc})") from None
    return f, source, st.st_size if stat.S_ISREG(st.st_mode) else None


def _blocks(f, label: str) -> Iterator[bytes]:
    """The bytes of an open file as blocks of up to CHUNK; closes it (not stdin) at the end."""
    try:
        while True:
            try:
                block = f.read(CHUNK)
            except OSError as exc:
                raise TempgenError(f"{label}: cannot read ({exc.strerror or exc})") from None
            if not block:
                return
            yield block
    finally:
        if f is not getattr(sys.stdin, "buffer", None):
            f.close()


def regular_file(path: str, what: str) -> None:
    """Refuse anything but a regular file at `path` (a FIFO or a device cannot be read in
    place, or more than once), without opening it: opening a FIFO waits for a writer."""
    if path == "-":
        raise TempgenError(f"-: stdin cannot be read as {what}; give a file")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise TempgenError(f"{path}: no such file") from None
    except OSError as exc:
        raise TempgenError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise TempgenError(f"{path}: is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise TempgenError(f"{path}: not a regular file ({what} is read in place: save it "
                           "to a file first)")


def open_file(path: str):
    """The file at `path` (not stdin), open for reading bytes; every failure one
    TempgenError naming it."""
    if path == "-":
        raise TempgenError("-: stdin cannot be read here; give a file")
    return _open(path, None)[0]


def chunks(source: str, on_wait: Callable[[str], None] | None = None
           ) -> tuple[str, Iterator[bytes]]:
    """(the label of `source`, its bytes as blocks), for reading as a stream."""
    label, _, blocks = sized_chunks(source, on_wait)
    return label, blocks


def sized_chunks(source: str, on_wait: Callable[[str], None] | None = None
                 ) -> tuple[str, int | None, Iterator[bytes]]:
    """(the label of `source`, its size in bytes when it is a regular file, its bytes as
    blocks)."""
    f, label, size = _open(source, on_wait)
    return label, size, _blocks(f, label)


def read_bytes(source: str, limit: int, purpose: str,
               on_wait: Callable[[str], None] | None = None,
               first: Callable[[bytes, str], None] | None = None) -> tuple[bytes, str]:
    """(all bytes of `source`, its label). More than `limit` bytes is an error that says
    `purpose` takes no more; `first(block, label)` may refuse the input from its first block
    (a device of zeros is not read to its end)."""
    f, label, size = _open(source, on_wait)
    if size is not None:  # a regular file: checked from its head, then read in one piece
        with f:
            if size > limit:
                raise TempgenError(f"{label}: {size_text(size)}, more than {purpose} can take "
                                   f"({size_text(limit)})")
            try:
                if first is not None:
                    first(os.pread(f.fileno(), CHUNK, 0), label)
                data = f.read(size + 1)
            except OSError as exc:
                raise TempgenError(f"{label}: cannot read ({exc.strerror or exc})") from None
        if len(data) > limit:  # (it grew meanwhile)
            raise TempgenError(f"{label}: more than {size_text(limit)}, the most {purpose} "
                               "can take")
        return data, label
    parts, total = [], 0
    for block in _blocks(f, label):
        if not parts and first is not None:
            first(block, label)
        total += len(block)
        if total > limit:
            raise TempgenError(f"{label}: more than {size_text(limit)}, the most {purpose} "
                               "can take")
        parts.append(block)
    return b"".join(parts), label


def gunzip(data: bytes, limit: int, label: str, purpose: str) -> bytes:
    """The inflated bytes of gzip data, refusing more than `limit` (a gzip bomb is not
    inflated past it)."""
    inflater = zlib.decompressobj(wbits=47)  # gzip or zlib header, detected
    parts, total = [], 0
    try:
        rest = data
        while rest:
            part = inflater.decompress(rest, CHUNK)
            rest = inflater.unconsumed_tail
            total += len(part)
            if total > limit:
                raise TempgenError(f"{label}: inflates to more than {size_text(limit)}, the "
                                   f"most {purpose} can take")
            parts.append(part)
            if inflater.eof:
                break
        if not inflater.eof:
            raise TempgenError(f"{label}: damaged gzip data (it ends early)")
    except zlib.error as exc:
        raise TempgenError(f"{label}: damaged gzip data ({exc})") from None
    return b"".join(parts)
