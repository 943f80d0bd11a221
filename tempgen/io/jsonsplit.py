"""One large JSON document read as a stream of small ones, in bounded memory.

The document is walked from its start: a value of at most WINDOW characters is decoded
whole; a larger object or array is entered and its members walked in turn, unless the
caller's `whole(path, first_key)` says it must be read whole (its parts only make sense
together). Each value decoded is given back as a small document of its own that keeps the
path to it: {"a": [{"b": value}]} for the value at a.0.b. The deepest array on a path
becomes a one-element list (so that a long list of entries comes out one entry at a time);
an index on the way to it is kept as first or not: [value] for index 0, [null, value] for
any other (the readers take the first of such lists; a copy of every index's nulls would
make a long list before the entries cost its square).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator

from tempgen.errors import TempgenError

WINDOW = 1 << 20  # characters: a value up to this long is decoded whole
FIRST_TRY = 4096  # characters: the window a value is tried in first
LIMIT = 256 << 20  # a value read whole (a string, or what `whole` asks for) at most


class _Text:
    """The document's text, read from its lines as needed; what is passed is let go."""

    def __init__(self, lines: Iterable[bytes], label: str):
        self.lines, self.label = iter(lines), label
        self.buf, self.at = "", 0
        self.decoder = json.JSONDecoder()

    def fill(self, want: int) -> bool:
        """At least `want` characters past `at`, or all there are; False when fewer. (It
        reads twice what is wanted, so that what is left is copied once a window.)"""
        have = len(self.buf) - self.at
        if have >= want:
            return True
        raw = []
        while have < 2 * want:  # (counted in bytes: at least as many as characters)
            line = next(self.lines, None)
            if line is None:
                break
            raw.append(line)
            have += len(line) + 1
        if raw:
            try:
                text = b"\n".join(raw).decode("utf-8") + "\n"
            except UnicodeDecodeError:
                raise TempgenError(f"{self.label}: not UTF-8 JSON") from None
            self.buf, self.at = self.buf[self.at:] + text, 0
        return len(self.buf) - self.at >= want

    def peek(self) -> str:
        """The next character that is not white space ("" at the end), `at` moved to it."""
        while True:
            while self.at < len(self.buf) and self.buf[self.at] in " \t\r\n":
                self.at += 1
            if self.at < len(self.buf) or not self.fill(1):
                return self.buf[self.at:self.at + 1]

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise TempgenError(f"{self.label}: not JSON ({char!r} expected)")
        self.at += 1

    def small(self):
        """The value at `at` if it ends within WINDOW characters (then passed), else a
        sentinel; nothing is decoded past the window (tried first in a short one: most
        values are short)."""
        self.peek()
        self.fill(WINDOW)
        for size in sorted({min(FIRST_TRY, WINDOW), WINDOW}):
            try:
                value, end = self.decoder.raw_decode(self.buf[self.at:self.at + size])
            except ValueError:
                continue
            except RecursionError:
                raise TempgenError(f"{self.label}: nested too deeply") from None
            self.at += end
            return value
        return _LARGE

    def whole(self):
        """The value at `at`, however long (up to LIMIT), passed."""
        self.peek()
        want = WINDOW
        while True:
            more = self.fill(want)
            try:
                value, end = self.decoder.raw_decode(self.buf, self.at)
            except RecursionError:
                raise TempgenError(f"{self.label}: nested too deeply") from None
            except ValueError as exc:
                if not more:
                    raise TempgenError(f"{self.label}: not JSON ({exc})") from None
                if want > LIMIT:
                    raise TempgenError(f"{self.label}: a JSON value of more than "
                                       f"{LIMIT >> 20} MB") from None
                want *= 2
                continue
            self.at = end
            return value


_LARGE = object()


def split(lines: Iterable[bytes], label: str,
          whole: Callable[[list, str | None], bool]) -> Iterator[object]:
    """The small documents of the one JSON document over `lines` (see the module doc)."""
    text = _Text(lines, label)
    yield from (_wrap(path, value) for path, value in _walk(text, [], whole))
    if text.peek():
        raise TempgenError(f"{label}: not JSON (text after the document)")


def _walk(text: _Text, path: list, whole) -> Iterator[tuple[list, object]]:
    head = text.peek()
    if head not in ("{", "["):
        yield path, text.whole()
        return
    value = text.small()
    if value is not _LARGE:
        yield path, value
        return
    if whole(path, _first_key(text) if head == "{" else None):
        yield path, text.whole()
        return
    text.at += 1
    close, index = "}" if head == "{" else "]", 0
    while text.peek() != close:
        if index:
            text.expect(",")
        if head == "{":
            key = text.whole()
            if not isinstance(key, str):
                raise TempgenError(f"{text.label}: not JSON (a key expected)")
            text.expect(":")
            yield from _walk(text, [*path, key], whole)
        else:
            yield from _walk(text, [*path, index], whole)
        index += 1
    text.at += 1


def _first_key(text: _Text) -> str | None:
    """The first key of the object at `at`, from the window `small` filled (nothing is
    passed)."""
    rest = text.buf[text.at + 1:text.at + WINDOW].lstrip(" \t\r\n")
    try:
        key = text.decoder.raw_decode(rest)[0] if rest.startswith('"') else None
    except ValueError:
        return None
    return key if isinstance(key, str) else None


def _wrap(path: list, value: object) -> object:
    deepest = max((i for i, p in enumerate(path) if isinstance(p, int)), default=None)
    for i in reversed(range(len(path))):
        p = path[i]
        value = {p: value} if isinstance(p, str) else [value] if i == deepest or p == 0 \
            else [None, value]
    return value
