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
