"""A sample's text as its tokens arrive: spacing, stop strings, and what is final."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from itertools import accumulate


def unescape(stop: str) -> str:
    r"""Stop strings as typed on a command line: \n, \t and \\ mean newline, tab, backslash."""
    out, i = [], 0
    while i < len(stop):
        if stop[i] == "\\" and i + 1 < len(stop) and stop[i + 1] in "nt\\":
            out.append({"n": "\n", "t": "\t", "\\": "\\"}[stop[i + 1]])
            i += 2
        else:
            out.append(stop[i])
            i += 1
    return "".join(out)


class TextStream:
    """One sample's text as its tokens arrive.

    A stop string ends the sample and is not part of its text. Text that could still turn
    into a stop string is held back, so what `feed_all` returns is final: (piece, info) pairs,
    a token's piece cut short where a stop string begins. Only the held-back end of the
    text is kept for searching, so a long sample costs the same per token as a short one.
    With pieces=False the final text comes as one piece per call, with info None (for
    output that needs no token's info: cheaper by far).
    """

    def __init__(self, joiner, stops: Sequence[str] = (), pieces: bool = True):
        self.add = joiner
        self.stops = [s for s in stops if s]
        self.hold = max((len(s) for s in self.stops), default=1) - 1
        self.pieces = pieces
        self.done = False
        self._before: list[str] = []  # the text before position _base, in pieces
        self._base = 0
        self._tail = ""  # the text from position _base on
        self._pending: list[list] = []  # [start, end, info] not yet returned
        self._sent = 0  # pieces=False: the text before this position is returned

    @property
    def text(self) -> str:
        """The text so far, held-back text included."""
        return "".join(self._before) + self._tail

    def feed_all(self, tokens: Sequence[str], infos: Sequence | None = None
                 ) -> tuple[list[tuple[str, object]], int]:
        """Feed tokens in order, as feeding them one by one would: (the pieces now final, how many
        tokens were fed before one ended the text with a stop string)."""
        if self.done or not tokens:
            return [], 0
        if infos is None and self.pieces:
            infos = [None] * len(tokens)
        base, start = self._base, self._base + len(self._tail)
        # in order: the spacing depends on the last
        pieces = tokens if self.add is str else [self.add(t) for t in tokens]
        ends = list(accumulate(map(len, pieces), initial=start))
        self._tail += "".join(pieces)
        fed = len(tokens)
        # A stop string is found by the first token whose text reaches the stop's end (the
        # held-back text covers its start); that token ends the text where the earliest
        # stop string found by then begins.
        found = [i + len(s) for s in self.stops
                 if (i := self._tail.find(s, max(0, start - self.hold) - base)) >= 0]
        if found:
            fed = bisect_left(ends, min(found) + base, 1) - 1
            lo, hi = max(0, ends[fed] - self.hold) - base, ends[fed + 1] - base
            cut = base + min(i for s in self.stops if (i := self._tail.find(s, lo, hi)) >= 0)
            self.done = True
            self._tail = self._tail[:cut - base]
            if not self.pieces:
                return self._release_text(), fed
            self._pending += [[ends[k], ends[k + 1], infos[k]] for k in range(fed + 1)]
            # what one-by-one feeding released before that token stays; the rest is cut
            early = bisect_left([b for _, b, _ in self._pending], ends[fed] - self.hold + 1)
            self._pending[early:] = [[a, min(b, cut), info]
                                     for a, b, info in self._pending[early:] if a < cut]
        elif not self.pieces:
            return self._release_text(), fed
        else:
            self._pending += [[ends[k], ends[k + 1], infos[k]] for k in range(fed)]
        return self._release(), fed

    def forget(self) -> None:
        """Let go of the text already returned (`text` then starts after it): a stream that
        only passes its pieces on holds nothing, however long."""
        self._before = []

    def close(self) -> list[tuple[str, object]]:
        """Whatever was held back, once no more tokens come."""
        self.hold = 0
        return self._release() if self.pieces else self._release_text()

    def _release_text(self) -> list[tuple[str, object]]:
        """pieces=False: the text no stop string can change now, as one piece; then forget
        the text a later search does not need."""
        end = self._base + len(self._tail)
        safe = max(self._sent, end if self.done else end - self.hold)
        base = self._base
        out = [(self._tail[self._sent - base:safe - base], None)] if safe > self._sent else []
        self._sent = safe
        keep = min(safe, max(base, end - self.hold))
        self._before.append(self._tail[:keep - base])
        self._tail, self._base = self._tail[keep - base:], keep
        return out

    def _release(self) -> list[tuple[str, object]]:
        """The pending pieces that no stop string can change now; then forget the text that
        neither a pending piece nor a later search needs."""
        end = self._base + len(self._tail)
        safe = end if self.done else end - self.hold
        k = 0
        while k < len(self._pending) and self._pending[k][1] <= safe:
            k += 1
        ready, self._pending = self._pending[:k], self._pending[k:]
        base = self._base
        out = [(self._tail[a - base:b - base], info) for a, b, info in ready]
        keep = min(self._pending[0][0] if self._pending else end, max(base, end - self.hold))
        self._before.append(self._tail[:keep - base])
        self._tail, self._base = self._tail[keep - base:], keep
        return out
