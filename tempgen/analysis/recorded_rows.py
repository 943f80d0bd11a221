"""A recorded position's whole row, as the views of a model's rows take it: the known
tokens, then the unlisted rest spread evenly over the rest of the vocabulary (the most
entropy it can have). dist, curve and the explorer's bars draw it."""

from __future__ import annotations

import math

import numpy as np

from tempgen.analysis.distribution import curve, log_spaced, tempered
from tempgen.analysis.recorded import DEFAULT_VOCAB, known, remainder, uneven_spread
from tempgen.errors import TempgenError
from tempgen.io.logprobs import Position, Recorded

ROW_TOKENS = 1 << 20  # a whole row's tokens (dist's bars of each chain hold a few such rows)


def _parts(position: Position, vocab: int) -> tuple[list, np.ndarray, int, float]:
    """The known tokens' names and ln p (listed, most likely first, then the chosen one if
    not listed), how many tokens are unlisted, and ln p of each when the rest is spread
    evenly over them."""
    names = [t for t, _ in position.listed] + ([position.token] if position.chosen is None
                                                else [])
    probs = known(position)
    rest = remainder(position, probs)[0]
    unlisted = max(0, vocab - len(names))
    each = math.log(rest / unlisted) if rest > 0 and unlisted else -math.inf
    return names, np.log(np.maximum(np.array(probs), 1e-320)), unlisted, each


def completed_row(position: Position, vocab: int = DEFAULT_VOCAB) -> tuple[np.ndarray, list]:
    """A whole row for a recorded position, as the views of a model's rows take it: the
    known tokens' ln p, then the unlisted rest spread evenly over the rest of the vocabulary
    (the most entropy it can have). Returns (ln p, the known tokens' names)."""
    if vocab > ROW_TOKENS:
        raise TempgenError(f"a vocabulary of {vocab:,} tokens: a whole row spreads the "
                           f"unlisted rest over at most {ROW_TOKENS:,} (the largest LLM "
                           "vocabularies hold about 256,000)")
    names, logs, unlisted, each = _parts(position, vocab)
    row = np.full(len(names) + unlisted, each)
    row[:len(names)] = [lp for _, lp in position.listed] + (
        [position.logprob] if position.chosen is None else [])
    return row, names


def _position(recorded: Recorded, k: int) -> Position:
    if not 0 <= k < len(recorded.positions):
        raise TempgenError(f"position {k}: the completion has positions 0 to "
                           f"{len(recorded.positions) - 1}")
    return recorded.positions[k]


def position_table(recorded: Recorded, k: int, chains, top: int,
                   vocab: int = DEFAULT_VOCAB) -> dict:
    """The dist view's data for position k of a recorded completion: its `top` listed tokens
    and one row for all the unlisted ones together, at each chain."""
    position = _position(recorded, k)
    row, names = completed_row(position, vocab)
    result = tempered(row, chains)
    n = len(names)
    best = np.argsort(-row[:n], kind="stable")[:top]
    tokens = [{"token": names[i], "p_model": float(np.exp(row[i]))} for i in best]
    tokens.append({"token": f"unlisted×{len(row) - n:,}",
                   "p_model": float(np.exp(row[n:]).sum()) if len(row) > n else 0.0})
    columns = []
    for c, chain in enumerate(chains):
        q, removed = result["q"][c], result["removed"][c]
        columns.append({"temperature": chain.temperature, "chain": chain.to_list(),
                        "entropy_bits": float(result["entropy_bits"][c]),
                        "effective": float(result["effective"][c]),
                        "q": [float(q[i]) for i in best] + [float(q[n:].sum())],
                        "removed": [bool(removed[i]) for i in best]
                        + [bool(len(row) > n and removed[n:].all())]})
    return {"model": f"recorded {recorded.format} completion", "position": k,
            "prompt": "".join(p.token for p in recorded.positions[:k]), "vocab": vocab,
            "tokens": tokens, "temperatures": columns}


