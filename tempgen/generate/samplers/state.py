"""What a stateful chain remembers of one sample between steps."""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Sequence


class RowState:
    """One sample's memory: its last `keep` tokens (the prompt's first, oldest first) for
    the penalties, DRY and no-repeat-n-gram, Mirostat's mu, the surprise it cuts at, and
    adaptive-p's memory (its decaying sums, samplers/adaptive.py); None without them."""

    def __init__(self, prompt_ids: Sequence[int], keep: int, mu: float | None = None,
                 adapt: tuple[float, float] | None = None):
        self.history: deque[int] = deque((int(t) for t in prompt_ids), maxlen=max(keep, 0))
        self.mu = mu
        self.adapt = adapt
        self.drawn_p = None  # (adaptive-p: this step's row as it came, till the draw)

    def push(self, token: int) -> None:
        if self.history.maxlen:
            self.history.append(int(token))

    def fork(self) -> RowState:
        """A copy that moves on alone (the texts of two temperatures part here)."""
        other = copy.copy(self)
        other.history = deque(self.history, maxlen=self.history.maxlen)
        return other
