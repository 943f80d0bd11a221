"""The compiled loop (generate/csrc, built as `tempgen.generate._compiled` when a C compiler
is there).

It computes what the numpy path of generate/decode.py computes, row by row in C: the model
row by the interpolation recursion, the row's chain (a temperature alone the short way:
q = softmax(log p / T) from what the run keeps; any other chain link by link, csrc/chain.c),
and the Gumbel-max draw with the row's step key (csrc/noise.c: the same noise as noise.py,
found by a search over part of its tree). It is optional: without it (no compiler at
install, or TEMPGEN_COMPILED=0 in the environment) numpy does everything, with the same
tokens.
"""

from __future__ import annotations

import math
import os
import weakref

import numpy as np

from tempgen.generate.samplers.registry import CONTEXT, LINKS, window

try:
    from tempgen.generate import _compiled
except ImportError:  # installed without a C compiler: the numpy path does everything
    _compiled = None

BUILT = _compiled is not None
AVAILABLE = BUILT and os.environ.get("TEMPGEN_COMPILED", "1") != "0"
DENSE_FLOATS = 1 << 21  # rows kept whole, with their maxima over the noise tree: 16 MB at most
SPARSE_BYTES = 16 << 20  # rows kept by their successors: 16 MB at most
# A level is kept by its successors when the contexts a run meets list this many on average
# (weighting each context by its own count, as the more a context lists the more it is met):
# below that, working through them at each step is cheaper than keeping them.
SPARSE_MIN_LISTED = 32
CTX_BYTES = 32  # one record per context: what a step reads of it in one cache line
_specs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> (tables, spec)


def fits(model) -> bool:
    """Whether the compiled loop can take the model: it is there, the model has tables for
    it, and their records count in 32 bits."""
    if not AVAILABLE:
        return False
    tables = _tables(model)[0]
    return tables is not None and all(
        int(lv.succ_start[-1]) < 2**32 and len(lv.succ_start) <= 2**32 for lv in tables.levels)


def _tables(model) -> tuple:
    """The model's tables (lm/tables.py) and the loop's spec of them, built once per model."""
    if model not in _specs:
        tables = model.compiled_tables()
        spec = None
        if tables is not None:
            spec = (tables.order, tables.vocab_size, tables.bos, tables.boundary,
                    tuple((_contexts(lv), _children(lv), lv.ctx_first, lv.succ_token,
                           lv.succ_adj, lv.succ_u,
                           np.ascontiguousarray(lv.discount, dtype=np.float64))
                          for lv in tables.levels))
        _specs[model] = (tables, spec)
    return _specs[model]


