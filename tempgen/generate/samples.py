"""Samples as text: prompt to contexts, per-sample noise streams, stop strings, results."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from tempgen.generate.choices import sample_blocks
from tempgen.generate.decode import generate_blocks
from tempgen.generate.draw import stream
from tempgen.generate.textstream import TextStream
from tempgen.io.limits import memory_budget

# What a sample holds per token until it is printed (its token, id, three floats, and their
# share of the text and the JSON line): the bound on samples held at once.
HELD_BYTES_PER_TOKEN = 300


def held_limit() -> int:
    """The most tokens of samples this process may hold at once (in the memory it may use)."""
    return memory_budget() // HELD_BYTES_PER_TOKEN


@dataclass
class Sample:
    text: str = ""
    tokens: list[str] = field(default_factory=list)
    model_logprobs: list[float] = field(default_factory=list)  # ln p under the model
    sample_logprobs: list[float] = field(default_factory=list)  # ln q when drawn
    entropies: list[float] = field(default_factory=list)  # bits, of each q drawn from
    ids: list[int] = field(default_factory=list)  # the token ids
    stopped: bool = False  # ended at a stop string
    temperatures: list[float] = field(default_factory=list)  # each token's tempering T
    mus: list[float] = field(default_factory=list)  # Mirostat's bound at each token (NaN)
    varies: bool = False  # its chain moves the temperature (or Mirostat's bound)

    def to_dict(self) -> dict:
        out = {"text": self.text, "tokens": self.tokens, "model_logprobs": self.model_logprobs,
               "sample_logprobs": self.sample_logprobs, "entropies": self.entropies,
               "stopped": self.stopped}
        if self.varies:
            out["effective_temperature"] = self.temperatures
            if any(m == m for m in self.mus):
                out["mirostat_mu"] = self.mus
        return out


def pieces(model, prompt: str, sample: Sample) -> list[tuple[str, float]]:
    """(the text each token adds after the prompt, with its spacing; its probability when
    drawn), token by token."""
    add = model.tokenizer.joiner(model.tokenizer.split(prompt))
    return list(zip([add(t) for t in sample.tokens], np.exp(sample.sample_logprobs).tolist(),
                    strict=True))


def _start(model, prompt: str, rows: int):
    ids = model.tokenizer.encode(prompt)
    return model.opening(ids, rows), model.tokenizer.split(prompt), ids


def batch_samples(model, prompt: str, chains, row_chain: Sequence[int],
                  row_sample: Sequence[int], length: int, seed: int,
                  stops: Sequence[str] = ()) -> list[Sample]:
    """Generate every row in one batch. Row r uses chains[row_chain[r]] and the noise of
    sample row_sample[r] of the seed (rows sharing a sample are coupled)."""
    place = {i: k for k, i in enumerate(sorted(set(row_sample)))}  # sample -> its stream
    rngs = [stream(seed, i) for i in place]
    row_stream = [place[i] for i in row_sample]
    contexts, before, ids = _start(model, prompt, len(row_chain))
    vocab = model.tokenizer.vocab
    texts = [TextStream(model.tokenizer.joiner(before), stops, pieces=False)
             for _ in row_chain]
    out = [Sample(varies=chains[c].varies_temperature) for c in row_chain]
    states = [(chains[c].start(model.tokenizer, ids, 1) or [None])[0] for c in row_chain]
    for block in generate_blocks(model, contexts, chains, row_chain, rngs, row_stream, length,
                                 states=states):
        columns = [a.T.tolist() for a in block]  # per row: its ids, ln p, ln q, entropies
        for r, (ts, s) in enumerate(zip(texts, out, strict=True)):
            if not ts.done:
                _feed(ts, s, vocab, *(c[r] for c in columns))
        if all(t.done for t in texts):
            break
    for s, ts in zip(out, texts, strict=True):
        s.text, s.stopped = ts.text, ts.done
    return out


def _feed(ts: TextStream, s: Sample, vocab, ids, logp, logq, entropy, temps, mus) -> None:
    """A row's steps into its text stream and its sample, up to a stop string."""
    words = [vocab[i] for i in ids]
    _, fed = ts.feed_all(words)
    s.tokens += words[:fed]
    s.ids += ids[:fed]
    s.model_logprobs += logp[:fed]
    s.sample_logprobs += logq[:fed]
    s.entropies += entropy[:fed]
    s.temperatures += temps[:fed]
    s.mus += mus[:fed]


