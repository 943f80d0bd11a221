"""Adaptive-p (llama.cpp PR #17927, llama_sampler_adaptive_p): the row's probabilities
become log-weights that peak at a target probability, and the target moves so that the
drawn tokens' probabilities average to the one asked for. Its constants and formulas are
llama.cpp's; its memory (a decaying sum of the drawn tokens' probabilities and of their
weights) is each sample's RowState.adapt.
"""

from __future__ import annotations

import numpy as np

from tempgen.generate.samplers.truncation import probs

WIDTH = 0.3  # DISTRIBUTION_WIDTH: how far from the target a token is still favoured
PEAK = 5.0  # PEAK_LOGIT_VALUE: the log-weight of a token exactly at the target
SHARPNESS = 10.0  # how fast the log-weight falls with the distance


def start(target: float, decay: float) -> tuple[float, float]:
    """The memory a sample starts with: as if the target had been met all along."""
    return target / (1.0 - decay), 1.0 / (1.0 - decay)


def adapted(target: float, memory: tuple[float, float]) -> float:
    """The step's target: 2 target - the drawn tokens' average, within [0, 1]."""
    total, weight = memory
    t = target if weight == 0.0 else 2.0 * target - total / weight
    return min(max(t, 0.0), 1.0)


def adaptive_p(logw: np.ndarray, target: float, states) -> np.ndarray:
    """Each allowed token's log-weight PEAK - SHARPNESS d^2 / (1 + d), d = |p - t| / WIDTH,
    p its probability in the row as it comes and t each row's adapted target. Each row's
    probabilities are kept in its state (`drawn_p`) for `remember` after the draw."""
    p = probs(logw)
    out = np.empty_like(logw)
    for r, st in enumerate(states):
        t = adapted(target, st.adapt)
        st.drawn_p = p[r]
        d = np.abs(p[r] - t) * (1.0 / WIDTH)
        out[r] = PEAK - SHARPNESS * (d * d) / (1.0 + d)
    return np.where(logw > -np.inf, out, -np.inf)


def remember(memory: tuple[float, float], p: float, decay: float) -> tuple[float, float]:
    """The memory after drawing a token of probability p (as adaptive-p received it)."""
    total, weight = memory
    return p + decay * total, 1.0 + decay * weight
