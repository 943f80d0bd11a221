"""Estimation: counting a corpus's n-grams and their modified Kneser-Ney statistics.

Every position of the corpus is sorted once by its history read backwards (its token, the one
before, ...). The n-grams of order m are then runs of positions sharing m digits, each
order's runs nested in the order below's, so raw counts, continuation counts N1+(. w) and the
contexts of every length follow from the run starts with vectorised passes.
"""

from __future__ import annotations

import numpy as np

from tempgen.errors import TempgenError
from tempgen.io.modelfile import MAX_ORDER
from tempgen.lm.arrays import compact
from tempgen.lm.discounts import discounts_from_counts
from tempgen.lm.ngram import NGramModel

_KEY_BITS = 63  # bits of one sort key (smaller only to test the multi-pass sort)


def train(ids: np.ndarray, vocab_size: int, order: int, boundary: int | None = None,
          progress=None) -> NGramModel:
    """Estimate a model from one stream of token ids (all in 0..vocab_size-1).

    `boundary`: newline id for a per-line model. `progress(step, total)` is called as the
    orders are counted.

    Every position is sorted once by its history read backwards (its token, the one before,
    ...). The n-grams of order m are then runs of positions sharing m digits, each order's runs
    nested in the order below's, so counts, continuation counts and contexts all follow from
    the run starts (`first`) with vectorised passes and searches on sorted arrays.
    """
    if not 1 <= order <= MAX_ORDER:
        raise TempgenError(f"order must be between 1 and {MAX_ORDER}, got {order}")
    if len(ids) == 0:
        raise TempgenError("the corpus is empty: nothing to learn from")
    bos = vocab_size
    x = _with_bos(np.asarray(ids, dtype=np.int64), bos, boundary)
    hist = _History(x, bos, boundary is not None)
    perm, lcp = _sort_by_history(hist, order, vocab_size + 2)
    n = len(x)
    inv = np.empty(n, dtype=np.int32)
    inv[perm] = np.arange(n, dtype=np.int32)
    followed = np.zeros(n, dtype=bool)
    followed[:-1] = x[1:] != bos  # a context: some token is predicted after it
    followed_s = followed[perm]

    ctx_children, ctx_first = {}, {}
    succ_count, succ_token, succ_adj = {}, {}, {}
    discounts = []
    prev_first = np.zeros(1, dtype=np.int64)  # order 0: one run, the empty history
    prev_ctx_rank = np.zeros(1, dtype=np.int64)
    first = np.flatnonzero(lcp < 1)
    for m in range(1, order + 1):
        at = perm[first]
        exists = hist.depth(at) >= m
        valid = exists & (x[at] != bos)
        raw = np.diff(np.append(first, n))
        if m == order:
            adj = raw
        else:
            nxt_first = np.flatnonzero(lcp < m + 1)
            nxt_at = perm[nxt_first]
            nxt_ok = (hist.depth(nxt_at) >= m + 1) & (x[nxt_at] != bos)
            cont = np.bincount(np.searchsorted(first, nxt_first[nxt_ok], "right") - 1,
                               minlength=len(first))
            # n-grams starting with BOS have no left extension: they keep their raw count
            has_ext = hist.depth(at) >= m + 1
            adj = np.where(has_ext, cont, raw)
        g = np.flatnonzero(valid)
        at_g = at[g]
        if m == 1:
            ctx = np.zeros(len(g), dtype=np.int64)
        else:  # the context is the (m-1)-gram ending one position earlier
            ctx = prev_ctx_rank[np.searchsorted(prev_first, inv[at_g - 1], "right") - 1]
        tok = x[at_g]
        srt = np.argsort(ctx * vocab_size + tok)
        n_prev_ctx = int(prev_ctx_rank.max()) + 1
        succ_count[m] = compact(np.bincount(ctx, minlength=n_prev_ctx))
        succ_token[m] = compact(tok[srt])
        succ_adj[m] = compact(adj[g][srt])
        discounts.append(discounts_from_counts(adj[g]))
        if m < order:  # contexts of length m, in suffix-trie order, for order m+1
            is_ctx = exists & np.logical_or.reduceat(followed_s, first)
            parent = prev_ctx_rank[np.searchsorted(prev_first, first[is_ctx], "right") - 1]
            ctx_children[m] = compact(np.bincount(parent, minlength=n_prev_ctx))
            ctx_first[m] = compact(x[at[is_ctx] - (m - 1)])
            prev_ctx_rank = np.where(is_ctx, np.cumsum(is_ctx) - 1, -1)
            prev_first, first = first, nxt_first
        if progress is not None:
            progress(m, order)
    return NGramModel(order, vocab_size, discounts, ctx_children, ctx_first,
                      succ_count, succ_token, succ_adj, boundary)


