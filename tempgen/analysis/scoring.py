"""Scores of a text under a model: tokens, bits per token, perplexity, unknown tokens. A
text of any size is scored as a stream, in bounded memory."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np

from tempgen.errors import TempgenError
from tempgen.lm.tokenizer import UNKNOWN, shown

BATCH = 1 << 18  # tokens scored at a time


@dataclass(frozen=True)
class Evaluation:
    tokens: int  # tokens scored (unknown ones are not)
    unknown: int  # tokens outside the vocabulary
    bits_per_token: float
    perplexity: float
    unknown_tokens: list[str]  # the distinct ones (at most tokenizer.MAX_UNKNOWN)

    def to_dict(self) -> dict:
        return asdict(self)


def stream_logprobs(model, ids: np.ndarray, before=(), row_counts=None) -> np.ndarray:
    """ln p of every known token of `ids`, the text so far being `before` (from the begin
    symbol): (n_known,). An unknown token is not scored, and later contexts back off past
    it. row_counts: as the model's `score` takes it."""
    ids = np.asarray(ids, dtype=np.int64)
    contexts = model.stream_contexts(ids, before)
    known = ids != UNKNOWN
    if known.all():
        return model.score(contexts, ids, row_counts)
    return model.score(contexts[known], ids[known], row_counts)


def known_pieces(model, id_chunks: Iterable[np.ndarray], label: str, unknown: dict):
    """The token ids of a text (in chunks of any size), BATCH at a time, each with the ids
    before it (at most the model's width); errors naming `label` for a text with no tokens,
    or none known. `unknown`: the text's distinct unknown tokens, for the message."""
    before, tokens, known = np.zeros(0, dtype=np.int64), 0, 0
    for ids in id_chunks:
        for lo in range(0, len(ids), BATCH):
            part = ids[lo:lo + BATCH]
            yield part, before
            tokens += len(part)
            known += int((part != UNKNOWN).sum())
            before = np.concatenate([before, part])[len(before) + len(part) - model.width:] \
                if model.width else before
    if not tokens:
        raise TempgenError(f"{label}: empty text, nothing to score")
    if not known:
        raise TempgenError(f"{label}: no token of the text is in the model's vocabulary "
                           f"({shown(list(unknown))})")


def evaluate_chunks(model, chunks: Iterable[str], label: str = "<text>") -> Evaluation:
    """Score a text (given in chunks) as one stream from the begin symbol (every newline
    counts as a token)."""
    unknown: dict = {}
    total, n, n_unknown = 0.0, 0, 0
    ids = model.tokenizer.encode_chunks(chunks, unknown)
    for part, before in known_pieces(model, ids, label, unknown):
        lp = stream_logprobs(model, part, before)
        total += lp.sum()
        n += len(lp)
        n_unknown += len(part) - len(lp)
    bits = float(-total / math.log(2) / n)
    return Evaluation(tokens=n, unknown=n_unknown, bits_per_token=bits,
                      perplexity=perplexity(bits), unknown_tokens=list(unknown))


def evaluate(model, text: str, label: str = "<text>") -> Evaluation:
    """Score `text` as one stream from the begin symbol."""
    return evaluate_chunks(model, [text], label)


def perplexity(bits: float) -> float:
    """2^bits, inf where it overflows (a model that gives the text next to no chance)."""
    return 2.0**bits if bits < 1024 else math.inf
