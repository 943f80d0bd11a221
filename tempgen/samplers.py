"""Pure transforms on (batch, vocab) log-probability arrays, and the one random draw.

-inf means impossible and stays impossible; no transform ever empties a row.
"""

from __future__ import annotations

import numpy as np


def temperature(logp: np.ndarray, t) -> np.ndarray:
    """Reshape each row by its temperature: log softmax(logp / T), computed stably.

    logp: (batch, vocab); t: scalar or (batch,). T = 0 keeps only the argmax (ties: lowest id);
    T = inf is uniform over the tokens still allowed; T = 1 returns the row renormalised.
    """
    logp = np.asarray(logp, dtype=np.float64)
    t = np.broadcast_to(np.asarray(t, dtype=np.float64), logp.shape[:1])[:, None]
    if np.any(np.isnan(t)) or np.any(t < 0):
        bad = t[np.isnan(t) | (t < 0)][0]
        raise ValueError(f"temperature must be >= 0, got {bad}")
    finite = np.isfinite(logp)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        z = np.where(np.isinf(t) | (t == 0), 0.0, logp / np.where(t == 0, 1.0, t))
        z = np.where(finite, z, -np.inf)
        z -= z.max(axis=1, keepdims=True)
        out = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    greedy = np.full_like(logp, -np.inf)
    greedy[np.arange(len(logp)), np.argmax(np.where(finite, logp, -np.inf), axis=1)] = 0.0
    return np.where(t == 0, greedy, out)


def gumbel_noise(rng: np.random.Generator, shape) -> np.ndarray:
    """Standard Gumbel noise. Shared across rows, it couples their draws (Gumbel-max)."""
    return rng.gumbel(size=shape)


def draw(logq: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """The single random step: argmax(log q + g) is a sample from q for Gumbel noise g.

    logq, noise: (batch, vocab) -> (batch,) token ids.
    """
    return np.argmax(logq + noise, axis=1)
