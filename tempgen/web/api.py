"""What each API call computes, from a request's JSON to a reply's: the library's own
functions (the same as the command line's), parameters checked by web/params.py."""

from __future__ import annotations

import math
import shlex
from functools import lru_cache

from tempgen.analysis.calibration import calibrate
from tempgen.analysis.explore import position
from tempgen.analysis.lines import Unmappable, check_mappable
from tempgen.analysis.recorded_rows import bars_at
from tempgen.analysis.sweep import sample_stats, sweep
from tempgen.analysis.textmap import interval_at, text_map
from tempgen.errors import TempgenError
from tempgen.generate.samplers.registry import LINK_OF, LINKS, REGISTRY, SETTINGS
from tempgen.generate.samples import one_sample, pieces
from tempgen.io.jsondocs import documents
from tempgen.io.logprobs import positions
from tempgen.views.palette import BANDS
from tempgen.web import params
from tempgen.web.params import LIMITS, BadRequest

SLIDER = (0.0, 5.0)  # the temperatures the page's slider reaches (0 by its button)
WHOLE_MAP_VOCAB = 1000  # up to this vocabulary the page gets every change of the text


class Api:
    """The API of a server started with `models` (name -> loaded model)."""

    def __init__(self, models: dict):
        self.models = models
        self._sample = lru_cache(maxsize=256)(self._make_sample)
        self._changes = lru_cache(maxsize=64)(self._make_changes)

    def config(self) -> dict:
        return {"models": [{"name": n, "level": m.level, "order": m.order,
                            "vocab": m.vocab_size, "per_line": m.per_line}
                           for n, m in self.models.items()],
                "limits": {k: v for k, v in LIMITS.items() if k != "body"},
                "palette": [{"floor": b.floor, "colour": b.light, "label": b.label}
                            for b in BANDS],
                "samplers": list(LINKS),
                "at_hand": [st.name for link in REGISTRY if link.at_hand
                            for st in link.settings],
                "settings": [{"name": st.name, "link": LINK_OF[st.name], "default": st.default,
                              "kind": st.kind, "low": _t(st.low), "high": _t(st.high),
                              "help": st.help}
                             for st in SETTINGS.values()
                             if st.name != "temperature" and st.numeric]}

    # ------------------------------------------------------------------ one sample
    def _run(self, body: dict) -> tuple:
        """The sample a request describes: (name, model, run key, chain)."""
        body = params.obj(body)
        name, model = params.model(body, self.models)
        prompt = params.text(body, "prompt", LIMITS["prompt"], "")
        seed = params.integer(body, "seed", 0, 0, 2**63 - 1)
        length = params.integer(body, "length", 300, 1, LIMITS["length"])
        t = params.temperature(body.get("temperature", 1.0))
        chain = params.bound(params.chain(body, t), model)
        chosen = params.choices(body, model.vocab_size, length)
        return name, model, (name, prompt, seed, length, chain, tuple(sorted(chosen.items())))

    def _make_sample(self, name, prompt, seed, length, chain, chosen):
        model = self.models[name]
        stops = ["\n"] if model.per_line else []
        return one_sample(model, prompt, chain, length, seed, 0, stops, dict(chosen))

    def sample(self, body) -> dict:
        name, model, key = self._run(body)
        _, prompt, seed, length, chain, chosen = key
        s = self._sample(*key)
        return {"model": name, "prompt": prompt, "seed": seed, "chain": chain.to_list(),
                "tokens": [{"text": piece, "q": q, "id": i} for (piece, q), i in
                           zip(pieces(model, prompt, s), s.ids, strict=True)],
                "stopped": s.stopped,
                "stats": sample_stats(model, model.tokenizer.encode(prompt), s),
                "command": command(name, prompt, seed, length, chain, dict(chosen),
                                   model.tokenizer.vocab)}

    def position(self, body) -> dict:
        name, model, key = self._run(body)
        s = self._sample(*key)
        k = params.integer(params.obj(body), "position", None, 0, len(s.ids))  # (the end:
        # the next token's row)
        top = params.integer(body, "top", 10, 1, LIMITS["top"])
        return position(model, key[1], s, k, key[4], top)

    def map(self, body) -> dict:
        """Where the sample's text changes as T runs over the slider's range: the interval
        of T that gives the text shown, and the ticks: every temperature where the text
        changes (a small vocabulary: the whole map, tempgen map's), or the interval's ends
        (a large one, where the whole map costs seconds)."""
        name, model, key = self._run(body)
        _, prompt, seed, length, chain, chosen = key
        if chosen:
            return {"available": False, "reason": "a branched text: its forced tokens do not "
                                                   "follow T"}
        try:
            check_mappable(chain)
        except Unmappable as exc:
            return {"available": False, "reason": str(exc)}
        t = chain.temperature
        if math.isinf(t):
            return {"available": False, "reason": "T = ∞ is past the slider's range"}
        lo, hi = interval_at(model, prompt, chain, length, seed, t, *SLIDER) \
            if t < SLIDER[1] else (SLIDER[1], math.inf)
        ticks = self._changes(name, prompt, seed, length, chain.at_temperature(1.0)) \
            if model.vocab_size <= WHOLE_MAP_VOCAB else [x for x in (lo, hi) if 0 < x < SLIDER[1]]
        return {"available": True, "from": lo, "to": _t(hi), "ticks": ticks}

    def _make_changes(self, name, prompt, seed, length, chain) -> list[float]:
        model = self.models[name]
        found = text_map(model, prompt, chain, length, seed, *SLIDER)
        return [x.lo for x in found.texts if 0 < x.lo < found.reached]

    # ------------------------------------------------------------------ sweep, calibrate
    def sweep(self, body) -> dict:
        body = params.obj(body)
        name, model = params.model(body, self.models)
        prompt = params.text(body, "prompt", LIMITS["prompt"], "")
        seed = params.integer(body, "seed", 0, 0, 2**63 - 1)
        length = params.integer(body, "length", 300, 1, LIMITS["length"])
        chains = [params.bound(params.chain(body, t), model)
                  for t in params.temperatures(body)]
        stops = ["\n"] if model.per_line else []
        result = sweep(model, prompt, chains, length, range(1), seed, stops)
        return {"model": name, "prompt": prompt, "seed": seed,
                "columns": [{"temperature": _t(c["temperature"]), "stats": c["stats"],
                             "tokens": c["samples"][0]}
                            for c in result.view_columns(model)]}

    def calibrate(self, body) -> dict:
        body = params.obj(body)
        name, model = params.model(body, self.models)
        text = params.text(body, "text", LIMITS["text"])
        try:
            result = calibrate(model, [text], "the text")
        except TempgenError as exc:  # empty, or no token known: the library says which
            raise BadRequest("text", str(exc)) from None
        return {"model": name, **result.to_dict(), "unknown_tokens": result.unknown_tokens}


    def recorded(self, body) -> dict:
        """A recorded LLM completion (the text of a file `tempgen logprobs` reads): its
        tokens, each with its probability and its bars at the temperature asked and at 1."""
        body = params.obj(body)
        data = params.text(body, "data", LIMITS["text"])
        t = params.temperature(body.get("temperature", 1.0))
        label = "the file"
        try:
            found: list[str] = []
            rows = [(p, bars_at(p, t)) for p in positions(
                documents(data.encode().split(b"\n"), label), label, None, found)]
        except TempgenError as exc:
            raise BadRequest("data", str(exc).removeprefix(f"{label}: ")) from None
        return {"format": found[0] if found else "", "temperature": _t(t),
                "tokens": [{"text": p.token, "q": math.exp(p.logprob), **b} for p, b in rows]}


