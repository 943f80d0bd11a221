"""ARPA back-off files: our interpolated model written exactly in back-off form, as KenLM
writes interpolated models.

In back-off form p(w | h) = P(h w) when the n-gram h w is listed, else b(h) * p(w | h'),
with h' the context without its oldest token. Our model is interpolated, p(w | h) =
u(h w) + gamma(h) * p(w | h'), so b(h) = gamma(h) and, for every stored n-gram,
P(h w) = u(h w) + gamma(h) * P(h' w) (the n-gram h' w is always stored too).

Conventions. `<s>` is the begin symbol (listed with log10 p = -99: it is never predicted).
Per-line models: the newline is `</s>`, so a KenLM sentence is one of our lines. Stream
models: the newline is the word `<newline>` and `</s>` is listed with -99. Character models
write each character as a word, with space `<space>`, tab `<tab>` and any other white space
`<U+XXXX>`. `<unk>` is listed with -99: tokens outside the vocabulary are not predicted.
"""

from __future__ import annotations

import io

import numpy as np

from tempgen.ngram import _find

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


def _context_tokens(ng) -> list[np.ndarray]:
    """Tokens (oldest first) of every context of each length k: (n_k, k) arrays."""
    out = [np.zeros((1, 0), dtype=np.int64)]
    for k in range(1, ng.order):
        parent = ng.ctx_keys[k].astype(np.int64) // ng._base
        first = (ng.ctx_keys[k].astype(np.int64) % ng._base)[:, None]
        out.append(np.concatenate([first, out[-1][parent]], axis=1))
    return out


def backoff_form(ng) -> list[dict]:
    """Per order m: the n-grams' tokens (n, m), log10 P (n,) and log10 b (n,; NaN where the
    n-gram is no context), plus a begin-symbol row for order 1."""
    ctx_tokens = _context_tokens(ng)
    orders, lower = [], None
    for m in range(1, ng.order + 1):
        count = ng.succ_count[m].astype(np.int64)
        ctx = np.repeat(np.arange(len(count)), count)
        tok = ng.succ_token[m].astype(np.int64)
        u = ng._u(m, np.arange(len(tok)), ctx)
        if m == 1:
            p = u + ng.gamma[1][0] / ng.vocab_size
        else:  # the same n-gram without its oldest token, one order down
            parent = ng.ctx_keys[m - 1].astype(np.int64)[ctx] // ng._base
            below = _find(ng.succ_keys(m - 1), parent * ng.vocab_size + tok)
            assert np.all(below >= 0), "every stored n-gram's suffix is stored"
            p = u + ng.gamma[m][ctx] * lower[below]
        tokens = np.concatenate([ctx_tokens[m - 1][ctx], tok[:, None]], axis=1)
        orders.append({"tokens": tokens, "p": p, "logb": _backoffs(ng, tokens)})
        lower = p
    bos = np.array([[ng.bos]])
    orders[0]["bos_logb"] = _backoffs(ng, bos)[0]
    return orders


def _backoffs(ng, tokens: np.ndarray) -> np.ndarray:
    """log10 gamma of each token sequence that is a context (else NaN)."""
    m = tokens.shape[1]
    if m >= ng.order:
        return np.full(len(tokens), np.nan)
    padded = np.concatenate([np.full((len(tokens), ng.order - 1 - m), -1), tokens], axis=1)
    rank = ng._ranks(padded)[m]
    gamma = ng.gamma[m + 1][rank]  # rank -1 gives the extra 1 at the end; masked below
    return np.where(rank >= 0, np.log10(gamma), np.nan)