def position_curve(recorded: Recorded, k: int, vocab: int = DEFAULT_VOCAB) -> dict:
    """The curve view's data for position k of a recorded completion (the unlisted rest
    spread evenly)."""
    names, logs, unlisted, each = _parts(_position(recorded, k), vocab)
    # (the unlisted tokens as one value held `unlisted` times: no row of the vocabulary)
    data = curve(np.append(logs, each), log_spaced(), np.append(np.ones(len(logs)), unlisted))
    return {"model": f"recorded {recorded.format} completion", "position": k,
            "prompt": "".join(p.token for p in recorded.positions[:k]), "vocab": vocab,
            "temperatures": data["temperatures"].tolist(),
            "entropy_bits": data["entropy_bits"].tolist(), "top_p": data["top_p"].tolist(),
            "limits": {"t_to_0": {"entropy_bits": 0.0, "top_p": 1.0},
                       "t_to_inf": {"entropy_bits": data["limit_entropy_bits"]}}}


def bars_at(position: Position, t: float, vocab: int = DEFAULT_VOCAB, top: int = 10) -> dict:
    """The explorer's bars for a recorded position: its `top` known tokens and one bar for
    the rest, at temperature t and at 1, with the unlisted rest spread evenly (as dist
    --logprobs draws it: `q`, `q_at_1`, `entropy_bits`) and the bounds of each figure over
    every way the rest can be spread (`*_range`: as unevenly and as evenly as it can be,
    the two ends, as `tempgen logprobs` gives them)."""
    names, logs, unlisted, each = _parts(position, vocab)
    rest, floor = remainder(position, known(position))
    whole, last = uneven_spread(rest, floor, max(1, unlisted)) if rest > 0 else (0, 0.0)
    even = [(unlisted, each)]
    uneven = [(whole, math.log(floor) if floor > 0 else -math.inf),
              (1 if last > 0 else 0, math.log(last) if last > 0 else -math.inf)]

    def at(t: float, spread):
        """(q of the known tokens, q of the rest, entropy in bits) at t."""
        groups = [(n, lp) for n, lp in spread if n > 0 and lp > -math.inf]
        if t == 0:
            beta_known = np.where(logs == logs.max(), 0.0, -np.inf)
            q = np.exp(beta_known) / np.exp(beta_known).sum()
            return q, 0.0, 0.0
        beta = 0.0 if math.isinf(t) else 1.0 / t
        zs = beta * logs
        z_groups = [beta * lp + math.log(n) for n, lp in groups]
        top_z = max([zs.max(), *z_groups])
        w, w_groups = np.exp(zs - top_z), [math.exp(z - top_z) for z in z_groups]
        total = w.sum() + sum(w_groups)
        q = w / total
        h = float(-(q[q > 0] * np.log2(q[q > 0])).sum())
        for (n, _), wg in zip(groups, w_groups, strict=True):
            share = wg / total  # (each of the group's n tokens holds share / n)
            if share > 0:
                h -= share * math.log2(share / n)
        return q, sum(w_groups) / total, h

    order = np.argsort(-logs, kind="stable")[:top]

    def figures(t: float) -> dict:
        """q of the top known tokens and of all the others, and the entropy, at t: spread
        evenly, and the bounds over the two ends."""
        (q, _, h), (qu, _, hu) = at(t, even), at(t, uneven)
        # (the others: the rest and the known tokens past the top, 1 - the top's sum)
        other, other_u = 1.0 - float(q[order].sum()), 1.0 - float(qu[order].sum())
        return {"q": q[order], "range": np.stack([np.minimum(q, qu)[order],
                                                  np.maximum(q, qu)[order]], axis=1),
                "other": max(0.0, other), "other_range": sorted(max(0.0, v)
                                                                 for v in (other, other_u)),
                "h": h, "h_range": sorted((h, hu))}

    a, b = figures(t), figures(1.0)
    return {"token": position.token, "temperature": t, "entropy_bits": a["h"],
            "entropy_bits_range": a["h_range"], "entropy_bits_at_1": b["h"],
            "entropy_bits_at_1_range": b["h_range"],
            "bars": [{"token": names[i], "q": float(a["q"][j]), "q_at_1": float(b["q"][j]),
                      "q_range": a["range"][j].tolist(), "q_at_1_range": b["range"][j].tolist(),
                      "chosen": names[i] == position.token} for j, i in enumerate(order)],
            "other": {"q": a["other"], "q_at_1": b["other"], "q_range": a["other_range"],
                      "q_at_1_range": b["other_range"], "unlisted": unlisted}}
