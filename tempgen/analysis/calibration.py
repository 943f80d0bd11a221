"""The temperature that best fits a text: argmin over T of its cross-entropy under the
tempered model, q_T = softmax(log p / T), for a text of any size in bounded memory.

With z = ln p and b = 1/T, ln q_T(x | c) = b z(x) - L_c(b), L_c(b) = ln sum_w exp(b z(w)).
So, over N scored tokens, N ln2 CE = sum_c L_c(b) - b A, with A the log-likelihood at T = 1:
convex in b, its derivative sum_c L'_c(b) - A (L' = E_q[z]) and second derivative
sum_c L''_c(b) >= 0 (L'' = Var_q[z]).

Two rounds of sums find the minimum. The first computes the sums of L, L' and L'' at the
curve's temperatures and the ends of the range: the curve itself, and the two of them between
which the derivative turns positive, where a cubic through its values and slopes places the
minimum to about 1e-4. The second computes them there, and one step of Newton's method takes
the minimum to about 1e-8 (the cross-entropy there to the last bits).

The compiled loop reads the text once: it counts the positions of each row of the model (a
row is named by the deepest context of the model its context matches, so there are at most
as many as the model has contexts, whatever the text's length), and each round sums over
those rows without building them (csrc/moments.c). Without it the text's ids wait on disk
(io/spool.py) and each round is a pass over them, numpy building the rows of a chunk's
distinct contexts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from tempgen.analysis.scoring import known_pieces, stream_logprobs
from tempgen.generate import compiled
from tempgen.generate.tempering import tempered_moments, weighted_sums
from tempgen.io.spool import IdSpool
from tempgen.lm.tokenizer import UNKNOWN

CHUNK_BYTES = 16 << 20  # rows of one chunk of a pass (numpy)
CHUNK = 1 << 17  # positions per chunk of a pass (numpy), at most
POINTS = (0.25, 0.5, 0.7, 0.85, 1.0, 1.2, 1.5, 2.0, 4.0)  # the curve's temperatures


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


class Tallied:
    """A text read once, as `eval` reads it: ln p of its tokens summed, and how many of its
    positions each row of the model has (memory one count a context of the model). `at`
    then sums L, L' and L'' over those rows in the compiled loop, each once, times its
    count."""

    def __init__(self, model):
        self.model = model
        self.counts = np.zeros(model.n_contexts, dtype=np.int64)
        self.n, self.total_logp = 0, 0.0

    def add(self, ids: np.ndarray, before: np.ndarray) -> None:
        """The next ids of the text, `before` the ids before them (at most the width)."""
        logp = stream_logprobs(self.model, ids, before, self.counts)
        self.total_logp += float(logp.sum())
        self.n += len(logp)

    def at(self, temps: Sequence[float]) -> np.ndarray:
        """(len(temps), 3), the sums of L, L' and L'' at each temperature."""
        return compiled.rows_moments(self.model, temps, self.counts)


