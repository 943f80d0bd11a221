"""A model given by back-off probabilities (read from an ARPA file) instead of counts.

It has the same tables as a counted model (contexts as a suffix trie, successors per
context), so every query works unchanged; only the numbers come from the file: gamma(h) is
the back-off weight b(h), and u(h w) = P(h w) - b(h) * p(w | h'), so that the interpolation
recursion row(h) = gamma(h) * row(h') + u(h, .) gives back p(w | h) = P(h w) for listed
n-grams and b(h) * p(w | h') for the others.
"""

from __future__ import annotations

import numpy as np

from tempgen.errors import TempgenError
from tempgen.lm.arrays import compact, find
from tempgen.lm.ngram import NGramModel, interpolate


class BackoffModel(NGramModel):
    def __init__(self, order, vocab_size, ctx_children, ctx_first, succ_count, succ_token,
                 succ_u, ctx_gamma, boundary=None):
        self.succ_u = succ_u  # m -> (n_entries[m],) float64
        self.ctx_gamma = ctx_gamma  # m -> (n_ctx[m-1],) float64 back-off weights
        super().__init__(order, vocab_size, np.zeros((order, 3)), ctx_children, ctx_first,
                         succ_count, succ_token, None, boundary)

    def derive_weights(self) -> None:
        """gamma from the file's back-off weights (u is stored)."""
        self.gamma, self.inv_denom = {}, None
        for m in range(1, self.order + 1):
            self.gamma[m] = np.append(self.ctx_gamma[m], 1.0)  # index -1: back off fully
        self.discount_table = np.zeros((self.order, 4))

    def u(self, m: int, entries: np.ndarray, ctx: np.ndarray) -> np.ndarray:
        """The stored share of probability of order-m entries."""
        return self.succ_u[m][entries]

    def numbers(self, m: int) -> dict[str, np.ndarray]:
        """Order m's probabilities: each n-gram's u and each context's back-off weight."""
        return {f"succ_u_{m}": np.asarray(self.succ_u[m], dtype=np.float64),
                f"ctx_gamma_{m}": np.asarray(self.ctx_gamma[m], dtype=np.float64)}


def listed_probabilities(ng: NGramModel) -> list[np.ndarray]:
    """P(h w) of every stored n-gram, per order m (in the order of its entries): the
    recursion P(h w) = u(h w) + gamma(h) P(h' w) on the n-grams alone."""
    out, lower = [], None
    for m in range(1, ng.order + 1):
        count = ng.succ_count[m].astype(np.int64)
        ctx = np.repeat(np.arange(len(count)), count)
        tok = ng.succ_token[m].astype(np.int64)
        u = ng.u(m, np.arange(len(tok)), ctx)
        if m == 1:
            p = interpolate(np.full(len(tok), 1.0 / ng.vocab_size), ng.gamma[1][0],
                            slice(None), u)
        else:  # the same n-gram without its oldest token, one order down
            parent = ng.ctx_keys[m - 1].astype(np.int64)[ctx] // ng.key_base
            below = find(ng.succ_keys(m - 1), parent * ng.vocab_size + tok)
            p_lower = lower[np.maximum(below, 0)]
            missing = np.flatnonzero(below < 0)  # (an ARPA file may leave a suffix out)
            if missing.size:  # then its probability is the recursion's for that context
                suffix = context_tokens(ng)[m - 2][parent[missing]]
                walls = np.full((missing.size, ng.order - m + 1), -1)
                p_lower[missing] = np.exp(ng.score(np.concatenate([walls, suffix], axis=1),
                                                   tok[missing]))
            p = interpolate(p_lower, ng.gamma[m][ctx], slice(None), u)
        out.append(p)
        lower = p
    return out


