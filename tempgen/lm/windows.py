"""Windows: what counting keeps of a corpus. A position's window is its token and the
order - 1 tokens before it, read backwards and cut after a begin symbol (BOS); a corpus's
windows, distinct and counted, hold everything modified Kneser-Ney needs.

A window is `order` digits: digit 0 is the position's token + 1, digit j the token j steps
back + 1, and 0 once the history has ended (the BOS itself is the last digit it reaches).
Windows sort by digit 0, then digit 1, and so on, so the n-grams of order m are runs of
windows sharing their first m digits. Counts of windows add up: the windows of a corpus are
the sum of its parts' (`merge`).

Keys: the digits packed into one int64 (digit 0 highest) when they fit in 63 bits, else
big-endian bytes (whole bytes a digit) compared as byte strings; both sort as the digits do.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

PACKED_BITS = 63  # keys of at most this many bits are packed in one int64


class Windows:
    """Distinct windows (`keys`, sorted) and how often each occurs (`counts`, int64), of
    `order` digits in `base` values each (vocab size + 2: 0, the tokens, the BOS)."""

    def __init__(self, order: int, base: int, keys: np.ndarray, counts: np.ndarray):
        self.order, self.base = order, base
        self.keys, self.counts = keys, counts
        self.bits = int(base - 1).bit_length()
        self.packed = self.bits * order <= PACKED_BITS
        self.width = (self.bits + 7) // 8  # bytes a digit (byte keys)

    def __len__(self) -> int:
        return len(self.keys)

    def _bytes(self, at) -> np.ndarray:
        keys = self.keys if at is None else self.keys[at]
        return keys.view(np.uint8).reshape(len(keys), -1)

    def _slice(self, lo: int, hi: int, at) -> np.ndarray:
        """Digits lo..hi-1 of the windows `at` (None: all) as keys of hi - lo digits."""
        if self.packed:
            keys = self.keys if at is None else self.keys[at]
            shifted = keys >> (self.bits * (self.order - hi))
            return shifted & ((1 << (self.bits * (hi - lo))) - 1) if lo else shifted
        part = np.ascontiguousarray(self._bytes(at)[:, lo * self.width:hi * self.width])
        return part.view(f"S{(hi - lo) * self.width}").ravel()

    def prefix(self, m: int, at=None) -> np.ndarray:
        """The first m digits (the n-gram of order m) of the windows `at` (None: all) as
        keys; sorted when they are."""
        return self._slice(0, m, at)

    def history(self, m: int, at=None) -> np.ndarray:
        """Digits 1..m (the m tokens before the token) of the windows `at` as keys of m
        digits: the prefix of order m of the window one position earlier."""
        return self._slice(1, m + 1, at)

    def digit(self, j: int, at=None) -> np.ndarray:
        """Digit j of the windows `at` (None: all), int64."""
        if self.packed:
            return self._slice(j, j + 1, at)
        out = np.zeros(len(self.keys) if at is None else len(at), dtype=np.int64)
        for b in self._bytes(at)[:, j * self.width:(j + 1) * self.width].T:
            out <<= 8
            out |= b
        return out

    def digits(self) -> np.ndarray:
        """All digits, (len, order) int64."""
        return np.stack([self.digit(j) for j in range(self.order)], axis=1)


def encode(digits: np.ndarray, order: int, base: int) -> np.ndarray:
    """Keys of windows given as digits (n, order)."""
    bits = int(base - 1).bit_length()
    if bits * order <= PACKED_BITS:
        key = np.zeros(len(digits), dtype=np.int64)
        for j in range(order):
            key <<= bits
            key |= digits[:, j]
        return key
    width = (bits + 7) // 8
    out = np.empty((len(digits), order * width), dtype=np.uint8)
    for j in range(order):
        for b in range(width):
            out[:, j * width + b] = digits[:, j] >> (8 * (width - 1 - b))
    return out.view(f"S{order * width}").ravel()


def window_digits(x: np.ndarray, order: int, bos: int, start: int = 0) -> np.ndarray:
    """The digits (n - start, order) of the windows of positions start.. of the stream x
    (token ids with BOS marks): each history cut after the BOS before it."""
    x = np.asarray(x, dtype=np.int64)
    n = len(x)
    depth = _depth(x, bos)
    out = np.zeros((n - start, order), dtype=np.int64)
    for j in range(order):
        lo = max(start, j)
        if lo >= n:
            break
        out[lo - start:, j] = np.where(depth[lo:] > j, x[lo - j:n - j] + 1, 0)
    return out


def count(x: np.ndarray, order: int, bos: int, start: int = 0) -> Windows:
    """The windows of positions start.. of the stream x (token ids with BOS marks), distinct
    and counted."""
    base = bos + 2
    bits = int(base - 1).bit_length()
    if bits * order > PACKED_BITS:  # (wide keys: from the digits)
        return _distinct(order, base, encode(window_digits(x, order, bos, start), order, base))
    x = np.asarray(x, dtype=np.int64)
    n = len(x)
    depth = _depth(x, bos) if np.count_nonzero(x[1:] == bos) else None
    key = np.zeros(n - start, dtype=np.int64)
    buf = np.empty(n, dtype=np.int64)
    for j in range(order):
        lo = max(start, j)
        if lo >= n:  # no position's history reaches this far back
            break
        t = buf[: n - lo]
        np.add(x[lo - j:n - j], 1, out=t)
        if depth is not None:  # (a BOS past the first: cut the histories after it)
            t *= depth[lo:] > j
        t <<= bits * (order - 1 - j)
        key[lo - start:] |= t
    del buf, depth
    return _distinct(order, base, key)


def _depth(x: np.ndarray, bos: int) -> np.ndarray:
    """How many tokens each position's history holds, itself and the BOS before it
    included (all of x's start when no BOS comes before it)."""
    at = np.arange(len(x), dtype=np.int64)
    last = np.maximum.accumulate(np.where(x == bos, at, 0))
    at -= last
    at += 1
    return at


def _distinct(order: int, base: int, keys: np.ndarray) -> Windows:
    keys.sort()
    first = starts(keys)
    counts = np.diff(np.append(first, len(keys)))
    return Windows(order, base, keys[first], counts.astype(np.int64))


def starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Where each run of equal keys starts (int64 indices)."""
    if len(sorted_keys) == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.empty(len(sorted_keys), dtype=bool)
    change[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=change[1:])
    return np.flatnonzero(change)


def merge(parts: Iterable[Windows]) -> Windows:
    """The windows of a corpus from those of its parts (same order and base): counts of
    equal windows add up."""
    parts = list(parts)
    keys = np.concatenate([p.keys for p in parts])
    counts = np.concatenate([p.counts for p in parts])
    order = np.argsort(keys, kind="stable")
    keys, counts = keys[order], counts[order]
    first = starts(keys)
    return Windows(parts[0].order, parts[0].base, keys[first],
                   np.add.reduceat(counts, first) if len(first) else counts)