def stream_sample(model, prompt: str, chain, length: int, seed: int, index: int,
                  stops: Sequence[str] = (), flush_every: int = 256, with_probs: bool = True,
                  chosen: dict[int, int] | None = None
                  ) -> Iterator[list[tuple[str, float | None]]]:
    """Sample `index` of `seed`, alone, as lists of (text, probability when drawn) pieces,
    a list every `flush_every` tokens at least (or at every block of the compiled loop).
    with_probs=False: text alone, a piece per list (probability None). `chosen`: tokens
    that stand instead of the draw at their steps (generate/choices.py)."""
    contexts, before, ids = _start(model, prompt, 1)
    vocab = model.tokenizer.vocab
    ts = TextStream(model.tokenizer.joiner(before), stops, pieces=with_probs)
    rng = stream(seed, index)
    ready: list[tuple[str, float | None]] = []
    since = 0  # tokens fed since the last list
    state = chain.start(model.tokenizer, ids, 1)
    for block in sample_blocks(model, contexts, chain, rng, length, chosen, state):
        words = [vocab[i] for i in block.tokens[:, 0].tolist()]
        probs = np.exp(block.sample_logprob[:, 0]).tolist() if with_probs else None
        got, fed = ts.feed_all(words, probs)
        ts.forget()
        ready += got
        since += fed
        if ts.done:
            break
        if since >= flush_every:
            yield ready
            ready, since = [], 0
    ready += ts.close()
    if ready:
        yield ready


# The per-token fields of a sample, in the order of its JSON (Sample.to_dict; the last two
# only with a chain that varies the temperature, after "stopped")
FIELDS = ("tokens", "model_logprobs", "sample_logprobs", "entropies",
          "effective_temperature", "mirostat_mu")


def sample_chunks(model, prompt: str, chain, length: int, seed: int, index: int = 0,
                  stops: Sequence[str] = (), chosen: dict[int, int] | None = None
                  ) -> Iterator[dict]:
    """`one_sample` as it comes, block by block, holding nothing: per block its final text
    ("text") and each of FIELDS of its tokens (lists); the last has "stopped" too."""
    contexts, before, ids = _start(model, prompt, 1)
    vocab = model.tokenizer.vocab
    ts = TextStream(model.tokenizer.joiner(before), stops, pieces=False)
    state = chain.start(model.tokenizer, ids, 1)
    for block in sample_blocks(model, contexts, chain, stream(seed, index), length, chosen,
                               state):
        ids, logp, logq, entropy, temps, mus = (a[:, 0].tolist() for a in block)
        words = [vocab[i] for i in ids]
        got, fed = ts.feed_all(words)
        yield {"text": "".join(p for p, _ in got),
               **dict(zip(FIELDS, (words[:fed], logp[:fed], logq[:fed], entropy[:fed],
                                   temps[:fed], mus[:fed]), strict=True))}
        ts.forget()
        if ts.done:
            break
    yield {"text": "".join(p for p, _ in ts.close()), **{f: [] for f in FIELDS},
           "stopped": ts.done}


def one_sample(model, prompt: str, chain, length: int, seed: int, index: int = 0,
               stops: Sequence[str] = (), chosen: dict[int, int] | None = None) -> Sample:
    """Sample `index` of `seed` whole, with its tokens, ids and figures (as `batch_samples`
    gives it, and with `chosen` tokens as `stream_sample` takes them)."""
    contexts, before, ids = _start(model, prompt, 1)
    vocab = model.tokenizer.vocab
    ts = TextStream(model.tokenizer.joiner(before), stops, pieces=False)
    out = Sample(varies=chain.varies_temperature)
    state = chain.start(model.tokenizer, ids, 1)
    for block in sample_blocks(model, contexts, chain, stream(seed, index), length, chosen,
                               state):
        _feed(ts, out, vocab, *(a[:, 0].tolist() for a in block))
        if ts.done:
            break
    out.text, out.stopped = ts.text, ts.done
    return out
