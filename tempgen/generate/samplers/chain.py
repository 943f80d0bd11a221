"""The sampler chain: links applied in order to (batch, vocab) log-probabilities, built
from settings by name (registry.py). The chain is data: a user can reorder it, and a link
whose settings make it do nothing is left out.

Stateless links (truncations, XTC, temperature) give the same row for the same input, so
a row can be kept per context; the penalties, DRY and Mirostat also read each sample's
RowState, which `update` moves on after every draw. XTC, which llama.cpp applies with a
coin flip of its own, is here the exact mixture of its two outcomes (the rest of the
chain applied to the row with and without the exclusion), so one step key per sample and
step still drives the draw.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tempgen.generate.samplers import adaptive, penalties, truncation
from tempgen.generate.samplers.registry import (
    CONTEXT,
    LINKS,
    SETTINGS,
    SPECS,
    STATEFUL,
    active,
    link_name,
    link_settings,
    window,
)
from tempgen.generate.samplers.state import RowState
from tempgen.generate.tempering import temperature, tempered_share

DEFAULT_ORDER = LINKS
SHARE_FLOOR = 1e-200  # XTC's kept share of a tempered row below which it is not divided by


@dataclass(frozen=True)
class Link:
    """One link: its name and its settings, (name, value) pairs."""

    name: str
    settings: tuple

    def get(self, key: str):
        return dict(self.settings)[key]

    @property
    def value(self):
        """The setting named as the link (top_k's top_k), or None."""
        return dict(self.settings).get(self.name)

    def __str__(self) -> str:
        own = f"={_shown(self.value)}" if self.value is not None else ""
        rest = [f"{k.removeprefix(self.name + '_').removeprefix('dry_')}={_shown(v)}"
                for k, v in self.settings if k != self.name]
        return self.name + own + (f"({', '.join(rest)})" if rest else "")

    def to_dict(self) -> dict:
        out = {"name": self.name}
        if self.value is not None:
            out["value"] = self.value
        out.update({k: list(v) if isinstance(v, tuple) else v
                    for k, v in self.settings if k != self.name})
        return out


def _shown(v) -> str:
    return repr(list(v)) if isinstance(v, tuple) else f"{v:g}"


@dataclass(frozen=True)
class Chain:
    """Links applied in order; the result is normalised log q."""

    links: tuple[Link, ...]

    def apply(self, logp: np.ndarray, states: Sequence[RowState] | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
        """(log q (batch, vocab), the temperature each row was tempered at (batch,)) of
        log-probabilities (batch, vocab); `states`: each row's, for stateful links."""
        logw = np.asarray(logp, dtype=np.float64)
        if self.stateful and (states is None or len(states) != len(logw)):
            raise ValueError("a stateful chain needs each row's state")
        return _run(self.links, logw, states, np.ones(len(logw)))

    def __call__(self, logp: np.ndarray, states: Sequence[RowState] | None = None
                 ) -> np.ndarray:
        return self.apply(logp, states)[0]

    def __str__(self) -> str:
        return " -> ".join(map(str, self.links))

    @property
    def stateful(self) -> bool:
        return any(lk.name in STATEFUL for lk in self.links)

    @property
    def temperature_only(self) -> bool:
        """Whether the chain is a plain temperature alone."""
        return len(self.links) == 1 and self.links[0].settings == (
            ("temperature", self.links[0].value),)

    @property
    def temperature(self) -> float:
        return next((lk.value for lk in self.links if lk.name == "temperature"), 1.0)

    @property
    def varies_temperature(self) -> bool:
        """Whether the temperature a row is tempered at can change (dynamic temperature),
        or what it means does (Mirostat): then samples report it token by token."""
        return any(lk.name == "mirostat" or (lk.name == "temperature" and len(lk.settings) > 1)
                   for lk in self.links)

    @property
    def mirostat(self) -> Link | None:
        return next((lk for lk in self.links if lk.name == "mirostat"), None)

    @property
    def adaptive(self) -> Link | None:
        return next((lk for lk in self.links if lk.name == "adaptive_p"), None)

    def penalty(self, logp: np.ndarray, states: Sequence[RowState] | None) -> np.ndarray:
        """What the penalties and DRY take off each token's log-probability (batch, vocab),
        0 where nothing (whatever else the chain does)."""
        logw = np.asarray(logp, dtype=np.float64)
        for lk in self.links:
            if lk.name in ("penalties", "dry"):
                logw = _apply(lk, logw, states)[0]
        with np.errstate(invalid="ignore"):
            return np.where(np.isfinite(logp), logp - logw, 0.0)

    def to_list(self) -> list[dict]:
        return [lk.to_dict() for lk in self.links]

    def for_model(self, tokenizer) -> Chain:
        """The chain with its logit biases naming the model's tokens by id (ValueError
        naming a text that is not one token of it); the chain itself when it has none."""
        from tempgen.generate.samplers.bias import resolve

        if not any(lk.name == "logit_bias" for lk in self.links):
            return self
        return Chain(tuple(Link(lk.name, (("logit_bias", resolve(lk.value, tokenizer)),))
                           if lk.name == "logit_bias" else lk for lk in self.links))

    def at_temperature(self, t: float) -> Chain:
        """The same chain with its temperature set to t."""
        return Chain(tuple(Link(lk.name, tuple((k, t if k == "temperature" else v)
                                                for k, v in lk.settings))
                           for lk in self.links))

    def start(self, tokenizer, prompt_ids: Sequence[int], rows: int, mu: float | None = None
              ) -> list[RowState] | None:
        """Each of `rows` samples' state after `prompt_ids` (None for a stateless chain);
        Mirostat's mu starts at 2 tau, or at `mu` (a sample's at some step) when given."""
        if not self.stateful:
            return None
        miro, ada = self.mirostat, self.adaptive
        mu = None if miro is None else 2.0 * miro.get("mirostat_tau") if mu is None else mu
        memory = None if ada is None else adaptive.start(ada.get("adaptive_target"),
                                                         ada.get("adaptive_decay"))
        table = penalties.breaker_table(self.breakers(tokenizer))
        states = [RowState(prompt_ids, self.window, mu, memory) for _ in range(rows)]
        for s in states:
            s.breakers = table
        return states

    @property
    def window(self) -> int:
        """How many of a sample's last tokens the chain reads (0: none)."""
        return max([window(lk.get("repeat_last_n")) for lk in self.links
                    if lk.name == "penalties"] +
                   [window(lk.get("dry_penalty_last_n")) for lk in self.links
                    if lk.name == "dry"] +
                   [CONTEXT for lk in self.links if lk.name == "no_repeat_ngram"] + [0])

    def breakers(self, tokenizer) -> list[np.ndarray]:
        """DRY's sequence breakers as the model's token sequences (one that holds a token
        the model lacks can never occur, and is left out)."""
        dry = next((lk for lk in self.links if lk.name == "dry"), None)
        if dry is None:
            return []
        seqs = [tokenizer.encode(s) for s in dry.get("dry_sequence_breakers")]
        return [s for s in seqs if len(s) and (s >= 0).all()]

    def update(self, states: Sequence[RowState] | None, tokens, logq_drawn) -> None:
        """Move each row's state past its drawn token; logq_drawn: ln q of that token in
        the row it was drawn from (Mirostat learns from its surprise)."""
        if not states:
            return
        miro, ada = self.mirostat, self.adaptive
        for s, tok, lq in zip(states, np.asarray(tokens).tolist(),
                              np.asarray(logq_drawn).tolist(), strict=True):
            s.push(tok)
            if ada is not None and s.drawn_p is not None:
                s.adapt = adaptive.remember(s.adapt, float(s.drawn_p[tok]),
                                            ada.get("adaptive_decay"))
                s.drawn_p = None
            if miro is not None and lq > -math.inf:  # (a chosen token q = 0 teaches nothing)
                s.mu -= miro.get("mirostat_eta") * (-lq / math.log(2) - miro.get("mirostat_tau"))


def _run(links, logw, states, temps):
    for i, link in enumerate(links):
        if link.name == "xtc":
            return _xtc(link, links[i + 1:], logw, states, temps)
        logw, t = _apply(link, logw, states)
        if t is not None:
            temps = t
    if links and links[-1].name == "temperature":
        return logw, temps  # already normalised
    return temperature(logw, 1.0), temps


def _plain_temperature(rest) -> float | None:
    """The temperature the rest of a chain tempers at when that is all it does (nothing
    left: 1), or None."""
    if not rest:
        return 1.0
    if len(rest) == 1 and rest[0].name == "temperature" and len(rest[0].settings) == 1:
        t = rest[0].value
        return t if 0 < t < np.inf else None
    return None


def _xtc(link, rest, logw, states, temps):
    """The mixture of XTC's outcomes: with probability P the top choices are excluded."""
    p = link.get("xtc_probability")
    cut, changed = truncation.xtc_cut(logw, link.get("xtc_threshold"))
    kept, kept_t = _run(rest, logw, states, temps)
    if not changed.any():
        return kept, kept_t
    out, out_t = kept.copy(), np.array(kept_t, dtype=np.float64)
    t = _plain_temperature(rest)
    if t is not None:
        # The rest only tempers: the exclusion's outcome is the tempered row renormalised
        # on the tokens it keeps, so ln q = ln qa + ln((1 - P) + P / s) on those, and
        # + ln(1 - P) on the others, s being their share of qa (csrc/xtc.c, xtc_tempered)
        stays = cut > -np.inf
        share = tempered_share(logw, t, stays)
        quick = changed & (share > SHARE_FLOOR)
        q = np.flatnonzero(quick)
        with np.errstate(divide="ignore"):  # (P = 1: ln 0 for the excluded)
            gain, lose = np.log((1 - p) + p / share[q])[:, None], np.log1p(-p)
        out[q] = kept[q] + np.where(stays[q], gain, lose)
        out_t[q] = (1 - p) * kept_t[q] + p * kept_t[q]
        changed = changed & ~quick
        if not changed.any():
            return out, out_t
    rows = np.flatnonzero(changed)
    sub = [states[r] for r in rows] if states is not None else None
    excl, excl_t = _run(rest, cut[rows], sub, temps[rows])
    with np.errstate(divide="ignore", invalid="ignore"):
        # ln((1 - P) qa + P qb) = m + ln(e^(a - m) + e^(b - m)), m the larger of the two
        # logs (0 where both are -inf): as csrc/xtc.c computes it
        a, b = np.log1p(-p) + kept[rows], math.log(p) + excl
        m = np.maximum(a, b)
        m[m == -np.inf] = 0.0
        mixed = m + np.log(np.exp(a - m) + np.exp(b - m))
    out[rows] = mixed
    out_t[rows] = (1 - p) * kept_t[rows] + p * excl_t
    return out, out_t


def _apply(link: Link, logw: np.ndarray, states):
    """One link on the rows: (log-weights, the rows' temperatures or None), by its entry's
    numpy function (registry.py)."""
    return SPECS[link.name].apply(logw, dict(link.settings), states)


def build_chain(settings: dict, order: Sequence[str] | None = None) -> Chain:
    """A chain from settings by name (registry.py; missing ones take their defaults),
    each checked once. `order` lists links to go first; the others follow in the default
    order. ValueError names a bad setting or link."""
    unknown = set(settings) - set(SETTINGS)
    if unknown:
        raise ValueError(f"unknown setting {sorted(unknown)[0]!r}")
    names = [link_name(n) for n in (order or ())]
    if len(set(names)) != len(names):
        raise ValueError("a sampler is named twice in the order")
    names += [n for n in LINKS if n not in names]
    values = {k: st.check(settings.get(k, st.default)) for k, st in SETTINGS.items()}
    if active("adaptive_p", values) and active("xtc", values):
        raise ValueError("adaptive_target: adaptive-p learns from the row it drew from, and "
                         "XTC here is the exact mixture of two rows; use one of them")
    links = []
    for name in names:
        if not active(name, values):
            continue
        own = [st.name for st in link_settings(name)]
        if name == "temperature" and values["dynatemp_range"] == 0:
            own = ["temperature"]
        links.append(Link(name, tuple((k, values[k]) for k in own)))
    return Chain(tuple(links))
