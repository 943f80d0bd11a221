"""make bench: how long texts at T and 1.05 T agree under one seed, with tempgen's draw
(Gumbel-max, noise shared across temperatures) and with the inverse CDF in token order that
it replaced (one uniform per step, kept here only as the baseline).

"first" is the median position of the first differing token, "same" the mean share of
positions holding the same token, over seeds 0..n-1; prompt "ROMEO." and a newline.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tempgen.generate.decode import generate_blocks  # noqa: E402
from tempgen.generate.draw import streams  # noqa: E402
from tempgen.generate.samplers.chain import build_chain  # noqa: E402
from tempgen.generate.tempering import temperature  # noqa: E402

PROMPT = "ROMEO.\n"
CASES = (("shakespeare-char", 300, (0.3, 0.6, 1.0, 1.5)),
         ("shakespeare-word", 80, (0.3, 0.6, 1.0, 1.5)))


def gumbel_pair(model, t: float, seed: int, steps: int) -> np.ndarray:
    """(steps, 2) tokens at T and 1.05 T, sample 0 of the seed, as tempgen draws them."""
    chains = [build_chain({"temperature": t}), build_chain({"temperature": 1.05 * t})]
    ctx = model.contexts_after(model.tokenizer.encode(PROMPT), 2)
    return np.concatenate([b.tokens for b in generate_blocks(
        model, ctx, chains, [0, 1], streams(seed, 1), [0, 0], steps)])


def inverse_cdf_pair(model, t: float, seed: int, steps: int) -> np.ndarray:
    """The same with one uniform per step placed on each row's running mass in token order."""
    rng = np.random.default_rng(seed)
    ctx = model.contexts_after(model.tokenizer.encode(PROMPT), 2)
    out = np.empty((steps, 2), dtype=np.int64)
    for step in range(steps):
        q = np.exp(temperature(model.logprobs(ctx), np.array([t, 1.05 * t])))
        mass = np.cumsum(q, axis=1)
        tok = np.minimum((mass <= rng.random() * mass[:, -1:]).sum(axis=1), q.shape[1] - 1)
        out[step] = tok
        ctx = np.concatenate([ctx[:, 1:], tok[:, None]], axis=1) if ctx.shape[1] else ctx
    return out


def agreement(pair, model, t: float, seeds, steps: int) -> tuple[float, float]:
    """(first, same) of `pair`'s texts over the seeds."""
    firsts, shares = [], []
    for seed in seeds:
        tok = pair(model, t, seed, steps)
        same = tok[:, 0] == tok[:, 1]
        firsts.append(steps if same.all() else int(np.argmin(same)))
        shares.append(float(same.mean()))
    return float(np.median(firsts)), float(np.mean(shares))


def report(mark, seeds: int = 40) -> None:
    from tempgen.lm.store import load

    print(f"coupling: T against 1.05 T, {seeds} seeds, prompt ROMEO.: first differing token "
          f"(median) and share of same tokens")
    for name, steps, temps in CASES:
        model = load(name)
        for t in temps:
            g = agreement(gumbel_pair, model, t, range(seeds), steps)
            c = agreement(inverse_cdf_pair, model, t, range(seeds), steps)
            line = (f"  {name:<17} T = {t:<4} Gumbel-max first {g[0]:5.1f} same {g[1]:.2f} | "
                    f"inverse CDF first {c[0]:5.1f} same {c[1]:.2f}")
            if t == 1.0 and name == "shakespeare-char":
                ok = g[0] >= 3 * c[0] and g[1] >= 2 * c[1]
                line += f"  (first >= 3 x, same >= 2 x) {mark(ok)}"
            elif t == 1.0:
                line += f"  (same >= 5 x) {mark(g[1] >= 5 * c[1])}"
            print(line)
