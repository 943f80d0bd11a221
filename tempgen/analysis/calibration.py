"""The temperature that best fits a text: argmin over T of its cross-entropy under the
tempered model, q_T = softmax(log p / T), for a text of any size in bounded memory.

With z = ln p and b = 1/T, ln q_T(x | c) = b z(x) - L_c(b), L_c(b) = ln sum_w exp(b z(w)).
So, over N scored tokens, N ln2 CE = sum_c n_c L_c(b) - b A, with A the log-likelihood at
T = 1: convex in b, its derivative sum_c n_c E_q[z] - A and second derivative
sum_c n_c Var_q[z] >= 0. Newton's method on b (kept inside a bracket) finds the minimum in
a few passes over the text; each pass computes the rows of the distinct contexts of one
chunk at a time. The text's ids wait on disk between passes (io/spool.py), and the rows of
as many chunks as ROWS_BYTES holds are kept from one pass to the next.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from tempgen.analysis.scoring import known_pieces
from tempgen.generate.tempering import log_partitions, tempered_moments, weighted_sums
from tempgen.io.limits import memory_budget
from tempgen.io.spool import IdSpool
from tempgen.lm.tokenizer import UNKNOWN

ROWS_BYTES = 64 << 20  # rows kept between passes (at most a quarter of the memory budget)
CHUNK_BYTES = 16 << 20  # rows of one chunk of a pass
CHUNK = 1 << 17  # positions per chunk of a pass, at most
POINTS = (0.25, 0.5, 0.7, 0.85, 1.0, 1.2, 1.5, 2.0, 4.0)  # the curve's temperatures
MAX_PASSES = 60


@dataclass(frozen=True)
class Calibration:
    t_star: float
    bits_at_1: float
    bits_at_t_star: float
    curve: list[tuple[float, float]]  # (T, bits per token)
    tokens: int
    unknown_tokens: list[str] = field(default_factory=list)  # not scored

    def to_dict(self) -> dict:
        return {"t_star": self.t_star, "bits_at_1": self.bits_at_1,
                "bits_at_t_star": self.bits_at_t_star,
                "gain_bits": self.bits_at_1 - self.bits_at_t_star, "tokens": self.tokens,
                "curve": [{"temperature": t, "bits": b} for t, b in self.curve]}


class CrossEntropy:
    """Bits per token of a text under the tempered model, as a function of T, from passes
    over the text's chunks (the spool holds its ids)."""

    def __init__(self, model, spool: IdSpool):
        self.model, self.spool = model, spool
        self.chunk = max(1, min(CHUNK, CHUNK_BYTES // (8 * model.vocab_size)))
        self.kept: list = []  # (counts, rows, targets' place) of the first chunks
        room = min(ROWS_BYTES, memory_budget() // 4)
        self.n, self.total_logp = 0, 0.0
        for chunk in self._computed(0):
            counts, logp, where = chunk
            self.n += int(counts.sum())
            self.total_logp += float(logp[where].sum())  # A, the log-likelihood at T = 1
            room -= logp.nbytes
            if room >= 0:  # (the kept chunks are the first ones only)
                self.kept.append(chunk)

    def _chunks(self):
        """Per chunk: the counts (d,) and rows ln p (d, V) of its distinct contexts, and
        where each position's target is in the rows."""
        yield from self.kept
        yield from self._computed(len(self.kept))

    def _computed(self, start: int):
        """The chunks from the `start`-th on, computed from the spooled ids."""
        before = np.zeros(0, dtype=np.int64)
        for i, ids in enumerate(self.spool.chunks(self.chunk)):
            if i >= start:
                contexts = self.model.stream_contexts(ids, before)
                known = np.flatnonzero(ids != UNKNOWN)
                unique, order, which = self.model.distinct(contexts[known])
                counts = np.bincount(which, minlength=len(unique)).astype(np.float64)
                yield counts, self.model.logprobs(unique), (which, ids[known][order])
            if self.model.width:
                before = np.concatenate([before, ids])[-self.model.width:]

    def moments(self, t: float) -> tuple[float, float, float]:
        """sum_c n_c L_c(1/T) and its first two derivatives in 1/T, over the text."""
        out = np.zeros(3)
        for counts, logp, _ in self._chunks():
            out += [float(weighted_sums(m, counts)) for m in tempered_moments(logp, t)]
        return tuple(out)

    def bits(self, temps: list[float]) -> list[float]:
        """Bits per token at each temperature, from one pass."""
        sums = np.zeros(len(temps))
        for counts, logp, _ in self._chunks():
            sums += weighted_sums(log_partitions(logp, temps), counts)
        return [float(-(self.total_logp / t - s) / self.n / math.log(2))
                for t, s in zip(temps, sums, strict=True)]


def calibrate(model, chunks: Iterable[str], label: str = "<text>", lo: float = 0.05,
              hi: float = 20.0) -> Calibration:
    """T* in [lo, hi] for a text given in chunks (read as one stream from the begin
    symbol; unknown tokens are not scored), and bits per token against T."""
    unknown: dict = {}
    return calibrate_ids(model, model.tokenizer.encode_chunks(chunks, unknown), label, lo, hi,
                         unknown)


def calibrate_ids(model, id_chunks: Iterable[np.ndarray], label: str = "<text>",
                  lo: float = 0.05, hi: float = 20.0, unknown: dict | None = None
                  ) -> Calibration:
    """`calibrate` for a text's token ids, in chunks of any size."""
    unknown = {} if unknown is None else unknown
    with IdSpool() as spool:
        for part, _ in known_pieces(model, id_chunks, label, unknown):
            spool.append(part)
        ce = CrossEntropy(model, spool)
        t_star = _newton(ce, lo, hi)
        points = sorted({*POINTS, round(t_star, 4)})
        values = ce.bits([1.0, t_star, *points])
    return Calibration(t_star, values[0], values[1], list(zip(points, values[2:], strict=True)),
                       ce.n, list(unknown))


def _newton(ce: CrossEntropy, lo: float, hi: float) -> float:
    """The T in [lo, hi] where the cross-entropy is least: Newton's method on b = 1/T,
    falling back to halving the bracket whenever a step would leave it."""
    a, b = 1.0 / hi, 1.0 / lo  # the bracket in b
    beta = min(max(1.0, a), b)
    for _ in range(MAX_PASSES):
        _, mean, var = ce.moments(1.0 / beta)
        slope = mean - ce.total_logp  # (N ln2) dCE/db
        if slope == 0:  # the minimum itself (not an end of the bracket: stop here)
            break
        if slope < 0:
            a = beta
        else:
            b = beta
        step = -slope / var if var > 0 else math.inf
        nxt = beta + step
        if not a < nxt < b:
            nxt = (a + b) / 2
        if abs(nxt - beta) <= 1e-10 * beta or b - a <= 1e-12 * b:
            beta = nxt
            break
        beta = nxt
    return float(1.0 / beta)
