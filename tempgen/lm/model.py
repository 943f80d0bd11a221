"""The model contract: what the decode loop, the analysis, the views and the command line
use of a language model, and nothing else.

A model turns contexts into next-token distributions. A context is a row of token ids
(int64, `width` of them, newest last; -1 or any id outside the vocabulary is a wall the
model backs off past); a batch of them is (batch, width). What a model answers:

  tokenizer                text <-> token ids; `tokenizer.vocab` is the vocabulary, id order
  name, level, vocab_size, width, bos (the begin symbol's id, = vocab_size), per_line
  contexts_after(ids, n)   (n, width): the context after the begin symbol and `ids`
  opening(ids, n)          (n, width): where a generated text starts after the prompt `ids`
  generated_contexts(prompt_ids, ids)  (len(ids), width): each generated token's context
  stream_contexts(ids, before)  (len(ids), width): the context of each token of a text
  logprobs(contexts)       (batch, vocab_size) ln p of the next token
  context_free_probs()     (vocab_size,) p of the next token with no context, as the
                           recursion rounds it (the compiled loop's root row, bit for bit)
  score(contexts, targets) (batch,) ln p of the given next tokens
  distinct(contexts)       the contexts that give different rows, and which each is
  top_order_seen(...)      whether each (context, token) was a whole n-gram of training
  row_memo()               a per-run source of rows (`.probs(contexts)`), remembering them
  compiled_tables()        the tables the compiled loop reads (lm/tables.py), or None

Everything n-gram specific (the trie, counts, back-off weights) stays behind it, in `ngram`,
which only lm's own modules read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tempgen.lm.arrays import history_order, run_starts, sliding_contexts
from tempgen.lm.ngram import NGramModel
from tempgen.lm.rowmemo import RowMemo
from tempgen.lm.tokenizer import Tokenizer


@dataclass(eq=False)  # one model is one object: hashable by identity, so caches can key on it
class Model:
    """A tokenizer, its n-gram model, and where they came from."""

    tokenizer: Tokenizer
    ngram: NGramModel
    name: str
    tokens: int  # training tokens
    corpus: dict = field(default_factory=dict)  # name, sha256, size (bytes)

    @property
    def level(self) -> str:
        return self.tokenizer.level

    @property
    def vocab_size(self) -> int:
        return self.ngram.vocab_size

    @property
    def order(self) -> int:
        return self.ngram.order

    @property
    def width(self) -> int:
        """Tokens of context a row depends on."""
        return self.ngram.order - 1

    @property
    def bos(self) -> int:
        return self.ngram.bos

    @property
    def per_line(self) -> bool:
        """Whether a newline ends a sequence (the next line starts afresh)."""
        return self.ngram.boundary is not None

    @property
    def num_ngrams(self) -> list[int]:
        """Distinct n-grams per order, 1..N."""
        return self.ngram.num_ngrams

    def contexts_after(self, ids, n: int = 1) -> np.ndarray:
        """(n, width) copies of the context after the begin symbol and `ids`; -1 marks
        "before the text"."""
        width = self.width
        hist = np.concatenate([np.full(width, -1), [self.bos], np.asarray(ids, np.int64)])
        return np.tile(hist[len(hist) - width:] if width else hist[:0], (n, 1))

    def opening(self, ids, n: int = 1) -> np.ndarray:
        """(n, width): the context a generated text starts from, after the prompt `ids`. With
        no prompt, a stream model starts where a line starts (after a newline, nothing known
        before it): its begin symbol has only ever seen the corpus's first line, so starting
        from it would open every text alike."""
        newline = self.tokenizer.index.get("\n")
        if len(ids) or self.per_line or not self.width or newline is None:
            return self.contexts_after(ids, n)
        ctx = np.full((n, self.width), -1, dtype=np.int64)
        ctx[:, -1] = newline
        return ctx

    def generated_contexts(self, prompt_ids, ids) -> np.ndarray:
        """(len(ids), width): the context each token of a text generated after the prompt
        `prompt_ids` was drawn in (a view: no copy per position)."""
        return sliding_contexts(np.asarray(ids, dtype=np.int64), self.opening(prompt_ids)[0])

    def stream_contexts(self, ids, before=()) -> np.ndarray:
        """(len(ids), width): the context of each token of a text read from the begin
        symbol, `before` being the tokens of the text before `ids` (a view: no copy per
        position)."""
        return sliding_contexts(ids, self.contexts_after(before[-self.width:] if self.width
                                                         else [])[0])

    def logprobs(self, contexts: np.ndarray) -> np.ndarray:
        return self.ngram.logprobs(contexts)

    def context_free_probs(self) -> np.ndarray:
        """p of the next token with no context at all (every position a wall): (vocab,)."""
        return self.ngram.probs(np.full((1, self.width), -1, dtype=np.int64))[0]

    def score(self, contexts: np.ndarray, targets: np.ndarray,
              row_counts: np.ndarray | None = None) -> np.ndarray:
        """ln p of each target; row_counts (n_contexts,): one more at each one's row."""
        return self.ngram.score(contexts, targets, row_counts)

    @property
    def n_contexts(self) -> int:
        """How many rows the model has: one a context of every length (lm/ngram.py)."""
        return self.ngram.n_contexts

    def distinct(self, contexts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Contexts (n, width) grouped by the row they give: (distinct contexts (d, width),
        the sorted order of the n contexts (n,), each sorted one's group (n,))."""
        walled = self.ngram.walls(contexts)
        order, key, exact = history_order(walled, self.ngram.key_base)
        if not exact:  # too long to pack: every context its own group
            n = len(walled)
            return walled, np.arange(n), np.arange(n)
        starts = run_starts(key)
        return walled[order[np.flatnonzero(starts)]], order, np.cumsum(starts) - 1

    def top_order_seen(self, contexts: np.ndarray, targets) -> tuple[np.ndarray, np.ndarray]:
        """(counted, seen), each (batch,): whether the context reaches the model's full
        order (no text start, unknown token or line start cuts it), and whether the
        n-gram of context and target occurred in training."""
        counted = np.all(self.ngram.walls(contexts) >= 0, axis=1)
        return counted, self.ngram.ngram_seen(contexts, targets)

    def row_memo(self) -> RowMemo:
        return RowMemo(self.ngram)

    def compiled_tables(self):
        from tempgen.lm.tables import tables_of

        return tables_of(self.ngram)
