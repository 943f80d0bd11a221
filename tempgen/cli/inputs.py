"""Options into library arguments: the sampler chain, the model, the prompt, the seed and
stop strings, the temperatures."""

from __future__ import annotations

import math
import os
import sys

import click

from tempgen.cli.options import (
    DEFAULT_TEMPERATURES,
    MAX_TEMPERATURES,
    PROMPT_LIMIT,
    Temperature,
    note,
)


def sampler_settings(options: dict) -> tuple[dict, tuple[str, ...]]:
    """The sampler settings and chain order of a command's options (taken out of them)."""
    from tempgen.generate.samplers.registry import SETTINGS
    from tempgen.generate.textstream import unescape

    settings = {name: options.pop(name) for name in list(options) if name in SETTINGS}
    breakers = settings.pop("dry_sequence_breakers", ())
    if breakers:
        settings["dry_sequence_breakers"] = () if breakers == ("none",) else tuple(
            unescape(command_line_text(b, "'--dry-sequence-breaker'")) for b in breakers)
    biases = settings.pop("logit_bias", ())
    if biases:
        settings["logit_bias"] = tuple(_bias(b) for b in biases)
    samplers = options.pop("samplers", None) or ""
    order = tuple(n for n in samplers.replace(";", ",").split(",") if n.strip())
    return settings, order


def _bias(option: str) -> tuple[str, str]:
    """One --logit-bias TOKEN=BIAS: the token's text (\\n and the like unescaped) and its
    bias, as given."""
    from tempgen.generate.textstream import unescape

    token, eq, bias = command_line_text(option, "'--logit-bias'").rpartition("=")
    if not eq or not token:
        raise click.BadParameter(f"{option!r} is not TOKEN=BIAS (e.g. 'the=-2', '\\n=-inf')",
                                 param_hint="'--logit-bias'")
    return unescape(token), bias


def chain_of(temperature: float, settings: dict, order: tuple[str, ...] = ()):
    """The sampler chain of the sampler options at one temperature."""
    from tempgen.generate.samplers.chain import build_chain
    from tempgen.generate.samplers.registry import SETTINGS

    try:
        return build_chain({**settings, "temperature": temperature}, order)
    except ValueError as exc:
        name = str(exc).split(":")[0].split(" ")[0]
        hint = SETTINGS[name].option if name in SETTINGS else "--samplers"
        raise click.BadParameter(str(exc).removeprefix(f"{name}: "),
                                 param_hint=f"'{hint}'") from None


def load_model(spec: str):
    """A model by name or path, with a spinner on stderr while a large ARPA file parses."""
    from tempgen.cli.progress import status
    from tempgen.lm.store import is_arpa, load

    if is_arpa(spec):
        with status(f"reading {spec}"):
            return load(spec, waiting)
    return load(spec, waiting)


def waiting(fifo: str) -> None:
    """Said before reading a FIFO, whose opening waits for a writer."""
    note(f"waiting for a writer on the FIFO {fifo} (Ctrl-C stops)")


def warn_unknown(tokens: list[str], level: str) -> None:
    from tempgen.lm.tokenizer import shown

    kind = "characters" if level == "char" else "words"
    note(f"warning: {len(tokens)} unknown {kind} (not in the model's vocabulary): "
         f"{shown(tokens)}")


def model_and_prompt(model_spec: str, prompt: str, chains=None, verbose: bool = False):
    """Load the model and read the prompt; bind the chains (a list, changed in place) to
    the model's tokens; note the chains (with -v), the compiled loop's absence (with -v)
    and the prompt's unknown tokens on stderr."""
    chains = [] if chains is None else chains
    model = load_model(model_spec)
    try:  # (logit biases name the model's tokens: checked against it once it is known)
        bound = [c.for_model(model.tokenizer) for c in chains]
    except ValueError as exc:
        raise click.BadParameter(str(exc).removeprefix("logit bias: "),
                                 param_hint="'--logit-bias'") from None
    prompt = read_prompt(prompt)
    if verbose:
        from tempgen.generate import compiled

        for chain in chains:  # (as given: tokens by their text)
            note(f"chain: {chain}")
        if not compiled.AVAILABLE:
            why = "turned off by TEMPGEN_COMPILED=0" if compiled.BUILT else "not built"
            note(f"note: the compiled loop is {why}; numpy decodes (the same text, slower)")
    unknown = model.tokenizer.unknown_tokens(prompt)
    if unknown:
        warn_unknown(unknown, model.level)
    chains[:] = bound
    return model, prompt


def seed_and_stops(model, seed: int | None, stops: tuple[str, ...]):
    """The seed (chosen and printed when not given) and the stop strings (a per-line model
    stops at the end of the line unless told otherwise)."""
    from tempgen.generate.draw import fresh_seed
    from tempgen.generate.textstream import unescape

    if seed is None:
        seed = fresh_seed()
        note(f"seed: {seed}")
    stops = [unescape(command_line_text(s, "'--stop'")) for s in stops] or (
        ["\n"] if model.per_line else [])
    return seed, stops


