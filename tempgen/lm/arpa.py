"""Models as ARPA back-off files (io/arpa.py writes and reads the text): our interpolated
model written exactly in back-off form, as KenLM writes interpolated models, and any ARPA
file read as a back-off model.

In back-off form p(w | h) = P(h w) when the n-gram h w is listed, else b(h) * p(w | h'),
with h' the context without its oldest token. Our model is interpolated, p(w | h) =
u(h w) + gamma(h) * p(w | h'), so b(h) = gamma(h) and, for every stored n-gram,
P(h w) = u(h w) + gamma(h) * P(h' w) (the n-gram h' w is always stored too).
"""

from __future__ import annotations

import numpy as np

from tempgen.errors import TempgenError
from tempgen.io import arpa as text
from tempgen.io.limits import memory_budget
from tempgen.io.modelfile import MAX_ORDER
from tempgen.lm.backoff import context_tokens, from_backoff, listed_probabilities
from tempgen.lm.model import Model
from tempgen.lm.ngram import NGramModel
from tempgen.lm.tokenizer import TOKENIZERS


def backoff_form(ng: NGramModel) -> list[dict]:
    """Per order m: the n-grams' tokens (n, m), P (n,) and log10 b (n,; NaN where the
    n-gram is no context), plus the begin symbol's log10 b for order 1."""
    ctx_tokens = context_tokens(ng)
    orders = []
    for m, p in enumerate(listed_probabilities(ng), start=1):
        ctx = np.repeat(np.arange(len(ng.succ_count[m])), ng.succ_count[m].astype(np.int64))
        tokens = np.concatenate([ctx_tokens[m - 1][ctx],
                                 ng.succ_token[m].astype(np.int64)[:, None]], axis=1)
        orders.append({"tokens": tokens, "p": p, "logb": _backoffs(ng, tokens)})
    orders[0]["bos_logb"] = _backoffs(ng, np.array([[ng.bos]]))[0]
    return orders


def _backoffs(ng: NGramModel, tokens: np.ndarray) -> np.ndarray:
    """log10 gamma of each token sequence that is a context (else NaN)."""
    m = tokens.shape[1]
    if m >= ng.order:
        return np.full(len(tokens), np.nan)
    padded = np.concatenate([np.full((len(tokens), ng.order - 1 - m), -1), tokens], axis=1)
    rank = ng.ranks(padded)[m]
    gamma = ng.gamma[m + 1][rank]  # rank -1 gives the extra 1 at the end; masked below
    return np.where(rank >= 0, np.log10(gamma), np.nan)


def to_arpa(model: Model, progress=None) -> str:
    """The model as ARPA text."""
    ng = model.ngram
    per_line = model.per_line
    words = [text.arpa_word(t, per_line) for t in model.tokenizer.vocab] + ["<s>"]
    if len(set(words)) != len(words):
        raise ValueError("two tokens map to the same ARPA word")
    orders = backoff_form(ng)
    specials = [(text.NEVER, "<unk>", None), (text.NEVER, "<s>", orders[0]["bos_logb"])]
    if not per_line:
        specials.append((text.NEVER, "</s>", None))
    comment = (f"# tempgen model {model.name!r}: level={model.level} order={ng.order} "
               f"per_line={str(per_line).lower()}")
    return text.write(comment, words, specials,
                      [(o["tokens"], np.log10(o["p"]), o["logb"]) for o in orders], progress)


OVERHEAD = 16  # bytes of memory per byte of ARPA text, at most, while parsing


def text_limit() -> int:
    """The most ARPA text (bytes) this process may parse in the memory it may use."""
    return memory_budget() // OVERHEAD


def save_arpa(model: Model, path: str) -> int:
    """Write the model as an ARPA file, gzipped when `path` ends in .gz, atomically;
    returns the file size in bytes."""
    return text.save(path, to_arpa(model))


def read_arpa(data: bytes, label: str, progress=None) -> Model:
    """A model from the bytes of an ARPA file (gzipped or not)."""
    header, sections = text.read(data, label, text_limit(), progress)
    uni_p, words, _ = sections[0]
    per_line = "<newline>" not in words
    # Specials the model never predicts (log10 p <= -99) are not tokens: <unk>, a stream
    # model's </s>; <s> is the begin symbol.
    dropped = {w for p, w in zip(uni_p.tolist(), words, strict=True)
               if w in ("<unk>", "</s>") and p <= text.NEVER + 1 and not (per_line and w == "</s>")}
    tokens = {w: text.token_of(w, per_line) for w in words if w != "<s>" and w not in dropped}
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
    if set(tokens) <= {"<unk>"}:
        raise TempgenError(f"{label}: no tokens (an ARPA file of <s>, </s> and <unk> alone)")
    if len(sections) > MAX_ORDER:
        raise TempgenError(f"{label}: order {len(sections)}; tempgen reads orders up to "
                           f"{MAX_ORDER}")
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
        if m > 1 and (grams[:, 1:] == len(vocab)).any():
            raise TempgenError(f"{label}: a {m}-gram holds <s> after its first word")
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
    try:
        ngram = from_backoff(len(sections), len(vocab), ngrams, probs, back_grams, backs,
                             boundary)
    except TempgenError as exc:
        raise TempgenError(f"{label}: {exc}") from None
    return Model(tokenizer, ngram, label.rsplit("/", 1)[-1], 0, {"name": label})
