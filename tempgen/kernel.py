"""The compiled decode loop (`tempgen._kernel`) for chains that are a temperature alone.

It computes what the numpy path of `tempgen.decode` computes for such chains, row by row
in C: the model row by the interpolation recursion, q = softmax(log p / T), and the draw by
inverse CDF with the row's uniform. Here the model's tables are handed over as they are
stored (no copies) and the outputs of a block of steps are allocated.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

try:
    from tempgen import _kernel
except ImportError:  # a build without a C compiler: the numpy path does everything
    _kernel = None

AVAILABLE = _kernel is not None
SPARSE_VOCAB = 2048  # from this size on, rows are worked on sparsely (word models)
THREADS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
MIN_ROWS_PER_THREAD = 8  # fewer rows than this per thread are not worth a thread


def _spec(ngram) -> tuple:
    """The model's tables in the kernel's layout (built once per model)."""
    spec = getattr(ngram, "_kernel_spec", None)
    if spec is None:
        levels = []
        for m in range(1, ngram.order + 1):
            counts = getattr(ngram, "succ_adj", None)
            disc = ngram._disc[m - 1] if counts is not None else np.zeros(4)
            levels.append((
                ngram.ctx_keys[m - 1] if m > 1 else None,
                _children(ngram.ctx_children[m - 1]) if m > 1 else None,
                ngram.offsets[m],
                ngram.succ_token[m],
                counts[m] if counts is not None else None,
                None if counts is not None else np.ascontiguousarray(ngram.succ_u[m],
                                                                     dtype=np.float64),
                ngram.gamma[m],
                ngram.inv_denom[m] if counts is not None else None,
                np.ascontiguousarray(disc, dtype=np.float64),
            ))
        boundary = -1 if ngram.boundary is None else int(ngram.boundary)
        spec = (ngram.order, ngram.vocab_size, ngram.bos, boundary, ngram._base, tuple(levels))
        ngram._kernel_spec = spec
    return spec


def _children(counts: np.ndarray) -> np.ndarray:
    """Where each parent's children start among the keys (a running sum): (n_parents + 1,)."""
    out = np.zeros(len(counts) + 1, dtype=np.int32 if counts.sum() < 2**31 else np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def _unigram(ngram) -> tuple[np.ndarray, np.ndarray]:
    """The row of the empty context (as the kernel computes it) and its tokens by
    probability, most likely first (ties: the lower id first)."""
    tables = getattr(ngram, "_kernel_unigram", None)
    if tables is None:
        lo, hi = int(ngram.offsets[1][0]), int(ngram.offsets[1][1])
        row = np.full(ngram.vocab_size, 1.0 / ngram.vocab_size) * ngram.gamma[1][0]
        row[ngram.succ_token[1][lo:hi]] += ngram._u_range(1, lo, hi, 0)
        tables = (row, np.argsort(-row, kind="stable").astype(np.int64))
        ngram._kernel_unigram = tables
    return tables


def decode_block(ngram, contexts: np.ndarray, temperatures: np.ndarray,
                 uniforms: np.ndarray, row_stream: np.ndarray, sparse: bool | None = None):
    """Decode uniforms.shape[1] steps; contexts (batch, order-1) int64 are advanced in place.

    temperatures: (batch,); uniforms: (streams, steps); row_stream: (batch,).
    sparse: whether to work on the tokens each context lists rather than on whole rows
    (default: for vocabularies of SPARSE_VOCAB tokens or more).
    Returns tokens, ln p, ln q and entropy in bits, each (steps, batch).
    """
    if sparse is None:
        sparse = ngram.vocab_size >= SPARSE_VOCAB
    r1, order = _unigram(ngram) if sparse else (None, None)
    temperatures = np.ascontiguousarray(temperatures, dtype=np.float64)
    uniforms = np.ascontiguousarray(uniforms)
    row_stream = np.ascontiguousarray(row_stream, dtype=np.int64)
    spec = _spec(ngram)

    def run(lo: int, hi: int) -> tuple[np.ndarray, ...]:
        tokens = np.empty((uniforms.shape[1], hi - lo), dtype=np.int64)
        logp, logq, entropy = (np.empty(tokens.shape) for _ in range(3))
        _kernel.decode(spec, contexts[lo:hi], temperatures[lo:hi], uniforms, row_stream[lo:hi],
                       tokens, logp, logq, entropy, r1, order)
        return tokens, logp, logq, entropy

    # Rows are independent, and the kernel lets go of the GIL: a large batch is cut into
    # one block of rows per core.
    batch = len(contexts)
    parts = min(THREADS, batch // MIN_ROWS_PER_THREAD)
    if parts <= 1:
        return run(0, batch)
    cuts = np.linspace(0, batch, parts + 1).astype(int)
    with ThreadPoolExecutor(parts) as pool:
        done = list(pool.map(run, cuts[:-1], cuts[1:]))
    return tuple(np.concatenate(arrays, axis=1) for arrays in zip(*done, strict=True))
