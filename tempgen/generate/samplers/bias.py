"""Logit bias (llama.cpp's llama_sampler_logit_bias): a bias added to named tokens'
log-weights, -inf for a token never to be drawn. Settings name tokens by their text; a
chain bound to a model (Chain.for_model) names them by id."""

from __future__ import annotations

import numpy as np


def resolve(pairs: tuple, tokenizer) -> tuple[tuple[int, float], ...]:
    """(token id, bias) pairs of (token text, bias) pairs; ValueError naming a text that is
    not one token of the model. Pairs already by id are checked against the vocabulary."""
    out = []
    for token, bias in pairs:
        if isinstance(token, int):
            if not 0 <= token < len(tokenizer):
                raise ValueError(f"logit bias: token id {token} is not in this model's "
                                 f"vocabulary of {len(tokenizer)}")
            out.append((token, bias))
            continue
        ids = tokenizer.encode(token)
        if len(ids) != 1 or ids[0] < 0:
            shown = token.encode("unicode_escape").decode()
            what = "no token" if len(ids) == 0 else f"{len(ids)} tokens" if len(ids) > 1 \
                else "not a token"
            raise ValueError(f"logit bias: {shown!r} is {what} of this model (it takes one "
                             "token of its vocabulary)")
        out.append((int(ids[0]), bias))
    return tuple(out)


def logit_bias(logw: np.ndarray, pairs: tuple) -> np.ndarray:
    """Each (token id, bias) pair's bias added to that token's log-weights, in order (a
    token named twice gets both). A row it would empty keeps its likeliest token of those
    the bias removed (-inf): no link ever empties a row."""
    if not pairs:
        return logw
    if not all(isinstance(t, int | np.integer) for t, _ in pairs):
        raise ValueError("logit bias names tokens by text: bind the chain to its model first "
                         "(Chain.for_model)")
    out = np.array(logw, dtype=np.float64)
    for token, bias in pairs:
        out[:, token] += bias
    empty = ~(out > -np.inf).any(axis=1)
    if empty.any():
        rows = np.flatnonzero(empty)
        best = np.argmax(logw[rows], axis=1)
        out[rows, best] = logw[rows, best]
    return out
