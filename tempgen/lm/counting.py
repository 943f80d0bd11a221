"""Estimation: a model's modified Kneser-Ney statistics from the windows of its corpus.

Counting keeps each position's window (lm/windows.py), distinct and counted. The n-grams of
order m are runs of windows sharing their first m digits, each order's runs nested in the
order below's, so raw counts, continuation counts N1+(. w) and the contexts of every length
follow from the run starts with vectorised passes and searches on sorted keys.
"""

from __future__ import annotations

import sys

import numpy as np

from tempgen.errors import TempgenError
from tempgen.io.modelfile import MAX_ORDER
from tempgen.lm import windows as win
from tempgen.lm.arrays import compact
from tempgen.lm.discounts import discounts_from_counts
from tempgen.lm.ngram import NGramModel


def train(ids: np.ndarray, vocab_size: int, order: int, boundary: int | None = None,
          progress=None) -> NGramModel:
    """Estimate a model from one stream of token ids (all in 0..vocab_size-1).

    `boundary`: newline id for a per-line model. `progress(step, total)` is called as the
    orders are estimated.
    """
    check_order(order)
    if len(ids) == 0:
        raise TempgenError("the corpus is empty: nothing to learn from")
    x = with_bos(np.asarray(ids, dtype=np.int64), vocab_size, boundary)
    return estimate(win.count(x, order, vocab_size), vocab_size, boundary, progress)


def check_order(order: int) -> None:
    if not 1 <= order <= MAX_ORDER:
        raise TempgenError(f"order must be between 1 and {MAX_ORDER}, got {order}")


def with_bos(ids: np.ndarray, bos: int, boundary: int | None) -> np.ndarray:
    """Prefix BOS; for a per-line model also put BOS after every newline but a final one."""
    if boundary is None:
        return np.concatenate([[bos], ids])
    after = np.flatnonzero(ids[:-1] == boundary) + 1
    return np.concatenate([[bos], np.insert(ids, after, bos)])


def estimate(w: win.Windows, vocab_size: int, boundary: int | None = None,
             progress=None) -> NGramModel:
    """The model whose corpus has the windows `w`.

    For order m: the m-gram of a run is valid when its history reaches m tokens and its own
    token is not the BOS; its adjusted count is its raw count at the top order and when it
    starts with the BOS (no token before it), else the number of distinct valid (m+1)-grams
    extending it to the left. Its context (the m-1 tokens before its token) is the run of
    order m-1 holding those digits as a prefix. A run of order m is a context when it is
    valid up to its length and some window's history (digits 1..m, after a token that is
    not the BOS) is it.
    """
    order, bos = w.order, vocab_size
    ctx_children, ctx_first = {}, {}
    succ_count, succ_token, succ_adj = {}, {}, {}
    discounts = []
    prev_mark = np.zeros(len(w), dtype=bool)  # where the runs of order m-1 start
    prev_mark[:1] = True  # (order 0: one run, the empty history)
    prev_keys = None  # the contexts of length m-1, sorted (a context's rank: its place)
    prev_ctx_rank = np.zeros(1, dtype=np.int64)  # each run of order m-1's, or -1
    first = w.run_starts(1)
    for m in range(1, order + 1):
        mark = np.zeros(len(w) if m < order else 0, dtype=bool)
        mark[first if m < order else []] = True
        token = (w.digit(0, first) - 1).astype(np.int32)
        valid = w.digit(m - 1, first) != 0  # (exists, until BOS tokens leave below)
        raw = np.add.reduceat(w.counts, first, dtype=w.counts.dtype)
        if m < order:
            nxt_first = w.run_starts(m + 1)
            run_keys = w.prefix(m, first)
            cont, followed = _extensions(w, m, mark, nxt_first, run_keys, bos, raw.dtype)
            # n-grams starting with BOS have no left extension: they keep their raw count
            adj = np.where(w.digit(m, first) != 0, cont, raw)
            del cont
        else:
            adj = raw
            del prev_mark  # (the top order has no contexts of its own)
        del raw
        exists = valid.copy() if m < order else None
        valid &= token != bos
        token_g = token[valid]  # (one at a time, each let go once kept: the top order's
        del token               # runs are as many as the windows)
        adj_g = adj[valid]
        del adj
        first_g = first[valid]
        del valid
        if m == order:
            del first
        if m == 1:
            ctx = np.zeros(len(first_g), dtype=np.int32)
        else:  # the context: the run of order m-1 whose digits are these m-1 before
            ctx = w.find_history(prev_keys, m - 1, first_g)  # (its rank)
        del first_g
        n_prev_ctx = int(prev_ctx_rank.max()) + 1
        if m == order:
            del prev_ctx_rank, prev_keys
        discounts.append(discounts_from_counts(adj_g))
        succ_count[m] = compact(np.bincount(ctx, minlength=n_prev_ctx))
        order_by = [ctx, token_g, adj_g]
        del ctx, token_g, adj_g
        succ_token[m], succ_adj[m] = _by_context(order_by, vocab_size, n_prev_ctx)
        if m < order:  # contexts of length m, in suffix-trie order, for order m+1
            is_ctx = exists & followed
            del followed, exists
            at = first[is_ctx]
            parent = prev_ctx_rank[np.cumsum(prev_mark[first], dtype=first.dtype)[is_ctx] - 1]
            ctx_children[m] = compact(np.bincount(parent, minlength=n_prev_ctx))
            ctx_first[m] = compact(w.digit(m - 1, at) - 1)
            del parent, at
            prev_ctx_rank = np.where(is_ctx, np.cumsum(is_ctx, dtype=first.dtype) - 1, -1)
            prev_mark, prev_keys, first = mark, run_keys[is_ctx], nxt_first
            del is_ctx, run_keys, mark, nxt_first
        if progress is not None:
            progress(m, order)
    return NGramModel(order, vocab_size, discounts, ctx_children, ctx_first,
                      succ_count, succ_token, succ_adj, boundary)



