"""The noise of the draw: a standard Gumbel g per token, per (seed, sample, step), the same
at every temperature and in every path.

The draw takes argmax_i (ln q_i + g_i) over a row's candidates (draw.py), which is a sample
of q; under one seed, every temperature and chain sees the same g, so nearby temperatures
mostly pick the same token (coupled randomness).

g is made top down on a fixed binary tree over the vocabulary (the Gumbel process of A*
sampling, Maddison, Tarlow and Minka 2014), so that the compiled loop can find a row's
argmax by visiting a few dozen of the tree's nodes instead of the whole vocabulary:
  * The leaves are the tokens in order of the model's p with no context (most likely
    first, ties by id), `leaf_order`: a node's tokens then have like probabilities, and a
    search's bounds are tight.
  * A node holds the leaves [lo, hi) and is split at mid = lo + (hi - lo) // 2; the root is
    node 1 over [0, V), node i's children are nodes 2i (left) and 2i + 1 (right).
  * Each node carries E, the least of its leaves' exponentials (a leaf's g is -ln E): the
    root's is Exp(1) / V. The least lies in the left child with chance n_left / n (a
    uniform decides), which keeps E; the other child's least, given it is larger, is
    E + Exp(1) / n_other (memorylessness). So every leaf's E is an independent Exp(1), and
    its g a standard Gumbel.
  * Each uniform is a hash of (step key, slot): slot 1 the root's value, 2i node i's side,
    2i + 1 its other child's value. A step key is a hash of (seed, sample, step), so a
    token's noise does not depend on what else is drawn, in any batch or order of work.

Everything here is integer arithmetic and IEEE +, *, / (no fused operations) and one log of
its own (`ln`), so the compiled loop (csrc/noise.c) makes the same g, bit for bit, on any
machine.
"""

from __future__ import annotations

import weakref
from functools import lru_cache

import numpy as np

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
U64 = np.uint64
# ln 2 in two parts: the first has few enough bits that e * LN2_HI is exact for |e| < 2^11
LN2_HI = 6.93147180369123816490e-01
LN2_LO = 1.90821492927058770002e-10
SQRT_HALF = 0.70710678118654752440
# 1 / (2k + 1), k = 1..11: ln m = 2f (1 + f^2/3 + f^4/5 + ...), f = (m - 1) / (m + 1)
SERIES = tuple(1.0 / (2 * k + 1) for k in range(1, 12))


# ---------------------------------------------------------------- keys (Python ints)
def mix(x: int) -> int:
    """splitmix64's output for state x: a 64-bit hash of a 64-bit integer."""
    x = (x + GOLDEN) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def stream_key(seed: int, sample: int) -> int:
    """The key of sample `sample` of a seed (any integer >= 0, word by word)."""
    h, seed = 0, int(seed)
    while True:
        h = mix((h + (seed & MASK)) & MASK)
        seed >>= 64
        if not seed:
            break
    return mix((h + sample) & MASK)


def step_keys(stream: int, start: int, count: int) -> np.ndarray:
    """The keys of steps start..start+count-1 of a stream: (count,) uint64."""
    return mix_array(U64(stream) + np.arange(start, start + count, dtype=U64))


# ---------------------------------------------------------------- arrays
def mix_array(x: np.ndarray) -> np.ndarray:
    """`mix` of each uint64 (wrapping arithmetic, as C's)."""
    x = x + U64(GOLDEN)
    x = (x ^ (x >> U64(30))) * U64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> U64(27))) * U64(0x94D049BB133111EB)
    return x ^ (x >> U64(31))


def uniform(h: np.ndarray) -> np.ndarray:
    """A uniform in (0, 1) from each 64-bit hash: its top 52 bits, plus a half (exact)."""
    return ((h >> U64(12)).astype(np.float64) + 0.5) * 2.0**-52


def ln(x: np.ndarray) -> np.ndarray:
    """Natural log of positive normal doubles, the same bits on every machine (and in
    csrc/noise.c): x = m 2^e with m in [sqrt(1/2), sqrt(2)), then an odd series in
    f = (m - 1) / (m + 1), |f| <= 0.172, to within a few ulps."""
    m, e = np.frexp(np.asarray(x, dtype=np.float64))
    low = m < SQRT_HALF
    m = np.where(low, m * 2.0, m)
    e = (e - low).astype(np.float64)
    f = (m - 1.0) / (m + 1.0)
    s = f * f
    p = np.full_like(s, SERIES[-1])
    for c in SERIES[-2::-1]:
        p = p * s + c
    f2 = f * 2.0
    return e * LN2_HI + ((f2 + f2 * (s * p)) + e * LN2_LO)


@lru_cache(maxsize=8)
def _levels(vocab: int) -> tuple:
    """The tree over `vocab` leaves, level by level from the root: per level its nodes'
    ids, first leaves and sizes, which of them are leaves, and the inner ones' left sizes."""
    out, ids, lo, size = [], np.array([1], U64), np.array([0]), np.array([vocab])
    while len(ids):
        leaf = size == 1
        inner = ~leaf
        left = size[inner] // 2
        out.append((ids, lo, size, leaf, left))
        ids = np.stack([ids[inner] * U64(2), ids[inner] * U64(2) + U64(1)], 1).ravel()
        lo = np.stack([lo[inner], lo[inner] + left], 1).ravel()
        size = np.stack([left, size[inner] - left], 1).ravel()
    return tuple(out)


def gumbels(keys: np.ndarray, vocab: int) -> np.ndarray:
    """Every leaf's g for each step key: (len(keys),) uint64 -> (len(keys), vocab), in leaf
    order (the whole tree, level by level: what the compiled loop visits in part)."""
    keys = np.asarray(keys, dtype=U64)[:, None]
    out = np.empty((len(keys), vocab))
    e = -ln(uniform(mix_array(keys + U64(1)))) / vocab  # (rows, nodes of the level)
    for ids, lo, size, leaf, left in _levels(vocab):
        out[:, lo[leaf]] = -ln(e[:, leaf])
        inner = ~leaf
        if not inner.any():
            break
        e, ids, size = e[:, inner], ids[inner], size[inner]
        goes_left = uniform(mix_array(keys + ids * U64(2))) * size < left
        other = e + -ln(uniform(mix_array(keys + ids * U64(2) + U64(1)))) / \
            np.where(goes_left, size - left, left)
        e = np.stack([np.where(goes_left, e, other), np.where(goes_left, other, e)],
                     2).reshape(len(keys), -1)
    return out


def token_gumbels(keys: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Every token's g for each step key, in token order: (len(keys), vocab). `order`: the
    token at each leaf (leaf_order)."""
    out = np.empty((len(keys), len(order)))
    out[:, order] = gumbels(keys, len(order))
    return out


_orders: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def leaf_order(model) -> np.ndarray:
    """The token at each leaf of the tree: the vocabulary by the model's p with no context,
    most likely first, ties by id (int32, (vocab,)); once per model."""
    if model not in _orders:
        p = model.context_free_probs()
        _orders[model] = np.argsort(-p, kind="stable").astype(np.int32)
    return _orders[model]
