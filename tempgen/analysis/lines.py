"""A step's token as the upper envelope of lines in T: which chains have such lines, and
the envelope itself (`tempgen map` and the explorer's marks).

With the Gumbel-max draw, a chain whose links before temperature do not depend on T draws
the token argmax_i (z_i + T g_i): z the row after those links, g the step's noise, both the
same at every T. The token changes with T only where two of these lines cross.
"""

from __future__ import annotations

import math

import numpy as np

from tempgen.generate.samplers.chain import Chain

# Links whose outcome depends on T or on a coin of their own: their texts are not lines in T
MOVING = {"xtc": "XTC mixes the tempered row with and without its exclusion",
          "mirostat": "Mirostat cuts by a surprise that depends on the tempered row",
          "dynatemp": "dynamic temperature tempers each row by its own entropy"}


class Unmappable(ValueError):
    """A chain whose texts are not lines in T: says which link, and why."""



def check_mappable(chain: Chain) -> Chain:
    """The chain's links before temperature, as a chain; Unmappable names a link whose
    outcome depends on T."""
    names = [lk.name for lk in chain.links]
    for lk in chain.links:
        if lk.name in ("xtc", "mirostat"):
            raise Unmappable(f"{lk.name}: {MOVING[lk.name]}, so its texts have no exact "
                             "temperatures of change; map the chain without it")
        if lk.name == "temperature" and len(lk.settings) > 1:
            raise Unmappable(f"dynamic temperature: {MOVING['dynatemp']}; map it without "
                             "--dynatemp-range")
    if "temperature" in names and names[-1] != "temperature":
        after = names[names.index("temperature") + 1]
        raise Unmappable(f"{after} comes after temperature: a cut of the tempered row keeps "
                         "tokens that depend on T; put temperature last")
    return Chain(tuple(lk for lk in chain.links if lk.name != "temperature"))


def envelope(z: np.ndarray, g: np.ndarray, lo: float, hi: float) -> list[tuple[int, float, float]]:
    """The token argmax_i (z_i + T g_i) along T in [lo, hi), as (token, from, to) pieces in
    order (tokens with z = -inf never win). At T = 0 exactly the token is the likeliest
    (ties to the lowest id), as the draw takes it: a piece (token, 0, 0) when that is not
    the token just above 0."""
    cand = np.flatnonzero(z > -np.inf)
    if hi < math.inf and len(cand) > 64:  # only lines that reach the envelope somewhere
        at_lo, at_hi = z[cand] + lo * g[cand], z[cand] + hi * g[cand]
        floor = np.minimum(at_lo, at_hi).max()  # (the envelope is above this throughout)
        cand = cand[np.maximum(at_lo, at_hi) >= floor - 1e-9 * max(1.0, abs(floor))]
    zc, gc = z[cand], g[cand]
    pieces = []
    t = lo
    if lo == 0:
        top = np.flatnonzero(zc == zc.max())
        greedy = int(top[0])
        cur = int(top[np.argmax(gc[top])])  # (just above 0: the largest g among the ties)
        if cur != greedy:
            pieces.append((int(cand[greedy]), 0.0, 0.0))
    else:
        cur = int(np.argmax(zc + lo * gc))
    while True:
        steeper = np.flatnonzero(gc > gc[cur])
        if len(steeper):
            with np.errstate(over="ignore"):
                cross = (zc[cur] - zc[steeper]) / (gc[steeper] - gc[cur])
            cross = np.maximum(cross, t)  # (a line already above: it takes over now)
            first = cross.min()
        else:
            first = math.inf
        if first >= hi:
            pieces.append((int(cand[cur]), t, hi))
            return pieces
        if first > t:
            pieces.append((int(cand[cur]), t, float(first)))
        at = steeper[cross == first]
        cur = int(at[np.argmax(gc[at])])  # (several cross at once: the steepest goes on)
        t = float(first)
