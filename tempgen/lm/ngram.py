"""Interpolated modified Kneser–Ney n-gram model over token ids (Chen & Goodman 1998, as KenLM).

Token ids are 0..V-1; BOS = V is the begin symbol (a context, never predicted). In a context
array any other value (e.g. -1 for an unknown token or for "before the text") is a wall: the
model backs off to the part of the context after it.

What is stored is integer statistics only:
  * contexts of each length k = 1..N-1 as a suffix trie: context k-grams sorted by
    (rank of their suffix (k-1)-gram, oldest token) — `ctx_children[k]` (per parent) and
    `ctx_first[k]` (per context);
  * for each order m = 1..N the successors of every context of length m-1, sorted by
    (context rank, token) — `succ_count[m]`, `succ_token[m]` and the adjusted counts
    `succ_adj[m]` (raw counts at the top order and for n-grams starting with BOS,
    continuation counts N1+(• w) otherwise).
Probabilities are derived from them in float64 (`derive_weights`), so a model file
round-trips exactly. Every probability comes from one recursion, `interpolate`.
"""

from __future__ import annotations

import numpy as np

from tempgen.lm.arrays import find, history_order, run_starts, sums_at

DENSE_FLOATS = 1 << 22  # short contexts with dense rows: 32 MB of float64 at most


def interpolate(lower: np.ndarray, gamma: np.ndarray, at, u: np.ndarray) -> np.ndarray:
    """One step of the interpolation recursion, p(w | h) = gamma(h) p(w | h') + u(h w).

    lower: p(. | h') as rows (n, V) with gamma (n, 1), or as values (n,) with gamma (n,);
    u: the discounted masses of the listed n-grams h w, added at `at` (an index of lower).
    Every probability tempgen computes in Python comes through here; the compiled loop's
    one counterpart is `interpolate` in generate/csrc/tables.h.
    """
    out = lower * gamma
    out[at] += u
    return out