def to_arpa(model, progress=None) -> str:
    """The model as ARPA text."""
    ng = model.ngram
    per_line = ng.boundary is not None
    words = [arpa_word(t, per_line) for t in model.tokenizer.vocab] + ["<s>"]
    if len(set(words)) != len(words):
        raise ValueError("two tokens map to the same ARPA word")
    orders = backoff_form(ng)
    specials = [(NEVER, "<unk>", None), (NEVER, "<s>", orders[0]["bos_logb"])]
    if not per_line:
        specials.append((NEVER, "</s>", None))
    out = io.StringIO()
    out.write(f"# tempgen model {model.name!r}: level={model.level} order={ng.order} "
              f"per_line={str(per_line).lower()}\n\n\\data\\\n")
    for m, od in enumerate(orders, start=1):
        n = len(od["p"]) + (len(specials) if m == 1 else 0)
        out.write(f"ngram {m}={n}\n")
    for m, od in enumerate(orders, start=1):
        out.write(f"\n\\{m}-grams:\n")
        if m == 1:
            for logp, word, logb in specials:
                out.write(f"{logp:.6f}\t{word}" + ("" if logb is None or np.isnan(logb)
                                                   else f"\t{logb:.7f}") + "\n")
        logp = np.log10(od["p"])
        for row, lp, lb in zip(od["tokens"].tolist(), logp.tolist(), od["logb"].tolist(),
                               strict=True):
            text = " ".join(words[t] for t in row)
            out.write(f"{lp:.7f}\t{text}\t{lb:.7f}\n" if lb == lb else f"{lp:.7f}\t{text}\n")
        if progress is not None:
            progress(m, ng.order)
    out.write("\n\\end\\\n")
    return out.getvalue()


# ===================================================================== reading
def _token_of(word: str, per_line: bool) -> str:
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


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def parse_arpa(text: str, label: str, progress=None):
    """Sections of an ARPA text: (header comment, [(log10 p (n,), words (n*m,), log10 b (n,),
    NaN where none)] per order)."""
    from tempgen.errors import TempgenError

    lines = text.split("\n")
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


def read_arpa(data: bytes, label: str, progress=None):
    """A Model from the bytes of an ARPA file (gzipped or not)."""
    import gzip
    import zlib

    from tempgen.backoff import from_backoff
    from tempgen.corpus import decode_bytes
    from tempgen.errors import TempgenError
    from tempgen.modelfile import Model
    from tempgen.tokenizer import TOKENIZERS

    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise TempgenError(f"{label}: damaged gzip data ({exc})") from None
    header, sections = parse_arpa(decode_bytes(data, label), label, progress)
    uni_p, words, _ = sections[0]
    per_line = "<newline>" not in words
    # Specials the model never predicts (log10 p <= -99) are not tokens: <unk>, a stream
    # model's </s>; <s> is the begin symbol.
    dropped = {w for p, w in zip(uni_p.tolist(), words, strict=True)
               if w in ("<unk>", "</s>") and p <= NEVER + 1 and not (per_line and w == "</s>")}
    tokens = {w: _token_of(w, per_line) for w in words if w != "<s>" and w not in dropped}
    if len(set(tokens.values())) != len(tokens):
        raise TempgenError(f"{label}: two ARPA words stand for the same token")
    if "level=char" in header or ("level=word" not in header
                                  and all(len(t) == 1 for t in tokens.values())):
        level = "char"
    else:
        level = "word"
    if level == "char" and any(len(t) != 1 for t in tokens.values()):
        raise TempgenError(f"{label}: a character model lists a word of several characters")
    vocab = sorted(tokens.values())
    index = {t: i for i, t in enumerate(vocab)}
    ids = {w: index[t] for w, t in tokens.items()}
    ids["<s>"] = len(vocab)
    for w in dropped:
        ids[w] = -1  # n-grams holding it are left out
    ngrams, probs, back_grams, backs = [], [], [], []
    for m, (logp, grams_words, logb) in enumerate(sections, start=1):
        try:
            grams = np.array([ids[w] for w in grams_words], dtype=np.int64).reshape(-1, m)
        except KeyError as exc:
            raise TempgenError(f"{label}: {m}-gram word {exc.args[0]!r} is not among the "
                               "unigrams") from None
        keep = np.all(grams >= 0, axis=1)
        entry = keep & (grams[:, -1] != len(vocab))  # <s> is never predicted
        ngrams.append(grams[entry])
        probs.append(10.0 ** logp[entry])
        weighted = keep & ~np.isnan(logb)
        back_grams.append(grams[weighted])
        backs.append(10.0 ** logb[weighted])
    if sorted(ngrams[0][:, 0].tolist()) != list(range(len(vocab))):
        raise TempgenError(f"{label}: every token needs exactly one unigram")
    tokenizer = TOKENIZERS[level](vocab)
    boundary = index.get("\n") if per_line else None
    model = from_backoff(len(sections), len(vocab), ngrams, probs, back_grams, backs,
                         boundary)
    return Model(tokenizer, model, label.rsplit("/", 1)[-1], 0, {"name": label})
