"""Scores of a text under a model: tokens, bits per token, perplexity, unknown tokens."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from tempgen.errors import TempgenError
from tempgen.lm.tokenizer import UNKNOWN, shown


@dataclass(frozen=True)
class Evaluation:
    tokens: int  # tokens scored (unknown ones are not)
    unknown: int  # tokens outside the vocabulary
    bits_per_token: float
    perplexity: float
    unknown_tokens: list[str]

    def to_dict(self) -> dict:
        return asdict(self)


def stream_logprobs(model, ids: np.ndarray) -> np.ndarray:
    """ln p of every known token of one stream that starts at the begin symbol: (n_known,).

    An unknown token is not scored, and later contexts back off past it.
    """
    ids = np.asarray(ids, dtype=np.int64)
    contexts = model.stream_contexts(ids)
    known = ids != UNKNOWN
    if known.all():
        return model.score(contexts, ids)
    return model.score(contexts[known], ids[known])


def known_ids(model, text: str, label: str) -> tuple[np.ndarray, list[str]]:
    """The token ids of a text to score (UNKNOWN where outside the vocabulary), and its
    unknown tokens; an error naming `label` when the text is empty or no token is known."""
    if not text:
        raise TempgenError(f"{label}: empty text, nothing to score")
    ids = model.tokenizer.encode(text)
    unknown = model.tokenizer.unknown_tokens(text) if (ids == UNKNOWN).any() else []
    if not (ids != UNKNOWN).any():
        raise TempgenError(f"{label}: no token of the text is in the model's vocabulary "
                           f"({shown(unknown)})")
    return ids, unknown


def evaluate(model, text: str, label: str = "<text>") -> Evaluation:
    """Score `text` as one stream from the begin symbol (every newline counts as a token)."""
    ids, unknown = known_ids(model, text, label)
    lp = stream_logprobs(model, ids)
    n = len(lp)
    bits = float(-lp.sum() / math.log(2) / n)
    return Evaluation(tokens=n, unknown=int((ids == UNKNOWN).sum()), bits_per_token=bits,
                      perplexity=perplexity(bits), unknown_tokens=unknown)


def perplexity(bits: float) -> float:
    """2^bits, inf where it overflows (a model that gives the text next to no chance)."""
    return 2.0**bits if bits < 1024 else math.inf
