"""What a recorded completion's log-probabilities say, position by position: the mass the API
listed, the rest it did not, and the entropy the row may have had.

An API lists the most likely tokens only, so a position's distribution is known up to its
unlisted remainder R = 1 - (listed mass). Every unlisted token is at most as likely as the
least likely listed one (p_min; with none listed, R), so the entropy lies between two ways
of spreading R: as
unevenly as possible (as many tokens of p_min as R holds, and one of the rest) and as
evenly as possible (over every unlisted token of a vocabulary of V tokens).
"""

from __future__ import annotations

import math

from tempgen.io.logprobs import Position, Recorded

DEFAULT_VOCAB = 128_000  # unlisted tokens: an LLM vocabulary's size, unless told


def _h(p: float) -> float:
    return -p * math.log2(p) if p > 0 else 0.0


def known(position: Position) -> list[float]:
    """The position's known probabilities: the listed ones, and the chosen token's when it is
    not among them."""
    probs = [math.exp(lp) for _, lp in position.listed]
    if position.chosen is None:
        probs.append(math.exp(position.logprob))
    return probs


def figures(position: Position, vocab: int = DEFAULT_VOCAB) -> dict:
    """The chosen token's p, the listed mass, the unlisted remainder, and the entropy's
    bounds in bits (with a vocabulary of `vocab` tokens)."""
    probs = known(position)
    mass = sum(probs)
    rest = max(0.0, 1.0 - mass)
    unlisted = max(1, vocab - len(probs))
    h_known = sum(_h(p) for p in probs)
    # (nothing listed: nothing bounds an unlisted token but the remainder itself)
    floor = min((math.exp(lp) for _, lp in position.listed if math.exp(lp) > 0), default=rest)
    if rest <= 0 or floor <= 0:
        low = high = h_known
    else:
        whole = min(int(rest / floor), unlisted - 1)  # tokens of p_min, then the rest in one
        low = h_known + whole * _h(floor) + _h(rest - whole * floor)
        high = h_known + unlisted * _h(rest / unlisted)
    return {"token": position.token, "logprob": position.logprob,
            "probability": math.exp(position.logprob),
            "listed": [{"token": t, "logprob": lp} for t, lp in position.listed],
            "chosen_listed": position.chosen is not None,
            "listed_mass": min(mass, 1.0), "unlisted_mass": rest,
            "entropy_bits": [low, max(low, high)]}


def summary(recorded: Recorded, vocab: int = DEFAULT_VOCAB) -> dict:
    """The whole completion: its text, per-position figures and their means."""
    rows = [figures(p, vocab) for p in recorded.positions]
    n = len(rows)
    bits = [-r["logprob"] / math.log(2) for r in rows]
    return {"format": recorded.format, "text": recorded.text, "tokens": n, "vocab": vocab,
            "mean_surprise_bits": sum(bits) / n if n else 0.0,
            "mean_listed_mass": sum(r["listed_mass"] for r in rows) / n if n else 0.0,
            "mean_entropy_bits": [sum(r["entropy_bits"][i] for r in rows) / n if n else 0.0
                                  for i in (0, 1)],
            "chosen_unlisted": sum(not r["chosen_listed"] for r in rows),
            "positions": rows}
