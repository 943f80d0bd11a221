"""Modified Kneser–Ney discounts from the count-of-counts (Chen & Goodman 1998, as KenLM)."""

from __future__ import annotations

import numpy as np

FALLBACK_DISCOUNTS = (0.5, 1.0, 1.5)  # KenLM's --discount_fallback, for tiny corpora


def discounts_from_counts(adj: np.ndarray) -> tuple[float, float, float]:
    """Modified-KN discounts D1, D2, D3+ from the count-of-counts of adjusted counts.

    Falls back to KenLM's (0.5, 1.0, 1.5) when a count-of-counts is zero or a discount leaves
    its range (tiny corpora), so every probability stays positive.
    """
    t = np.array([np.count_nonzero(adj == k) for k in (1, 2, 3, 4)], dtype=np.float64)
    if np.any(t == 0):
        return FALLBACK_DISCOUNTS
    y = t[0] / (t[0] + 2 * t[1])
    d = tuple(float(k - (k + 1) * y * t[k] / t[k - 1]) for k in (1, 2, 3))
    if not all(0 < dk < k for dk, k in zip(d, (1, 2, 3), strict=True)):
        return FALLBACK_DISCOUNTS
    return d
