"""Helpers on sorted integer arrays, shared by counting, the models and their queries."""

from __future__ import annotations

import numpy as np


def find(keys: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Index of each of `want` in the sorted array `keys`, or -1 where it is absent."""
    if len(keys) == 0:
        return np.full(np.shape(want), -1, dtype=np.int64)
    # Needles in the haystack's dtype, or searchsorted converts the whole haystack on every
    # call. Safe: a needle is at most (table size) * base + token, like the keys themselves.
    pos = np.searchsorted(keys, np.asarray(want).astype(keys.dtype, copy=False))
    np.minimum(pos, len(keys) - 1, out=pos)
    return np.where(keys[pos] == want, pos, -1)


def sums_at(values: np.ndarray, offsets: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """Sum of `values` over each CSR range [offsets[i], offsets[i+1]): (len(offsets)-1,).

    A running sum in `scratch` (reused, so no fresh memory), differenced at the offsets.
    """
    cs = scratch[: len(values) + 1]
    cs[0] = 0
    cs[1:] = values  # cast first: a cumsum that casts as it goes is several times slower
    np.cumsum(cs, out=cs)
    return np.diff(cs[offsets])


def history_order(rows: np.ndarray, base: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """Sort rows (n, width) of tokens in -1..base-2 by their last column, then the one
    before, and so on.

    Returns the row order, the sorted packed keys (the first column in the lowest bits), and
    whether the keys hold every column (then equal keys mean equal rows); otherwise they
    hold the last columns only.
    """
    bits = int(base - 1).bit_length()
    cols = min(rows.shape[1], 63 // bits)
    key = np.zeros(len(rows), dtype=np.int64)
    for j in range(cols):
        key <<= bits
        key += rows[:, -1 - j]  # the low bits are free: adding is or-ing the digit
        key += 1  # digit = token + 1, so walls (-1) become 0 and sort first
    order = np.argsort(key, kind="stable")
    return order, key[order], cols == rows.shape[1]


def run_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """True where a run of equal keys starts."""
    start = np.empty(len(sorted_keys), dtype=bool)
    start[:1] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=start[1:])
    return start


def compact(a: np.ndarray) -> np.ndarray:
    """The smallest unsigned dtype that holds `a` (files stay small, loads stay fast)."""
    hi = int(a.max()) if a.size else 0
    for dt in (np.uint8, np.uint16, np.uint32):
        if hi <= np.iinfo(dt).max:
            return a.astype(dt)
    return a.astype(np.uint64)


def sliding_contexts(ids: np.ndarray, history: np.ndarray) -> np.ndarray:
    """The (len(ids), width) context of every position of a stream of tokens `ids` whose
    first token follows `history` (width,): a view of one copy of history + ids."""
    ids = np.asarray(ids, dtype=np.int64)
    width = len(history)
    if width == 0:
        return np.zeros((len(ids), 0), dtype=np.int64)
    padded = np.concatenate([np.asarray(history, dtype=np.int64), ids])
    return np.lib.stride_tricks.sliding_window_view(padded[: len(padded) - 1], width)
