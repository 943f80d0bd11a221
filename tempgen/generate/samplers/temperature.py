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


def smoothing(logw: np.ndarray, factor: float, curve: float) -> np.ndarray:
    """Quadratic sampling (text-generation-webui's QuadraticSamplingLogitsWarper, whose
    options these are): each allowed log-weight w becomes m - k f d^2 + s f d^3 with
    d = w - m, m the row's largest, k = (3 - curve) / 2 and s = (curve - 1) / 2. curve 1
    is the plain quadratic; a larger factor narrows the row. factor 0: off."""
    if factor <= 0.0:
        return logw
    m = logw.max(axis=1, keepdims=True)
    k, s = (3.0 - curve) / 2.0, (curve - 1.0) / 2.0
    with np.errstate(invalid="ignore", over="ignore"):
        d = logw - m
        out = -(k * factor * (d * d)) + (s * factor * (d * d * d)) + m
    # (a distance whose square or cube overflows is -inf away: inf - inf there is nan)
    return np.where(logw > -np.inf, np.where(np.isnan(out), -np.inf, out), logw)