def _extensions(w: win.Windows, m: int, mark: np.ndarray, nxt_first: np.ndarray,
                run_keys: np.ndarray, bos: int, dtype, block: int = 1 << 20):
    """For each run of order m (keys `run_keys`; `mark`: where they start): how many
    distinct valid (m+1)-grams extend it to the left, and whether it is the history of some
    (m+1)-gram whose token is not the BOS (then a context); from the runs of order m+1
    (starting at `nxt_first`), a block at a time."""
    cont = np.zeros(len(run_keys), dtype=dtype)
    followed = np.zeros(len(run_keys), dtype=bool)
    carry = 0
    for lo in range(0, len(nxt_first), block):
        at = nxt_first[lo:lo + block]
        run = np.cumsum(mark[at], dtype=np.int64)  # the run of order m each is in
        run += carry - 1
        carry = int(run[-1]) + 1
        token_ok = w.digit(0, at) != bos + 1  # (a digit is the token + 1)
        extends = run[token_ok & (w.digit(m, at) != 0)]
        if len(extends):
            lo_run = int(extends[0])
            cont[lo_run:int(extends[-1]) + 1] += np.bincount(extends - lo_run).astype(dtype)
        followed[w.find_history(run_keys, m, at[token_ok])] = True
    return cont, followed


def _by_context(columns: list, vocab_size: int, n_ctx: int) -> tuple[np.ndarray, np.ndarray]:
    """The tokens and adjusted counts of n-grams given as [context, token, count] (the list
    is emptied, so that they go as soon as they are used), sorted by (context, token), as
    compact arrays. (One sort of packed keys when they fit in 63 bits, else an argsort.)"""
    ctx, tok, adj = columns
    columns.clear()
    if n_ctx * vocab_size < 2**31 and (adj.size == 0 or int(adj.max()) < 2**32):
        key = ctx.astype(np.int64)
        del ctx
        key *= vocab_size
        key += tok
        del tok
        key <<= 32
        np.bitwise_or(key, adj, out=key, casting="unsafe")
        del adj
        key.sort()
        words = key.view(np.uint32)  # (the high and low halves of each key, in place)
        high, low = (words[1::2], words[0::2]) if sys.byteorder == "little" else \
            (words[0::2], words[1::2])
        return compact(high % np.uint32(vocab_size)), compact(low)
    srt = np.argsort(ctx.astype(np.int64) * vocab_size + tok)
    return compact(tok[srt]), compact(adj[srt])
