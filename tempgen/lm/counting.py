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
    counts = w.counts
    ctx_children, ctx_first = {}, {}
    succ_count, succ_token, succ_adj = {}, {}, {}
    discounts = []
    prev_run_of = np.zeros(len(w), dtype=np.int64)  # order 0: one run, the empty history
    prev_keys, prev_ctx_rank = None, np.zeros(1, dtype=np.int64)
    first = win.starts(w.prefix(1))
    run_of = _run_of(first, len(w))  # each window's run of order m
    for m in range(1, order + 1):
        run_keys = w.prefix(m, first)
        token = w.digit(0, first) - 1
        exists = w.digit(m - 1, first) != 0
        valid = exists & (token != bos)
        raw = np.add.reduceat(counts, first)
        if m < order:
            nxt_first = win.starts(w.prefix(m + 1))
            nxt_token = w.digit(0, nxt_first) - 1
            nxt_ok = (w.digit(m, nxt_first) != 0) & (nxt_token != bos)
            cont = np.bincount(run_of[nxt_first[nxt_ok]], minlength=len(first))
            # n-grams starting with BOS have no left extension: they keep their raw count
            adj = np.where(w.digit(m, first) != 0, cont, raw)
        else:
            adj = raw
        g = np.flatnonzero(valid)
        if m == 1:
            ctx = np.zeros(len(g), dtype=np.int64)
        else:  # the context: the run of order m-1 whose digits are these m-1 before
            ctx = prev_ctx_rank[np.searchsorted(prev_keys, w.history(m - 1, first[g]))]
        tok = token[g]
        srt = np.argsort(ctx * vocab_size + tok)
        n_prev_ctx = int(prev_ctx_rank.max()) + 1
        succ_count[m] = compact(np.bincount(ctx, minlength=n_prev_ctx))
        succ_token[m] = compact(tok[srt])
        succ_adj[m] = compact(adj[g][srt])
        discounts.append(discounts_from_counts(adj[g]))
        if m < order:  # contexts of length m, in suffix-trie order, for order m+1
            # followed by a token: the history of some (m+1)-gram whose token is not BOS
            followed = np.zeros(len(first), dtype=bool)
            after = nxt_first[nxt_token != bos]
            followed[np.searchsorted(run_keys, w.history(m, after))] = True
            is_ctx = exists & followed
            parent = prev_ctx_rank[prev_run_of[first[is_ctx]]]
            ctx_children[m] = compact(np.bincount(parent, minlength=n_prev_ctx))
            ctx_first[m] = compact(w.digit(m - 1, first[is_ctx]) - 1)
            prev_ctx_rank = np.where(is_ctx, np.cumsum(is_ctx) - 1, -1)
            prev_run_of, prev_keys = run_of, run_keys
            first, run_of = nxt_first, _run_of(nxt_first, len(w))
        if progress is not None:
            progress(m, order)
    return NGramModel(order, vocab_size, discounts, ctx_children, ctx_first,
                      succ_count, succ_token, succ_adj, boundary)


def _run_of(first: np.ndarray, n: int) -> np.ndarray:
    """The run (0, 1, ...) each of n windows is in, from where the runs start."""
    mark = np.zeros(n, dtype=np.int64)
    mark[first[1:]] = 1
    return np.cumsum(mark, out=mark)
