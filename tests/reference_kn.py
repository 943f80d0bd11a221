"""A deliberately naive interpolated modified Kneser-Ney, straight from Chen & Goodman's
formulas with dicts, to check the vectorised implementation against."""

from collections import defaultdict

import numpy as np

from tempgen.lm.discounts import discounts_from_counts


class ReferenceKN:
    def __init__(self, ids, vocab_size, order, newline=None):
        self.V, self.N, self.bos, self.newline = vocab_size, order, vocab_size, newline
        seqs = self._sequences(list(ids))
        counts = [defaultdict(int) for _ in range(order + 1)]
        for s in seqs:
            for i in range(1, len(s)):
                for m in range(1, min(order, i + 1) + 1):
                    counts[m][tuple(s[i - m + 1: i + 1])] += 1
        self.adj = [dict() for _ in range(order + 1)]
        for m in range(1, order + 1):
            for g, c in counts[m].items():
                if m == order or g[0] == self.bos:
                    self.adj[m][g] = c
                else:
                    self.adj[m][g] = sum(1 for h in counts[m + 1] if h[1:] == g)
        self.disc = [None] + [discounts_from_counts(
            np.array(list(self.adj[m].values()), dtype=np.int64))
                              for m in range(1, order + 1)]
        self.succ = [defaultdict(dict) for _ in range(order + 1)]
        for m in range(1, order + 1):
            for g, a in self.adj[m].items():
                self.succ[m][g[:-1]][g[-1]] = a

    def _sequences(self, ids):
        if self.newline is None:
            return [[self.bos] + ids]
        seqs, cur = [], [self.bos]
        for t in ids:
            cur.append(t)
            if t == self.newline:
                seqs.append(cur)
                cur = [self.bos]
        if len(cur) > 1:
            seqs.append(cur)
        return seqs

    def context(self, ctx):
        """The effective context tuple: after the last wall (-1), reset at newlines."""
        ctx = list(ctx)
        if self.newline is not None and self.newline in ctx:
            last = len(ctx) - 1 - ctx[::-1].index(self.newline)
            ctx = [self.bos] + ctx[last + 1:]
        if -1 in ctx:
            ctx = ctx[len(ctx) - ctx[::-1].index(-1):]
        return tuple(ctx)

    def prob(self, w, h):
        """p(w | h) for the effective context tuple h."""
        if len(h) > self.N - 1:
            h = h[len(h) - (self.N - 1):]
        lower = 1.0 / self.V if not h else self.prob(w, h[1:])
        if len(h) == 0:
            lower = 1.0 / self.V
        succ = self.succ[len(h) + 1].get(h)
        if not succ:
            return lower
        d = self.disc[len(h) + 1]
        denom = sum(succ.values())
        gamma = sum(d[min(a, 3) - 1] for a in succ.values()) / denom
        a = succ.get(w, 0)
        u = (a - d[min(a, 3) - 1]) / denom if a else 0.0
        return u + gamma * lower

    def row(self, ctx):
        h = self.context(ctx)
        return np.array([self.prob(w, h) for w in range(self.V)])
