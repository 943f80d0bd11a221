"""Model rows for a decoding run, built incrementally and memoised.

A run visits many contexts once each, but their shorter suffixes again and again. So the
rank of each suffix is memoised per trie edge (parent rank, token), and the row of each
matched suffix per (length, rank): a new context's row is its parent's row extended by one
level (`NGramModel.extend`, the recursion `probs` uses too: identical rows).
"""

from __future__ import annotations

import numpy as np

from tempgen.lm.ngram import NGramModel

MAX_ROWS_FLOATS = 1 << 21  # 16 MB of float64 rows at most; then the memo starts afresh
FEW = 8  # new contexts in a call up to which rows are built one by one


class RowMemo:
    """Next-token probabilities of one run's contexts (`probs`), remembered as they come."""

    def __init__(self, ngram: NGramModel):
        self.ng = ngram
        self.vocab = ngram.vocab_size
        self.capacity = max(256, MAX_ROWS_FLOATS // self.vocab)
        self._reset()

    def _reset(self) -> None:
        self.edges: list[dict] = [{} for _ in range(self.ng.order)]  # (parent, tok) -> rank
        self.memo: dict[tuple[int, int], int] = {}  # (length, rank) -> row in store
        self.store = [self._row(np.full(self.vocab, 1.0 / self.vocab), 1, 0)]
        self.memo[(0, 0)] = 0

    def _row(self, parent: np.ndarray, m: int, rank: int) -> np.ndarray:
        """The order-m row of context `rank` (length m-1) from its parent's row."""
        return self.ng.extend(parent[None, :], m, np.array([rank]))[0]

    def ranks(self, context: list[int]) -> list[int]:
        """Ranks of the matched suffixes of one context (newest token last): [0, r1, ...]."""
        ng = self.ng
        out = [0]
        for j in range(1, len(context) + 1):
            tok = context[-j]
            if ng.boundary is not None and tok == ng.boundary:
                tok, last = ng.bos, True  # per-line: a newline starts a fresh sequence
            else:
                last = False
            if not 0 <= tok <= ng.bos:
                break
            edge = (out[-1], tok)
            rank = self.edges[j].get(edge)
            if rank is None:
                keys = ng.ctx_keys[j]
                key = keys.dtype.type(out[-1] * ng.key_base + tok)  # a Python int would make
                pos = int(keys.searchsorted(key))  # searchsorted convert the whole table
                rank = pos if pos < len(keys) and keys[pos] == key else -1
                self.edges[j][edge] = rank
            if rank < 0:
                break
            out.append(rank)
            if last:
                break
        return out

    def probs(self, contexts: np.ndarray) -> np.ndarray:
        """Next-token probabilities (n, vocab) of contexts (n, order-1), as
        `NGramModel.probs` gives them: few are built from memoised suffix rows, many in one
        batched call (the same rows either way)."""
        if len(contexts) > FEW:
            return self.ng.probs(contexts)
        ranks = [self.ranks(c) for c in contexts.tolist()]
        need = sum(len(r) for r in ranks)
        if need > self.capacity // 2:  # more than the memo holds
            return self.ng.probs(contexts)
        if len(self.store) + need > self.capacity:
            self._reset()
        return np.stack([self.store[self._memo_row(r)] for r in ranks])

    def _memo_row(self, ranks: list[int]) -> int:
        k = len(ranks) - 1
        i = self.memo.get((k, ranks[k]))
        if i is not None:
            return i
        j = k - 1
        while (j, ranks[j]) not in self.memo:
            j -= 1
        i = self.memo[(j, ranks[j])]
        for level in range(j + 1, k + 1):  # build upwards from the longest memoised suffix
            self.store.append(self._row(self.store[i], level + 1, ranks[level]))
            i = len(self.store) - 1
            self.memo[(level, ranks[level])] = i
        return i