def _contexts(lv) -> np.ndarray:
    """The records of a level's contexts as bytes (csrc/tables.h: Ctx): gamma and
    1 / denominator (float64), then where its successors start and how many there are
    (uint32), and 8 bytes of padding (a record in one cache line). Filled column by column
    through two views of one array."""
    n = len(lv.gamma)
    rec = np.zeros((n, CTX_BYTES // 8), dtype=np.float64)
    half = rec.view(np.uint32)  # (n, 8)
    rec[:, 0] = lv.gamma
    if lv.inv_denom is not None:
        rec[:, 1] = lv.inv_denom
    half[:, 4] = lv.succ_start[:-1]
    half[:, 5] = np.diff(lv.succ_start)
    return rec.reshape(-1).view(np.uint8)


def _children(lv) -> np.ndarray | None:
    """Where each context's children start on the next level, and where the last ones end
    (n_ctx + 1,) int32: what the context lookup reads, apart from the records, so that its
    walk down the levels reads 4 bytes a context."""
    if lv.children is None:
        return None
    return np.concatenate(([0], np.cumsum(lv.children, dtype=np.int64))).astype(np.int32)


def levels(tables, temperatures: int) -> tuple[int, int]:
    """Which contexts a run keeps (csrc/kept.h): those of levels 1..dense whole, as many
    levels as DENSE_FLOATS holds (at least the empty context), then those of the levels
    ..depth by their successors, while their contexts list SPARSE_MIN_LISTED."""
    tree = 2
    while tree < 2 * tables.vocab_size:  # (csrc/kept.c: the noise tree's node ids)
        tree *= 2
    per_row = 2 * tables.vocab_size + temperatures * (tables.vocab_size + tree + 3)
    used, dense = 0, 1
    for k, lv in enumerate(tables.levels, start=1):
        used += len(lv.gamma) * per_row
        if used > DENSE_FLOATS:
            break
        dense = k
    depth = dense
    while depth < tables.order and _listed(tables.levels[depth]) >= SPARSE_MIN_LISTED:
        depth += 1
    return dense, depth


def _listed(lv) -> float:
    """How many successors a level's contexts list, each weighted by that number."""
    count = np.diff(lv.succ_start).astype(np.float64)
    return float(count @ count / max(count.sum(), 1.0))


def _penalties_then_t(chain) -> bool:
    """Links that change a row at few tokens (penalties, DRY, no-repeat-n-gram, logit
    bias), then a plain temperature (csrc/draw.c, sparse_fits)."""
    names = [lk.name for lk in chain.links]
    return len(names) >= 2 and names[-1] == "temperature" and not chain.varies_temperature \
        and set(names[:-1]) <= {"penalties", "dry", "no_repeat_ngram", "logit_bias"}


# The link kinds as csrc/chain.h numbers them.
KINDS = {name: i for i, name in enumerate(LINKS)}  # (a link's kind: its place in the
# registry; the compiled module names its kinds, and a test ties the two)


def chain_spec(chain, tokenizer) -> tuple:
    """A chain as the compiled loop reads it: (links, window, breaker starts, breakers,
    logit bias tokens, their biases); a link is (kind, x0, x1, x2, n0, n1) (csrc/links.h)."""
    links = []
    for lk in chain.links:
        s = dict(lk.settings)
        x, n = (s.get(lk.name, 0.0) if lk.name != "logit_bias" else 0.0, 0.0, 0.0), (0, 0)
        if lk.name == "penalties":
            x = (s["repeat_penalty"], s["frequency_penalty"], s["presence_penalty"])
            n = (window(s["repeat_last_n"]), 0)
        elif lk.name == "dry":
            x = (s["dry_multiplier"], s["dry_base"], 0.0)
            n = (s["dry_allowed_length"], window(s["dry_penalty_last_n"]))
        elif lk.name == "no_repeat_ngram":
            x, n = (s["no_repeat_ngram_size"], 0.0, 0.0), (CONTEXT, 0)
        elif lk.name == "xtc":
            x = (s["xtc_probability"], s["xtc_threshold"], 0.0)
        elif lk.name == "temperature":
            x = (s["temperature"], s.get("dynatemp_range", 0.0), s.get("dynatemp_exponent", 1.0))
        elif lk.name == "smoothing":
            x = (s["smoothing_factor"], s["smoothing_curve"], 0.0)
        elif lk.name == "mirostat":
            x = (s["mirostat_tau"], s["mirostat_eta"], 0.0)
        elif lk.name == "adaptive_p":
            x = (s["adaptive_target"], s["adaptive_decay"], 0.0)
        links.append((KINDS[lk.name], *map(float, x), *n))
    seqs = chain.breakers(tokenizer)
    starts = np.cumsum([0] + [len(q) for q in seqs], dtype=np.int64)
    tokens = np.concatenate(seqs).astype(np.int64) if seqs else np.zeros(0, np.int64)
    biases = next((lk.value for lk in chain.for_model(tokenizer).links
                   if lk.name == "logit_bias"), ())
    bias_ids = np.array([t for t, _ in biases], dtype=np.int64)
    bias_values = np.array([b for _, b in biases], dtype=np.float64)
    return tuple(links), chain.window, starts, tokens, bias_ids, bias_values


class Decoder:
    """Decodes a batch of rows, each with its chain, block by block; what it keeps of the
    model (csrc/kept.h) is kept from one block to the next. A stateful row's state (its
    RowState) goes in at each block and comes back moved on."""

    def __init__(self, model, row_chains, states=None, leaf_token=None):
        # a row's temperature among the run's: a temperature alone, or penalties then one
        # (which a large vocabulary draws the short way too: csrc/draw.c, sparse_fits)
        tempered = [c.temperature if (c.temperature_only or _penalties_then_t(c)) and
                    c.temperature > 0 else None for c in row_chains]
        plain = list(dict.fromkeys(t for t in tempered if t is not None))
        others = list(dict.fromkeys(c for c in row_chains if not c.temperature_only))
        # a first eta-cutoff or p-less on a large vocabulary takes its bound from the row's
        # moments at T = 1 or 1/2 (csrc/ranked.c, bound_of): the run keeps those too
        for c in others:
            first = c.links[0].name if c.links else None
            t = {"eta_cutoff": 1.0, "p_less": 0.5}.get(first)
            names = [lk.name for lk in c.links]
            if names in (["temperature", "mirostat"], ["xtc", "temperature"]) and \
                    len(c.links[names.index("temperature")].settings) == 1 and \
                    0 < c.temperature < math.inf:
                t = c.temperature  # (Mirostat's bound, XTC's share: the tempered row's
                # log-partition; the draw at T as T alone's)
            if t is not None and t not in plain:
                plain.append(t)
        self.row_temp = np.array([plain.index(t) if t is not None else -1 for t in tempered],
                                 np.int64)
        self.row_chain = np.array([others.index(c) if not c.temperature_only else -1
                                   for c in row_chains], np.int64)
        self.states = list(states) if states is not None else [None] * len(row_chains)
        width = max([c.window for c in others] + [1])
        self.hist = np.zeros((len(row_chains), width), np.int64)
        self.hist_len = np.zeros(len(row_chains), np.int64)
        # each row's memory: Mirostat's mu, adaptive-p's decaying sums (NaN: none)
        self.memory = np.full((len(row_chains), 3), np.nan)
        for r, st in enumerate(self.states):
            if st is not None:
                last = list(st.history)[-width:]
                self.hist[r, :len(last)] = last
                self.hist_len[r] = len(last)
                self.memory[r, 0] = np.nan if st.mu is None else st.mu
                if st.adapt is not None:
                    self.memory[r, 1:] = st.adapt
        tables, spec = _tables(model)
        dense, depth = levels(tables, len(plain))
        specs = tuple(chain_spec(c, model.tokenizer) for c in others)
        self.run = _compiled.start(spec, np.array(plain, dtype=np.float64), specs, dense,
                                   depth, SPARSE_BYTES,
                                   np.ascontiguousarray(leaf_token, dtype=np.int32))

    def block(self, contexts: np.ndarray, keys: np.ndarray, row_stream: np.ndarray):
        """Decode keys.shape[1] steps; contexts (batch, width) int64 are advanced in place.
        keys: (streams, steps) uint64 step keys (noise.py); row_stream: (batch,) int64.
        Returns tokens, ln p, ln q, entropy in bits, temperature and Mirostat's mu, each
        (steps, batch)."""
        keys = np.ascontiguousarray(keys, dtype=np.uint64)
        tokens = np.empty((keys.shape[1], len(contexts)), dtype=np.int64)
        logp, logq, entropy, temps, mus = (np.empty(tokens.shape) for _ in range(5))
        _compiled.decode(self.run, contexts, keys, row_stream, self.row_temp,
                         self.row_chain, self.hist, self.hist_len, self.memory, tokens,
                         logp, logq, entropy, temps, mus)
        for r, st in enumerate(self.states):
            if st is not None:
                st.history.clear()
                st.history.extend(self.hist[r, :self.hist_len[r]].tolist())
                st.mu = None if np.isnan(self.memory[r, 0]) else float(self.memory[r, 0])
                if st.adapt is not None:
                    st.adapt = (float(self.memory[r, 1]), float(self.memory[r, 2]))
        return tokens, logp, logq, entropy, temps, mus


def rows_moments(model, temperatures, counts: np.ndarray) -> np.ndarray:
    """(temperatures, 3): the sums of each row's log-partition L(b) = ln sum_w p_w^b at
    b = 1/T and its first two derivatives in b (csrc/moments.c) over the model's rows, row k
    counts[k] times (k: the row's number, lm/ngram.py's row_keys), each row worked out once.
    The rows are taken in their numbers' order: those of one parent context together, so
    the contexts the run keeps for one are there for the next (csrc/kept.h)."""
    tables, spec = _tables(model)
    dense, depth = levels(tables, len(temperatures))
    run = _compiled.start(spec, np.asarray(temperatures, dtype=np.float64), (), dense, depth,
                          SPARSE_BYTES, np.arange(tables.vocab_size, dtype=np.int32))
    keys = np.flatnonzero(counts)
    out = np.zeros(3 * len(temperatures))
    _compiled.rows_moments(run, keys, counts[keys].astype(np.float64), out)
    return out.reshape(-1, 3)
