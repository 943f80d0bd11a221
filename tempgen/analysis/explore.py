"""What the explorer shows at one position of a sample: the distribution its token was drawn
from (or the next token's, past its end), at the sample's temperature, at T = 1 and under
the model, and how that distribution's entropy and top
token move with T. Plain data, for a web page."""

from __future__ import annotations

import numpy as np

from tempgen.analysis.distribution import curve, log_spaced, tempered
from tempgen.analysis.stages import stages
from tempgen.generate.samplers.chain import Chain
from tempgen.generate.samples import Sample
from tempgen.generate.tempering import entropy_bits


def position(model, prompt: str, sample: Sample, k: int, chain: Chain, top: int = 10
             ) -> dict:
    """Position k of `sample` (drawn after `prompt` with `chain`; k = its length: the token
    that would come next): the `top` likeliest tokens under the model, as `dist` shows them,
    and the drawn token after them if it is not among them. Each with q under the chain at
    its T (0, and `removed`, when the chain cuts it), q under the chain at T = 1 and p under
    the model; the mass of all the others; the entropies at T, at 1 and of the model; the
    drawn token's rank under the chain (1 = likeliest; None past the end); and the curve of
    entropy and top probability against T."""
    prompt_ids = model.tokenizer.encode(prompt)
    ids = [*prompt_ids.tolist(), *sample.ids[:k]]
    logp = model.logprobs(model.generated_contexts(prompt_ids, [*sample.ids[:k], 0])[-1:])[0]
    # (past the end, Mirostat's bound is taken afresh: the run keeps it for drawn tokens)
    mu = sample.mus[k] if k < len(sample.mus) and sample.mus[k] == sample.mus[k] else None
    chains = [chain, chain.at_temperature(1.0)]
    states = [c.start(model.tokenizer, ids, 1, mu) for c in chains]
    if chain.adaptive is not None:  # (its memory at k: the sample's draws replayed)
        for st in states:
            st[0].adapt = adaptive_memory(model, prompt_ids, sample, k, chain)
    rows = tempered(logp, chains, states)
    at_t, at_one = rows["q"]
    removed = rows["removed"][0]
    h = rows["entropy_bits"]
    best = np.argsort(-logp, kind="stable")[:top].tolist()
    token = sample.ids[k] if k < len(sample.ids) else None
    rank = None
    if token is not None:
        rank = int(np.flatnonzero(np.argsort(-at_t, kind="stable") == token)[0]) + 1
        if token not in best:
            best.append(token)
    c = curve(logp, log_spaced())
    vocab = model.tokenizer.vocab
    p = np.exp(logp)
    # the row after each link at the sample's T, for the same tokens (`dist --stages`)
    steps = [{"label": label, "q": np.exp(logq[0][best]).tolist(),
              "removed": ((logq[0] == -np.inf) & (logp > -np.inf))[best].tolist()}
             for label, _, logq in stages(logp, chain, states[0])]
    return {
        "position": k, "token": None if token is None else vocab[token], "rank": rank,
        "entropy_bits": float(h[0]), "entropy_bits_at_1": float(h[1]),
        "entropy_bits_model": float(entropy_bits(logp[None, :])[0]),
        "bars": [{"token": vocab[i], "id": int(i), "q": float(at_t[i]),
                  "removed": bool(removed[i]), "q_at_1": float(at_one[i]),
                  "p": float(p[i])} for i in best],
        "other": {"q": float(max(0.0, 1.0 - at_t[best].sum())),
                  "q_at_1": float(max(0.0, 1.0 - at_one[best].sum())),
                  "p": float(max(0.0, 1.0 - p[best].sum()))},
        "stages": steps,
        "curve": {"temperatures": c["temperatures"].tolist(),
                  "entropy_bits": c["entropy_bits"].tolist(), "top_p": c["top_p"].tolist()},
    }


REPLAY_ROWS = 256  # model rows replayed at a time (bounded memory on a large vocabulary)


def adaptive_memory(model, prompt_ids, sample: Sample, k: int, chain: Chain
                    ) -> tuple[float, float]:
    """Adaptive-p's memory after the sample's first k tokens: the chain applied to each of
    their rows, in order, each drawn token remembered (as the decode moved it on)."""
    states = chain.start(model.tokenizer, prompt_ids, 1)
    contexts = model.generated_contexts(prompt_ids, [*sample.ids[:k], 0])
    for lo in range(0, k, REPLAY_ROWS):
        rows = model.logprobs(contexts[lo:min(k, lo + REPLAY_ROWS)])
        for j, row in enumerate(rows, start=lo):
            logq, _ = chain.apply(row[None, :], states)
            chain.update(states, [sample.ids[j]], [logq[0, sample.ids[j]]])
    return states[0].adapt