class Spooled:
    """A text's ids on disk (io/spool.py), and per pass over them (numpy: the rows of a
    chunk's distinct contexts) the sums of L, L' and L'' at the temperatures asked, with the
    number of positions and A."""

    def __init__(self, model, spool: IdSpool):
        self.model, self.spool = model, spool
        self.chunk = max(1, min(CHUNK, CHUNK_BYTES // (8 * model.vocab_size)))
        self.n, self.total_logp = 0, 0.0

    def add(self, ids: np.ndarray, before: np.ndarray) -> None:
        self.spool.append(ids)

    def at(self, temps: Sequence[float]) -> np.ndarray:
        """One pass: (len(temps), 3), the sums of L, L' and L'' at each temperature."""
        sums, n, logp = np.zeros((len(temps), 3)), 0, 0.0
        for contexts, targets in self._positions():
            n += len(targets)
            unique, order, which = self.model.distinct(contexts)
            counts = np.bincount(which, minlength=len(unique)).astype(np.float64)
            rows = self.model.logprobs(unique)
            logp += float(rows[which, targets[order]].sum())
            for i, t in enumerate(temps):
                sums[i] += [float(weighted_sums(m, counts)) for m in tempered_moments(rows, t)]
        self.n, self.total_logp = n, logp
        return sums

    def _positions(self):
        """Per chunk of the text: the contexts of its known tokens, and those tokens."""
        width = self.model.width
        before = np.zeros(0, dtype=np.int64)
        for ids in self.spool.chunks(self.chunk):
            known = ids != UNKNOWN
            yield self.model.stream_contexts(ids, before)[known], ids[known]
            if width:
                before = np.concatenate([before, ids])[-width:]


@contextmanager
def text_moments(model, compiled_loop: bool = True) -> Iterator[Tallied | Spooled]:
    """Where a text's ids go to be summed: the compiled loop's tally when it takes the
    model, else a spool that numpy passes over."""
    if compiled_loop and compiled.fits(model):
        yield Tallied(model)
        return
    with IdSpool() as spool:
        yield Spooled(model, spool)


def calibrate(model, chunks: Iterable[str], label: str = "<text>", lo: float = 0.05,
              hi: float = 20.0) -> Calibration:
    """T* in [lo, hi] for a text given in chunks (read as one stream from the begin
    symbol; unknown tokens are not scored), and bits per token against T."""
    unknown: dict = {}
    return calibrate_ids(model, model.tokenizer.encode_chunks(chunks, unknown), label, lo, hi,
                         unknown)


def calibrate_ids(model, id_chunks: Iterable[np.ndarray], label: str = "<text>",
                  lo: float = 0.05, hi: float = 20.0, unknown: dict | None = None,
                  compiled_loop: bool = True) -> Calibration:
    """`calibrate` for a text's token ids, in chunks of any size."""
    unknown = {} if unknown is None else unknown
    with text_moments(model, compiled_loop) as text:
        for part, before in known_pieces(model, id_chunks, label, unknown):
            text.add(part, before)
        anchors = sorted({lo, hi, 1.0, *POINTS})
        first = text.at(anchors)
        n, logp = text.n, text.total_logp
        beta, at = _estimate([1 / t for t in anchors], first, logp)
        second = text.at([at]) if beta is None else None
    if beta is None:  # one step of Newton's method from the estimate
        total, slope, curve = second[0, 0], second[0, 1] - logp, second[0, 2]
        beta = min(max(1 / at - slope / curve, 1 / hi), 1 / lo) if curve > 0 else 1 / at
    else:
        total = slope = curve = None
    t_star = 1 / beta

    def bits(t: float) -> float:
        if t in anchors:
            sum_l = first[anchors.index(t), 0]
        else:  # (near the second pass's point: its Taylor series, to the last bits)
            d = 1 / t - 1 / at
            sum_l = total + second[0, 1] * d + curve * d * d / 2
        return float((sum_l - logp / t) / n / math.log(2))

    points = sorted({*POINTS, round(t_star, 4)})
    return Calibration(t_star, bits(1.0), bits(t_star), [(t, bits(t)) for t in points], n,
                       list(unknown))


def _estimate(betas: list[float], sums: np.ndarray, logp: float
              ) -> tuple[float | None, float]:
    """From L, L' and L'' at the temperatures 1/betas (descending betas): (the minimum's
    b, when it is at an end of the range), else (None, the temperature a cubic through the
    slope's values and derivatives at the two betas around the minimum places it at)."""
    order = np.argsort(betas)
    b, slope, curve = np.asarray(betas)[order], sums[order, 1] - logp, sums[order, 2]
    if slope[0] >= 0:  # (rising from the hottest end: the minimum is there)
        return float(b[0]), 1 / float(b[0])
    if slope[-1] <= 0:  # (still falling at the coldest end)
        return float(b[-1]), 1 / float(b[-1])
    i = int(np.argmax(slope > 0)) - 1  # slope[i] < 0 < slope[i + 1]
    return None, 1 / _hermite_root(b[i], b[i + 1], slope[i], slope[i + 1], curve[i],
                                   curve[i + 1])


def _hermite_root(x0: float, x1: float, y0: float, y1: float, d0: float, d1: float) -> float:
    """The root in [x0, x1] of the cubic through (x0, y0) and (x1, y1) with slopes d0 and d1
    there (y0 < 0 < y1), by bisection."""
    h = x1 - x0

    def at(x: float) -> float:
        s = (x - x0) / h
        return ((2 * s**3 - 3 * s**2 + 1) * y0 + (s**3 - 2 * s**2 + s) * h * d0 +
                (-2 * s**3 + 3 * s**2) * y1 + (s**3 - s**2) * h * d1)

    lo, hi = x0, x1
    for _ in range(100):
        mid = (lo + hi) / 2
        if at(mid) < 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2
