"""Shards: the counts of consecutive pieces of a corpus, joined into the corpus's windows.

A shard keeps the windows of its positions past its first order - 1 tokens (its body: they
read no token before the shard), its first order - 1 token ids (head), the last order - 1
values of its stream (tail: ids, and the BOS marks a per-line stream puts after newlines)
and its last id. Joining shards in corpus order completes the windows of each head from the
stream before it, so the joined windows are those of the concatenated corpus, whatever the
shards' sizes (a shard is cut between tokens). Each shard has its own vocabulary, sorted as
a tokenizer's; joining maps every one onto their union, which keeps each sorted order, so
windows stay sorted.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tempgen.errors import TempgenError
from tempgen.io.countfile import check_rows
from tempgen.lm import windows as win
from tempgen.lm.arrays import compact
from tempgen.lm.counting import with_bos

MAX_COUNT = 1 << 48  # a window's count in a count file, at most: more than any corpus holds
BLOCK = 1 << 18  # windows a shard gives the merge at a time, at most
BYTES_PER_PENDING = 160  # what a window waiting in the merge takes, with its share of work


@dataclass
class Shard:
    """One piece of a corpus, counted: `columns[j]` is digit j of its body windows, in its
    own vocabulary (sorted, distinct), `counts` how often each occurs; `tokens` its ids;
    `label` names it in errors (a file's rows are checked as they are read)."""

    vocab: list[str]
    order: int
    per_line: bool
    tokens: int
    columns: list[np.ndarray]
    counts: np.ndarray
    head: np.ndarray
    tail: np.ndarray
    last: int
    label: str = ""


def shard_windows(ids: np.ndarray, vocab: list[str], order: int, per_line: bool
                  ) -> tuple[win.Windows, np.ndarray, np.ndarray, int]:
    """A piece of corpus given as ids in `vocab`, counted as a shard: its body's windows,
    its head, its tail and its last id."""
    ids = np.asarray(ids, dtype=np.int64)
    bos = len(vocab)
    boundary = vocab.index("\n") if per_line and "\n" in vocab else None
    x = with_bos(ids, bos, boundary) if len(ids) else np.zeros(0, dtype=np.int64)
    h = min(order - 1, len(ids))
    start = 1 + h  # past the head's last id (and the BOS marks after its newlines)
    if boundary is not None and h > 1:
        start += int(np.count_nonzero(ids[: h - 1] == boundary))
    tail = x[max(len(x) - (order - 1), 1):].copy() if order > 1 else ids[:0].copy()
    return (win.count(x, order, bos, start), ids[:h].copy(), tail,
            int(ids[-1]) if len(ids) else -1)


def count_shard(ids: np.ndarray, vocab: list[str], order: int, per_line: bool) -> Shard:
    """The shard of a piece of corpus given as ids in `vocab`."""
    w, head, tail, last = shard_windows(ids, vocab, order, per_line)
    return Shard(list(vocab), order, per_line, len(ids),
                 [compact(w.digit(j)) for j in range(order)], compact(w.counts), head, tail,
                 last)


def union(vocabs: Sequence[list[str]]) -> list[str]:
    """The vocabulary of the shards together: every token, sorted as a tokenizer sorts."""
    return sorted(set().union(*vocabs))


def join(shards: Sequence[Shard], vocab: list[str], whole: bool = True,
         memory: int | None = None, folder: Path | None = None
         ) -> tuple[win.Windows, np.ndarray]:
    """The windows of the corpus whose pieces, in order, are `shards`, in `vocab` (their
    union): every body's windows, and each head's completed by the stream before it; and
    the last order - 1 values of the joined stream. `whole=False`: the joined pieces are
    one shard, whose own head is left out (its body windows only). The merge holds blocks
    of the shards' windows within `memory` bytes (None: BLOCK a shard), and gathers its
    result in `folder` when given."""
    shards = [s for s in shards if s.tokens]
    block = BLOCK if memory is None else min(
        BLOCK, max(1024, memory // (BYTES_PER_PENDING * max(1, len(shards)))))
    order, bos = shards[0].order, len(vocab)
    base = bos + 2
    index = {t: i for i, t in enumerate(vocab)}
    boundary = index.get("\n") if shards[0].per_line else None
    runs, junctions = [], []
    prev, last, seen = np.zeros(0, dtype=np.int64), -1, 0
    skip = 0 if whole else order - 1  # ids whose windows (and BOS marks) stay out
    for n, shard in enumerate(shards):
        ids_of = np.array([index[t] for t in shard.vocab] + [bos], dtype=np.int64)
        runs.append(_blocks(shard, np.concatenate([[0], ids_of + 1]), order, base, block))
        head = ids_of[shard.head]
        seq, keep = [], []
        if n == 0 or (boundary is not None and last == boundary):
            seq.append(bos)
            keep.append(seen >= skip)
        for i, t in enumerate(head):  # (a BOS follows a newline with more ids after it)
            seq.append(t)
            keep.append(seen + i >= skip)
            if boundary is not None and t == boundary and i < len(head) - 1:
                seq.append(bos)
                keep.append(seen + i + 1 >= skip)
        y = np.concatenate([prev, np.array(seq, dtype=np.int64)])
        junctions.append(win.window_digits(y, order, bos, len(prev))[np.array(keep, bool)])
        prev = ids_of[shard.tail] if shard.tokens > len(shard.head) else y
        prev = prev[max(0, len(prev) - (order - 1)):] if order > 1 else prev[:0]
        last, seen = int(ids_of[shard.last]), seen + shard.tokens
    j = win.distinct(order, base, win.encode(np.concatenate(junctions), order, base))
    runs.append(iter([(j.keys, j.counts)]))
    return merge_runs(runs, order, base, folder), prev


def _blocks(shard: Shard, digit_map: np.ndarray, order: int, base: int, block: int
            ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """A shard's body windows in the joined vocabulary, as sorted keys, `block` at a time
    (each row checked: a file's windows must be windows, distinct and in order)."""
    last = None
    v = len(shard.vocab)
    used = np.zeros(v + 2, dtype=bool)  # tokens its windows count (digit 0: id + 1)
    for lo in range(0, len(shard.counts), block):
        columns = [c[lo:lo + block] for c in shard.columns]  # (views: a file's stays mapped)
        raw = shard.counts[lo:lo + block]
        if shard.label:
            check_rows(columns, v, shard.label)
            if not raw.all():
                raise TempgenError(f"{shard.label}: a window counted 0 times")
            if int(raw.max()) > MAX_COUNT:  # (so that no sum of counts can overflow)
                raise TempgenError(f"{shard.label}: a window counted {int(raw.max()):,} "
                                   f"times, more than any corpus holds (2^48)")
            used[columns[0]] = True
        counts = np.asarray(raw, dtype=np.int64)
        keys = win.encode_columns([digit_map[c] for c in columns], order, base)
        if shard.label and (np.any(keys[1:] <= keys[:-1])
                            or (last is not None and keys[0] <= last)):
            raise TempgenError(f"{shard.label}: windows out of order or repeated")
        last = keys[-1]
        yield keys, counts
    if shard.label:  # every token of its vocabulary occurs: in a window, or in its head
        used[np.asarray(shard.head, dtype=np.int64) + 1] = True
        if not used[1:v + 1].all():
            missing = shard.vocab[int(np.argmin(used[1:v + 1]))]
            raise TempgenError(f"{shard.label}: its vocabulary lists {missing!r}, which it "
                               f"never counts")


def merge_runs(runs: list[Iterator[tuple[np.ndarray, np.ndarray]]], order: int, base: int,
               folder: Path | None = None) -> win.Windows:
    """One sorted list of distinct windows from runs of them, each sorted and distinct and
    given a block at a time: equal windows' counts add up. Memory: two blocks a run, and
    the result (gathered in files in `folder`, when given, so that it is never held twice)."""
    runs = [(b for b in r if len(b[0])) for r in runs]  # (no empty blocks)
    pending = [next(r, None) for r in runs]
    ahead = [next(r, None) for r in runs]
    out = _Sink(folder)
    while any(p is not None for p in pending):
        live = [i for i, p in enumerate(pending) if p is not None]
        # Up to the smallest last key of a run with more to come: no later block holds one.
        more = [pending[i][0][-1] for i in live if ahead[i] is not None]
        bound = min(more) if more else None
        taken_k, taken_c = [], []
        for i in live:
            k, c = pending[i]
            cut = len(k) if bound is None else int(np.searchsorted(k, bound, "right"))
            taken_k.append(k[:cut])
            taken_c.append(c[:cut])
            if cut < len(k):
                pending[i] = (k[cut:], c[cut:])
            else:
                pending[i], ahead[i] = ahead[i], next(runs[i], None)
        keys = np.concatenate(taken_k)
        counts = np.concatenate(taken_c)
        by = np.argsort(keys, kind="stable")
        keys, counts = keys[by], counts[by]
        first = win.starts(keys)
        if len(first):
            out.add(keys[first], np.add.reduceat(counts, first))
    empty = win.encode(np.zeros((0, order), dtype=np.int64), order, base)
    return win.Windows(order, base, *out.result(empty))


class _Sink:
    """The merge's output, a block at a time: in lists, or in two files of `folder`."""

    def __init__(self, folder: Path | None):
        self.keys, self.counts, self.files = [], [], None
        if folder is not None:
            self.files = [open(folder / name, "wb")  # noqa: SIM115 (open until result)
                          for name in ("merged.keys", "merged.n")]

    def add(self, keys: np.ndarray, counts: np.ndarray) -> None:
        if self.files is None:
            self.keys.append(keys)
            self.counts.append(counts)
        else:
            keys.tofile(self.files[0])
            counts.astype(np.int64).tofile(self.files[1])
            self.keys.append(keys[:0])  # (the dtype)

    def result(self, empty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not self.keys:
            return empty, np.zeros(0, dtype=np.int64)
        if self.files is None:
            return np.concatenate(self.keys), np.concatenate(self.counts)
        for f in self.files:
            f.close()
        keys = np.fromfile(self.files[0].name, dtype=self.keys[0].dtype)
        return keys, np.fromfile(self.files[1].name, dtype=np.int64)
