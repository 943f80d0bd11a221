"""Text to model: tokenize a corpus and estimate its n-gram model."""

from __future__ import annotations

from tempgen.errors import TempgenError
from tempgen.io.corpus import Corpus
from tempgen.lm.counting import train as train_ngram
from tempgen.lm.model import Model
from tempgen.lm.tokenizer import TOKENIZERS

# Peak bytes per token while counting (measured: ~100 B/token at order 7 on 4.4 M chars),
# plus what tokenizing a char holds at once (the text as UTF-32 and as int64 ids).
BYTES_PER_TOKEN = 48
BYTES_PER_TOKEN_PER_ORDER = 8
MEMORY_SHARE = 0.8  # of the memory available, what training may plan to use


def available_memory() -> int | None:
    """Bytes the system could still give this process (MemAvailable), if it says."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_memory(corpus: Corpus, tokens: int, order: int) -> None:
    """Stop before counting a corpus whose counts would not fit in memory."""
    need = tokens * (BYTES_PER_TOKEN + BYTES_PER_TOKEN_PER_ORDER * order)
    have = available_memory()
    if have is not None and need > MEMORY_SHARE * have:
        raise TempgenError(
            f"{corpus.name}: training {tokens:,} tokens at order {order} needs about "
            f"{need / 1e9:.1f} GB of memory, more than the {MEMORY_SHARE * have / 1e9:.1f} GB "
            f"it may use ({MEMORY_SHARE:.0%} of {have / 1e9:.1f} GB available); train on part "
            f"of the corpus, or at a lower order")


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