class _History:
    """How far back each position's history reaches (to the BOS of its sequence)."""

    def __init__(self, x: np.ndarray, bos: int, per_line: bool):
        self.x = x
        self.starts = np.flatnonzero(x == bos) if per_line else np.zeros(1, dtype=np.int64)

    def depth(self, at: np.ndarray) -> np.ndarray:
        """Tokens available ending at positions `at`, their BOS included."""
        seq = np.searchsorted(self.starts, at, "right") - 1
        return at - self.starts[seq] + 1

    def add_digit(self, key: np.ndarray, j: int, shift: int, buf: np.ndarray) -> None:
        """key |= digit j << shift, for every position; digit j is the token j steps back
        plus one, or 0 where the history has ended. `buf` is scratch space (no allocation)."""
        n = len(self.x)
        if j >= n:  # no position's history reaches this far back
            return
        t = buf[: n - j]
        np.add(self.x[: n - j], 1, out=t)
        if len(self.starts) > 1 and j > 0:  # per-line: cut at each sequence's BOS
            t *= self.depth(np.arange(j, n)) > j
        np.left_shift(t, shift, out=t)
        np.bitwise_or(key[j:], t, out=key[j:])


def _with_bos(ids: np.ndarray, bos: int, boundary: int | None) -> np.ndarray:
    """Prefix BOS; for a per-line model also put BOS after every newline but a final one."""
    if boundary is None:
        return np.concatenate([[bos], ids])
    after = np.flatnonzero(ids[:-1] == boundary) + 1
    return np.concatenate([[bos], np.insert(ids, after, bos)])


def _sort_by_history(hist: _History, order: int, base: int):
    """Sort positions by (digit 0, ..., digit order-1); return the permutation and `lcp`.

    lcp[i] (int8) is how many leading digits sorted position i shares with position i-1
    (lcp[0] = 0), so the runs of order m start where lcp < m. As many digits as fit in 63
    bits are packed into one key; when they do not all fit, the dense rank of the digits so
    far stands in for them in the next key.
    """
    n = len(hist.x)
    bits = int(base - 1).bit_length()
    buf = np.empty(n, dtype=np.int64)
    key = np.zeros(n, dtype=np.int64)
    rank_lcp = None  # digits shared between the last of rank r-1 and the first of rank r
    done = 0
    while True:
        rank_bits = int(key.max()).bit_length()
        c = min(order - done, max(1, (_KEY_BITS - rank_bits) // bits))
        key <<= bits * c
        for t in range(c):
            hist.add_digit(key, done + t, bits * (c - 1 - t), buf)
        perm = np.argsort(key)
        sk = key[perm]
        diff = np.bitwise_xor(sk[1:], sk[:-1])
        lcp = np.zeros(n, dtype=np.int8)
        for t in range(1, c + 1):
            lcp[1:] += diff < (1 << (bits * (c - t)))
        if rank_lcp is not None:  # neighbours of different rank differ in an earlier pass
            same = diff < (1 << (bits * c))
            lcp[1:] = np.where(same, lcp[1:] + done, rank_lcp[sk[1:] >> (bits * c)])
        done += c
        if done == order:
            return perm, lcp
        starts = np.concatenate([[True], diff != 0])
        rank_lcp = lcp[starts]
        key = np.empty(n, dtype=np.int64)
        key[perm] = np.cumsum(starts) - 1
