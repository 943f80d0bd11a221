"""The links that read what a sample drew before: the repetition penalties and DRY, as
llama.cpp defines them. Each takes (batch, vocab) log-weights and each row's history (its
last tokens, oldest first, the prompt's included) and returns the penalised log-weights.
A penalty is finite, so a row is never emptied.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

FLOAT_MAX_LOG = 88.7228391  # llama.cpp caps DRY's exponent so its penalty stays a float


def repetition(logw: np.ndarray, histories: Sequence[Sequence[int]], last_n: int,
               repeat: float, frequency: float, presence: float) -> np.ndarray:
    """For each token used c > 0 times in a row's last `last_n` tokens: its log-weight l
    becomes l * repeat (l <= 0) or l / repeat (l > 0), minus c * frequency + presence."""
    out = logw.copy()
    vocab = logw.shape[1]
    for r, history in enumerate(histories):
        recent = np.asarray(list(history)[-last_n:] if last_n else [], dtype=np.int64)
        recent = recent[(recent >= 0) & (recent < vocab)]
        if not len(recent):
            continue
        count = np.bincount(recent, minlength=vocab)
        used = count > 0
        row = out[r]
        scaled = np.where(row <= 0, row * repeat, row / repeat)
        out[r] = np.where(used, scaled - count * frequency - presence, row)
    return out


def dry_repeats(history: Sequence[int], allowed: int, breakers: dict[int, list[tuple]]
                ) -> dict[int, int]:
    """DRY's repeat lengths (llama.cpp): for each token that followed an earlier occurrence
    of the history's last n >= `allowed` tokens, the longest such n. A repeat does not run
    back past the newest sequence breaker (`breakers`: first token -> the rest of each
    breaker sequence). Empty when the newest breaker is less than `allowed` tokens back."""
    rev = np.asarray(history, dtype=np.int64)[::-1]  # rev[i]: the token i steps back
    size = len(rev)
    if size <= allowed:
        return {}
    limit = size
    for i in range(size):
        tails = breakers.get(int(rev[i]))
        if tails is None:
            continue
        longest = max((len(t) for t in tails
                       if len(t) <= i and all(t[o] == rev[i - o - 1] for o in range(len(t)))),
                      default=-1)
        if longest >= 0:
            limit = i - longest
            break
    if limit < allowed:
        return {}
    # n[k - 1]: how far back the history from k steps back agrees with the history's end
    n = np.zeros(size - 1, dtype=np.int64)
    alive = np.arange(1, size)
    for j in range(limit):
        alive = alive[alive + j < size]
        alive = alive[rev[alive + j] == rev[j]]
        if not len(alive):
            break
        n[alive - 1] += 1
    best: dict[int, int] = {}
    for k in np.flatnonzero(n >= allowed) + 1:
        token = int(rev[k - 1])
        best[token] = max(best.get(token, 0), int(n[k - 1]))
    return best


def dry(logw: np.ndarray, histories: Sequence[Sequence[int]], multiplier: float,
        base: float, allowed: int, last_n: int, breakers: dict[int, list[tuple]]
        ) -> np.ndarray:
    """DRY (Don't Repeat Yourself): a token that would extend a repeat of n >= `allowed`
    tokens loses multiplier * base^(n - allowed) of its log-weight (a single-token sequence
    breaker never does); the exponent is capped as llama.cpp caps it."""
    out = logw.copy()
    cap = int(FLOAT_MAX_LOG / math.log(base)) if base > 1.000001 else 0
    single = {t for t, tails in breakers.items() if () in tails}
    for r, history in enumerate(histories):
        for token, n in dry_repeats(list(history)[-last_n:], allowed, breakers).items():
            if 0 <= token < logw.shape[1] and token not in single:
                exponent = n - allowed
                if cap > 0 and exponent > cap:
                    exponent = cap
                out[r, token] -= multiplier * base**exponent
    return out


def breaker_table(sequences: Sequence[Sequence[int]]) -> dict[int, list[tuple]]:
    """Sequence breakers as token sequences -> {first token: [the rest of each]}."""
    table: dict[int, list[tuple]] = {}
    for seq in sequences:
        if len(seq):
            table.setdefault(int(seq[0]), []).append(tuple(int(t) for t in seq[1:]))
    return table


def no_repeat(logw: np.ndarray, histories: Sequence[Sequence[int]], n: int, last_n: int
              ) -> np.ndarray:
    """No-repeat-n-gram (transformers' NoRepeatNGramLogitsProcessor): a token that would
    complete an n-gram already in a row's last `last_n` tokens (the prompt's included) is
    never drawn. A row it would empty keeps its likeliest token of before."""
    out = logw.copy()
    vocab = logw.shape[1]
    for r, history in enumerate(histories):
        h = np.asarray(list(history)[-last_n:], dtype=np.int64)
        if n < 1 or len(h) < n:
            continue
        grams = np.lib.stride_tricks.sliding_window_view(h, n)
        seen = (grams[:, :-1] == h[len(h) - n + 1:]).all(axis=1) if n > 1 else \
            np.ones(len(grams), dtype=bool)
        banned = grams[seen, -1]
        banned = banned[(banned >= 0) & (banned < vocab)]
        out[r, banned] = -np.inf
        if not (out[r] > -np.inf).any():
            best = int(np.argmax(logw[r]))
            out[r, best] = logw[r, best]
    return out
