"""Recorded completions: the per-token log-probabilities an LLM API returned, read from the
shapes the engines write, into one form.

Read: OpenAI Chat Completions (`choices[].logprobs.content[]`: token, logprob, bytes,
top_logprobs), OpenAI Completions (`choices[].logprobs`: tokens, token_logprobs,
top_logprobs), llama.cpp's server `/completion` (`completion_probabilities[]`, with
`top_logprobs` or, after its samplers, `top_probs`; or the older `probs` of `tok_str` and
`prob`), vLLM (its OpenAI-compatible output) and Ollama (`logprobs[]`). A file holds one
response, a JSON list of streamed chunks, or JSON lines (or server-sent `data:` lines) of
responses or chunks; the positions of all of them follow one another. A token given as
`bytes` is rebuilt from them, a character split over several tokens going to the token
that completes it.
"""

from __future__ import annotations

import codecs
import itertools
import json
import math
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tempgen.errors import TempgenError
from tempgen.io.jsondocs import documents, lines_of
from tempgen.io.text import as_text

FORMATS = ("openai-chat", "openai-completions", "llama.cpp", "ollama")


@dataclass(frozen=True)
class Position:
    """One generated token: its text, its ln p, and the alternatives the API listed (token,
    ln p), most likely first; `chosen`: where the chosen token is among them (None: not
    listed)."""

    token: str
    logprob: float
    listed: tuple[tuple[str, float], ...]
    chosen: int | None = None


@dataclass(frozen=True)
class Recorded:
    format: str
    positions: tuple[Position, ...]

    @property
    def text(self) -> str:
        return "".join(p.token for p in self.positions)


class _Where:
    """Names the place a bad value is at: `file: position N: field`."""

    def __init__(self, label: str):
        self.label, self.position = label, 0

    def fail(self, what: str) -> TempgenError:
        return TempgenError(f"{self.label}: position {self.position}: {what}")


def read_file(source: str, fmt: str | None = None, upto: int | None = None) -> Recorded:
    """A recorded completion from a file (or "-" for stdin), read as lines: JSON lines and
    streamed events go one line at a time, a single document is bounded; `upto`: only its
    first positions, up to that one."""
    found: list[str] = []
    read = stream_file(source, fmt, found)
    if upto is not None:  # (a position past any file's is read to its end)
        read = itertools.islice(read, min(upto, sys.maxsize - 1) + 1)
    return _recorded(read, found)


def stream_file(source: str, fmt: str | None = None, found: list[str] | None = None
                ) -> Iterator[Position]:
    """The positions of a file one by one (see `positions`)."""
    from tempgen.io.source import chunks

    label, blocks = chunks(source)
    return positions(documents(lines_of(blocks, label), label, _read_whole), label, fmt,
                     found)


_COMPLETIONS = frozenset({"tokens", "token_logprobs", "top_logprobs", "text_offset"})


def _read_whole(path: list, first_key: str | None) -> bool:
    """Which large parts of a response are read whole when a document is split: one
    token's entry (an element of a list other than `choices`), and a Completions
    `logprobs` object (its lists go together, entry by entry)."""
    if path and isinstance(path[-1], int) and (len(path) < 2 or path[-2] != "choices"):
        return True
    return bool(path) and path[-1] == "logprobs" and first_key in _COMPLETIONS


def detect(doc: object) -> str | None:
    """The format of one response or chunk, or None when it holds no log-probabilities."""
    if not isinstance(doc, dict):
        return None
    if "completion_probabilities" in doc:
        return "llama.cpp"
    choices = doc.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        lp = choices[0].get("logprobs")
        if isinstance(lp, dict) and "content" in lp:
            return "openai-chat"
        if isinstance(lp, dict) and "tokens" in lp:
            return "openai-completions"
        return None
    if isinstance(doc.get("logprobs"), list):
        return "ollama"
    return None


def read_recorded(docs: Iterable[object], label: str, fmt: str | None = None) -> Recorded:
    """All positions of a file's documents (see `positions`)."""
    found: list[str] = []
    return _recorded(positions(docs, label, fmt, found), found)


def _recorded(read: Iterable[Position], found: list[str]) -> Recorded:
    """The positions read, with the format they were found in (known once read)."""
    items = tuple(read)
    return Recorded(found[0] if found else "", items)


def positions(docs: Iterable[object], label: str, fmt: str | None = None,
              found: list[str] | None = None) -> Iterator[Position]:
    """The positions of a file's documents one by one (a list at the top is a list of
    chunks), in the named format or the one the first document with log-probabilities
    shows; the format is appended to `found`."""
    where = _Where(label)
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    kind_seen, last = fmt, None
    for doc in _flat(docs):
        kind = detect(doc)
        if kind is None:
            continue
        if kind_seen is None:
            kind_seen = kind
        elif kind != kind_seen:
            raise where.fail(f"{kind} among {kind_seen} responses")
        if found is not None and not found:
            found.append(kind_seen)
        for raw in _entries(doc, kind, where):
            if last is not None:
                yield last
                where.position += 1
            last = _position(raw, kind, where, decoder)
    if last is None:
        raise TempgenError(f"{label}: no token log-probabilities found (read: "
                           f"{', '.join(FORMATS)})")
    tail = decoder.decode(b"", final=True)  # (a character the completion never finished)
    yield Position(last.token + tail, last.logprob, last.listed, last.chosen) if tail else last


