"""Randomness: a seed's streams of uniforms, and the one random step, the draw."""

from __future__ import annotations

import numpy as np


def fresh_seed() -> int:
    """A seed from the operating system's entropy, for a run given none (0 <= seed < 2^32)."""
    return int(np.random.SeedSequence().entropy % 2**32)


def stream(seed: int, sample: int) -> np.random.Generator:
    """The random stream of sample `sample` of a seed: the seed's SeedSequence's child of
    that index (what SeedSequence(seed).spawn(n)[sample] gives, made directly)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(sample,)))


def streams(seed: int, count: int) -> list[np.random.Generator]:
    """The streams of samples 0..count-1 of a seed (each the same whatever the count)."""
    return [stream(seed, i) for i in range(count)]


def uniforms(rng: np.random.Generator, shape) -> np.ndarray:
    """The noise of the draw: uniforms in [0, 1), one double of the stream each (so a stream
    is the same however it is cut into blocks)."""
    return rng.random(shape)


def draw(logq: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The single random step (inverse CDF): the first token whose running mass in token order
    exceeds u times the row's mass is a sample from q.

    logq: (batch, vocab), u: (batch,) -> (batch,) token ids. Rows given the same u are
    coupled: their tokens differ only where their distributions do, and nearby
    distributions mostly give the same token; a row with T = 0 gets its one token whatever u.
    (The compiled loop's counterpart: generate/csrc/draw.c, pick.)
    """
    q = np.exp(logq)
    mass = np.cumsum(q, axis=1)
    tok = (mass <= (u * mass[:, -1])[:, None]).sum(axis=1)
    # u * mass rounded up to the whole mass: the last possible token
    last = q.shape[1] - 1 - np.argmax(q[:, ::-1] > 0, axis=1)
    return np.minimum(tok, last)
