"""The parameters of an API request, each checked once: a bad one is a BadRequest that
names it (HTTP 400), never a server error."""

from __future__ import annotations

import json

from tempgen.generate.samplers.chain import build_chain
from tempgen.generate.samplers.registry import SETTINGS
from tempgen.io.text import is_text

LIMITS = {
    "length": 5000,  # tokens of a sample
    "temperatures": 32,  # columns of a sweep
    "prompt": 10_000,  # characters
    "choices": 200,  # chosen tokens of a sample
    "top": 50,  # bars of a position
    "text": 1_000_000,  # characters of a text to calibrate on
    "body": 2_000_000,  # bytes of a request
    "breakers": 16,  # DRY sequence breakers
    "breaker": 40,  # characters of one (and of a logit bias's token)
    "biases": 64,  # logit biases
}


DIGITS = 40  # digits of a JSON number: no setting needs more
DEPTH = 32  # nesting of a body: no request needs more


class BadRequest(Exception):
    def __init__(self, param: str, message: str):
        super().__init__(f"{param}: {message}")
        self.param, self.message = param, message


def body_of(data: bytes) -> dict:
    """A request's body, decoded and checked whole, once: UTF-8 JSON (no NaN or Infinity,
    no number of more than DIGITS digits, no lone surrogate in any string, at most DEPTH
    deep), an object. Everything after takes its values as Python's own types."""
    def number(kind):
        def parse(s: str):
            if len(s) > DIGITS:
                raise BadRequest("body", f"a number of more than {DIGITS} digits")
            return kind(s)
        return parse

    def constant(name: str):
        raise BadRequest("body", f"not valid JSON ({name} is not a JSON number)")

    try:
        value = json.loads((data or b"{}").decode("utf-8"), parse_int=number(int),
                           parse_float=number(float), parse_constant=constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise BadRequest("body", "not valid JSON") from None
    _check(value, "body", 0)
    return obj(value)


def _check(value, where: str, depth: int) -> None:
    """Every string of a decoded body valid text, and its nesting bounded (where: the
    path of the value, for the message)."""
    if depth > DEPTH:
        raise BadRequest("body", f"nested more than {DEPTH} deep")
    if isinstance(value, str) and _surrogate(value):
        raise BadRequest(where, "not valid text (a lone surrogate)")
    if isinstance(value, dict):
        for key, item in value.items():
            if _surrogate(key):
                raise BadRequest(where, "a key that is not valid text (a lone surrogate)")
            _check(item, key if where == "body" else f"{where}.{key}", depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check(item, f"{where}[{i}]", depth + 1)


def _surrogate(s: str) -> bool:
    return not is_text(s)


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
    return value


def model(body: dict, models: dict):
    """The model the request names: one of those `serve` was started with."""
    name = body.get("model")
    if not isinstance(name, str) or name not in models:
        raise BadRequest("model", f"not one of this server's models ({', '.join(models)})")
    return name, models[name]


def temperature(value, name: str = "temperature") -> float:
    """A temperature: a number >= 0, or "inf", as the registry's setting checks it (the one
    check the command line and the library use too)."""
    if isinstance(value, bool) or not (value == "inf" or isinstance(value, (int, float))):
        raise BadRequest(name, "a number >= 0, or \"inf\", is needed")
    try:
        return SETTINGS["temperature"].check(value)
    except (ValueError, OverflowError) as exc:
        raise BadRequest(name, str(exc)[:200]) from None


def chain(body: dict, t: float):
    """The sampler chain: temperature t and the request's "samplers" settings (by their
    names, generate/samplers/registry.py) and "order"."""
    s = body.get("samplers", {})
    if not isinstance(s, dict):
        raise BadRequest("samplers", "an object is needed")
    settings = {"temperature": t}
    for key, value in s.items():
        if key == "order":
            continue
        if key not in SETTINGS or key == "temperature":
            raise BadRequest("samplers", f"unknown setting {key!r}"[:200])
        settings[key] = setting(key, value)
    order = s.get("order", [])
    if not isinstance(order, list) or not all(isinstance(n, str) for n in order):
        raise BadRequest("samplers.order", "a list of sampler names is needed")
    try:
        return build_chain(settings, tuple(order))
    except ValueError as exc:
        raise BadRequest("samplers.order", str(exc)[:200]) from None


def bound(chain, model):
    """The chain with its logit biases naming the model's tokens (a 400 naming a text that
    is not one of them)."""
    try:
        return chain.for_model(model.tokenizer)
    except ValueError as exc:
        raise BadRequest("samplers.logit_bias", str(exc).removeprefix("logit bias: ")[:200]
                         ) from None


def setting(key: str, value):
    """One sampler setting, checked by its own rule."""
    name = f"samplers.{key}"
    if SETTINGS[key].kind == "biases":  # {token: bias}, or a list of "TOKEN=BIAS"
        if not (isinstance(value, dict | list) and len(value) <= LIMITS["biases"]) or \
                any(not isinstance(t, str) or not 0 < len(t) <= LIMITS["breaker"]
                    for t in (value if isinstance(value, dict) else [])):
            raise BadRequest(name, f"an object of at most {LIMITS['biases']} tokens (1 to "
                                   f"{LIMITS['breaker']} characters) and their biases is "
                                   "needed")
        try:
            return SETTINGS[key].check(value)
        except ValueError as exc:
            raise BadRequest(name, str(exc).removeprefix(f"{key}: ")[:200]) from None
    if SETTINGS[key].kind == "strings":
        if not (isinstance(value, list) and len(value) <= LIMITS["breakers"] and
                all(isinstance(v, str) and 0 < len(v) <= LIMITS["breaker"] for v in value)):
            raise BadRequest(name, f"a list of at most {LIMITS['breakers']} strings of 1 to "
                                   f"{LIMITS['breaker']} characters is needed")
        return tuple(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadRequest(name, f"a number is needed, got {value!r}"[:200])
    try:
        return SETTINGS[key].check(value)
    except ValueError as exc:
        raise BadRequest(name, str(exc).removeprefix(key + " ")) from None


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
