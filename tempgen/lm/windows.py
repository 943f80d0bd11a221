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

import numpy as np

PACKED_BITS = 63  # keys of at most this many bits are packed in one int64
TALLY_MIN = 1 << 20  # packed keys are tallied, not sorted, when no more kinds are possible


class Windows:
    """Distinct windows (`keys`, sorted) and how often each occurs (`counts`, int64), of
    `order` digits in `base` values each (vocab size + 2: 0, the tokens, the BOS)."""

    def __init__(self, order: int, base: int, keys: np.ndarray, counts: np.ndarray):
        self.order, self.base = order, base
        if counts.dtype != np.uint32 and counts.size and counts.sum() < 2**32:
            counts = counts.astype(np.uint32)  # (each run's sum fits too)
        self.keys, self.counts = keys, counts
        self.bits = int(base - 1).bit_length()
        self.packed = self.bits * order <= PACKED_BITS
        self.width = (self.bits + 7) // 8  # bytes a digit (byte keys)

    def __len__(self) -> int:
        return len(self.keys)

    def _bytes(self, at) -> np.ndarray:
        keys = self.keys if at is None else self.keys[at]
        return keys.view(np.uint8).reshape(len(keys), keys.dtype.itemsize)

    def _slice(self, lo: int, hi: int, at, dtype=None, block: int = 1 << 20) -> np.ndarray:
        """Digits lo..hi-1 of the windows `at` (None: all) as keys of hi - lo digits (in
        `dtype`, when given and packed), worked out a block at a time."""
        n = len(self.keys) if at is None else len(at)
        if not self.packed:
            part = np.ascontiguousarray(self._bytes(at)[:, lo * self.width:hi * self.width])
            return part.view(f"S{(hi - lo) * self.width}").ravel()
        out = np.empty(n, dtype=dtype or np.int64)
        shift, mask = self.bits * (self.order - hi), (1 << (self.bits * (hi - lo))) - 1
        for b in range(0, n, block):
            keys = np.right_shift(self.keys[b:b + block] if at is None
                                  else self.keys[at[b:b + block]], shift)
            if lo:
                keys &= mask
            out[b:b + block] = keys
        return out

    def prefix(self, m: int, at=None) -> np.ndarray:
        """The first m digits (the n-gram of order m) of the windows `at` (None: all) as
        keys; sorted when they are."""
        return self._slice(0, m, at)

    def history(self, m: int, at=None) -> np.ndarray:
        """Digits 1..m (the m tokens before the token) of the windows `at` as keys of m
        digits: the prefix of order m of the window one position earlier."""
        return self._slice(1, m + 1, at)

    def find_history(self, sorted_keys: np.ndarray, m: int, at: np.ndarray,
                     block: int = 1 << 20) -> np.ndarray:
        """Where the history of m digits of each window `at` is among `sorted_keys` (keys of
        m digits, each history there): int32 places when they fit, a block at a time."""
        out = np.empty(len(at), dtype=np.int32 if len(sorted_keys) < 2**31 else np.int64)
        for lo in range(0, len(at), block):
            out[lo:lo + block] = np.searchsorted(sorted_keys,
                                                 self.history(m, at[lo:lo + block]))
        return out

    def digit(self, j: int, at=None) -> np.ndarray:
        """Digit j of the windows `at` (None: all), int32 (int64 past 2^31 values)."""
        dtype = np.int32 if self.base < 2**31 else np.int64
        if self.packed:
            return self._slice(j, j + 1, at, dtype)
        out = np.zeros(len(self.keys) if at is None else len(at), dtype=np.int64)
        for b in self._bytes(at)[:, j * self.width:(j + 1) * self.width].T:
            out <<= 8
            out |= b
        return out.astype(dtype)

    def run_starts(self, m: int, block: int = 1 << 20) -> np.ndarray:
        """Where each run of windows sharing their first m digits starts (int32 indices
        when they fit), worked out a block at a time."""
        n = len(self.keys)
        dtype = np.int32 if n < 2**31 else np.int64
        out = []
        for lo in range(0, n, block):
            keys = self.prefix(m, np.arange(max(lo - 1, 0), min(lo + block, n)))
            change = keys[1:] != keys[:-1]
            if lo == 0:
                change = np.concatenate([[True], change])
            out.append((np.flatnonzero(change) + lo).astype(dtype))
        return np.concatenate(out) if out else np.zeros(0, dtype=dtype)

    def digits(self) -> np.ndarray:
        """All digits, (len, order) int64."""
        return np.stack([self.digit(j) for j in range(self.order)], axis=1)


