"""The truncation links: pure transforms on (batch, vocab) log-weights that remove tokens.

Each takes log-weights (normalised or not; -inf means impossible and stays impossible) and
returns them with the removed tokens at -inf. None ever empties a row: each keeps at least
the most likely token.
"""

from __future__ import annotations

import numpy as np

# A cut's margin: a value this close to a cut's edge counts as on it, so that no last bit of
# a sum or a log decides what is kept (rows of round numbers put values right on the edge,
# and the compiled loop, csrc/chain.h, sums and takes logs in its own order).
MARGIN = 1e-10


def shifted(logw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """z = logw - its row maximum, the probabilities exp(z) / their row sum, and that sum
    (batch, 1)."""
    z = logw - logw.max(axis=1, keepdims=True)
    e = np.exp(z)
    total = e.sum(axis=1, keepdims=True)
    return z, e / total, total


def probs(logw: np.ndarray) -> np.ndarray:
    """Row-normalised probabilities of log-weights (batch, vocab)."""
    return shifted(logw)[1]


def top_k(logw: np.ndarray, k: int) -> np.ndarray:
    """Keep the k most likely tokens of each row (all of those tied with the k-th, within
    the margin)."""
    if k <= 0 or k >= logw.shape[1]:
        return logw
    kth = -np.partition(-logw, k - 1, axis=1)[:, k - 1 : k]
    return np.where(logw >= kth - MARGIN, logw, -np.inf)


def top_p(logw: np.ndarray, p: float) -> np.ndarray:
    """Nucleus: keep the smallest set of most likely tokens whose mass reaches p."""
    if p >= 1.0:
        return logw
    order = np.argsort(-logw, axis=1, kind="stable")
    sorted_p = np.take_along_axis(probs(logw), order, axis=1)
    before = np.cumsum(sorted_p, axis=1) - sorted_p  # mass of the more likely tokens
    keep_sorted = before < p * (1 - MARGIN)  # the first token always has before == 0
    keep = np.empty_like(keep_sorted)
    np.put_along_axis(keep, order, keep_sorted, axis=1)
    return np.where(keep, logw, -np.inf)


def min_p(logw: np.ndarray, p: float) -> np.ndarray:
    """Keep tokens whose probability is at least p times the top token's."""
    if p <= 0.0:
        return logw
    best = logw.max(axis=1, keepdims=True)
    return np.where(logw >= best + np.log(p) - MARGIN, logw, -np.inf)


def top_a(logw: np.ndarray, a: float) -> np.ndarray:
    """Top-a (RWKV-LM's; text-generation-webui's TopALogitsWarper): remove the tokens whose
    probability is below a times the square of the top token's. With z = logw - max and S
    the sum of e^z, p = e^z / S and p_max = 1 / S, so a token stays when z >= ln a - ln S."""
    if a <= 0.0:
        return logw
    z, _, total = shifted(logw)
    return np.where(z >= np.log(a) - np.log(total) - MARGIN, logw, -np.inf)


def epsilon_cutoff(logw: np.ndarray, eps: float) -> np.ndarray:
    """epsilon-cutoff (Hewitt et al. 2022; transformers' EpsilonLogitsWarper, whose option
    name this is, with epsilon a probability; text-generation-webui counts it in units of
    1e-4): remove the tokens of probability below eps, the most likely always kept."""
    if eps <= 0.0:
        return logw
    z, _, total = shifted(logw)
    floor = np.minimum(np.log(eps) + np.log(total), 0.0)  # (never above the top token)
    return np.where(z >= floor - MARGIN, logw, -np.inf)


def eta_cutoff(logw: np.ndarray, eps: float) -> np.ndarray:
    """eta-cutoff (Hewitt et al. 2022; transformers' EtaLogitsWarper): remove the tokens of
    probability below eta = min(eps, sqrt(eps) e^-H), H the row's entropy in nats, the most
    likely always kept."""
    if eps <= 0.0:
        return logw
    z, p, total = shifted(logw)
    log_total = np.log(total)
    with np.errstate(invalid="ignore"):
        h = -np.where(p > 0, p * (z - log_total), 0.0).sum(axis=1, keepdims=True)
    eta = np.minimum(eps, np.sqrt(eps) * np.exp(-h))
    floor = np.minimum(np.log(eta) + log_total, 0.0)
    return np.where(z >= floor - MARGIN, logw, -np.inf)


def p_less(logw: np.ndarray, on: int) -> np.ndarray:
    """p-less (Tan, Wu and Howard, ICLR 2026; llama.cpp PR #26035 names it --p-less): keep
    the tokens at least as likely as the row's collision probability L = sum p^2, the
    chance two draws agree (L <= max p: the most likely always stays). With z = logw - max
    and S the sum of e^z: ln p = z - ln S, and ln L = ln(sum e^2z) - 2 ln S."""
    if not on:
        return logw
    z, _, total = shifted(logw)
    with np.errstate(under="ignore"):
        squares = np.exp(2 * z).sum(axis=1, keepdims=True)
    return np.where(z >= np.log(squares) - np.log(total) - MARGIN, logw, -np.inf)


def typical_p(logw: np.ndarray, p: float) -> np.ndarray:
    """Locally typical sampling (Meister et al. 2022): keep the tokens whose surprisal is
    closest to the row's entropy, the smallest such set with mass >= p."""
    if p >= 1.0:
        return logw
    z, q, total = shifted(logw)  # q as probs() makes it, and ln q from z
    with np.errstate(invalid="ignore"):
        logp = z - np.log(total)
        entropy = -np.nansum(np.where(q > 0, q * logp, 0.0), axis=1, keepdims=True)
    distance = np.where(q > 0, np.abs(-logp - entropy), np.inf)
    order = np.argsort(distance, axis=1, kind="stable")
    sorted_p = np.take_along_axis(q, order, axis=1)
    before = np.cumsum(sorted_p, axis=1) - sorted_p
    keep_sorted = before < p * (1 - MARGIN)
    keep = np.empty_like(keep_sorted)
    np.put_along_axis(keep, order, keep_sorted, axis=1)
    return np.where(keep, logw, -np.inf)


def top_n_sigma(logw: np.ndarray, n: float) -> np.ndarray:
    """Top-n-sigma (Tang et al. 2024): keep tokens whose log-weight is at least the row's
    maximum minus n standard deviations of its log-weights (over the tokens still
    allowed). Scaling a row by 1/T scales both sides, so the kept tokens are the same at
    every temperature. n <= 0: off."""
    if n <= 0:
        return logw
    allowed = logw > -np.inf
    count = allowed.sum(axis=1, keepdims=True)
    mean = np.where(allowed, logw, 0.0).sum(axis=1, keepdims=True) / count
    var = np.where(allowed, (logw - mean) ** 2, 0.0).sum(axis=1, keepdims=True) / count
    floor = logw.max(axis=1, keepdims=True) - n * np.sqrt(var)
    return np.where(logw >= floor - MARGIN, logw, -np.inf)


def xtc_cut(logw: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """XTC's exclusion (llama.cpp): when two tokens or more have probability >= threshold,
    remove all of them but the least likely (of equals, the last in token order). Returns
    the rows and which rows changed (batch,)."""
    p = probs(logw)
    top = (p >= threshold * (1 - MARGIN)) & (logw > -np.inf)  # (an impossible token is no choice)
    changed = top.sum(axis=1) >= 2
    if not changed.any():
        return logw, changed
    # the least likely of the top choices: smallest p (within the margin), then highest id
    masked = np.where(top, p, np.inf)
    near = masked <= masked.min(axis=1, keepdims=True) * (1 + MARGIN)
    least = p.shape[1] - 1 - np.argmax(near[:, ::-1], axis=1)
    remove = top & changed[:, None]
    remove[np.arange(len(p)), least] = False
    return np.where(remove, -np.inf, logw), changed


def surprise_cut(logw: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Mirostat 2.0's truncation: keep tokens whose surprise, -log2 of their probability,
    is at most mu (per row, (batch,)); the most likely token always stays."""
    with np.errstate(divide="ignore"):
        surprise = -np.log2(probs(logw))
    keep = surprise <= np.asarray(mu, dtype=np.float64)[:, None] + MARGIN
    keep |= logw == logw.max(axis=1, keepdims=True)
    return np.where(keep, logw, -np.inf)