def choices_of(forced: tuple[str, ...], model) -> dict[int, int]:
    """--force STEP=TOKEN options: step -> token id."""
    from tempgen.generate.textstream import unescape

    out = {}
    for item in forced:
        step, sep, token = item.partition("=")
        if not sep or not step.isdigit():
            raise click.BadParameter(f"{item!r} is not STEP=TOKEN (e.g. 12=a)",
                                     param_hint="'--force'")
        token = unescape(command_line_text(token, "'--force'"))
        if token not in model.tokenizer.index:
            raise click.BadParameter(f"{token!r} is not a token of the model",
                                     param_hint="'--force'")
        out[int(step)] = model.tokenizer.index[token]
    return out


def read_prompt(prompt: str) -> str:
    """The prompt: the option's text, or stdin's for "-" (at most PROMPT_LIMIT bytes of
    UTF-8)."""
    from tempgen.io.corpus import read_corpus

    hint = "'-p' / '--prompt'"
    if prompt == "-":
        if sys.stdin is not None and not sys.stdin.closed and sys.stdin.isatty():
            raise click.BadParameter("'-' reads the prompt from stdin, but stdin is a terminal",
                                     param_hint=hint)
        return read_corpus("-", limit=PROMPT_LIMIT, purpose="a prompt", advice="").text
    return command_line_text(prompt, hint)


def command_line_text(value: str, hint: str) -> str:
    """An argument as text: its bytes as UTF-8, whatever the locale decoded them as (under
    LC_ALL=C, Python reads each byte past ASCII as an escape), or a one-line error naming
    the first byte that is not UTF-8."""
    if value.isascii() or not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    raw = os.fsencode(value)  # (the argument's own bytes, as the system gave them)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise click.BadParameter(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                                 param_hint=hint) from None


def temperatures_of(listed: str | None, span: str | None, hint: str | None = None
                    ) -> list[float]:
    """The temperatures of --temperatures A,B,... or --range START:STOP:COUNT."""
    if listed is not None and span:
        raise click.UsageError("give --temperatures or --range, not both")
    if span:
        parts = span.split(":")
        try:
            start, stop, count = float(parts[0]), float(parts[1]), int(parts[2])
            if len(parts) != 3:
                raise ValueError
        except (ValueError, IndexError):
            raise click.BadParameter(f"{span!r} is not START:STOP:COUNT (e.g. 0:2:5)",
                                     param_hint="'--range'") from None
        if count < 1 or count > MAX_TEMPERATURES:
            raise click.BadParameter(f"COUNT must be from 1 to {MAX_TEMPERATURES}, got {count}",
                                     param_hint="'--range'")
        if not (math.isfinite(start) and math.isfinite(stop)):
            raise click.BadParameter(f"{span!r}: START and STOP must be finite numbers (inf "
                                     "can be listed with --temperatures, not spanned)",
                                     param_hint="'--range'")
        values = [start + (stop - start) * i / max(count - 1, 1) for i in range(count)]
        hint = "'--range'"
    else:
        values = [v.strip() for v in (DEFAULT_TEMPERATURES if listed is None else listed
                                      ).split(",") if v.strip()]
        hint = hint or "'--temperatures'"
    if not values:
        raise click.BadParameter("no temperature given", param_hint=hint)
    if len(values) > MAX_TEMPERATURES:
        raise click.BadParameter(f"{len(values):,} temperatures; at most {MAX_TEMPERATURES}",
                                 param_hint=hint)
    try:
        return [Temperature().convert(v, None, None) for v in values]
    except click.BadParameter as exc:
        raise click.BadParameter(exc.message, param_hint=hint) from None


def columns_of(temperatures: str | None, span: str | None, over: str | None,
               temperature: float) -> tuple[str, list]:
    """What a sweep's columns differ by, and its values: the temperatures of
    --temperatures or --range, or the setting and values of --sweep-over NAME=V1,V2,...
    (the other columns' temperature then being `temperature`)."""
    from tempgen.generate.samplers.registry import SETTINGS

    if over is None:
        return "temperature", temperatures_of(temperatures, span)
    hint = "'--sweep-over'"
    if temperatures is not None or span:
        raise click.UsageError("give --sweep-over, or --temperatures / --range, not both")
    name, sep, listed = over.partition("=")
    key = name.strip().lower().replace("-", "_")
    if not sep or key not in SETTINGS or not SETTINGS[key].numeric:
        choices = ", ".join(n.replace("_", "-") for n, s in SETTINGS.items() if s.numeric)
        raise click.BadParameter(f"{over!r} is not NAME=V1,V2,... with NAME one of: {choices}",
                                 param_hint=hint)
    if key == "temperature":
        return key, temperatures_of(listed, None, hint=hint)
    values = [v.strip() for v in listed.split(",") if v.strip()]
    if not values or len(values) > MAX_TEMPERATURES:
        raise click.BadParameter(f"give 1 to {MAX_TEMPERATURES} values", param_hint=hint)
    try:
        return key, [SETTINGS[key].check(v) for v in values]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=hint) from None


def chains_of(over: str, values: list, temperature: float, settings: dict, order) -> list:
    """One chain per column: the settings with `over` set to each value."""
    if over == "temperature":
        return [chain_of(t, settings, order) for t in values]
    return [chain_of(temperature, {**settings, over: v}, order) for v in values]
