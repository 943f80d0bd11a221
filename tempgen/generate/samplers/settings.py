"""The sampler settings: each one's name (the option --top-k sets top_k), the link of the
chain it belongs to, its default, and its check. Names, defaults and meanings are
llama.cpp's, so settings carry over; a link whose settings leave it doing nothing is left
out of the chain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

CONTEXT = 4096  # tokens a window of -1 means (llama.cpp's: its default context size)
MAX_WINDOW = 1 << 16  # tokens a window may name
BIG = 1e6  # bound of the penalties' strengths

# The links, in their default order (llama.cpp's: penalties first, temperature after the
# truncation samplers, Mirostat last as it draws from what is left).
LINKS = ("penalties", "dry", "top_n_sigma", "top_k", "typical_p", "top_p", "min_p", "xtc",
         "temperature", "mirostat")
ALIASES = {"typ_p": "typical_p", "typical": "typical_p", "temp": "temperature",
           "repetition": "penalties", "mirostat_v2": "mirostat"}
STATEFUL = ("penalties", "dry", "mirostat")  # links that read what a sample drew before
DRY_BREAKERS = ("\n", ":", '"', "*")


@dataclass(frozen=True)
class Setting:
    name: str
    link: str
    default: object
    kind: str = "float"  # "float", "int" or "strings"
    low: float = -math.inf
    high: float = math.inf
    open_low: bool = False
    allow_inf: bool = False
    help: str = ""

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    def check(self, value):
        """The value, converted; ValueError naming the setting when it is not allowed."""
        if self.kind == "strings":
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"{self.name} must be a list of strings")
            return tuple(value)
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


def _s(name, link, default, **kw) -> Setting:
    return Setting(name, link, default, **kw)


SETTINGS = {s.name: s for s in [
    _s("repeat_penalty", "penalties", 1.0, low=0.0, high=BIG, open_low=True,
       help="Divide the weight of a token used in the last N by this (1 = off)."),
    _s("repeat_last_n", "penalties", 64, kind="int", low=-1, high=MAX_WINDOW,
       help=f"Tokens the penalties look back over (0 = off, -1 = {CONTEXT})."),
    _s("presence_penalty", "penalties", 0.0, low=-BIG, high=BIG,
       help="Subtract this from the log-weight of a token used in the last N (0 = off)."),
    _s("frequency_penalty", "penalties", 0.0, low=-BIG, high=BIG,
       help="Subtract this times its count from a token's log-weight (0 = off)."),
    _s("dry_multiplier", "dry", 0.0, low=0.0, high=BIG,
       help="DRY: penalise the token that would extend a repeated sequence (0 = off)."),
    _s("dry_base", "dry", 1.75, low=1.0, high=BIG,
       help="DRY: the penalty grows as BASE^(length - allowed length)."),
    _s("dry_allowed_length", "dry", 2, kind="int", low=0, high=MAX_WINDOW,
       help="DRY: repeats this long go unpenalised."),
    _s("dry_penalty_last_n", "dry", -1, kind="int", low=-1, high=MAX_WINDOW,
       help=f"DRY: tokens to look back over (0 = off, -1 = {CONTEXT})."),
    _s("dry_sequence_breakers", "dry", DRY_BREAKERS, kind="strings",
       help="DRY: a repeat does not run across these."),
    _s("top_n_sigma", "top_n_sigma", -1.0, low=-BIG, high=BIG,
       help="Keep tokens whose log-weight is within N standard deviations of the top one "
            "(<= 0 = off)."),
    _s("top_k", "top_k", 0, kind="int", low=0, high=2**31 - 1,
       help="Keep only the K most likely tokens (0 = off)."),
    _s("typical_p", "typical_p", 1.0, low=0.0, high=1.0, open_low=True,
       help="Locally typical sampling mass, in (0, 1]."),
    _s("top_p", "top_p", 1.0, low=0.0, high=1.0, open_low=True,
       help="Nucleus: keep the most likely tokens up to this mass, in (0, 1]."),
    _s("min_p", "min_p", 0.0, low=0.0, high=1.0,
       help="Keep tokens at least this fraction as likely as the top one, in [0, 1]."),
    _s("xtc_probability", "xtc", 0.0, low=0.0, high=1.0,
       help="XTC: how often the top choices are excluded (0 = off)."),
    _s("xtc_threshold", "xtc", 0.1, low=0.0, high=1.0,
       help="XTC: tokens at least this likely are top choices (> 0.5 = off)."),
    _s("temperature", "temperature", 1.0, low=0.0, allow_inf=True,
       help="0 = greedy, 1 = the model itself, inf = uniform."),
    _s("dynatemp_range", "temperature", 0.0, low=0.0, high=BIG,
       help="Dynamic temperature: T +- this, higher where the row's entropy is (0 = off)."),
    _s("dynatemp_exponent", "temperature", 1.0, low=0.0, high=BIG,
       help="Dynamic temperature: the exponent of the entropy's share."),
    _s("mirostat", "mirostat", 0, kind="int", low=0, high=2,
       help="2 = Mirostat 2.0: keep the surprise near TAU (0 = off)."),
    _s("mirostat_tau", "mirostat", 5.0, low=0.0, high=BIG,
       help="Mirostat: the target surprise, in bits."),
    _s("mirostat_eta", "mirostat", 0.1, low=0.0, high=BIG,
       help="Mirostat: the learning rate."),
]}
NAMES = tuple(SETTINGS)


def link_settings(link: str) -> list[Setting]:
    return [s for s in SETTINGS.values() if s.link == link]


def active(link: str, v: dict) -> bool:
    """Whether a link with settings `v` (every one of its own) changes anything."""
    if link == "penalties":
        return v["repeat_last_n"] != 0 and (v["repeat_penalty"] != 1.0 or
                                            v["presence_penalty"] != 0.0 or
                                            v["frequency_penalty"] != 0.0)
    if link == "dry":
        return v["dry_multiplier"] > 0 and v["dry_penalty_last_n"] != 0
    if link == "top_n_sigma":
        return v["top_n_sigma"] > 0
    if link == "top_k":
        return v["top_k"] > 0
    if link in ("typical_p", "top_p"):
        return v[link] < 1.0
    if link == "min_p":
        return v["min_p"] > 0.0
    if link == "xtc":
        return v["xtc_probability"] > 0 and v["xtc_threshold"] <= 0.5
    if link == "mirostat":
        return v["mirostat"] == 2
    return True  # temperature: always there


def window(n: int) -> int:
    """Tokens a look-back setting means: -1 is CONTEXT."""
    return CONTEXT if n < 0 else n


def link_name(name: str) -> str:
    """A link's name as a user may write it (top-k, typ_p, temp, ...), or ValueError."""
    key = name.strip().lower().replace("-", "_")
    key = ALIASES.get(key, key)
    if key not in LINKS:
        raise ValueError(f"unknown sampler {name.strip()!r} (choose from {', '.join(LINKS)})")
    return key
