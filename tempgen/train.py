"""Text to model: tokenize a corpus and estimate its n-gram model."""

from __future__ import annotations

from tempgen.corpus import Corpus
from tempgen.errors import TempgenError
from tempgen.modelfile import Model
from tempgen.ngram import train as train_ngram
from tempgen.tokenizer import TOKENIZERS


def train_model(corpus: Corpus, level: str, order: int, name: str, per_line: bool = False,
                progress=None) -> Model:
    """Fit a `level` tokenizer to the corpus and train an order-`order` model on it."""
    tokenizer = TOKENIZERS[level].fit(corpus.text)
    if len(tokenizer) == 0:
        raise TempgenError(f"{corpus.name}: the corpus is empty (no tokens)")
    ids = tokenizer.encode(corpus.text)
    boundary = None
    if per_line:
        if "\n" not in tokenizer.index:
            raise TempgenError(f"{corpus.name}: --per-line needs a corpus with line breaks")
        boundary = tokenizer.index["\n"]
    ngram = train_ngram(ids, len(tokenizer), order, boundary, progress)
    return Model(tokenizer, ngram, name, len(ids),
                 {"name": corpus.name, "sha256": corpus.sha256, "size": corpus.size})
