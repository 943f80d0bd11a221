"""One sample with chosen tokens: at the steps a user picked, the token is theirs instead
of the draw. The draw's step key is still used up, so every step after keeps its noise: the
text after a choice is what the sample's own randomness makes of it."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from tempgen.generate.decode import Block, generate_blocks
from tempgen.generate.draw import Stream
from tempgen.generate.samplers.chain import Chain
from tempgen.generate.tempering import entropy_bits


def sample_blocks(model, contexts: np.ndarray, chain: Chain, rng: Stream,
                  steps: int, chosen: dict[int, int] | None = None, states=None
                  ) -> Iterator[Block]:
    """The blocks of one row's `steps` steps from `contexts` (1, width); at each step k of
    `chosen` (k -> token id) that token stands instead of the draw. states: the row's
    [RowState] for a stateful chain (chain.start), moved on."""
    chosen = {k: t for k, t in (chosen or {}).items() if 0 <= k < steps}
    ctx, step = np.array(contexts, dtype=np.int64), 0
    for k in [*sorted(chosen), steps]:
        if k > step:
            for block in generate_blocks(model, ctx, [chain], [0], [rng], [0], k - step,
                                         states=states):
                ctx = _after(ctx, block.tokens[:, 0])
                yield block
            step = k
        if k < steps:
            rng.keys(1)  # the step key of the draw this choice replaces
            block = _chosen(model, ctx, chain, chosen[k], states)
            ctx = _after(ctx, block.tokens[:, 0])
            yield block
            step += 1


def _after(ctx: np.ndarray, tokens: np.ndarray) -> np.ndarray:
    """The context after `tokens` followed it."""
    width = ctx.shape[1]
    return np.concatenate([ctx[0], tokens])[len(tokens):][None, :] if width else ctx


def _chosen(model, ctx: np.ndarray, chain: Chain, token: int, states) -> Block:
    """A step whose token is `token`: its ln p, its ln q under the chain (-inf if the chain
    removes it) and the entropy of the row it stands in."""
    logp = model.logprobs(ctx)
    mu = states[0].mu if states and states[0].mu is not None else np.nan
    logq, temps = chain.apply(logp, states)
    chain.update(states, [token], logq[:, token])
    return Block(np.array([[token]]), logp[:, token][None], logq[:, token][None],
                 entropy_bits(logq)[None], temps[None], np.array([[mu]]))
