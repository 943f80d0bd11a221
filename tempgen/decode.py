"""The autoregressive loop: one model call per step for the whole batch."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from tempgen import samplers


@dataclass(frozen=True)
class Step:
    tokens: np.ndarray  # (batch,) ids drawn at this step
    model_logprob: np.ndarray  # (batch,) ln p under the model (T = 1)
    sample_logprob: np.ndarray  # (batch,) ln q under the sampling distribution


def start_contexts(ngram, prompt_ids: np.ndarray, batch: int) -> np.ndarray:
    """(batch, order-1) contexts after BOS + prompt; -1 marks "before the text"."""
    width = ngram.order - 1
    hist = np.concatenate([np.full(width, -1), [ngram.bos], np.asarray(prompt_ids, np.int64)])
    return np.tile(hist[len(hist) - width:] if width else hist[:0], (batch, 1))


def generate(ngram, contexts: np.ndarray, temperatures: np.ndarray,
             rngs: list[np.random.Generator], steps: int) -> Iterator[Step]:
    """Yield `steps` steps for a batch; row i draws from rngs[i] (its own stream)."""
    contexts = np.array(contexts, dtype=np.int64)
    rows = np.arange(len(contexts))
    for _ in range(steps):
        logp = ngram.logprobs(contexts)
        logq = samplers.temperature(logp, temperatures)
        noise = np.stack([samplers.gumbel_noise(r, ngram.vocab_size) for r in rngs])
        tok = samplers.draw(logq, noise)
        yield Step(tok, logp[rows, tok], logq[rows, tok])
        if contexts.shape[1]:
            contexts = np.concatenate([contexts[:, 1:], tok[:, None]], axis=1)