def _flat(docs: Iterable[object]) -> Iterator[object]:
    for doc in docs:
        if isinstance(doc, list):
            yield from doc
        else:
            yield doc


def _entries(doc: dict, kind: str, where: _Where) -> Iterator[dict]:
    """A document's per-token entries, as dicts of (token, logprob, bytes, top)."""
    if kind == "openai-completions":
        lp = doc["choices"][0]["logprobs"]
        tokens, values = lp.get("tokens") or [], lp.get("token_logprobs") or []
        tops = lp.get("top_logprobs") or [None] * len(tokens)
        if not (isinstance(tokens, list) and isinstance(values, list)
                and isinstance(tops, list) and len(tokens) == len(values) == len(tops)):
            raise where.fail("logprobs: tokens, token_logprobs and top_logprobs differ "
                             "in length")
        for token, value, top in zip(tokens, values, tops, strict=True):
            if top is not None and not isinstance(top, dict):
                raise where.fail("top_logprobs: an object of token: logprob expected")
            yield {"token": token, "logprob": value,
                   "top": [{"token": t, "logprob": v} for t, v in (top or {}).items()]}
        return
    if kind == "openai-chat":
        rows = doc["choices"][0]["logprobs"].get("content") or []
    elif kind == "llama.cpp":
        rows = doc["completion_probabilities"] or []
    else:
        rows = doc["logprobs"]
    if not isinstance(rows, list):
        raise where.fail("a list of tokens expected")
    for row in rows:
        if not isinstance(row, dict):
            raise where.fail("an object expected")
        yield row


def _number(value: object, field: str, where: _Where) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise where.fail(f"{field}: a number expected, got {json.dumps(value)[:40]}")
    value = float(value)
    if math.isnan(value):
        raise where.fail(f"{field}: NaN")
    return value


def _logprob(row: dict, where: _Where, prefix: str = "") -> float:
    """ln p of an entry: `logprob`, or ln of `prob` (llama.cpp after its samplers)."""
    if "logprob" in row:
        lp = _number(row["logprob"], prefix + "logprob", where)
        if lp > 1e-9:
            raise where.fail(f"{prefix}logprob: {lp} is above 0")
        return min(lp, 0.0)
    if "prob" in row:
        p = _number(row["prob"], prefix + "prob", where)
        if not 0.0 <= p <= 1.0 + 1e-9:
            raise where.fail(f"{prefix}prob: {p} is not in [0, 1]")
        return math.log(p) if p > 0 else -math.inf
    raise where.fail(f"{prefix}logprob: missing")


def _text(row: dict, where: _Where, prefix: str = "") -> str:
    """A token's text; a lone surrogate (JSON can escape one, UTF-8 cannot hold it) becomes
    U+FFFD, as undecodable bytes do."""
    for key in ("token", "tok_str", "content"):
        if key in row:
            if not isinstance(row[key], str):
                raise where.fail(f"{prefix}{key}: a string expected")
            return as_text(row[key])
    raise where.fail(f"{prefix}token: missing")


def _bytes(row: dict, where: _Where) -> bytes | None:
    raw = row.get("bytes")
    if raw is None:
        return None
    try:  # (bytes() checks each is an integer 0-255)
        if isinstance(raw, list):
            return bytes(raw)
    except (TypeError, ValueError):
        pass
    raise where.fail("bytes: a list of integers 0-255 expected")


def _position(row: dict, kind: str, where: _Where, decoder) -> Position:
    if kind == "openai-completions":
        token, lp, top = row["token"], row["logprob"], row["top"]
        if not isinstance(token, str):
            raise where.fail("tokens: a string expected")
        lp = _logprob({"logprob": lp}, where, "token_")
    else:
        token = _text(row, where)
        top = row.get("top_logprobs", row.get("top_probs", row.get("probs")))
        lp = _logprob(row, where) if "logprob" in row or "prob" in row else None
    raw = _bytes(row, where)
    key = raw if raw is not None else token.encode()  # (what the alternatives are matched by)
    if raw is not None:
        token = decoder.decode(raw)
    if top is None:
        top = []
    if not isinstance(top, list):
        raise where.fail("top_logprobs: a list expected")
    listed = []
    for alt in top:
        if not isinstance(alt, dict):
            raise where.fail("top_logprobs: objects expected")
        alt_raw = _bytes(alt, where)
        text = _text(alt, where, "top_logprobs.")
        alt_key = alt_raw if alt_raw is not None else text.encode()
        shown = alt_raw.decode("utf-8", "replace") if alt_raw is not None else text
        listed.append((shown, _logprob(alt, where, "top_logprobs."), alt_key))
    listed.sort(key=lambda a: -a[1])  # (stable: equals keep the API's order)
    chosen = next((i for i, a in enumerate(listed) if a[2] == key), None)
    if lp is None:  # (llama.cpp's older shape: the chosen token's value is in its list)
        if chosen is None:
            raise where.fail("logprob: missing, and the token is not among those listed")
        lp = listed[chosen][1]
    return Position(token, lp, tuple((t, v) for t, v, _ in listed), chosen)
