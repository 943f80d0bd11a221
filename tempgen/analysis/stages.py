"""What each link of a chain does to one next-token row: the row after each stage, the
tokens a link removes struck in their places with what they had, the penalties' factors
(`tempgen dist --stages`)."""

from __future__ import annotations

import numpy as np

from tempgen.analysis.distribution import next_token_logprobs
from tempgen.generate.samplers.chain import Chain
from tempgen.generate.tempering import entropy_bits


def stage_table(model, prompt: str, chain: Chain, top: int) -> dict:
    """The `top` most likely next tokens under the model and, per stage (the model's row,
    then the row after each link of the chain in turn), their probabilities, whether a link
    so far removed them, the penalties' cut of their log-weight, and the stage's entropy:
    the shape of `next_token_table`, a column per stage."""
    logp = next_token_logprobs(model, prompt)
    ids = model.tokenizer.encode(prompt)
    states = chain.start(model.tokenizer, ids, 1)
    best = np.argsort(-logp, kind="stable")[:top]
    vocab = model.tokenizer.vocab
    columns = [_column("model", chain.temperature, logp[None, :], logp, best)]
    for label, so_far, logq in stages(logp, chain, states):
        column = _column(label, chain.temperature, logq, logp, best)
        if so_far.links[-1].name in ("penalties", "dry"):
            column["penalty"] = so_far.penalty(logp[None, :], states)[0][best].tolist()
        columns.append(column)
    return {"model": model.name, "prompt": prompt, "chain": chain.to_list(),
            "tokens": [{"token": vocab[i], "id": int(i), "p_model": float(np.exp(logp[i]))}
                       for i in best],
            "stages": columns}


def stages(logp: np.ndarray, chain: Chain, states) -> list[tuple[str, Chain, np.ndarray]]:
    """The row (log-probabilities, (vocab,)) after each link of the chain in turn: (the
    link's label, the chain up to it, log q (1, vocab))."""
    out = []
    for i, link in enumerate(chain.links):
        so_far = Chain(chain.links[:i + 1])
        logq, _ = so_far.apply(logp[None, :], states)
        out.append((label_of(link), so_far, logq))
    return out


def label_of(link) -> str:
    """A link as a stage's heading: its name, and its value when it is one number."""
    if link.value is None or isinstance(link.value, tuple):
        return link.name
    return f"{link.name}={link.value:g}"


def _column(label: str, t: float, logq: np.ndarray, logp: np.ndarray, best) -> dict:
    h = float(entropy_bits(logq)[0])
    removed = (logq[0] == -np.inf) & (logp > -np.inf)
    return {"label": label, "temperature": t, "q": np.exp(logq[0][best]).tolist(),
            "removed": removed[best].tolist(), "entropy_bits": h, "effective": 2.0 ** h}