class NGramModel:
    """An n-gram model of order `order` over `vocab_size` tokens.

    `boundary` is the id of the newline token when the model is per-line (every line is its
    own sequence starting with BOS, as KenLM treats sentences), else None.

    Derived tables (public, read-only): `key_base` (V + 2); `ctx_keys[k]` (n_ctx[k],) the
    sorted search key parent rank * key_base + oldest token of each context of length k;
    `offsets[m]` (n_ctx[m-1] + 1,) where each context's successors start; `gamma[m]`
    (n_ctx[m-1] + 1,) each context's back-off weight, with a last 1 for "no such context"
    (rank -1); `inv_denom[m]` 1 / each context's sum of adjusted counts; `discount_table`
    (order, 4) the discount by adjusted count 0, 1, 2, 3+ (0 unused).
    """

    def __init__(self, order, vocab_size, discounts, ctx_children, ctx_first,
                 succ_count, succ_token, succ_adj, boundary=None):
        self.order = int(order)
        self.vocab_size = int(vocab_size)
        self.bos = self.vocab_size
        self.boundary = boundary
        self.discounts = np.asarray(discounts, dtype=np.float64)  # (order, 3): D1, D2, D3+
        self.ctx_children = ctx_children  # k -> (n_ctx[k-1],) children per parent context
        self.ctx_first = ctx_first  # k -> (n_ctx[k],) oldest token of each context
        self.succ_count = succ_count  # m -> (n_ctx[m-1],) successors per context
        self.succ_token = succ_token  # m -> (n_entries[m],)
        self.succ_adj = succ_adj  # m -> (n_entries[m],) adjusted counts
        self.key_base = self.vocab_size + 2
        self._dense_rows = None  # built on first use by `_dense`
        self._succ_keys = {}
        self.derive_keys()
        self.derive_weights()

    # ----------------------------------------------------------------- derived tables
    def derive_keys(self) -> None:
        """The context search keys (parent rank * key_base + oldest token) of every length,
        and where each context's successors start."""
        self.ctx_keys, self.offsets = {}, {}
        for k in range(1, self.order):
            n_parent = len(self.ctx_children[k])
            dt = np.int32 if n_parent * self.key_base < 2**31 else np.int64
            keys = np.repeat(np.arange(n_parent, dtype=dt), self.ctx_children[k])
            keys *= self.key_base
            keys += self.ctx_first[k]
            self.ctx_keys[k] = keys
        big = max(len(self.succ_token[m]) for m in range(1, self.order + 1))
        for m in range(1, self.order + 1):
            count = self.succ_count[m]
            offsets = np.zeros(len(count) + 1, dtype=np.int32 if big < 2**31 else np.int64)
            np.cumsum(count, out=offsets[1:])
            self.offsets[m] = offsets

    def derive_weights(self) -> None:
        """u (discounted mass) and gamma (back-off weight) per order from the counts.

        Arrays are built in place and in the narrowest dtype that holds them: loading is
        dominated by touching fresh memory.
        """
        self.gamma, self.inv_denom = {}, {}
        big = max(len(self.succ_adj[m]) for m in range(1, self.order + 1))
        total = max(int(self.succ_adj[m].sum(dtype=np.int64)) for m in range(1, self.order + 1))
        # one buffer for every running sum, in the narrowest dtype that holds the totals
        scratch = np.empty(big + 1, dtype=np.int32 if total < 2**31 else np.int64)
        for m in range(1, self.order + 1):
            count, adj, offsets = self.succ_count[m], self.succ_adj[m], self.offsets[m]
            # gamma(h) = (D1 n1(h) + D2 n2(h) + D3 n3+(h)) / sum_w a(h w), with one extra
            # gamma of 1 at index -1 (no such context: back off fully).
            d1, d2, d3 = self.discounts[m - 1]
            gamma = np.empty(len(count) + 1)
            gamma[-1] = 1.0
            g = gamma[:-1]
            np.multiply(count, d3, out=g)
            g += (d1 - d3) * sums_at(adj == 1, offsets, scratch)
            g += (d2 - d3) * sums_at(adj == 2, offsets, scratch)
            with np.errstate(divide="ignore"):
                inv = 1.0 / sums_at(adj, offsets, scratch)
            g *= inv
            self.gamma[m] = gamma
            self.inv_denom[m] = inv
        self.discount_table = np.concatenate([np.zeros((self.order, 1)), self.discounts], axis=1)

    def u(self, m: int, entries: np.ndarray, ctx: np.ndarray) -> np.ndarray:
        """Discounted mass (a - D(a)) / sum_w a(h w) of order-m entries of contexts `ctx`."""
        a = self.succ_adj[m][entries]
        return (a - self.discount_table[m - 1][np.minimum(a, 3)]) * self.inv_denom[m][ctx]

    def numbers(self, m: int) -> dict[str, np.ndarray]:
        """The stored arrays of order m that hold numbers rather than structure: the counts."""
        return {f"succ_adj_{m}": self.succ_adj[m]}

    def succ_keys(self, m: int) -> np.ndarray:
        """Sorted keys context_rank * V + token of the order-m entries (built on first use)."""
        if m not in self._succ_keys:
            count = self.succ_count[m]
            dt = np.int32 if len(count) * self.vocab_size < 2**31 else np.int64
            keys = np.repeat(np.arange(len(count), dtype=dt), count)
            keys *= self.vocab_size
            keys += self.succ_token[m]
            self._succ_keys[m] = keys
        return self._succ_keys[m]

    @property
    def num_ngrams(self) -> list[int]:
        """Distinct n-grams per order, 1..N."""
        return [len(self.succ_token[m]) for m in range(1, self.order + 1)]

    def arrays(self) -> dict[str, np.ndarray]:
        """The stored statistics by name (the model file's arrays)."""
        out = {}
        for k in range(1, self.order):
            out[f"ctx_children_{k}"] = self.ctx_children[k]
            out[f"ctx_first_{k}"] = self.ctx_first[k]
        for m in range(1, self.order + 1):
            out[f"succ_count_{m}"] = self.succ_count[m]
            out[f"succ_token_{m}"] = self.succ_token[m]
            out.update(self.numbers(m))
        return out

    # ----------------------------------------------------------------- queries
    def walls(self, contexts: np.ndarray) -> np.ndarray:
        """Contexts with every token outside 0..BOS set to -1 and, for a per-line model, the
        last newline made BOS and all before it -1."""
        ctx = np.asarray(contexts, dtype=np.int64)
        if ctx.size and (ctx.min() < -1 or ctx.max() > self.bos):  # else: no copy at all
            ctx = np.where((ctx < 0) | (ctx > self.bos), -1, ctx)
        if self.boundary is None or ctx.shape[1] == 0:
            return ctx
        is_nl = ctx == self.boundary
        cols = np.arange(ctx.shape[1])
        last = np.where(is_nl, cols, -1).max(axis=1, keepdims=True)
        out = np.where(cols < last, -1, ctx)
        return np.where(cols == last, self.bos, out)

    def ranks(self, walled: np.ndarray) -> list[np.ndarray]:
        """For walled contexts (batch, order-1), the rank of each suffix of length
        k = 0..order-1: a list of (batch,) int64 arrays, -1 where that suffix was never a
        context in training (so neither is any longer one)."""
        # A wall (-1) or an unmatched parent (-1) makes a key no table holds: -1 follows.
        ranks = [np.zeros(walled.shape[0], dtype=np.int64)]
        for k in range(1, self.order):
            ranks.append(find(self.ctx_keys[k], ranks[-1] * self.key_base + walled[:, -k]))
        return ranks

    @property
    def n_contexts(self) -> int:
        """Contexts of every length, the empty one included: the bound of `row_keys`."""
        return 1 + sum(len(keys) for keys in self.ctx_keys.values())

    def row_keys(self, ranks: list[np.ndarray]) -> np.ndarray:
        """Each context's row by number among the model's contexts, length by length: its
        longest matched suffix's, which names the row (csrc/lookup.h: key_ranks)."""
        starts = np.cumsum([0, 1] + [len(self.ctx_keys[k]) for k in range(1, self.order - 1)])
        depth = sum(r >= 0 for r in ranks[1:])  # (-1 past the first suffix not matched)
        return starts[depth] + np.stack(ranks)[depth, np.arange(len(ranks[0]))]

    def context_ranks(self, contexts: np.ndarray) -> list[np.ndarray]:
        """`ranks` of raw contexts (walls applied first)."""
        return self.ranks(self.walls(contexts))

    def extend(self, parent_rows: np.ndarray, m: int, ranks: np.ndarray) -> np.ndarray:
        """Rows (n, V) of contexts `ranks` (length m-1) from their parents' rows (n, V)."""
        count = self.succ_count[m][ranks].astype(np.int64)
        which = np.repeat(np.arange(len(ranks)), count)
        entry = np.repeat(self.offsets[m][ranks].astype(np.int64) - np.cumsum(count) + count,
                          count) + np.arange(count.sum())
        return interpolate(parent_rows, self.gamma[m][ranks][:, None],
                           (which, self.succ_token[m][entry]), self.u(m, entry, ranks[which]))

    def probs(self, contexts: np.ndarray) -> np.ndarray:
        """Next-token probabilities, (batch, order-1) int contexts -> (batch, vocab) float64:
        each row from the dense row of its longest short suffix (`_dense`), then `extend`
        adds the longer matched contexts."""
        contexts = _as_contexts(contexts, self.order)
        ranks = self.context_ranks(contexts)
        dense = self._dense()
        top = len(dense) - 1  # longest context length held densely
        row = np.empty((contexts.shape[0], self.vocab_size))
        for k in range(top, -1, -1):  # each row from its longest matched dense suffix
            todo = (ranks[k] >= 0) if k == top else (ranks[k] >= 0) & (ranks[k + 1] < 0)
            sel = np.flatnonzero(todo)
            row[sel] = dense[k][ranks[k][sel]]
        for m in range(top + 2, self.order + 1):
            hit = np.flatnonzero(ranks[m - 1] >= 0)
            if hit.size == 0:
                break
            row[hit] = self.extend(row[hit], m, ranks[m - 1][hit])
        return row

    def _dense(self) -> list[np.ndarray]:
        """Dense rows of every context of length 0..L (built on first use), L as long as a
        table stays small."""
        if self._dense_rows is None:
            uniform = np.full((1, self.vocab_size), 1.0 / self.vocab_size)
            tables = [self.extend(uniform, 1, np.zeros(1, dtype=np.int64))]
            for k in range(1, self.order):
                n = len(self.ctx_keys[k])
                if n * self.vocab_size > DENSE_FLOATS:
                    break
                parents = (self.ctx_keys[k] // self.key_base).astype(np.int64)
                tables.append(self.extend(tables[-1][parents], k + 1, np.arange(n)))
            self._dense_rows = tables
        return self._dense_rows

    def logprobs(self, contexts: np.ndarray) -> np.ndarray:
        """Natural-log next-token probabilities: (batch, order-1) -> (batch, vocab)."""
        with np.errstate(divide="ignore"):
            return np.log(self.probs(contexts))

    def score(self, contexts: np.ndarray, targets: np.ndarray,
              row_counts: np.ndarray | None = None) -> np.ndarray:
        """ln p(target | context) for each row: (batch, order-1), (batch,) -> (batch,).

        Targets must be vocabulary ids. Only the asked entries are looked up, so this is far
        cheaper than `logprobs` when the whole row is not needed (evaluation). row_counts
        (int64, `n_contexts`): if given, one more at each row's `row_keys`."""
        contexts = _as_contexts(contexts, self.order)
        targets = np.asarray(targets, dtype=np.int64)
        ctx = self.walls(contexts)
        # Sorting rows by (reversed context, target) puts equal n-grams side by side: each is
        # scored once, and every search runs on (nearly) sorted needles, ~10x faster than
        # random ones on large tables.
        rows = np.concatenate([targets[:, None], ctx], axis=1)  # the target sorts last
        order, key, exact = history_order(rows, self.key_base)
        bits = int(self.key_base - 1).bit_length()
        ngram_start = run_starts(key) if exact else np.ones(len(key), dtype=bool)
        first = np.flatnonzero(ngram_start)  # one sorted row per distinct n-gram
        ctx_start = run_starts(key[first] >> bits) if exact else np.ones(len(first), bool)
        ctx_of = np.cumsum(ctx_start) - 1  # n-gram -> its distinct context
        ranks = self.ranks(ctx[order[first[ctx_start]]])
        if row_counts is not None:  # (each distinct context as many times as it is there)
            np.add.at(row_counts, self.row_keys(ranks), np.diff([*first[ctx_start], len(key)]))
        t = targets[order[first]]
        p = np.full(len(first), 1.0 / self.vocab_size)
        for m in range(1, self.order + 1):
            c = ranks[m - 1][ctx_of]
            if m == 1:  # the unigrams are the whole vocabulary, in id order
                pos = t
            else:
                pos = find(self.succ_keys(m), c * self.vocab_size + t)
            seen = pos >= 0
            # gamma[-1] is 1: an unmatched context passes p through
            p = interpolate(p, self.gamma[m][c], seen, self.u(m, pos[seen], c[seen]))
        out = np.empty(len(targets))
        out[order] = np.log(p)[np.cumsum(ngram_start) - 1]
        return out

    def ngram_seen(self, contexts: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Whether each full top-order n-gram (context + target) occurred in training: (batch,).
        A row whose context is cut short (by the text start or an unknown token) is False."""
        contexts = _as_contexts(contexts, self.order)
        c = self.context_ranks(contexts)[-1]
        want = c * self.vocab_size + np.asarray(targets, dtype=np.int64)
        return (c >= 0) & (find(self.succ_keys(self.order), want) >= 0)


def _as_contexts(contexts, order: int) -> np.ndarray:
    ctx = np.asarray(contexts, dtype=np.int64)
    if ctx.ndim != 2 or ctx.shape[1] != order - 1:
        raise ValueError(f"contexts must have shape (batch, {order - 1}), got {ctx.shape}")
    return ctx
