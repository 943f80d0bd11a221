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


def _by_likelihood(logw: np.ndarray) -> np.ndarray:
    """Each row's token ids, the most likely first (ties: the lower id first)."""
    return np.argsort(-logw, axis=1, kind="stable")


def _unsort(keep_sorted: np.ndarray, order: np.ndarray, width: int) -> np.ndarray:
    keep = np.zeros((len(order), width), dtype=bool)
    np.put_along_axis(keep, order, keep_sorted, axis=1)
    return keep


def tfs(logw: np.ndarray, z: float) -> np.ndarray:
    """Tail-free sampling (Phillips 2019; llama.cpp's --tfs, llama_sample_tail_free, as
    koboldcpp keeps it): with the allowed tokens' probabilities p sorted down, d the absolute
    second differences normalised to sum 1 (uniform when they sum to at most 1e-6), keep the
    tokens before the first place i >= 1 where the running sum of d passes z. A row of two
    tokens or fewer, or z >= 1, is left as it is."""
    if z >= 1.0:
        return logw
    n = (logw > -np.inf).sum(axis=1)
    if logw.shape[1] <= 2 or (n <= 2).all():
        return logw
    order = _by_likelihood(logw)
    p = np.take_along_axis(probs(logw), order, axis=1)
    d2 = np.abs(p[:, :-2] - 2 * p[:, 1:-1] + p[:, 2:])  # (p0 - p1) - (p1 - p2)
    valid = np.arange(d2.shape[1])[None, :] < (n - 2)[:, None]
    d2 = np.where(valid, d2, 0.0)
    total = d2.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 1e-6, d2 / total,
                         np.where(valid, 1.0 / np.maximum(n - 2, 1)[:, None], 0.0))
    over = (np.cumsum(share, axis=1) > z + MARGIN) & valid
    over[:, 0] = False  # (i >= 1: the most likely token always stays)
    last = np.where(over.any(axis=1), over.argmax(axis=1), n)
    keep_sorted = np.arange(logw.shape[1])[None, :] < last[:, None]
    keep = _unsort(keep_sorted, order, logw.shape[1]) | (n <= 2)[:, None]
    return np.where(keep, logw, -np.inf)


TOP_H_TOKENS = 100  # Top-H weighs the row's 100 most likely tokens (transformers' top_n)


def top_h(logw: np.ndarray, h: float) -> np.ndarray:
    """Top-H (Potraghloo et al. 2025; transformers' TopHLogitsWarper, whose option this is):
    of the 100 most likely tokens, renormalised, keep the most likely while their running
    entropy -sum p ln p stays within h times the entropy of all 100; the most likely always
    stays, tokens outside the 100 go. h <= 0: off."""
    if h <= 0.0:
        return logw
    m = min(TOP_H_TOKENS, logw.shape[1])
    order = _by_likelihood(logw)[:, :m]
    z, p, total = shifted(np.take_along_axis(logw, order, axis=1))
    with np.errstate(invalid="ignore"):
        terms = np.where(p > 0, -p * (z - np.log(total)), 0.0)
    cum = np.cumsum(terms, axis=1)
    keep_sorted = cum <= h * cum[:, -1:] + MARGIN
    keep_sorted[:, 0] = True
    keep = _unsort(keep_sorted, order, logw.shape[1])
    return np.where(keep, logw, -np.inf)
