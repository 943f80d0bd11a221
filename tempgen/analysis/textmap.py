"""Every text one seed gives as the temperature runs over a range, with the exact
temperatures where it changes (`tempgen map`).

With the Gumbel-max draw, a chain whose links before temperature do not depend on T draws
at step s the token argmax_i (z_i + T g_i): z the row after those links (the same at every
T while the text before it is the same), g the step's noise (the same at every T). So along
T the token is the upper envelope of lines, and the text a step function of T. The search
goes a step at a time over all the intervals of T whose texts are still alike up to that
step (one model call for all of them), splitting each where its envelope changes token.
Every interval ends exactly where two lines cross (to the last bits of that division).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tempgen.analysis.lines import check_mappable, envelope
from tempgen.generate.draw import stream
from tempgen.generate.noise import leaf_order, token_gumbels
from tempgen.generate.samplers.chain import Chain

MAX_TEXTS = 1000  # the texts a map keeps by default


@dataclass
class Text:
    """One text of the map: its tokens, the temperatures that give it ([lo, hi), or the
    point T = 0 alone when lo == hi == 0), and where it departs from the text before it."""

    lo: float
    hi: float
    tokens: list[int]
    departs: int = 0
    logq: list[float] = field(default_factory=list)  # ln q of each token, at the interval's
    # middle (for colouring by probability)


@dataclass
class TextMap:
    texts: list[Text]
    lo: float
    hi: float
    reached: float  # the map is whole on [lo, reached)
    critical: float | None  # the first T > 0 where the text leaves the greedy one

    @property
    def complete(self) -> bool:
        return self.reached >= self.hi


NOISE_CELLS = 1 << 18  # (step, token) noise made at once
CHUNK_CELLS = 1 << 19  # (interval, token) cells worked on at once: a few MB


def _walk(model, prompt: str, chain: Chain, seed: int, sample: int) -> tuple:
    """What a walk along the texts of a seed starts from: the chain's links before
    temperature (checked mappable), the prompt's ids, the token a text stops at (a per-line
    model's newline, else none: -1), the sample's noise, the noise tree's leaf order, and
    how many steps' noise is made at once."""
    stop = model.tokenizer.index.get("\n") if model.per_line else -1
    return (check_mappable(chain), model.tokenizer.encode(prompt), stop, stream(seed, sample),
            leaf_order(model), max(1, NOISE_CELLS // model.vocab_size))


def text_map(model, prompt: str, chain: Chain, length: int, seed: int, lo: float, hi: float,
             max_texts: int = MAX_TEXTS, sample: int = 0, progress=None) -> TextMap:
    """The texts sample `sample` of `seed` takes as T runs over [lo, hi), in order of T.
    Stops once `max_texts` texts are found: the map is then whole up to `reached`."""
    before, prompt_ids, stop, noise, order, steps = _walk(model, prompt, chain, seed, sample)
    # the intervals whose texts are alike so far: their ends, the context of their next
    # token, their chain's state, and their text as a node of a tree of tokens
    los, his = np.array([lo], dtype=np.float64), np.array([hi], dtype=np.float64)
    contexts = model.opening(prompt_ids)
    states = chain.start(model.tokenizer, prompt_ids, 1)
    nodes = np.array([-1])
    tree = _Tree()
    done: list[tuple[float, float, int]] = []  # (lo, hi, node) of texts that ended
    reached = hi
    for step in range(length):
        if not len(los):
            break
        if step % steps == 0:
            block = token_gumbels(noise.keys(min(steps, length - step)), order)
        g = block[step % steps]  # (one step's noise: every interval's)
        distinct, which = np.unique(contexts, axis=0, return_inverse=True)
        rows_of = model.logprobs(distinct)  # (intervals sharing a context share its row)
        which = which.ravel()
        parts = []
        chunk = max(1, CHUNK_CELLS // model.vocab_size)  # (memory a few MB wide)
        for first in range(0, len(los), chunk):
            at = slice(first, first + chunk)
            z = rows_of[which[at]]
            if before.links:
                z = before.apply(z, None if states is None else states[at])[0]
            rows, tokens, a, b = _pieces(z, g, los[at], his[at])  # (in order of T)
            parts.append((rows + first, tokens, a, b, _logqs(z[rows], tokens, a, b)))
        rows, tokens, a, b, logq = (np.concatenate(c) for c in zip(*parts, strict=True))
        pieces = (rows, tokens, a, b)
        new = tree.add(tokens, logq, nodes[rows])
        ended = tokens == stop
        done += [(a, b, int(parent)) for a, b, parent
                 in zip(pieces[2][ended], pieces[3][ended], nodes[rows][ended], strict=True)]
        keep = ~ended
        los, his = pieces[2][keep], pieces[3][keep]
        rows, tokens, nodes = rows[keep], tokens[keep], new[keep]
        contexts = np.concatenate([contexts[rows, 1:], tokens[:, None]], axis=1) \
            if contexts.shape[1] else contexts[rows]
        states = _moved(chain, states, rows, tokens)
        if len(done) + len(los) > max_texts:
            reached = min(reached, sorted([*los, *(d[0] for d in done)])[max_texts])
            kept = los < reached
            los, his, nodes, contexts = los[kept], his[kept], nodes[kept], contexts[kept]
            states = None if states is None else [st for st, k in zip(states, kept,
                                                                      strict=True) if k]
            done = [d for d in done if d[0] < reached]
        if progress:
            progress(step + 1, len(done) + len(los))
    ends = sorted([*done, *zip(los.tolist(), his.tolist(), nodes.tolist(), strict=True)])
    texts = _merge([Text(a, b, *tree.path(node)) for a, b, node in ends])
    _mark_departures(texts)
    critical = next((x.lo for x in texts[1:] if x.lo > 0), None) if lo == 0 else None
    return TextMap(texts, lo, hi, reached, critical)


class _Tree:
    """The texts as a tree of tokens: a node per (text so far, its next token), each with
    its parent, so a step costs the same however long the texts are."""

    def __init__(self):
        self.token: list[int] = []
        self.logq: list[float] = []
        self.parent: list[int] = []

    def add(self, tokens: np.ndarray, logq: np.ndarray, parents: np.ndarray) -> np.ndarray:
        first = len(self.token)
        self.token += tokens.tolist()
        self.logq += logq.tolist()
        self.parent += parents.tolist()
        return np.arange(first, len(self.token))

    def path(self, node: int) -> tuple[list[int], int, list[float]]:
        """(tokens, 0, ln q of each) of the text ending at `node`."""
        tokens, logq = [], []
        while node >= 0:
            tokens.append(self.token[node])
            logq.append(self.logq[node])
            node = self.parent[node]
        return tokens[::-1], 0, logq[::-1]


def _pieces(z: np.ndarray, g: np.ndarray, los: np.ndarray, his: np.ndarray):
    """Every interval's envelope, as arrays (interval, token, from, to) in order of T. Most
    intervals keep one token throughout: found for all at once; the others one by one."""
    # (the envelope is convex: a line on top at both ends is on top throughout)
    cur = np.argmax(z + los[:, None] * g, axis=1)
    whole = (np.argmax(z + his[:, None] * g, axis=1) == cur) & (los > 0)
    out = [[], [], [], []]
    for i in range(len(z)):
        if whole[i]:
            parts = [(int(cur[i]), float(los[i]), float(his[i]))]
        else:
            parts = envelope(z[i], g, float(los[i]), float(his[i]))
        for token, a, b in parts:
            out[0].append(i)
            out[1].append(token)
            out[2].append(a)
            out[3].append(b)
    return (np.array(out[0], dtype=np.int64), np.array(out[1], dtype=np.int64),
            np.array(out[2], dtype=np.float64), np.array(out[3], dtype=np.float64))


def _moved(chain: Chain, states, rows: np.ndarray, tokens: np.ndarray):
    """The chain's states past each new interval's token (an interval that split gets
    copies: its pieces' texts go on apart)."""
    if states is None:
        return None
    many = np.bincount(rows, minlength=len(states)) > 1
    out = [states[r].fork() if many[r] else states[r] for r in rows.tolist()]
    chain.update(out, tokens, np.zeros(len(tokens)))  # (no link that learns from q is mapped)
    return out


def _logqs(z: np.ndarray, tokens: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """ln q of each piece's token in its row tempered at the middle of its interval (for
    its colour; at T = 0, 0)."""
    t = np.where(a == b, a, np.where(a > 0, np.sqrt(a * np.maximum(b, a)), (a + b) / 2))
    out = np.zeros(len(tokens))
    warm = t > 0
    if warm.any():
        with np.errstate(invalid="ignore", under="ignore"):
            w = z[warm]  # (a copy, worked in place)
            w /= t[warm, None]
            mine = w[np.arange(len(w)), tokens[warm]]
            top = np.max(w, axis=1)
            w -= top[:, None]
            np.exp(w, out=w)
            out[warm] = mine - top - np.log(w.sum(axis=1))
    return out


def _merge(texts: list[Text]) -> list[Text]:
    """Neighbouring intervals that ended with the same text (a stop reached along two
    paths cannot give that, but a point T = 0 can equal what follows it) as one."""
    out: list[Text] = []
    for t in texts:
        if out and out[-1].tokens == t.tokens and out[-1].hi == t.lo:
            out[-1].hi = t.hi
        else:
            out.append(t)
    return out


def _mark_departures(texts: list[Text]) -> None:
    """Each text's first token that differs from the text before it (0 for the first)."""
    for prev, cur in zip(texts, texts[1:], strict=False):
        n = min(len(prev.tokens), len(cur.tokens))
        cur.departs = next((i for i in range(n) if prev.tokens[i] != cur.tokens[i]), n)


def map_record(model, prompt: str, chain: Chain, seed: int, length: int, found: TextMap
               ) -> dict:
    """The map as plain data (what `map --format json` prints and the views lay out): each
    text's interval (the exact floats the search gives), where it departs from the text
    before it, its text and tokens, and each token's text with q at the interval's
    middle."""
    vocab = model.tokenizer.vocab
    before = model.tokenizer.split(prompt)
    texts = []
    for x in found.texts:
        add = model.tokenizer.joiner(before)
        pieces = [add(vocab[t]) for t in x.tokens]
        texts.append({"from": x.lo, "to": x.hi, "departs_at": x.departs,
                      "text": "".join(pieces), "tokens": [vocab[t] for t in x.tokens],
                      "pieces": [[p, math.exp(q)] for p, q in zip(pieces, x.logq,
                                                                  strict=True)]})
    return {"model": model.name, "prompt": prompt, "seed": seed, "length": length,
            "chain": chain.to_list(), "range": [found.lo, found.hi],
            "reached": found.reached, "complete": found.complete,
            "critical_temperature": found.critical, "count": len(texts), "texts": texts}


def interval_at(model, prompt: str, chain: Chain, length: int, seed: int, t: float,
                lo: float = 0.0, hi: float = math.inf, sample: int = 0) -> tuple[float, float]:
    """The interval [from, to) of T, within [lo, hi), over which sample `sample` of `seed`
    is the text it is at T: at each step, the part of the interval where the step's token
    stays on top of its row's lines (one row a step: cheap on any vocabulary)."""
    before, prompt_ids, stop, noise, order, steps = _walk(model, prompt, chain, seed, sample)
    context = model.opening(prompt_ids)
    states = chain.start(model.tokenizer, prompt_ids, 1)
    for step in range(length):
        if step % steps == 0:
            block = token_gumbels(noise.keys(min(steps, length - step)), order)
        z = model.logprobs(context)
        if before.links:
            z = before.apply(z, states)[0]
        piece = next(p for p in envelope(z[0], block[step % steps], lo, hi)
                     if p[1] <= t < p[2] or p[1] == p[2] == t)
        token, lo, hi = piece
        if token == stop:
            break
        if context.shape[1]:
            context = np.concatenate([context[:, 1:], [[token]]], axis=1)
        chain.update(states, [token], [0.0])
    return lo, hi
