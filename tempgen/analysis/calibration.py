"""The temperature that best fits a text: argmin over T of its cross-entropy under the
tempered model, q_T = softmax(log p / T)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tempgen.analysis.scoring import known_ids
from tempgen.generate.tempering import log_partition
from tempgen.lm.tokenizer import UNKNOWN

GOLDEN = (math.sqrt(5) - 1) / 2
CHUNK = 1 << 20  # row entries per chunk of the log-sum-exp


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
    """Bits per token of the targets under the tempered model, as a function of T.

    With z = ln p, ln q_T(x | c) = z(x)/T - LSE_c(T), LSE_c(T) = ln sum_w exp(z(w) / T). So
    CE(T) = -(A/T - sum_c n_c LSE_c(T)) / N: A, the log-likelihood at T = 1, is computed
    once, and each T costs one log-sum-exp over the rows of the *distinct* contexts.
    """

    def __init__(self, model, contexts: np.ndarray, targets: np.ndarray):
        targets = np.asarray(targets, dtype=np.int64)
        self.n = len(targets)
        unique, order, which = model.distinct(contexts)
        self.counts = np.bincount(which, minlength=len(unique)).astype(np.float64)
        self.logp = model.logprobs(unique)  # (distinct contexts, vocab)
        # A, the log-likelihood at T = 1, read from the same rows
        self.total_logp = float(self.logp[which, targets[order]].sum())

    def lse_sum(self, t: float) -> float:
        """sum_c n_c * LSE_c(T), in chunks of rows."""
        total = 0.0
        step = max(1, CHUNK // self.logp.shape[1])
        for lo in range(0, len(self.logp), step):
            total += float(log_partition(self.logp[lo:lo + step], t) @ self.counts[lo:lo + step])
        return total

    def __call__(self, t: float) -> float:
        return -(self.total_logp / t - self.lse_sum(t)) / self.n / math.log(2)


def calibrate(model, contexts: np.ndarray, targets: np.ndarray, lo: float = 0.05,
              hi: float = 20.0, tol: float = 1e-4) -> Calibration:
    """Golden-section search over log T on [lo, hi] (the cross-entropy is convex in 1/T, so
    the minimum is unique), and the curve at a few temperatures for the table."""
    ce = CrossEntropy(model, contexts, targets)
    a, b = math.log(lo), math.log(hi)
    c, d = b - GOLDEN * (b - a), a + GOLDEN * (b - a)
    fc, fd = ce(math.exp(c)), ce(math.exp(d))
    while b - a > tol:
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - GOLDEN * (b - a)
            fc = ce(math.exp(c))
        else:
            a, c, fc = c, d, fd
            d = a + GOLDEN * (b - a)
            fd = ce(math.exp(d))
    t_star = math.exp((a + b) / 2)
    points = sorted({0.25, 0.5, 0.7, 0.85, 1.0, 1.2, 1.5, 2.0, 4.0, round(t_star, 4)})
    return Calibration(t_star, ce(1.0), ce(t_star), [(t, ce(t)) for t in points], ce.n)


def calibrate_text(model, text: str, label: str) -> Calibration:
    """`calibrate` on a text read as one stream from the begin symbol; tokens outside the
    vocabulary are not scored (they are listed in the result). `label` names the text in
    the error when no token of it is known."""
    ids, unknown = known_ids(model, text, label)
    known = ids != UNKNOWN
    result = calibrate(model, model.stream_contexts(ids)[known], ids[known])
    return Calibration(result.t_star, result.bits_at_1, result.bits_at_t_star, result.curve,
                       result.tokens, unknown)
