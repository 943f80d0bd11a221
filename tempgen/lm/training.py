"""Text to model: tokenize a corpus and estimate its n-gram model."""

from __future__ import annotations

from tempgen.errors import TempgenError
from tempgen.io.corpus import Corpus
from tempgen.io.limits import SHARE, memory_budget, memory_left
from tempgen.lm.counting import train as train_ngram
from tempgen.lm.model import Model
from tempgen.lm.tokenizer import TOKENIZERS

# Peak bytes per token while counting (measured: ~100 B/token at order 7 on 4.4 M chars),
# plus what tokenizing a char holds at once (the text as UTF-32 and as int64 ids).
BYTES_PER_TOKEN = 48
BYTES_PER_TOKEN_PER_ORDER = 8


def bytes_per_token(order: int) -> int:
    return BYTES_PER_TOKEN + BYTES_PER_TOKEN_PER_ORDER * order


def corpus_limit(order: int) -> int:
    """The largest corpus (bytes) training at `order` could hold in the memory this process
    may use (a token is at least one byte)."""
    return max(1 << 20, memory_budget() // bytes_per_token(order))


def check_memory(corpus: Corpus, tokens: int, order: int) -> None:
    """Stop before counting a corpus whose counts would not fit in memory."""
    need = tokens * bytes_per_token(order)
    left = memory_left()
    if left is not None and need > SHARE * left:
        raise TempgenError(
            f"{corpus.name}: training {tokens:,} tokens at order {order} needs about "
            f"{need / 1e9:.1f} GB of memory, more than the {SHARE * left / 1e9:.1f} GB "
            f"it may use ({SHARE:.0%} of the {left / 1e9:.1f} GB this process has left); "
            "train on part of the corpus, or at a lower order")


def train_model(corpus: Corpus, level: str, order: int, name: str, per_line: bool = False,
                progress=None) -> Model:
    """Fit a `level` tokenizer to the corpus and train an order-`order` model on it."""
    if level == "char":  # one token a character: check before tokenizing holds it all
        check_memory(corpus, len(corpus.text), order)
    tokenizer = TOKENIZERS[level].fit(corpus.text)
    if len(tokenizer) == 0:
        raise TempgenError(f"{corpus.name}: the corpus is empty (no tokens)")
    ids = tokenizer.encode(corpus.text)
    if level == "word":
        check_memory(corpus, len(ids), order)
    boundary = None
    if per_line:
        if "\n" not in tokenizer.index:
            raise TempgenError(f"{corpus.name}: --per-line needs a corpus with line breaks")
        boundary = tokenizer.index["\n"]
    ngram = train_ngram(ids, len(tokenizer), order, boundary, progress)
    return Model(tokenizer, ngram, name, len(ids),
                 {"name": corpus.name, "sha256": corpus.sha256, "size": corpus.size})
