"""One next-token distribution, reshaped by temperature: what `dist` and `curve` show."""

from __future__ import annotations

import numpy as np

from tempgen.decode import start_contexts
from tempgen.metrics import entropy_bits
from tempgen.samplers import Chain, temperature


def next_token_logprobs(model, prompt: str) -> np.ndarray:
    """ln p of every token after BOS + prompt: (vocab,)."""
    ctx = start_contexts(model.ngram, model.tokenizer.encode(prompt), 1)
    return model.ngram.logprobs(ctx)[0]


def tempered(logp: np.ndarray, chains: list[Chain]) -> dict:
    """The distribution of the next token under each chain.

    Returns q (n_chains, vocab), removed (n_chains, vocab: tokens the chain's truncation
    took away), entropy_bits and effective choices 2^H per chain.
    """
    logq = np.stack([chain(logp[None, :])[0] for chain in chains])
    h = entropy_bits(logq)
    return {"q": np.exp(logq), "removed": (logq == -np.inf) & (logp > -np.inf)[None, :],
            "entropy_bits": h, "effective": 2.0**h}


def curve(logp: np.ndarray, temps: np.ndarray) -> dict:
    """Entropy (bits) and the top token's probability at each temperature, plus the limits:
    T -> 0 (entropy 0, top 1) and T -> inf (entropy log2 V)."""
    logq = temperature(np.repeat(logp[None, :], len(temps), axis=0), np.asarray(temps))
    return {"temperatures": np.asarray(temps, dtype=np.float64),
            "entropy_bits": entropy_bits(logq), "top_p": np.exp(logq.max(axis=1)),
            "limit_entropy_bits": float(np.log2(np.isfinite(logp).sum()))}


def log_spaced(lo: float = 0.05, hi: float = 20.0, count: int = 25) -> np.ndarray:
    """Temperatures evenly spaced in log T, with T = 1 among them when the range holds it."""
    temps = np.geomspace(lo, hi, count)
    if lo < 1 < hi:
        temps[np.argmin(np.abs(np.log(temps)))] = 1.0
    return temps
