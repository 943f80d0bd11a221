"""Model rows for a decoding run, built incrementally and memoised.

A run visits many contexts once each, but their shorter suffixes again and again. So the
rank of each suffix is memoised per trie edge (parent rank, token), and the model row of each
matched suffix per (length, rank): a new context's row is its parent's row times gamma plus
the context's own discounted counts (the interpolation recursion, as `NGramModel.probs`).
"""

from __future__ import annotations

import numpy as np

from tempgen.ngram import NGramModel

MAX_ROWS_FLOATS = 1 << 21  # 16 MB of float64 rows at most; then the memo starts afresh


class ModelRows:
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
        """The order-m row of context `rank` (length m-1) from its parent's row, with the
        same operations in the same order as `NGramModel.probs` (bit-identical rows)."""
        ng = self.ng
        lo, hi = int(ng.offsets[m][rank]), int(ng.offsets[m][rank + 1])
        row = parent * ng.gamma[m][rank]
        row[ng.succ_token[m][lo:hi]] += ng._u_range(m, lo, hi, rank)
        return row

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
                key = keys.dtype.type(out[-1] * ng._base + tok)  # a Python int would make
                pos = int(keys.searchsorted(key))  # searchsorted convert the whole table
                rank = pos if pos < len(keys) and keys[pos] == key else -1
                self.edges[j][edge] = rank
            if rank < 0:
                break
            out.append(rank)
            if last:
                break
        return out

    def rows(self, contexts: np.ndarray) -> np.ndarray:
        """Model probabilities (n, vocab) for contexts (n, order-1), as `NGramModel.probs`."""
        return np.stack(self.row_list(contexts))

    def row_list(self, contexts: np.ndarray) -> list[np.ndarray]:
        """The same rows as a list of (vocab,) arrays (no copy of memoised rows)."""
        ranks = [self.ranks(c) for c in contexts.tolist()]
        need = sum(len(r) for r in ranks)
        if need > self.capacity // 2:  # more than the memo holds: the batched path
            return list(self.ng.probs(contexts))
        if len(self.store) + need > self.capacity:
            self._reset()
        return [self.store[self._memo_row(r)] for r in ranks]

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
            row = self._row(self.store[i], level + 1, ranks[level])
            i = self._append(row)
            self.memo[(level, ranks[level])] = i
        return i

    def _append(self, row: np.ndarray) -> int:
        self.store.append(row)
        return len(self.store) - 1