def _t(t: float):
    return ("inf" if t > 0 else "-inf") if math.isinf(t) else t


def command(name: str, prompt: str, seed: int, length: int, chain, chosen: dict,
            vocab: list[str]) -> str:
    """The `tempgen sample` command that prints this sample's text."""
    args = ["tempgen", "sample", "-m", name, "-t", f"{chain.temperature:g}"]
    if prompt:
        args += ["-p", prompt]
    args += ["-n", str(length), "--seed", str(seed)]
    for link in chain.links:
        for key, value in link.settings:
            if key == "temperature" or value == SETTINGS[key].default:
                continue
            if SETTINGS[key].kind == "strings":
                args += [a for v in (value or ("none",))
                         for a in ("--dry-sequence-breaker", _escape(v))]
            elif SETTINGS[key].kind == "biases":  # (bound: tokens by id)
                args += [a for t, b in value
                         for a in ("--logit-bias", f"{_escape(vocab[t])}={b:g}")]
            else:
                args += [SETTINGS[key].option, f"{value:g}"]
    names = [lk.name for lk in chain.links]
    if names != [n for n in LINKS if n in names]:
        args += ["--samplers", ",".join(names)]
    for step, token in sorted(chosen.items()):
        args += ["--force", f"{step}={_escape(vocab[token])}"]
    return shlex.join(args)


def _escape(token: str) -> str:
    """A token as --force reads it (newline, tab and backslash escaped, as --stop reads
    them)."""
    return token.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
