"""Pure transforms on (batch, vocab) log-probability arrays, the chain that applies them, and
the one random draw.

Every transform takes log-weights (normalised or not; -inf means impossible and stays
impossible) and returns log-weights; the chain normalises once at the end. No transform ever
empties a row: each keeps at least the most likely token.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAMES = ("top_k", "typical_p", "top_p", "min_p", "temperature")
DEFAULT_ORDER = NAMES  # truncate first, temperature last (as llama.cpp)
NEUTRAL = {"top_k": 0, "typical_p": 1.0, "top_p": 1.0, "min_p": 0.0, "temperature": 1.0}


def _probs(logw: np.ndarray) -> np.ndarray:
    """Row-normalised probabilities of log-weights (batch, vocab)."""
    z = logw - logw.max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)


def temperature(logw: np.ndarray, t) -> np.ndarray:
    """log softmax(logw / T) per row, computed stably; t: scalar or (batch,).

    T = 0 keeps only the most likely token (ties: the lowest id); T = inf is uniform over
    the tokens still allowed; T = 1 returns the row normalised.
    """
    logw = np.asarray(logw, dtype=np.float64)
    if np.ndim(t) == 0 and 0 < t < np.inf:  # the common case, kept lean for the decode loop
        # Subtract the maximum before dividing: every value is then <= 0, so even a
        # subnormal T gives 0 for the best token and -inf (never NaN) for the rest.
        with np.errstate(over="ignore"):
            z = (logw - logw.max(axis=1, keepdims=True)) / t
        z -= np.log(np.exp(z).sum(axis=1, keepdims=True))
        return z
    t = np.broadcast_to(np.asarray(t, dtype=np.float64), logw.shape[:1])[:, None]
    if np.any(np.isnan(t)) or np.any(t < 0):
        bad = t[np.isnan(t) | (t < 0)][0]
        raise ValueError(f"temperature must be >= 0 (or inf), got {bad}")
    allowed = logw > -np.inf
    greedy = t == 0
    flat = np.isinf(t)
    shifted = logw - logw.max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore"):
        z = np.where(greedy | flat, 0.0, shifted / np.where(greedy | flat, 1.0, t))
    z = np.where(allowed, z, -np.inf)
    z -= z.max(axis=1, keepdims=True)
    out = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    if greedy.any():
        best = np.argmax(logw, axis=1)  # the first maximum: ties go to the lowest id
        one_hot = np.full_like(logw, -np.inf)
        one_hot[np.arange(len(logw)), best] = 0.0
        out = np.where(greedy, one_hot, out)
    return out


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


def uniforms(rng: np.random.Generator, shape) -> np.ndarray:
    """The noise of the draw: uniforms in [0, 1), one double of the stream each (so a stream
    is the same however it is cut into blocks)."""
    return rng.random(shape)


def draw(logq: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The single random step (inverse CDF): the first token whose running mass in token order
    exceeds u times the row's mass is a sample from q.

    logq: (batch, vocab), u: (batch,) -> (batch,) token ids. Rows given the same u are
    coupled: their tokens differ only where their distributions do, and nearby
    distributions mostly give the same token; a row with T = 0 gets its one token whatever u.
    """
    q = np.exp(logq)
    mass = np.cumsum(q, axis=1)
    tok = (mass <= (u * mass[:, -1])[:, None]).sum(axis=1)
    # u * mass rounded up to the whole mass: the last possible token
    last = q.shape[1] - 1 - np.argmax(q[:, ::-1] > 0, axis=1)
    return np.minimum(tok, last)