def context_tokens(ng: NGramModel) -> list[np.ndarray]:
    """Tokens (oldest first) of every context of each length k: (n_k, k) arrays."""
    out = [np.zeros((1, 0), dtype=np.int64)]
    for k in range(1, ng.order):
        keys = ng.ctx_keys[k].astype(np.int64)
        out.append(np.concatenate([(keys % ng.key_base)[:, None], out[-1][keys // ng.key_base]],
                                  axis=1))
    return out


def check_values(ng: NGramModel) -> None:
    """The rules every back-off model meets, whichever reader made it: back-off weights
    finite and >= 0, and every listed n-gram's probability P(h w) in (0, 1]. (Otherwise
    sampling would see NaN or rows of nothing.)"""
    for m in range(1, ng.order + 1):
        gamma = ng.gamma[m][:-1]
        if not np.all(np.isfinite(gamma) & (gamma >= 0)):
            raise TempgenError(f"a back-off weight of order {m} is not a finite number >= 0")
    for m, p in enumerate(listed_probabilities(ng), start=1):
        bad = np.flatnonzero(~((p > 0) & (p <= 1 + 1e-9)))
        if bad.size:
            raise TempgenError(f"{len(bad):,} {m}-gram probabilities are not in (0, 1] "
                               f"(the first: {p[bad[0]]:.6g})")


def _unique_rows(rows: list[np.ndarray], width: int, base: int) -> np.ndarray:
    """The distinct rows of several (n, width) token arrays."""
    rows = [r for r in rows if len(r)]
    if not rows:
        return np.zeros((0, width), dtype=np.int64)
    both = np.concatenate(rows)
    if width * np.log2(base) >= 62:  # too wide to pack into one integer
        return np.unique(both, axis=0)
    key = np.zeros(len(both), dtype=np.int64)
    for j in range(width):  # pack each row into one integer, base-`base` digits
        key = key * base + both[:, j]
    key = np.unique(key)
    out = np.empty((len(key), width), dtype=np.int64)
    for j in range(width - 1, -1, -1):
        out[:, j] = key % base
        key //= base
    return out


def from_backoff(order: int, vocab_size: int, ngrams: list[np.ndarray], probs: list[np.ndarray],
                 back_grams: list[np.ndarray], backs: list[np.ndarray],
                 boundary: int | None = None) -> BackoffModel:
    """Build the model from listed n-grams: ngrams[m-1] (n, m) token ids of the order-m
    n-grams and probs[m-1] their P; back_grams[k-1] (n, k) the k-grams with a back-off
    weight (BOS = vocab_size may start them) and backs[k-1] those weights."""
    base = vocab_size + 2
    # contexts: n-grams with a weight, prefixes of longer n-grams, closed under suffixes
    ctx_sets = {order: np.zeros((0, order), dtype=np.int64)}
    for k in range(order - 1, 0, -1):
        ctx_sets[k] = _unique_rows([back_grams[k - 1], ngrams[k][:, :k],
                                    ctx_sets[k + 1][:, 1:]], k, base)
    ctx_keys, ctx_children, ctx_first = {}, {}, {}

    def rank_of(tuples: np.ndarray) -> np.ndarray:
        r = np.zeros(len(tuples), dtype=np.int64)
        for j in range(1, tuples.shape[1] + 1):
            r = np.where(r >= 0, find(ctx_keys[j], r * base + tuples[:, -j]), -1)
        return r

    n_prev = 1
    for k in range(1, order):
        tuples = ctx_sets[k]
        keys = np.sort(rank_of(tuples[:, 1:]) * base + tuples[:, 0])
        ctx_keys[k] = keys
        ctx_children[k] = compact(np.bincount(keys // base, minlength=n_prev))
        ctx_first[k] = compact(keys % base)
        n_prev = len(keys)
    succ_count, succ_token, succ_u, ctx_gamma, rows = {}, {}, {}, {}, {}
    for m in range(1, order + 1):
        grams = ngrams[m - 1]
        ctx = rank_of(grams[:, :-1])
        srt = np.lexsort((grams[:, -1], ctx))
        twice = np.flatnonzero((np.diff(ctx[srt]) == 0) & (np.diff(grams[srt, -1]) == 0))
        if twice.size:
            raise TempgenError(f"a {m}-gram is listed twice (ids {grams[srt][twice[0]].tolist()})")
        rows[m] = (grams[srt], probs[m - 1][srt], ctx[srt])
        n_ctx = len(ctx_keys[m - 1]) if m > 1 else 1
        succ_count[m] = compact(np.bincount(ctx, minlength=n_ctx))
        succ_token[m] = compact(grams[srt, -1])
        gamma = np.ones(n_ctx)
        if m > 1:  # the back-off weights of the (m-1)-grams that list one
            gamma[rank_of(back_grams[m - 2])] = backs[m - 2]
        else:
            gamma[:] = 0.0  # the unigrams' P is final: nothing below them
        ctx_gamma[m] = gamma
    for m in range(1, order + 1):  # u, order by order, from the model so far
        grams, p, ctx = rows[m]
        if m == 1:
            succ_u[m] = p
            continue
        lower = BackoffModel(m - 1, vocab_size, ctx_children, ctx_first, succ_count,
                             succ_token, succ_u, ctx_gamma, boundary)
        p_lower = np.exp(lower.score(grams[:, 1:-1], grams[:, -1]))
        succ_u[m] = p - ctx_gamma[m][ctx] * p_lower
    model = BackoffModel(order, vocab_size, ctx_children, ctx_first, succ_count, succ_token,
                         succ_u, ctx_gamma, boundary)
    check_values(model)
    return model
