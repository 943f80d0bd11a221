"""Estimation: a model's modified Kneser-Ney statistics from the windows of its corpus.

Counting keeps each position's window (lm/windows.py), distinct and counted. The n-grams of
order m are runs of windows sharing their first m digits, each order's runs nested in the
order below's, so raw counts, continuation counts N1+(. w) and the contexts of every length
follow from the run starts with vectorised passes and searches on sorted keys.
"""

from __future__ import annotations

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
        raw = np.add.reduceat(w.counts, first)
        if m < order:
            nxt_first = w.run_starts(m + 1)
            nxt_token = (w.digit(0, nxt_first) - 1).astype(np.int32)
            nxt_run = np.cumsum(mark[nxt_first], dtype=first.dtype) - 1  # its run of order m
            ok = (w.digit(m, nxt_first) != 0) & (nxt_token != bos)
            cont = np.bincount(nxt_run[ok], minlength=len(first)).astype(raw.dtype)
            del ok, nxt_run
            # n-grams starting with BOS have no left extension: they keep their raw count
            adj = np.where(w.digit(m, first) != 0, cont, raw)
            del cont
        else:
            adj = raw
        del raw
        exists = valid.copy() if m < order else None
        valid &= token != bos
        first_g, token_g, adj_g = first[valid], token[valid], adj[valid]
        del valid, token, adj
        if m == 1:
            ctx = np.zeros(len(first_g), dtype=np.int32)
        else:  # the context: the run of order m-1 whose digits are these m-1 before
            ctx = w.find_history(prev_keys, m - 1, first_g)  # (its rank)
        del first_g
        n_prev_ctx = int(prev_ctx_rank.max()) + 1
        narrow = np.int32 if n_prev_ctx * vocab_size < 2**31 else np.int64
        srt = np.argsort(ctx.astype(narrow) * narrow(vocab_size) + token_g)
        succ_count[m] = compact(np.bincount(ctx, minlength=n_prev_ctx))
        del ctx
        succ_token[m] = compact(token_g[srt])
        del token_g
        succ_adj[m] = compact(adj_g[srt])
        del srt
        discounts.append(discounts_from_counts(adj_g))
        del adj_g
        if m < order:  # contexts of length m, in suffix-trie order, for order m+1
            run_keys = w.prefix(m, first)
            # followed by a token: the history of some (m+1)-gram whose token is not BOS
            followed = np.zeros(len(first), dtype=bool)
            followed[w.find_history(run_keys, m, nxt_first[nxt_token != bos])] = True
            is_ctx = exists & followed
            del followed, exists, nxt_token
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

