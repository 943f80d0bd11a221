"""The tables of an n-gram model as the compiled loop reads them: a documented structure of
the model's own arrays (no copies), built by `tables_of`."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from tempgen.lm.ngram import NGramModel


class Level(NamedTuple):
    """Order m's tables (m = 1..order): the contexts of length m-1 and their successors.

    A context's row is gamma times its parent's row plus, at each successor w, u(w), where
    u = (a - discount[min(a, 3)]) * inv_denom from the adjusted count a (counted models),
    or u is given (back-off models).
    """

    gamma: np.ndarray  # (n_ctx,) float64: each context's back-off weight
    inv_denom: np.ndarray | None  # (n_ctx,) float64: 1 / its sum of adjusted counts
    succ_start: np.ndarray  # (n_ctx + 1,): where each context's successors start
    succ_token: np.ndarray  # (n_entries,) unsigned: their tokens, ascending per context
    succ_adj: np.ndarray | None  # (n_entries,) unsigned adjusted counts, or None
    succ_u: np.ndarray | None  # (n_entries,) float64 discounted masses, or None
    discount: np.ndarray  # (4,) float64: the discount by adjusted count 0, 1, 2, 3+
    ctx_first: np.ndarray | None  # m >= 2: (n_ctx,) unsigned oldest token of each context
    children: np.ndarray | None  # m < order: (n_ctx,) contexts one token longer, per context


class Tables(NamedTuple):
    """A model's tables. Contexts of length k are sorted by (parent rank, oldest token), so
    a context's children (on the next level) are one run, in the order of their ranks."""

    order: int
    vocab_size: int
    bos: int  # the begin symbol (= vocab_size): a context token, never a successor
    boundary: int  # per-line models: the newline's id (it starts a fresh sequence); else -1
    levels: tuple[Level, ...]  # orders 1..order


def tables_of(ng: NGramModel) -> Tables:
    counted = ng.inv_denom is not None
    levels = tuple(Level(
        gamma=ng.gamma[m][:-1],
        inv_denom=ng.inv_denom[m] if counted else None,
        succ_start=ng.offsets[m],
        succ_token=ng.succ_token[m],
        succ_adj=ng.succ_adj[m] if counted else None,
        succ_u=None if counted else np.ascontiguousarray(ng.succ_u[m], dtype=np.float64),
        discount=ng.discount_table[m - 1],
        ctx_first=ng.ctx_first[m - 1] if m > 1 else None,
        children=ng.ctx_children[m] if m < ng.order else None,
    ) for m in range(1, ng.order + 1))
    return Tables(ng.order, ng.vocab_size, ng.bos,
                  -1 if ng.boundary is None else int(ng.boundary), levels)