def encode(digits: np.ndarray, order: int, base: int) -> np.ndarray:
    """Keys of windows given as digits (n, order)."""
    return encode_columns(list(digits.T), order, base)


def encode_columns(columns, order: int, base: int) -> np.ndarray:
    """Keys of windows given as their digits' columns (each a digit of every window; an
    iterable, so that each may be made as it is used)."""
    bits = int(base - 1).bit_length()
    packed = bits * order <= PACKED_BITS
    width = (bits + 7) // 8
    key = None
    for j, col in enumerate(columns):
        col = np.asarray(col, dtype=np.int64)
        if key is None:
            key = (np.zeros(len(col), dtype=np.int64) if packed
                   else np.zeros((len(col), order * width), dtype=np.uint8))
        if packed:
            key |= col << (bits * (order - 1 - j))
        else:
            for b in range(width):
                key[:, j * width + b] = col >> (8 * (width - 1 - b))
    if key is None:
        key = np.zeros(0, dtype=np.int64) if packed else np.zeros((0, order * width), np.uint8)
    return key if packed else key.view(f"S{order * width}").ravel()


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
    x = np.asarray(x, dtype=np.int64)
    n = len(x)
    depth = _depth(x, bos) if np.count_nonzero(x[1:] == bos) else None
    packed = bits * order <= PACKED_BITS
    width = (bits + 7) // 8
    key = (np.zeros(max(0, n - start), dtype=np.int64) if packed
           else np.zeros((max(0, n - start), order * width), dtype=np.uint8))
    buf = np.empty(n, dtype=np.int64)
    for j in range(order):
        lo = max(start, j)
        if lo >= n:  # no position's history reaches this far back
            break
        t = buf[: n - lo]
        np.add(x[lo - j:n - j], 1, out=t)
        if depth is not None:  # (a BOS past the first: cut the histories after it)
            t *= depth[lo:] > j
        if packed:
            t <<= bits * (order - 1 - j)
            key[lo - start:] |= t
        else:  # big-endian bytes
            for b in range(width):
                key[lo - start:, j * width + b] = t >> (8 * (width - 1 - b))
    del buf, depth
    if packed and 1 << (bits * order) <= max(TALLY_MIN, len(key)):
        return _tallied(order, base, key, 1 << (bits * order))
    return distinct(order, base, key if packed else key.view(f"S{order * width}").ravel())


def _tallied(order: int, base: int, keys: np.ndarray, space: int) -> Windows:
    """`distinct` for packed keys below `space`, no more than the keys themselves (or
    TALLY_MIN): a count per possible key, one pass and no sort."""
    counts = np.bincount(keys, minlength=space)
    present = np.flatnonzero(counts)
    return Windows(order, base, present.astype(np.int64), counts[present].astype(np.int64))


def _depth(x: np.ndarray, bos: int) -> np.ndarray:
    """How many tokens each position's history holds, itself and the BOS before it
    included (all of x's start when no BOS comes before it)."""
    at = np.arange(len(x), dtype=np.int64)
    last = np.maximum.accumulate(np.where(x == bos, at, 0))
    at -= last
    at += 1
    return at


def distinct(order: int, base: int, keys: np.ndarray) -> Windows:
    """The windows of `keys` (sorted in place), distinct and counted."""
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
