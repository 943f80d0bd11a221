"""JSON documents from a file read as lines, in bounded memory: one a line (JSON lines, or
server-sent events' `data:` lines, their other fields and comments passed over), one
document over all of them, or a top-level list an element at a time (a list of streamed
chunks)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator

from tempgen.errors import TempgenError
from tempgen.io.jsonsplit import split

BOM = b"\xef\xbb\xbf"
# server-sent events' lines other than data (RFC: a comment starts with a colon)
SSE_FIELDS = (b":", b"event:", b"id:", b"retry:")
DOCUMENT_LIMIT = 256 << 20  # one JSON document, line or list element is read whole
SPLIT_LINE = 8 << 20  # a document on one line longer than this is split (with `whole`)


def lines_of(blocks: Iterable[bytes], label: str) -> Iterator[bytes]:
    """The lines of a file given as blocks (each at most DOCUMENT_LIMIT), a UTF-8 byte order
    mark at its start left out."""
    parts: list[bytes] = []
    size = 0
    for i, block in enumerate(blocks):
        if i == 0 and block.startswith(BOM):
            block = block[len(BOM):]
        if b"\0" in block:  # (JSON text has none: a binary file, or a device of zeros)
            raise TempgenError(f"{label}: binary data, not JSON")
        start = 0
        while (end := block.find(b"\n", start)) >= 0:
            parts.append(block[start:end])
            yield b"".join(parts)
            parts, size, start = [], 0, end + 1
        parts.append(block[start:])
        size += len(block) - start
        if size > DOCUMENT_LIMIT:
            raise TempgenError(f"{label}: a line of more than {DOCUMENT_LIMIT >> 20} MB")
    if size:
        yield b"".join(parts)


def documents(lines: Iterable[bytes], label: str, whole=None) -> Iterator[object]:
    """The JSON documents of a file given as lines: one a line (JSON lines, or server-sent
    events' `data:` lines), or one document over all of them; a top-level list (of streamed
    chunks) is read an element at a time. With `whole(path, first_key)` (see io/jsonsplit.py)
    one document over several lines, or on one line of more than SPLIT_LINE bytes, comes as
    small documents, in bounded memory."""
    lines = iter(lines)
    seen = 0
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if text.startswith(b"data:"):
            text = text[5:].strip()
            if text == b"[DONE]":
                continue
        elif text.startswith(SSE_FIELDS):  # (an event's name, id or a comment: no JSON)
            continue
        if not text:
            continue
        seen += 1
        if seen == 1 and text.startswith(b"["):  # a list (of chunks): element by element
            yield from _elements(itertools.chain([line], lines), label)
            return
        if seen == 1 and whole is not None and len(text) > SPLIT_LINE:
            yield from split(itertools.chain([line], lines), label, whole)
            return
        try:
            yield json.loads(text)
            continue
        except RecursionError:
            raise TempgenError(f"{label}: line {number}: nested too deeply") from None
        except ValueError:
            if seen > 1:
                raise TempgenError(f"{label}: line {number}: not JSON") from None
        rest = itertools.chain([line], lines)  # (one over several lines)
        if whole is not None:
            yield from split(rest, label, whole)
        else:
            yield _whole(rest, label)
        return


def _whole(lines: Iterator[bytes], label: str) -> object:
    head, size = [], 0
    for line in lines:
        head.append(line)
        size += len(line)
        if size > DOCUMENT_LIMIT:
            raise TempgenError(f"{label}: a JSON document of more than "
                               f"{DOCUMENT_LIMIT >> 20} MB")
    try:
        return json.loads(b"\n".join(head))
    except RecursionError:
        raise TempgenError(f"{label}: nested too deeply") from None
    except ValueError as exc:
        raise TempgenError(f"{label}: not JSON ({exc})") from None


def _elements(lines: Iterator[bytes], label: str) -> Iterator[object]:
    """The elements of a JSON list over many lines, each parsed once it is whole (a parse
    that fails waits for the buffer to double, so a long element costs no square)."""
    decoder = json.JSONDecoder()
    buf, at, opened, waited = "", 0, False, 0
    pending: list[str] = []  # lines not yet joined to buf
    size = 0
    for line in itertools.chain(lines, [None]):
        if line is not None:
            try:
                pending.append(line.decode("utf-8") + "\n")
            except UnicodeDecodeError:
                raise TempgenError(f"{label}: not UTF-8 JSON") from None
            size += len(pending[-1])
            if size > DOCUMENT_LIMIT:
                raise TempgenError(f"{label}: a list element of more than "
                                   f"{DOCUMENT_LIMIT >> 20} MB")
            if size < 2 * waited:
                continue
        buf, at = buf[at:] + "".join(pending), 0
        pending, size = [], len(buf)
        while True:
            while at < len(buf) and buf[at] in " \t\r\n,":  # (between elements)
                if buf[at] == "," and not opened:
                    break
                at += 1
            if at == len(buf):
                break
            if not opened:
                if buf[at] != "[":
                    raise TempgenError(f"{label}: not JSON")
                opened, at = True, at + 1
                continue
            if buf[at] == "]":
                if buf[at + 1:].strip() or (line is not None and any(
                        piece.strip() for piece in lines)):
                    raise TempgenError(f"{label}: not JSON (text after the list)")
                return
            try:
                doc, end = decoder.raw_decode(buf, at)
            except RecursionError:
                raise TempgenError(f"{label}: nested too deeply") from None
            except ValueError as exc:
                if line is None:
                    raise TempgenError(f"{label}: not JSON ({exc})") from None
                waited = size = len(buf) - at
                break
            waited, at = 0, end
            size = len(buf) - at
            yield doc
    raise TempgenError(f"{label}: not JSON (a list without its end)")
