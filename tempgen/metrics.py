"""Scores of a text under a model: tokens, bits per token, perplexity, unknown tokens."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from tempgen.ngram import stream_contexts
from tempgen.tokenizer import UNKNOWN


@dataclass(frozen=True)
class Evaluation:
    tokens: int  # tokens scored (unknown ones are not)
    unknown: int  # tokens outside the vocabulary
    bits_per_token: float
    perplexity: float
    unknown_tokens: list[str]

    def to_dict(self) -> dict:
        return asdict(self)


def entropy_bits(logq: np.ndarray) -> np.ndarray:
    """Entropy in bits of each row of log-probabilities: (batch, vocab) -> (batch,)."""
    q = np.exp(logq)
    return -np.sum(q * np.where(q > 0, logq, 0.0), axis=1) / np.log(2) + 0.0  # never -0.0


def stream_logprobs(ngram, ids: np.ndarray) -> np.ndarray:
    """ln p of every known token of one stream that starts at the begin symbol: (n_known,).

    An unknown token is not scored, and later contexts back off past it.
    """
    ids = np.asarray(ids, dtype=np.int64)
    contexts = stream_contexts(ids, ngram.order, ngram.bos)  # a view: no copy
    known = ids != UNKNOWN
    if known.all():
        return ngram.score(contexts, ids)
    return ngram.score(contexts[known], ids[known])


def evaluate(model, text: str) -> Evaluation:
    """Score `text` as one stream from the begin symbol (every newline counts as a token)."""
    ids = model.tokenizer.encode(text)
    lp = stream_logprobs(model.ngram, ids)
    n = len(lp)
    bits = float(-lp.sum() / math.log(2) / n) if n else float("nan")
    return Evaluation(tokens=n, unknown=int((ids == UNKNOWN).sum()),
                      bits_per_token=bits, perplexity=2.0**bits if n else float("nan"),
                      unknown_tokens=model.tokenizer.unknown_tokens(text) if n < len(ids) else [])


def distinct_n(ids: list[int], n: int) -> float | None:
    """Distinct n-grams over all n-grams of a token sequence (None when there is none)."""
    grams = [tuple(ids[i:i + n]) for i in range(len(ids) - n + 1)]
    return len(set(grams)) / len(grams) if grams else None


def novelty(ngram, prompt_ids: np.ndarray, ids: list[int]) -> float | None:
    """Share of the sample's top-order n-grams that never occur in training.

    Only positions whose context reaches the full order count (not the first tokens after
    the text start, an unknown token or, per line, a line start). None when there is none.
    """
    if not ids:
        return None
    stream = np.concatenate([np.asarray(prompt_ids, dtype=np.int64), ids])
    contexts = stream_contexts(stream, ngram.order, ngram.bos)[len(prompt_ids):]
    full = np.all(ngram._walls(contexts) >= 0, axis=1)
    if not full.any():
        return None
    seen = ngram.ngram_seen(contexts[full], np.asarray(ids)[full])
    return float(1.0 - seen.mean())


def sample_stats(model, prompt_ids: np.ndarray, sample) -> dict:
    """What a sweep shows under each column, for one sample."""
    n = len(sample.ids)
    mean_lp = float(np.mean(sample.model_logprobs)) if n else None
    stats = {
        "tokens": n,
        "entropy_bits": float(np.mean(sample.entropies)) if n else None,
        "model_logprob": mean_lp,  # mean ln p per token under the model (T = 1)
        "perplexity": float(np.exp(-mean_lp)) if n else None,
        "distinct_2": distinct_n(sample.ids, 2),
        "novelty": novelty(model.ngram, prompt_ids, sample.ids),
    }
    if model.level == "word":
        stats["distinct_1"] = distinct_n(sample.ids, 1)
    return stats


def merge_stats(stats: list[dict]) -> dict:
    """Token-weighted means of several samples' stats (a column with --num-samples > 1)."""
    total = sum(s["tokens"] for s in stats)
    out: dict = {"tokens": total}
    for key in stats[0]:
        if key == "tokens":
            continue
        pairs = [(s[key], s["tokens"]) for s in stats if s[key] is not None]
        weight = sum(w for _, w in pairs)
        out[key] = sum(v * w for v, w in pairs) / weight if weight else None
    if out.get("model_logprob") is not None:
        out["perplexity"] = float(np.exp(-out["model_logprob"]))
    return out
