"""The compiled decode loop (`tempgen._kernel`) for chains that are a temperature alone.

It computes what the numpy path of `tempgen.decode` computes for such chains, row by row
in C: the model row by the interpolation recursion, q = softmax(log p / T), and the draw by
inverse CDF with the row's uniform. Here the model's tables are handed over as they are
stored (no copies) and the outputs of a block of steps are allocated.
"""

from __future__ import annotations

import numpy as np

try:
    from tempgen import _kernel
except ImportError:  # a build without a C compiler: the numpy path does everything
    _kernel = None

AVAILABLE = _kernel is not None


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


def decode_block(ngram, contexts: np.ndarray, temperatures: np.ndarray,
                 uniforms: np.ndarray, row_stream: np.ndarray):
    """Decode uniforms.shape[1] steps; contexts (batch, order-1) int64 are advanced in place.

    temperatures: (batch,); uniforms: (streams, steps); row_stream: (batch,).
    Returns tokens, ln p, ln q and entropy in bits, each (steps, batch).
    """
    steps, batch = uniforms.shape[1], len(contexts)
    tokens = np.empty((steps, batch), dtype=np.int64)
    logp, logq, entropy = (np.empty((steps, batch)) for _ in range(3))
    _kernel.decode(_spec(ngram), contexts, np.ascontiguousarray(temperatures, dtype=np.float64),
                   np.ascontiguousarray(uniforms), np.ascontiguousarray(row_stream, np.int64),
                   tokens, logp, logq, entropy)
    return tokens, logp, logq, entropy
