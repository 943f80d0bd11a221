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
