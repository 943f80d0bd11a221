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
from collections.abc import Iterable

import numpy as np

from tempgen.analysis.estimate import TemperatureEstimate
from tempgen.io.logprobs import Position

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


def remainder(position: Position, probs: list[float]) -> tuple[float, float]:
    """The unlisted remainder R, and the most an unlisted token may have: the least likely
    listed token's p (nothing listed: nothing bounds it but R)."""
    rest = max(0.0, 1.0 - sum(probs))
    return rest, min((math.exp(lp) for _, lp in position.listed if math.exp(lp) > 0),
                     default=rest)


def uneven_spread(rest: float, floor: float, unlisted: int) -> tuple[int, float]:
    """R spread as unevenly as it can be: how many tokens of p_min, and the one left over
    (a p_min too small to divide by, a subnormal: as many as there are unlisted tokens)."""
    whole = int(min(rest / floor, unlisted - 1)) if floor > 0 else 0
    return whole, max(0.0, rest - whole * floor)


def greedy(position: Position) -> str | None:
    """The listed token greedy decoding picks here, when it is not the chosen one."""
    if position.chosen == 0 or not position.listed:
        return None
    top, lp = position.listed[0]
    return top if lp > position.logprob else None


def figures(position: Position, vocab: int = DEFAULT_VOCAB) -> dict:
    """The chosen token's p, the listed mass, the unlisted remainder, and the entropy's
    bounds in bits (with a vocabulary of `vocab` tokens)."""
    probs = known(position)
    mass = sum(probs)
    rest, floor = remainder(position, probs)
    unlisted = max(1, vocab - len(probs))
    h_known = sum(_h(p) for p in probs)
    if rest <= 0 or floor <= 0:
        low = high = h_known
    else:
        whole, last = uneven_spread(rest, floor, unlisted)
        low = h_known + whole * _h(floor) + _h(last)
        high = h_known + unlisted * _h(rest / unlisted)
    return {"token": position.token, "logprob": position.logprob,
            "probability": math.exp(position.logprob),
            "listed": [{"token": t, "logprob": lp} for t, lp in position.listed],
            "chosen_listed": position.chosen is not None,
            "listed_mass": min(mass, 1.0), "unlisted_mass": rest,
            "entropy_bits": [low, max(low, high)]}


def summary(positions: Iterable[Position], fmt: str = "", vocab: int = DEFAULT_VOCAB,
            temperatures=(), estimate: bool = False, each=None, keep: bool = True) -> dict:
    """A completion in one pass over its positions: its text, per-position figures (passed
    to `each` as they are made, and kept with `keep`) and their means; at each of
    `temperatures`, the chosen tokens' probabilities; where greedy decoding would first have
    parted from the text; and (`estimate`) the temperature the chosen tokens point to."""
    n = 0
    sums = {"bits": 0.0, "mass": 0.0, "low": 0.0, "high": 0.0, "unlisted": 0, "not_greedy": 0}
    t_sums = [[0.0, 0.0] for _ in temperatures]
    text, rows, first = [], [], None
    estimator = TemperatureEstimate()
    for i, p in enumerate(positions):
        row = figures(p, vocab)
        row["greedy"] = pick = greedy(p)
        if pick is not None:
            sums["not_greedy"] += 1
            if first is None:
                first = {"position": i, "greedy": pick, "text": "".join(text) + pick}
        if temperatures:
            row["at_temperature"] = []
            for k, t in enumerate(temperatures):
                prob = at_temperature(p, t, vocab)["probability"]
                row["at_temperature"].append({"temperature": t, "probability": prob})
                t_sums[k][0] += prob[0]
                t_sums[k][1] += prob[1]
        if estimate and p.chosen is not None:
            estimator.add(np.array([lp for _, lp in p.listed]), p.chosen)
        n += 1
        text.append(p.token)
        sums["bits"] -= p.logprob / math.log(2)
        sums["mass"] += row["listed_mass"]
        sums["low"] += row["entropy_bits"][0]
        sums["high"] += row["entropy_bits"][1]
        sums["unlisted"] += not row["chosen_listed"]
        if each is not None:
            each(i, row)
        if keep:
            rows.append(row)
    out = {"format": fmt, "text": "".join(text), "tokens": n, "vocab": vocab,
           "mean_surprise_bits": sums["bits"] / n, "mean_listed_mass": sums["mass"] / n,
           "mean_entropy_bits": [sums["low"] / n, sums["high"] / n],
           "chosen_unlisted": sums["unlisted"], "not_greedy": sums["not_greedy"],
           "first_not_greedy": first}
    if temperatures:
        out["temperatures"] = [{"temperature": t, "mean_probability": [a / n, b / n]}
                               for t, (a, b) in zip(temperatures, t_sums, strict=True)]
    if estimate:
        out["estimate"] = estimator.result()
    if keep:
        out["positions"] = rows
    return out


def _unlisted_power(rest: float, floor: float, unlisted: int, beta: float) -> tuple[float, float]:
    """Bounds of the sum of p^beta over the unlisted tokens: their mass `rest` spread as
    unevenly (tokens of p_min and one of the rest) and as evenly as it can be; which is the
    smaller depends on beta's side of 1."""
    if rest <= 0:
        return 0.0, 0.0
    whole, last = uneven_spread(rest, floor, unlisted)
    # (each p here is relative to the largest possible, so at most 1 but for the slack the
    # caller adds: held to 1, no power overflows however small T)
    uneven = whole * min(floor, 1.0) ** beta + min(last, 1.0) ** beta
    even = unlisted * min(rest / unlisted, 1.0) ** beta
    return min(uneven, even), max(uneven, even)


def at_temperature(position: Position, t: float, vocab: int = DEFAULT_VOCAB) -> dict:
    """The chosen token's probability had the row been drawn at temperature t (bounds, as
    the unlisted tokens are not known), and whether another listed token is likelier."""
    probs = known(position)
    rest, floor = remainder(position, probs)
    p = math.exp(position.logprob)
    other = greedy(position)
    if t == 0:  # greedy: 1 when the chosen token is surely the most likely
        prob = [0.0, 0.0] if other or p == 0 else [1.0, 1.0] if p >= floor else [0.0, 1.0]
        return {"temperature": t, "probability": prob, "greedy": other}
    if p == 0:  # (a token the model gave p = 0, ln p = -inf, stays impossible at any T)
        return {"temperature": t, "probability": [0.0, 0.0], "greedy": other}
    beta = 1.0 / t
    unlisted = vocab - len(probs)
    # powers taken relative to the most any token may have (listed, or unlisted, spread
    # either way): none exceeds 1, so none overflows at small t, and the top does not vanish
    scale = max(*probs, floor, rest / max(1, unlisted))
    # the remainder as 1 - a sum is known to a few last bits: its bounds take that in
    slack = 1e-12 if unlisted > 0 else 0.0
    lo_u = _unlisted_power(max(0.0, rest - slack) / scale, floor / scale, max(1, unlisted),
                           beta)[0] if unlisted > 0 else 0.0
    hi_u = _unlisted_power((rest + slack) / scale, floor / scale, max(1, unlisted),
                           beta)[1] if unlisted > 0 else 0.0
    listed_sum = sum((q / scale) ** beta for q in probs)
    num = (p / scale) ** beta  # (part of listed_sum: a sum of 0 has num 0 too)
    return {"temperature": t, "probability": [_share(num, listed_sum + hi_u),
                                              _share(num, listed_sum + lo_u)],
            "greedy": other}


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else 0.0
