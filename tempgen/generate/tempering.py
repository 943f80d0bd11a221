"""Temperature: q = softmax(z / T) of log-weights z, computed stably, and the entropy of a
distribution. The one place these formulas live in Python (the compiled loop's counterpart:
generate/csrc/vmath.c, temper)."""

from __future__ import annotations

import numpy as np


def _scaled(logw: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For 0 < t < inf: (z, ln sum exp z, the rows' maxima), z = (logw - max) / t.

    Subtracting the maximum before dividing keeps every value <= 0, so even a subnormal T
    gives 0 for the best token and -inf (never NaN) for the rest."""
    top = logw.max(axis=1, keepdims=True)
    with np.errstate(over="ignore"):
        z = (logw - top) / t
    return z, np.log(np.exp(z).sum(axis=1, keepdims=True)), top


def temperature(logw: np.ndarray, t) -> np.ndarray:
    """log softmax(logw / T) per row of (batch, vocab) log-weights; t: scalar or (batch,).

    T = 0 keeps only the most likely token (ties: the lowest id); T = inf is uniform over
    the tokens still allowed (> -inf); T = 1 returns the row normalised.
    """
    logw = np.asarray(logw, dtype=np.float64)
    if np.ndim(t) == 0 and 0 < t < np.inf:  # the common case, kept lean for the decode loop
        z, log_total, _ = _scaled(logw, t)
        z -= log_total
        return z
    t = np.broadcast_to(np.asarray(t, dtype=np.float64), logw.shape[:1])[:, None]
    if np.any(np.isnan(t)) or np.any(t < 0):
        bad = t[np.isnan(t) | (t < 0)][0]
        raise ValueError(f"temperature must be >= 0 (or inf), got {bad}")
    allowed = logw > -np.inf
    greedy = t == 0
    flat = np.isinf(t)
    shifted = logw - logw.max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore"):
        z = np.where(greedy | flat, 0.0, shifted / np.where(greedy | flat, 1.0, t))
    z = np.where(allowed, z, -np.inf)
    z -= z.max(axis=1, keepdims=True)
    out = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    if greedy.any():
        best = np.argmax(logw, axis=1)  # the first maximum: ties go to the lowest id
        one_hot = np.full_like(logw, -np.inf)
        one_hot[np.arange(len(logw)), best] = 0.0
        out = np.where(greedy, one_hot, out)
    return out


def log_partition(logw: np.ndarray, t: float) -> np.ndarray:
    """ln sum_w exp(logw / T) per row, 0 < T < inf: (batch, vocab) -> (batch,). With
    logw = ln p, ln q_T(w) = ln p(w) / T - log_partition(ln p, T)."""
    return log_partitions(logw, [t])[0]


def log_partitions(logw: np.ndarray, temps) -> np.ndarray:
    """`log_partition` at several temperatures: (len(temps), batch)."""
    logw = np.asarray(logw, dtype=np.float64)
    top = logw.max(axis=1, keepdims=True)
    shifted = logw - top
    out = np.empty((len(temps), len(logw)))
    with np.errstate(over="ignore"):
        for i, t in enumerate(temps):
            out[i] = top[:, 0] / t + np.log(np.exp(shifted / t).sum(axis=1))
    return out


def tempered_share(logw: np.ndarray, t: float, mask: np.ndarray) -> np.ndarray:
    """For 0 < t < inf, per row of (batch, vocab) log-weights: the share of q_T =
    softmax(logw / T) on the tokens where `mask` is set (batch,)."""
    z, _, _ = _scaled(np.asarray(logw, dtype=np.float64), t)
    e = np.exp(z)
    return np.where(mask, e, 0.0).sum(axis=1) / e.sum(axis=1)


def tempered_moments(logw: np.ndarray, t: float) -> tuple[np.ndarray, ...]:
    """Per row of (batch, vocab) log-weights, 0 < T < inf: ln sum_w exp(logw / T) (the
    log-partition), and the mean and variance of logw under q_T = softmax(logw / T), which
    are its first and second derivatives in 1/T. Each (batch,)."""
    logw = np.asarray(logw, dtype=np.float64)
    top = logw.max(axis=1, keepdims=True)
    with np.errstate(over="ignore"):
        e = np.exp((logw - top) / t)  # (as _scaled: every value <= 0 before exp)
    total = e.sum(axis=1)
    w = np.where(e > 0, logw, 0.0)  # (an impossible token weighs nothing)
    e *= w
    mean = e.sum(axis=1) / total
    e *= w
    var = np.maximum(e.sum(axis=1) / total - mean * mean, 0.0)
    return top[:, 0] / t + np.log(total), mean, var


def weighted_sums(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """sum_j values[..., j] * weights[j]: (..., n) -> (...), added in the same order on
    every CPU. (A dot product or `@` is BLAS's, which picks its kernel, and with it its order
    of additions, by CPU: the last bits of a figure would depend on the machine.)"""
    return (np.asarray(values, dtype=np.float64) * weights).sum(axis=-1)


def entropy_bits(logq: np.ndarray) -> np.ndarray:
    """Entropy in bits of each row of log-probabilities: (batch, vocab) -> (batch,)."""
    q = np.exp(logq)
    return -np.sum(q * np.where(q > 0, logq, 0.0), axis=1) / np.log(2) + 0.0  # never -0.0
