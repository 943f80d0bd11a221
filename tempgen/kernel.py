"""The compiled decode loop (`tempgen._kernel`) for chains that are a temperature alone.

It computes what the numpy path of `tempgen.decode` computes for such chains, row by row
in C: the model row by the interpolation recursion, q = softmax(log p / T), and the draw by
inverse CDF with the row's uniform. Here the model's tables are handed over as they are
stored (no copies), the batch is shared among the cores, and the outputs of a block of
steps are allocated.
"""

from __future__ import annotations

import collections
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

try:
    from tempgen import _kernel
except ImportError:  # a build without a C compiler: the numpy path does everything
    _kernel = None

AVAILABLE = _kernel is not None
DENSE_FLOATS = 1 << 21  # rows kept whole, with their running sums: 16 MB per core at most
SPARSE_FLOATS = 1 << 21  # rows kept by their successors: 16 MB per core at most
FRAME_FLOATS = 1 << 21  # frames of the contexts just above the dense ones: 16 MB per core
# A level is kept by its successors when the contexts a run meets list this many on average
# (weighting each context by its own count, as the more a context lists the more it is met):
# below that, working through them at each step is cheaper than keeping them.
SPARSE_MIN_LISTED = 32
THREADS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
CHUNK_ROWS = 16  # rows a core decodes at a time: enough for their lookups to overlap
CTX_BYTES = 32  # one record per context: what a step reads of it in one cache line
DIRECT_ENTRIES = 1 << 20  # a level's contexts in one table by (parent, token): 4 MB at most


def fits(ngram) -> bool:
    """Whether the compiled loop can take the model: records count in 32 bits."""
    return AVAILABLE and all(
        int(ngram.offsets[m][-1]) < 2**32 and len(ngram.offsets[m]) <= 2**32
        for m in range(1, ngram.order + 1))


def _spec(ngram) -> tuple:
    """The model's tables in the kernel's layout (built once per model)."""
    spec = getattr(ngram, "_kernel_spec", None)
    if spec is None:
        counts = getattr(ngram, "succ_adj", None)
        levels = tuple((
            _contexts(ngram, m),
            ngram.ctx_first[m - 1] if m > 1 else None,
            ngram.succ_token[m],
            counts[m] if counts is not None else None,
            None if counts is not None else np.ascontiguousarray(ngram.succ_u[m],
                                                                 dtype=np.float64),
            np.ascontiguousarray(ngram._disc[m - 1] if counts is not None else np.zeros(4),
                                 dtype=np.float64),
            _direct(ngram, m),
        ) for m in range(1, ngram.order + 1))
        boundary = -1 if ngram.boundary is None else int(ngram.boundary)
        spec = (ngram.order, ngram.vocab_size, ngram.bos, boundary, levels)
        spec += (_kernel.nested(spec + ((False,) * ngram.order,)),)
        ngram._kernel_spec = spec
    return spec


