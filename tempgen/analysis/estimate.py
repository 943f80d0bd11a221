"""The temperature a recorded completion's chosen tokens point to: the maximum likelihood of
beta = 1/T over the positions whose chosen token is listed, conditional on the draw falling
among the listed tokens (which leaves the unlisted rest out), with a 95% interval from the
curvature. It holds only if the log-probabilities are the model's own, before any
temperature or truncation.

Positions come one at a time and are kept in blocks, on disk past the first (io/spool.py):
Newton's method passes over them as often as it needs, in the memory of one block.
"""

from __future__ import annotations

import math

import numpy as np

from tempgen.io.spool import RowSpool

BLOCK = 1 << 14  # positions a block holds
FLOOR = -700.0  # ln p below this counts as this (e^-700 is still a number, e^-746 is 0)


class TemperatureEstimate:
    """Positions added one by one (`add`), the estimate once all are in (`result`)."""

    def __init__(self):
        self.rows: list[tuple[np.ndarray, int]] = []
        self.spool: RowSpool | None = None
        self.count = 0
        self.informative = False  # some chosen token is not the likeliest listed

    def add(self, listed: np.ndarray, chosen: int) -> None:
        """A position: its listed tokens' ln p and the chosen one's index among them."""
        if len(listed) < 2 or not np.isfinite(listed[chosen]):
            return
        lps = np.maximum(np.asarray(listed, dtype=np.float64), FLOOR)
        self.informative |= bool(lps[chosen] < lps.max())
        self.rows.append((lps, chosen))
        self.count += 1
        if len(self.rows) == BLOCK:
            if self.spool is None:
                self.spool = RowSpool()
            self.spool.append(*_block(self.rows))
            self.rows = []

    def result(self) -> dict:
        none = {"positions": self.count, "temperature": None, "interval": None}
        try:
            if not self.count or not self.informative:  # (the likelihood grows as T -> 0)
                return none
            beta = 1.0
            for _ in range(100):  # Newton's method on the concave log-likelihood in beta
                grad = hess = 0.0
                for lps, chosen in self._blocks():
                    g, h = _derivatives(lps, chosen, beta)
                    grad, hess = grad + g, hess + h
                if hess >= 0:  # (no curvature: every listed token alike wherever chosen)
                    return none
                step = grad / hess
                new = beta - step
                beta = new if new > 0 else beta / 2
                if abs(step) < 1e-12 * max(1.0, beta):
                    break
        finally:
            if self.spool is not None:
                self.spool.close()
                self.spool = None
        sd = 1.0 / math.sqrt(-hess)
        lo, hi = beta - 1.96 * sd, beta + 1.96 * sd
        return {"positions": self.count, "temperature": 1.0 / beta,
                "interval": [1.0 / hi, (1.0 / lo) if lo > 0 else math.inf]}

    def _blocks(self):
        if self.spool is not None:
            yield from self.spool.blocks()
        if self.rows:
            yield _block(self.rows)


def _block(rows: list) -> tuple[np.ndarray, np.ndarray]:
    """Rows of different lengths as one (n, width) array, -inf past each row's end."""
    width = max(len(lps) for lps, _ in rows)
    out = np.full((len(rows), width), -np.inf)
    for i, (lps, _) in enumerate(rows):
        out[i, :len(lps)] = lps
    return out, np.array([c for _, c in rows], dtype=np.int64)


def _derivatives(lps: np.ndarray, chosen: np.ndarray, beta: float) -> tuple[float, float]:
    """The log-likelihood's first and second derivatives in beta over a block."""
    z = beta * lps
    w = np.exp(z - z.max(axis=1, keepdims=True))
    q = w / w.sum(axis=1, keepdims=True)
    finite = np.where(np.isfinite(lps), lps, 0.0)  # (q is 0 past a row's end)
    mean = (q * finite).sum(axis=1)
    grad = float((finite[np.arange(len(chosen)), chosen] - mean).sum())
    hess = -float((q * (finite - mean[:, None]) ** 2).sum())
    return grad, hess


def estimate_from(rows) -> dict:
    """The estimate from (listed ln p, the chosen one's index) pairs."""
    est = TemperatureEstimate()
    for lps, chosen in rows:
        est.add(lps, chosen)
    return est.result()


def estimate_temperature(recorded) -> dict:
    """The estimate of a recorded completion (io/logprobs.py, Recorded)."""
    return estimate_from((np.array([lp for _, lp in p.listed]), p.chosen)
                         for p in recorded.positions if p.chosen is not None)
