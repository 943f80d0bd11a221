"""The temperature link's dynamic form (llama.cpp's dynamic temperature): T moves within
[T - range, T + range] with the entropy of the row it tempers."""

from __future__ import annotations

import math

import numpy as np

from tempgen.generate.samplers.truncation import probs


def dynamic_temperature(logw: np.ndarray, t: float, span: float, exponent: float
                        ) -> np.ndarray:
    """The temperature of each row of (batch, vocab) log-weights: lo + (hi - lo) (H /
    ln n)^exponent, with lo = max(0, t - span), hi = t + span, H the row's entropy at T = 1
    (nats) and n the tokens it allows. A row with one token keeps t. -> (batch,)"""
    if math.isinf(t):
        return np.full(len(logw), math.inf)
    lo, hi = max(0.0, t - span), t + span
    q = probs(logw)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.where(q > 0, q * np.log(q), 0.0).sum(axis=1)
        n = (logw > -np.inf).sum(axis=1)
        share = entropy / np.log(n)
        out = lo + (hi - lo) * share**exponent
    return np.where(n > 1, out, t)
