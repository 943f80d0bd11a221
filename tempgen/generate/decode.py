"""The autoregressive loop: one model call per step for the whole batch.

Rows are independent samples that may use different sampler chains (a sweep's temperatures)
and share noise streams (a sweep's coupling): row r uses chain `row_chain[r]` and the noise
of stream `row_stream[r]` at each step (a step key, and from it a Gumbel per token:
noise.py). A stream's keys are its own, so a row draws the same tokens whatever else is in
the batch.

When the compiled loop is there, it does the work (generate/compiled.py); otherwise numpy
does, with the chain's transforms. Both compute the same rows, chains, noise and
Gumbel-max draw, so a sample's text does not depend on which ran.

A stateless chain's row depends on the context alone, so numpy keeps it per (chain,
context); a stateful chain's (penalties, DRY, Mirostat) also on the row's state, so its
rows are made at every step from the model row, and the state moves on after each draw.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from tempgen.generate import compiled
from tempgen.generate.draw import Stream, draw
from tempgen.generate.noise import leaf_order, token_gumbels
from tempgen.generate.samplers.chain import Chain
from tempgen.generate.tempering import entropy_bits

CACHE_FLOATS = 1 << 21  # rows kept per run: 2 x 16 MB of float64 at most
BLOCK = 256  # step keys made at once by the numpy path
COMPILED_BLOCK = 1024  # steps decoded per call of the compiled loop


class Block(NamedTuple):
    """Steps one after another, each field (steps, batch)."""
    tokens: np.ndarray  # ids drawn
    model_logprob: np.ndarray  # ln p under the model (T = 1)
    sample_logprob: np.ndarray  # ln q under the row's sampling distribution
    entropy: np.ndarray  # entropy of that distribution, in bits
    temperature: np.ndarray  # the temperature the row was tempered at
    mu: np.ndarray  # Mirostat's surprise bound when it drew (bits), else NaN


def generate_blocks(model, contexts: np.ndarray, chains: Sequence[Chain],
                    row_chain: Sequence[int], streams: Sequence[Stream],
                    row_stream: Sequence[int], steps: int, compiled_loop: bool = True,
                    states: Sequence | None = None) -> Iterator[Block]:
    """`steps` steps for a batch of rows (see the module doc for the row mappings), in
    blocks: as many steps as the compiled loop does in one call, or one at a time.

    model: the model contract (lm/model.py); contexts: (batch, width), not changed.
    compiled_loop=False keeps to the numpy path even where the compiled loop could run.
    states: each row's RowState (samplers/state.py), needed by stateful chains, moved on.
    A chain's logit biases may name tokens by text: they are bound to the model's here.
    """
    contexts = np.array(contexts, dtype=np.int64)
    chains = [c.for_model(model.tokenizer) for c in chains]
    noise = _Noise(streams)
    if compiled_loop and compiled.fits(model):
        decoder = compiled.Decoder(model, [chains[c] for c in row_chain], states,
                                   leaf_order(model))
        row_stream = np.asarray(row_stream, dtype=np.int64)
        for start in range(0, steps, COMPILED_BLOCK):
            block = noise.block(min(COMPILED_BLOCK, steps - start))
            yield Block(*decoder.block(contexts, block, row_stream))
        return
    if states is None:
        states = [None] * len(contexts)
    yield from _numpy_blocks(model, contexts, _Plan.of(chains, row_chain, row_stream), noise,
                             steps, states)


class _RowCache:
    """Processed rows (log q) and model rows (log p) per (chain, context); emptied when
    full, so memory stays bounded however long the run."""

    def __init__(self, vocab: int, n_chains: int, batch: int):
        self.capacity = max(2 * batch, CACHE_FLOATS // vocab)
        self.index: list[dict] = [{} for _ in range(n_chains)]
        self.logq: list[np.ndarray] = []
        self.logp: list[np.ndarray] = []
        self.entropy: list[float] = []
        self.temperature: list[float] = []

    def lookup(self, chain_ids: list[int], keys: list) -> list[int]:
        index = self.index
        return [index[c].get(k, -1) for c, k in zip(chain_ids, keys, strict=True)]

    def full(self, n: int) -> bool:
        return len(self.logq) + n > self.capacity

    def clear(self) -> None:
        for d in self.index:
            d.clear()
        self.logq, self.logp, self.entropy, self.temperature = [], [], [], []

    def add(self, chain_ids, keys, logq: np.ndarray, logp: np.ndarray, temps: np.ndarray
            ) -> list[int]:
        start = len(self.logq)
        self.logq.extend(logq)
        self.logp.extend(logp)
        self.entropy.extend(entropy_bits(logq).tolist())
        self.temperature.extend(np.asarray(temps, dtype=np.float64).tolist())
        rows = list(range(start, len(self.logq)))
        for c, k, r in zip(chain_ids, keys, rows, strict=True):
            self.index[c][k] = r
        return rows


class _Keys:
    """A hashable key per row for its context, updated as tokens are appended."""

    def __init__(self, contexts: np.ndarray, base: int):
        self.width = contexts.shape[1]
        self.base = base
        self.packed = self.width * np.log2(base) < 62  # one int64 per context
        self.ctx = contexts.copy()
        if self.packed:
            self.mod = base ** max(self.width - 1, 0)
            self.values = np.zeros(len(contexts), dtype=np.int64)
            for j in range(self.width):
                self.values = self.values * base + (contexts[:, j] + 1)

    def keys(self) -> list:
        if self.packed:
            return self.values.tolist()
        return [row.tobytes() for row in self.ctx]

    def push(self, tokens: np.ndarray) -> None:
        if self.width == 0:
            return
        self.ctx[:, :-1] = self.ctx[:, 1:]
        self.ctx[:, -1] = tokens
        if self.packed:
            self.values %= self.mod
            self.values *= self.base
            self.values += tokens + 1


class _Noise:
    """Each stream's step keys, made in blocks of steps (the keys do not depend on the
    block size)."""

    def __init__(self, streams: Sequence[Stream]):
        self.streams = list(streams)

    def block(self, steps: int) -> np.ndarray:
        """(streams, steps) uint64: the next `steps` keys of every stream."""
        return np.stack([s.keys(steps) for s in self.streams])


@dataclass(frozen=True)
class _Plan:
    """What the numpy path decodes: the chains; each row's chain and noise stream; the rows
    whose chain is stateful (their rows made afresh each step, `live`, in groups by chain)
    and the others (their rows cached per chain and context, `cached`)."""

    chains: Sequence[Chain]
    row_chain: np.ndarray
    row_stream: np.ndarray
    live: list[int]
    cached: list[int]
    groups: dict[int, list[int]]

    @classmethod
    def of(cls, chains, row_chain, row_stream) -> _Plan:
        row_chain = np.asarray([int(c) for c in row_chain], dtype=np.int64)
        live = [r for r, c in enumerate(row_chain.tolist()) if chains[c].stateful]
        cached = [r for r, c in enumerate(row_chain.tolist()) if not chains[c].stateful]
        groups = {c: [r for r in live if row_chain[r] == c]
                  for c in sorted(set(row_chain[live].tolist()))}
        return cls(chains, row_chain, np.asarray(row_stream, dtype=np.int64), live, cached,
                   groups)


def _numpy_blocks(model, contexts, plan: _Plan, noise, steps, states):
    """The numpy path: a step at a time; rows of stateless chains cached per (chain,
    context), those of stateful ones made afresh from the model row."""
    batch = len(contexts)
    chains, live, cached, groups = plan.chains, plan.live, plan.cached, plan.groups
    cache = _RowCache(model.vocab_size, len(chains), batch)
    keys = _Keys(contexts, model.vocab_size + 2)
    memo = model.row_memo()
    rows = np.arange(batch)
    logq = np.empty((batch, model.vocab_size))
    logp = np.empty((batch, model.vocab_size))
    entropy, temps, mu = np.empty(batch), np.empty(batch), np.full(batch, np.nan)
    order = leaf_order(model)
    for step in range(steps):
        if step % BLOCK == 0:
            block = noise.block(min(BLOCK, steps - step))
        if cached:
            at = _cached_rows(plan, cache, keys, memo)
            for r, i in zip(cached, at, strict=True):
                logq[r], logp[r] = cache.logq[i], cache.logp[i]
                entropy[r], temps[r] = cache.entropy[i], cache.temperature[i]
        if live:
            logp[live] = np.log(memo.probs(keys.ctx[live]))
            for c, members in groups.items():
                mine = [states[r] for r in members]
                if mine[0].mu is not None:
                    mu[members] = [s.mu for s in mine]
                logq[members], temps[members] = chains[c].apply(logp[members], mine)
                entropy[members] = entropy_bits(logq[members])
        g = token_gumbels(block[:, step % BLOCK], order)
        tok = draw(logq, g[plan.row_stream])
        drawn = logq[rows, tok]
        for c, members in groups.items():
            chains[c].update([states[r] for r in members], tok[members], drawn[members])
        yield Block(tok[None], logp[rows, tok][None], drawn[None], entropy[None].copy(),
                    temps[None].copy(), mu[None].copy())
        keys.push(tok)


def _cached_rows(plan: _Plan, cache: _RowCache, keys: _Keys, memo) -> list[int]:
    """Where the cache holds the rows of the plan's cached rows at this step (making the
    missing)."""
    members, key_list = plan.cached, keys.keys()
    at = cache.lookup([int(plan.row_chain[r]) for r in members],
                      [key_list[r] for r in members])
    miss = [j for j, i in enumerate(at) if i < 0]
    if miss and cache.full(len(miss)):  # start afresh: every row of this step misses
        cache.clear()
        at, miss = [-1] * len(members), list(range(len(members)))
    if miss:
        rows = [members[j] for j in miss]
        logp = np.log(memo.probs(keys.ctx[rows]))
        logq, temps = np.empty_like(logp), np.empty(len(rows))
        rc = plan.row_chain[rows]
        for c in set(rc.tolist()):
            sel = rc == c
            logq[sel], temps[sel] = plan.chains[c].apply(logp[sel])
        new = cache.add(rc.tolist(), [key_list[r] for r in rows], logq, logp, temps)
        for j, i in zip(miss, new, strict=True):
            at[j] = i
    return at