def _contexts(ngram, m: int) -> np.ndarray:
    """The records of the contexts of length m-1 as bytes (csrc/tables.h: Ctx): gamma and
    1 / denominator (float64), then where its successors and children start and how many
    there are (uint32). Filled column by column through two views of one array."""
    offsets = ngram.offsets[m]
    n = len(offsets) - 1
    rec = np.zeros((n, CTX_BYTES // 8), dtype=np.float64)
    half = rec.view(np.uint32)  # (n, 8)
    rec[:, 0] = ngram.gamma[m][:n]  # (its last value stands for "no such context")
    if getattr(ngram, "succ_adj", None) is not None:
        rec[:, 1] = ngram.inv_denom[m]
    half[:, 4] = offsets[:-1]
    half[:, 5] = ngram.succ_count[m]
    if m < ngram.order:
        children = ngram.ctx_children[m]
        half[1:, 6] = np.cumsum(children[:-1], dtype=np.int64)
        half[:, 7] = children
    return rec.reshape(-1).view(np.uint8)


def _direct(ngram, m: int) -> np.ndarray | None:
    """The ranks of the contexts of length m-1 by (parent rank, oldest token) in one table,
    when it is small enough (at most DIRECT_ENTRIES): a lookup reads it instead of searching
    the parent's children."""
    if m < 2:
        return None
    width = ngram.bos + 1
    parents = len(ngram.offsets[m - 1]) - 1
    if parents * width > DIRECT_ENTRIES:
        return None
    keys = ngram.ctx_keys[m - 1].astype(np.int64)
    table = np.full(parents * width, -1, dtype=np.int32)
    table[keys // ngram._base * width + keys % ngram._base] = np.arange(len(keys))
    return table


def levels(ngram, temperatures: int) -> tuple[int, int]:
    """Which contexts a run keeps (tempgen/csrc/kept.h): those of levels 1..dense whole, as
    many levels as DENSE_FLOATS holds (at least the empty context), then those of the
    levels ..depth by their successors, while their contexts list SPARSE_MIN_LISTED."""
    per_row = (ngram.vocab_size + 1) * (1 + 2 * temperatures)
    used, dense = 0, 1
    for k in range(1, ngram.order + 1):
        used += (len(ngram.offsets[k]) - 1) * per_row
        if used > DENSE_FLOATS:
            break
        dense = k
    depth = dense
    while depth < ngram.order and _listed(ngram, depth + 1) >= SPARSE_MIN_LISTED:
        depth += 1
    return dense, depth


def _listed(ngram, m: int) -> float:
    """How many successors the contexts of level m list, each weighted by that number."""
    count = ngram.succ_count[m].astype(np.float64)
    return float(count @ count / max(count.sum(), 1.0))


class Decoder:
    """Decodes a batch of rows with fixed temperatures, block by block; what it builds of
    the model (kept contexts, frames) is kept from one block to the next.

    Rows are independent, and the kernel lets go of the GIL: the batch is cut into chunks of
    CHUNK_ROWS, dealt out to the cores in runs of neighbours, each core with its own run of
    the kernel (and so the contexts its rows meet). A core done with its own takes the last
    chunks of the core with most left: a core slowed by another program holds no one up.
    Call close() when done."""

    def __init__(self, ngram, temperatures):
        temps = np.asarray(temperatures, dtype=np.float64)
        if not np.all(temps >= 0):
            raise ValueError("temperatures: >= 0 (or inf) are needed")
        distinct = list(dict.fromkeys(t for t in temps.tolist() if t > 0))
        index = {t: i for i, t in enumerate(distinct)}
        self.row_temp = np.array([index.get(t, -1) for t in temps.tolist()], dtype=np.int64)
        dense, depth = levels(ngram, len(distinct))
        self.cuts = [*range(0, len(temps), CHUNK_ROWS), len(temps)] if len(temps) else [0, 0]
        chunks = len(self.cuts) - 1
        threads = max(1, min(THREADS, chunks))
        self.deal = np.array_split(np.arange(chunks), threads)  # each core's own chunks
        spec = _spec(ngram)
        self.runs = [_kernel.start(spec, np.array(distinct, dtype=np.float64), dense, depth,
                                   SPARSE_FLOATS, FRAME_FLOATS) for _ in range(threads)]
        self.pool = ThreadPoolExecutor(threads) if threads > 1 else None

    def block(self, contexts: np.ndarray, uniforms: np.ndarray, row_stream: np.ndarray):
        """Decode uniforms.shape[1] steps; contexts (batch, order-1) int64 are advanced in
        place. uniforms: (streams, steps); row_stream: (batch,) int64.
        Returns tokens, ln p, ln q and entropy in bits, each (steps, batch)."""
        uniforms = np.ascontiguousarray(uniforms, dtype=np.float64)
        done: list = [None] * (len(self.cuts) - 1)
        left = [collections.deque(own.tolist()) for own in self.deal]
        lock = threading.Lock()

        def work(me: int) -> None:
            while True:
                with lock:
                    most = max(left, key=len)
                    if not most:
                        return
                    i = left[me].popleft() if left[me] else most.pop()
                lo, hi = self.cuts[i], self.cuts[i + 1]
                tokens = np.empty((uniforms.shape[1], hi - lo), dtype=np.int64)
                logp, logq, entropy = (np.empty(tokens.shape) for _ in range(3))
                _kernel.decode(self.runs[me], contexts[lo:hi], uniforms, row_stream[lo:hi],
                               self.row_temp[lo:hi], tokens, logp, logq, entropy)
                done[i] = tokens, logp, logq, entropy

        if self.pool is None:
            work(0)
        else:
            list(self.pool.map(work, range(len(self.runs))))
        if len(done) == 1:
            return done[0]
        return tuple(np.concatenate(arrays, axis=1) for arrays in zip(*done, strict=True))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
