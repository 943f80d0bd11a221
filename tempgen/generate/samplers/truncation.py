"""The sampler chain: pure transforms on (batch, vocab) log-probability arrays, and the
chain that applies them in order.

Every transform takes log-weights (normalised or not; -inf means impossible and stays
impossible) and returns log-weights; the chain normalises once at the end. No transform ever
empties a row: each keeps at least the most likely token.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tempgen.generate.tempering import temperature

NAMES = ("top_k", "typical_p", "top_p", "min_p", "temperature")
DEFAULT_ORDER = NAMES  # truncate first, temperature last (as llama.cpp)
NEUTRAL = {"top_k": 0, "typical_p": 1.0, "top_p": 1.0, "min_p": 0.0, "temperature": 1.0}


def _probs(logw: np.ndarray) -> np.ndarray:
    """Row-normalised probabilities of log-weights (batch, vocab)."""
    z = logw - logw.max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)


def top_k(logw: np.ndarray, k: int) -> np.ndarray:
    """Keep the k most likely tokens of each row (all of those tied with the k-th)."""
    if k <= 0 or k >= logw.shape[1]:
        return logw
    kth = -np.partition(-logw, k - 1, axis=1)[:, k - 1 : k]
    return np.where(logw >= kth, logw, -np.inf)


def top_p(logw: np.ndarray, p: float) -> np.ndarray:
    """Nucleus: keep the smallest set of most likely tokens whose mass reaches p."""
    if p >= 1.0:
        return logw
    order = np.argsort(-logw, axis=1, kind="stable")
    probs = np.take_along_axis(_probs(logw), order, axis=1)
    before = np.cumsum(probs, axis=1) - probs  # mass of the more likely tokens
    keep_sorted = before < p  # the first token always has before == 0
    keep = np.empty_like(keep_sorted)
    np.put_along_axis(keep, order, keep_sorted, axis=1)
    return np.where(keep, logw, -np.inf)


def min_p(logw: np.ndarray, p: float) -> np.ndarray:
    """Keep tokens whose probability is at least p times the top token's."""
    if p <= 0.0:
        return logw
    best = logw.max(axis=1, keepdims=True)
    return np.where(logw >= best + np.log(p), logw, -np.inf)


def typical_p(logw: np.ndarray, p: float) -> np.ndarray:
    """Locally typical sampling (Meister et al. 2022): keep the tokens whose surprisal is
    closest to the row's entropy, the smallest such set with mass >= p."""
    if p >= 1.0:
        return logw
    probs = _probs(logw)
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = np.log(probs)
        entropy = -np.nansum(np.where(probs > 0, probs * logp, 0.0), axis=1, keepdims=True)
    distance = np.where(probs > 0, np.abs(-logp - entropy), np.inf)
    order = np.argsort(distance, axis=1, kind="stable")
    sorted_p = np.take_along_axis(probs, order, axis=1)
    before = np.cumsum(sorted_p, axis=1) - sorted_p
    keep_sorted = before < p
    keep = np.empty_like(keep_sorted)
    np.put_along_axis(keep, order, keep_sorted, axis=1)
    return np.where(keep, logw, -np.inf)


TRANSFORMS = {"top_k": top_k, "typical_p": typical_p, "top_p": top_p, "min_p": min_p,
              "temperature": temperature}


def check(name: str, value) -> None:
    """Validate one setting; ValueError names it and its value."""
    v = float(value)
    if np.isnan(v):
        raise ValueError(f"{name} must be a number, got {value}")
    if name == "top_k" and (v < 0 or v != int(v)):
        raise ValueError(f"top_k must be a whole number >= 0 (0 = off), got {value}")
    if name in ("top_p", "typical_p") and not 0 < v <= 1:
        raise ValueError(f"{name} must be in (0, 1], got {value}")
    if name == "min_p" and not 0 <= v <= 1:
        raise ValueError(f"min_p must be in [0, 1], got {value}")
    if name == "temperature" and v < 0:
        raise ValueError(f"temperature must be >= 0 (or inf), got {value}")


@dataclass(frozen=True)
class Link:
    name: str
    value: float

    def __call__(self, logw: np.ndarray) -> np.ndarray:
        return TRANSFORMS[self.name](logw, self.value)

    def __str__(self) -> str:
        v = int(self.value) if self.name == "top_k" else self.value
        return f"{self.name}={v:g}"


@dataclass(frozen=True)
class Chain:
    """Transforms applied in order; the result is normalised log q."""

    links: tuple[Link, ...]

    def __call__(self, logp: np.ndarray) -> np.ndarray:
        logw = np.asarray(logp, dtype=np.float64)
        for link in self.links:
            logw = link(logw)
        if self.links and self.links[-1].name == "temperature":
            return logw  # already normalised
        return temperature(logw, 1.0)

    def __str__(self) -> str:
        return " -> ".join(map(str, self.links))

    @property
    def temperature_only(self) -> bool:
        """Whether the chain is a temperature alone (what the compiled loop decodes)."""
        return len(self.links) == 1 and self.links[0].name == "temperature"

    @property
    def temperature(self) -> float:
        return next((lk.value for lk in self.links if lk.name == "temperature"), 1.0)

    def to_list(self) -> list[dict]:
        return [{"name": lk.name, "value": lk.value} for lk in self.links]

    def at_temperature(self, t: float) -> Chain:
        """The same chain with its temperature set to t."""
        return Chain(tuple(Link(lk.name, t) if lk.name == "temperature" else lk
                           for lk in self.links))


def build_chain(settings: dict[str, float], order: tuple[str, ...] | None = None) -> Chain:
    """A chain from settings by name; neutral settings add no link, except temperature,
    which is always there. `order` lists names to go first; the others follow in the
    default order."""
    order = tuple(order or ())
    unknown = [n for n in order if n not in NAMES]
    if unknown:
        raise ValueError(f"unknown sampler {unknown[0]!r} (choose from {', '.join(NAMES)})")
    if len(set(order)) != len(order):
        raise ValueError("a sampler is named twice in the order")
    names = order + tuple(n for n in DEFAULT_ORDER if n not in order)
    links = []
    for name in names:
        value = settings.get(name, NEUTRAL[name])
        check(name, value)
        if name == "temperature" or value != NEUTRAL[name]:
            links.append(Link(name, int(value) if name == "top_k" else float(value)))
    return Chain(tuple(links))
