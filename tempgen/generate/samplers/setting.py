"""A sampler setting: its option, default, range and the one check every path shares
(the command line, the web API and the library), and the window a look-back setting
means."""

from __future__ import annotations

import math
from dataclasses import dataclass

CONTEXT = 4096  # tokens a window of -1 means (llama.cpp's: its default context size)
MAX_WINDOW = 1 << 16  # tokens a window may name
BIG = 1e6  # bound of the penalties' strengths
MAX_NGRAM = 64  # no-repeat-n-gram's n, at most
DRY_BREAKERS = ("\n", ":", '"', "*")

@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    kind: str = "float"  # "float", "int", "strings" or "biases" ((token, bias) pairs)
    low: float = -math.inf
    high: float = math.inf
    open_low: bool = False
    allow_inf: bool = False
    help: str = ""

    @property
    def numeric(self) -> bool:
        """Whether its value is one number (a control, a sweep, a figure)."""
        return self.kind in ("float", "int")

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    def check(self, value):
        """The value, converted; ValueError naming the setting when it is not allowed."""
        if self.kind == "strings":
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"{self.name} must be a list of strings")
            return tuple(value)
        if self.kind == "biases":
            return _biases(self.name, value)
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{self.name} must be a number, got {value!r}") from None
        if math.isnan(v) or (math.isinf(v) and not self.allow_inf):
            raise ValueError(f"{self.name} must be a finite number, got {value}")
        if self.kind == "int" and v != int(v):
            raise ValueError(f"{self.name} must be a whole number, got {value}")
        low_ok = v > self.low if self.open_low else v >= self.low
        if not low_ok or v > self.high:
            raise ValueError(f"{self.name} must be in {self.span()}, got {value}")
        if self.name == "mirostat" and v == 1:
            raise ValueError("Mirostat 1 (the first version) is not provided; use 2")
        return int(v) if self.kind == "int" else v

    def span(self) -> str:
        lo = "(" if self.open_low else "["
        def fmt(x):
            return "inf" if math.isinf(x) else str(int(x)) if self.kind == "int" else f"{x:g}"

        return f"{lo}{fmt(self.low)}, {fmt(self.high)}]"


def _biases(name: str, value) -> tuple:
    """Logit biases as (token, bias) pairs, from pairs, a {token: bias} mapping or
    "TOKEN=BIAS" texts (the last "=" parts them); a token is its text, or its id once the
    chain is bound to a model (Chain.for_model). A bias is a number of at most BIG either
    way, or -inf (the token is never drawn)."""
    if isinstance(value, dict):
        value = list(value.items())
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
        raise ValueError(f"{name} must be a list of TOKEN=BIAS")
    out = []
    for item in value:
        if isinstance(item, str):
            token, eq, bias = item.rpartition("=")
            if not eq or not token:
                raise ValueError(f"{name}: {item!r} is not TOKEN=BIAS")
            item = (token, bias)
        if not isinstance(item, list | tuple) or len(item) != 2 or isinstance(item[0], bool) \
                or not isinstance(item[0], str | int):
            raise ValueError(f"{name} must be a list of TOKEN=BIAS")
        try:
            bias = float(item[1])
        except (TypeError, ValueError):
            raise ValueError(f"{name}: the bias of {item[0]!r} must be a number, got "
                             f"{item[1]!r}") from None
        if not (abs(bias) <= BIG or bias == -math.inf):
            raise ValueError(f"{name}: the bias of {item[0]!r} must be in [-{BIG:g}, {BIG:g}] "
                             f"or -inf, got {item[1]}")
        out.append((item[0], bias))
    return tuple(out)


def window(n: int) -> int:
    """Tokens a look-back setting means: -1 is CONTEXT."""
    return CONTEXT if n < 0 else n
