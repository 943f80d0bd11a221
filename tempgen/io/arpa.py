"""ARPA back-off files as text: reading their sections, writing them, and the word
conventions (KenLM, SRILM).

Conventions. `<s>` is the begin symbol (listed with log10 p = -99: it is never predicted).
Per-line models: the newline is `</s>`, so a KenLM sentence is one of our lines. Stream
models: the newline is the word `<newline>` and `</s>` is listed with -99. Character models
write each character as a word, with space `<space>`, tab `<tab>` and any other white space
`<U+XXXX>`. `<unk>` is listed with -99: tokens outside the vocabulary are not predicted.
"""

from __future__ import annotations

import gzip
import io
import math

import numpy as np

from tempgen.errors import TempgenError
from tempgen.io.atomic import atomic_write
from tempgen.io.corpus import decode_bytes
from tempgen.io.source import gunzip

NEVER = -99.0  # log10 probability of what the model never predicts
NAMED = {" ": "<space>", "\t": "<tab>"}


def arpa_word(token: str, per_line: bool) -> str:
    """The ARPA word of one of our tokens (ARPA words hold no white space)."""
    if token == "\n":
        return "</s>" if per_line else "<newline>"
    if token in NAMED:
        return NAMED[token]
    if any(ch.isspace() for ch in token):
        return "".join(f"<U+{ord(ch):04X}>" if ch.isspace() else ch for ch in token)
    return token


def token_of(word: str, per_line: bool) -> str:
    """Our token for an ARPA word (the inverse of `arpa_word`)."""
    if word == "<newline>" or (per_line and word == "</s>"):
        return "\n"
    if word == "<space>":
        return " "
    if word == "<tab>":
        return "\t"
    out, i = [], 0
    while i < len(word):
        if word.startswith("<U+", i) and word.find(">", i) > 0:
            end = word.index(">", i)
            try:
                out.append(chr(int(word[i + 3:end], 16)))
                i = end + 1
                continue
            except ValueError:
                pass
        out.append(word[i])
        i += 1
    return "".join(out)


def write(comment: str, words: list[str], specials: list[tuple], orders: list[tuple],
          progress=None) -> str:
    """ARPA text. words: the word of each token id; specials: order-1 lines (log10 p, word,
    log10 b or None) written first; orders: per order m, (token ids (n, m), log10 p (n,),
    log10 b (n,), NaN where the n-gram is no context)."""
    out = io.StringIO()
    out.write(f"{comment}\n\n\\data\\\n")
    for m, (_, logp, _) in enumerate(orders, start=1):
        out.write(f"ngram {m}={len(logp) + (len(specials) if m == 1 else 0)}\n")
    for m, (tokens, logp, logb) in enumerate(orders, start=1):
        out.write(f"\n\\{m}-grams:\n")
        if m == 1:
            for lp, word, lb in specials:
                out.write(f"{lp:.6f}\t{word}" + ("" if lb is None or np.isnan(lb)
                                                 else f"\t{lb:.7f}") + "\n")
        for row, lp, lb in zip(tokens.tolist(), logp.tolist(), logb.tolist(), strict=True):
            text = " ".join(words[t] for t in row)
            out.write(f"{lp:.7f}\t{text}\t{lb:.7f}\n" if lb == lb else f"{lp:.7f}\t{text}\n")
        if progress is not None:
            progress(m, len(orders))
    out.write("\n\\end\\\n")
    return out.getvalue()


def save(path: str, arpa: str) -> int:
    """Write ARPA text atomically, gzipped (reproducibly: no timestamp) when `path` ends in
    .gz; returns the file size in bytes."""
    data = arpa.encode("utf-8")
    if str(path).endswith(".gz"):
        data = gzip.compress(data, compresslevel=6, mtime=0)
    atomic_write(path, data)
    return len(data)


def read(data: bytes, label: str, limit: int, progress=None):
    """The sections of an ARPA file's bytes (gzipped or not; inflated to `limit` bytes at
    most): (the header comment, [(log10 p (n,), words (n*m,), log10 b (n,), NaN where
    none)] per order)."""
    if data[:2] == b"\x1f\x8b":
        data = gunzip(data, limit, label, "an ARPA file here")
    return parse(decode_bytes(data, label, advice=""), label, progress)


def _is_finite(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return True  # (not a number at all: said below, with the line)


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def parse(text: str, label: str, progress=None):
    """The sections of an ARPA text (as `read`)."""
    lines = text.removeprefix("\ufeff").split("\n")  # (a byte-order mark is no content)
    at = 0

    def fail(message: str, line_no: int):
        raise TempgenError(f"{label}: line {line_no + 1}: {message}")

    header = ""
    while at < len(lines) and (not lines[at].strip() or lines[at].startswith("#")):
        header += lines[at] + "\n"
        at += 1
    if at >= len(lines) or lines[at].strip() != "\\data\\":
        fail("expected \\data\\ (not an ARPA file?)", min(at, len(lines) - 1))
    at += 1
    counts = []
    while at < len(lines) and lines[at].strip():
        line = lines[at].strip()
        try:
            key, value = line.split("=")
            n = int(key.split()[1])
            counts.append(int(value))
            if key.split()[0] != "ngram" or n != len(counts):
                raise ValueError
        except (ValueError, IndexError):
            fail(f"expected 'ngram {len(counts) + 1}=COUNT', got {line[:40]!r}", at)
        at += 1
    if not counts:
        fail("no 'ngram N=COUNT' lines after \\data\\", at)
    sections = []
    for m, count in enumerate(counts, start=1):
        while at < len(lines) and not lines[at].strip():
            at += 1
        if at >= len(lines) or lines[at].strip() != f"\\{m}-grams:":
            fail(f"expected \\{m}-grams:", min(at, len(lines) - 1))
        at += 1
        logps, words, logbs = [], [], []
        for _ in range(count):
            if at >= len(lines) or not lines[at].strip():
                fail(f"\\{m}-grams: ends after {len(logps)} of the {count} n-grams its "
                     f"'ngram {m}=' line promises", min(at, len(lines) - 1))
            parts = lines[at].split()
            if len(parts) == m + 1:
                logbs.append("nan")
            elif len(parts) == m + 2:
                logbs.append(parts[m + 1])
                if not _is_finite(parts[m + 1]):
                    fail(f"the back-off weight {parts[m + 1][:20]!r} is not a finite number", at)
            else:
                fail(f"expected log10 p, {m} words and maybe a back-off weight, "
                     f"got {len(parts)} fields", at)
            logps.append(parts[0])
            words.extend(parts[1:m + 1])
            at += 1
        try:
            rows = (np.array(logps, dtype=np.float64), words,
                    np.array(logbs, dtype=np.float64))
        except ValueError:
            bad = next(i for i, (p, b) in enumerate(zip(logps, logbs, strict=True))
                       if not _is_number(p) or not _is_number(b))
            fail(f"not a number in {lines[at - count + bad][:60]!r}", at - count + bad)
        sections.append(rows)
        if progress is not None:
            progress(m, len(counts))
    while at < len(lines) and not lines[at].strip():
        at += 1
    if at >= len(lines) or lines[at].strip() != "\\end\\":
        fail("expected \\end\\ after the last section (wrong counts?)", min(at, len(lines) - 1))
    return header, sections
