"""Randomness: a seed's streams of step keys, and the one random step, the draw."""

from __future__ import annotations

import numpy as np

from tempgen.generate.noise import step_keys, stream_key


def fresh_seed() -> int:
    """A seed from the operating system's entropy, for a run given none (0 <= seed < 2^32)."""
    return int(np.random.SeedSequence().entropy % 2**32)


class Stream:
    """The noise of one sample of a seed: a key per step, in turn (noise.py). A sample's
    steps are numbered from its first generated token, so sample i of seed S is the same
    alone, in a batch, or beside other samples."""

    def __init__(self, seed: int, sample: int):
        self.key = stream_key(seed, sample)
        self.step = 0

    def keys(self, count: int) -> np.ndarray:
        """The next `count` step keys: (count,) uint64."""
        out = step_keys(self.key, self.step, count)
        self.step += count
        return out


def stream(seed: int, sample: int) -> Stream:
    return Stream(seed, sample)


def streams(seed: int, count: int) -> list[Stream]:
    """The streams of samples 0..count-1 of a seed (each the same whatever the count)."""
    return [Stream(seed, i) for i in range(count)]


def draw(logq: np.ndarray, g: np.ndarray) -> np.ndarray:
    """The single random step (Gumbel-max): argmax_i (ln q_i + g_i) is a sample of q.

    logq: (batch, vocab); g: (batch, vocab) standard Gumbels (noise.py) -> (batch,) token
    ids. Rows given the same g are coupled: for a row that is only tempered the token is
    argmax_i (z_i + T g_i), which changes with T only where two of these lines cross, so
    nearby temperatures mostly agree; a row with T = 0 gets its one token whatever g.
    Ties go to the lowest id. (The compiled loop's counterpart: csrc/noise.c, which finds
    the same argmax visiting part of the noise's tree.)
    """
    with np.errstate(invalid="ignore"):
        return np.argmax(logq + g, axis=1)
