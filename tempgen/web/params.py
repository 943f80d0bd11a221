"""The parameters of an API request, each checked once: a bad one is a BadRequest that
names it (HTTP 400), never a server error."""

from __future__ import annotations

import math

from tempgen.generate.samplers import NAMES, build_chain

LIMITS = {
    "length": 5000,  # tokens of a sample
    "temperatures": 32,  # columns of a sweep
    "prompt": 10_000,  # characters
    "choices": 200,  # chosen tokens of a sample
    "top": 50,  # bars of a position
    "text": 1_000_000,  # characters of a text to calibrate on
    "body": 2_000_000,  # bytes of a request
}


class BadRequest(Exception):
    def __init__(self, param: str, message: str):
        super().__init__(f"{param}: {message}")
        self.param, self.message = param, message


def obj(body) -> dict:
    if not isinstance(body, dict):
        raise BadRequest("body", "a JSON object is needed")
    return body


def integer(body: dict, name: str, default: int | None, lo: int, hi: int) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(name, f"a whole number is needed, got {value!r}"[:200])
    if not lo <= value <= hi:
        raise BadRequest(name, f"must be from {lo} to {hi}, got {value}")
    return value


def number(value, name: str, lo: float, hi: float, open_low: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadRequest(name, f"a number is needed, got {value!r}"[:200])
    value = float(value)
    low_ok = value > lo if open_low else value >= lo
    if value != value or not low_ok or value > hi:
        raise BadRequest(name, f"must be in {'(' if open_low else '['}{lo}, {hi}], got {value}")
    return value


def text(body: dict, name: str, limit: int, default: str | None = None) -> str:
    value = body.get(name, default)
    if not isinstance(value, str):
        raise BadRequest(name, "a string is needed")
    if len(value) > limit:
        raise BadRequest(name, f"longer than {limit:,} characters")
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise BadRequest(name, "not valid text (a lone surrogate)")
    return value


def model(body: dict, models: dict):
    """The model the request names: one of those `serve` was started with."""
    name = body.get("model")
    if name not in models:
        raise BadRequest("model", f"not one of this server's models ({', '.join(models)})")
    return name, models[name]


def temperature(value, name: str = "temperature") -> float:
    """A temperature: a number >= 0, or "inf"."""
    if value == "inf":
        return math.inf
    return number(value, name, 0.0, 1e6)


def chain(body: dict, t: float):
    """The sampler chain: temperature t and the request's "samplers" settings and order."""
    s = body.get("samplers", {})
    if not isinstance(s, dict):
        raise BadRequest("samplers", "an object is needed")
    unknown = set(s) - {*NAMES, "order"} - {"temperature"}
    if unknown:
        raise BadRequest("samplers", f"unknown setting {sorted(unknown)[0]!r}")
    settings = {"temperature": t,
                "top_k": integer(s, "top_k", 0, 0, 1_000_000),
                "top_p": number(s.get("top_p", 1.0), "samplers.top_p", 0.0, 1.0, True),
                "min_p": number(s.get("min_p", 0.0), "samplers.min_p", 0.0, 1.0),
                "typical_p": number(s.get("typical_p", 1.0), "samplers.typical_p", 0.0, 1.0,
                                    True)}
    order = s.get("order", [])
    if not isinstance(order, list) or not all(isinstance(n, str) for n in order):
        raise BadRequest("samplers.order", "a list of sampler names is needed")
    try:
        return build_chain(settings, tuple(order))
    except ValueError as exc:
        raise BadRequest("samplers.order", str(exc)) from None


def choices(body: dict, vocab_size: int, length: int) -> dict[int, int]:
    """Chosen tokens: [[step, token id], ...] with steps below the length."""
    raw = body.get("choices", [])
    if not isinstance(raw, list) or len(raw) > LIMITS["choices"]:
        raise BadRequest("choices", f"a list of at most {LIMITS['choices']} [step, id] pairs "
                                    "is needed")
    out = {}
    for pair in raw:
        if not (isinstance(pair, list) and len(pair) == 2):
            raise BadRequest("choices", "each choice is a [step, token id] pair")
        step = integer({"step": pair[0]}, "step", None, 0, length - 1)
        out[step] = integer({"id": pair[1]}, "id", None, 0, vocab_size - 1)
    return out


def temperatures(body: dict) -> list[float]:
    raw = body.get("temperatures")
    if not isinstance(raw, list) or not 1 <= len(raw) <= LIMITS["temperatures"]:
        raise BadRequest("temperatures", f"a list of 1 to {LIMITS['temperatures']} "
                                         "temperatures is needed")
    return [temperature(t, "temperatures") for t in raw]
