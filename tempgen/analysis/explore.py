"""What the explorer shows at one position of a sample: the distribution its token was drawn
from, at the sample's temperature and at T = 1, and how that distribution's entropy and top
token move with T. Plain data, for a web page."""

from __future__ import annotations

import numpy as np

from tempgen.analysis.distribution import curve, log_spaced, tempered
from tempgen.generate.samplers.chain import Chain
from tempgen.generate.samples import Sample


def position(model, prompt: str, sample: Sample, k: int, chain: Chain, top: int = 10
             ) -> dict:
    """Token k of `sample` (drawn after `prompt` with `chain`): the `top` likeliest tokens
    of its row under the chain (each with q at the chain's T, q at T = 1 and p under the
    model), the mass of all the others, both entropies, the drawn token's rank under the
    chain (1 = likeliest), and the curve of entropy and top probability against T."""
    prompt_ids = model.tokenizer.encode(prompt)
    ids = [*prompt_ids.tolist(), *sample.ids[:k]]
    logp = model.logprobs(model.generated_contexts(prompt_ids, sample.ids[:k + 1])[-1:])[0]
    mu = sample.mus[k] if k < len(sample.mus) and sample.mus[k] == sample.mus[k] else None
    chains = [chain, chain.at_temperature(1.0)]
    rows = tempered(logp, chains, [c.start(model.tokenizer, ids, 1, mu) for c in chains])
    at_t, at_one = rows["q"]
    h = rows["entropy_bits"]
    order = np.argsort(-at_t, kind="stable")
    best = order[:top]
    token = sample.ids[k]
    rank = int(np.flatnonzero(order == token)[0]) + 1
    c = curve(logp, log_spaced())
    vocab = model.tokenizer.vocab
    return {
        "position": k, "token": vocab[token], "rank": rank,
        "entropy_bits": float(h[0]), "entropy_bits_at_1": float(h[1]),
        "bars": [{"token": vocab[i], "id": int(i), "q": float(at_t[i]),
                  "q_at_1": float(at_one[i]), "p": float(np.exp(logp[i]))} for i in best],
        "other": {"q": float(max(0.0, 1.0 - at_t[best].sum())),
                  "q_at_1": float(max(0.0, 1.0 - at_one[best].sum()))},
        "curve": {"temperatures": c["temperatures"].tolist(),
                  "entropy_bits": c["entropy_bits"].tolist(), "top_p": c["top_p"].tolist()},
    }
