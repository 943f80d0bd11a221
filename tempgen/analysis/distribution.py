"""One next-token distribution, reshaped by temperature: what `dist` and `curve` show."""

from __future__ import annotations

import numpy as np

from tempgen.generate.samplers.chain import Chain
from tempgen.generate.tempering import entropy_bits, temperature, weighted_sums


def next_token_logprobs(model, prompt: str) -> np.ndarray:
    """ln p of every token after the begin symbol and the prompt: (vocab,)."""
    return model.logprobs(model.opening(model.tokenizer.encode(prompt)))[0]


def tempered(logp: np.ndarray, chains: list[Chain], states: list | None = None) -> dict:
    """The distribution of the next token under each chain (states: each chain's
    [RowState] or None, for stateful chains: chain.start).

    Returns q (n_chains, vocab), removed (n_chains, vocab: tokens the chain took away),
    penalty (n_chains, vocab: what the penalties and DRY took off ln p), the temperature
    each tempered at, entropy_bits and effective choices 2^H per chain.
    """
    states = states or [None] * len(chains)
    applied = [chain.apply(logp[None, :], st) for chain, st in zip(chains, states, strict=True)]
    logq = np.stack([q[0] for q, _ in applied])
    h = entropy_bits(logq)
    penalty = np.stack([chain.penalty(logp[None, :], st)[0]
                        for chain, st in zip(chains, states, strict=True)])
    return {"q": np.exp(logq), "removed": (logq == -np.inf) & (logp > -np.inf)[None, :],
            "penalty": penalty, "temperature": np.array([t[0] for _, t in applied]),
            "entropy_bits": h, "effective": 2.0**h}


def next_token_table(model, prompt: str, chains: list[Chain], top: int) -> dict:
    """The `top` most likely next tokens (under the model) and, per chain, their
    probabilities, whether the chain removed them, its entropy and 2^H: plain data, as the
    dist view and its JSON show it. `tokens` holds each token, id and model probability."""
    logp = next_token_logprobs(model, prompt)
    ids = model.tokenizer.encode(prompt)
    result = tempered(logp, chains, [c.start(model.tokenizer, ids, 1) for c in chains])
    best = np.argsort(-logp, kind="stable")[:top]
    vocab = model.tokenizer.vocab
    return {"model": model.name, "prompt": prompt,
            "tokens": [{"token": vocab[i], "id": int(i), "p_model": float(np.exp(logp[i]))}
                       for i in best],
            "temperatures": [
                {"temperature": chain.temperature, "chain": chain.to_list(),
                 **_extra(chain, result, c, best),
                 "entropy_bits": float(result["entropy_bits"][c]),
                 "effective": float(result["effective"][c]),
                 "q": result["q"][c][best].tolist(),
                 "removed": result["removed"][c][best].tolist()}
                for c, chain in enumerate(chains)]}


def _extra(chain: Chain, result: dict, c: int, best: np.ndarray) -> dict:
    """What a column has beyond the plain chains': the temperature actually used, and
    what the penalties took off each token's ln p."""
    out = {}
    if chain.varies_temperature:
        out["effective_temperature"] = float(result["temperature"][c])
    if any(lk.name in ("penalties", "dry") for lk in chain.links):
        out["penalty"] = result["penalty"][c][best].tolist()
    return out


def curve(logp: np.ndarray, temps: np.ndarray, counts: np.ndarray | None = None) -> dict:
    """Entropy (bits) and the top token's probability at each temperature (0 < T < inf),
    plus the limits: T -> 0 (entropy 0, top 1) and T -> inf (entropy log2 V). `counts`: how
    many tokens share each value of logp (a recorded row's unlisted rest is one value held
    by many), 1 each when not given; memory is that of one row, whatever the temperatures."""
    counts = np.ones(len(logp)) if counts is None else np.asarray(counts, dtype=np.float64)
    entropy, top = np.empty(len(temps)), np.empty(len(temps))
    possible = np.isfinite(logp)
    for i, t in enumerate(temps):
        logq = temperature(logp[None, :], t)[0]  # (each value's own, as if alone)
        shift = np.log(weighted_sums(np.exp(logq), counts))  # (its share among the counts)
        logq = logq - shift
        q = np.exp(logq)
        plogp = np.where(q > 0, q * np.where(q > 0, logq, 0.0), 0.0)  # (0 log 0 = 0)
        entropy[i] = -weighted_sums(plogp, counts) / np.log(2)
        top[i] = q.max()
    return {"temperatures": np.asarray(temps, dtype=np.float64), "entropy_bits": entropy + 0.0,
            "top_p": top, "limit_entropy_bits": float(np.log2(counts[possible].sum()))}


def curve_after(model, prompt: str, temps: np.ndarray | None = None) -> dict:
    """`curve` of the next token after the prompt (at `log_spaced` temperatures by default),
    as plain data: the view and its JSON show it."""
    data = curve(next_token_logprobs(model, prompt), log_spaced() if temps is None else temps)
    return {"model": model.name, "prompt": prompt,
            "temperatures": data["temperatures"].tolist(),
            "entropy_bits": data["entropy_bits"].tolist(), "top_p": data["top_p"].tolist(),
            "limits": {"t_to_0": {"entropy_bits": 0.0, "top_p": 1.0},
                       "t_to_inf": {"entropy_bits": data["limit_entropy_bits"]}}}


def log_spaced(lo: float = 0.05, hi: float = 20.0, count: int = 25) -> np.ndarray:
    """Temperatures evenly spaced in log T, with T = 1 among them when the range holds it."""
    temps = np.geomspace(lo, hi, count)
    if lo < 1 < hi:
        temps[np.argmin(np.abs(np.log(temps)))] = 1.0
    return temps
