"""Character and word tokenizers: text <-> token ids, and to/from a plain dict.

Ids are 0..V-1 in the order of `vocab`; a token not in the vocabulary encodes as UNKNOWN (-1).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import numpy as np

from tempgen.errors import TempgenError

UNKNOWN = -1
MAX_UNKNOWN = 1000  # distinct unknown tokens a streamed text reports
MAX_CARRY = 1 << 24  # characters held back for a token that may go on into the next chunk

# A word may carry a leading apostrophe ('tis) and inner apostrophes or hyphens (o'er, well-met).
_WORD_RE = re.compile(r"\n|(?:'(?=\w))?\w+(?:['\u2019-]\w+)*|-{2,}|[^\w\s]")
_LAST_SPACE = re.compile(r"\s(?=\S*\Z)")
_NO_SPACE_BEFORE = frozenset(".,;:!?)]}'\u2019")
_NO_SPACE_AFTER = frozenset("([{")


class Tokenizer:
    """Shared behaviour; subclasses define `level`, `split` and `joiner`."""

    level = ""

    def __init__(self, vocab: list[str]):
        if len(set(vocab)) != len(vocab):
            raise TempgenError("vocabulary has duplicate tokens")
        self.vocab = list(vocab)
        self.index = {tok: i for i, tok in enumerate(self.vocab)}

    def __len__(self) -> int:
        return len(self.vocab)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tokenizer) and self.to_dict() == other.to_dict()

    @classmethod
    def fit(cls, text: str) -> Tokenizer:
        """A tokenizer whose vocabulary is every token of `text`, sorted."""
        return cls(sorted(set(cls.split(text))))

    @staticmethod
    def split(text: str) -> list[str]:
        raise NotImplementedError

    def joiner(self, before: list[str] = ()):
        """An incremental join: joiner(before)(token) -> the text that token adds after
        `before` (and the tokens given so far)."""
        raise NotImplementedError

    def encode(self, text: str) -> np.ndarray:
        """Token ids of `text`, shape (n,), int64; unknown tokens are UNKNOWN."""
        get = self.index.get
        return np.fromiter((get(t, UNKNOWN) for t in self.split(text)), dtype=np.int64)

    def decode(self, ids) -> str:
        """The text of token ids, spaced as generated text is (the inverse of `encode` for a
        text in the vocabulary)."""
        add = self.joiner()
        return "".join(add(self.vocab[i]) for i in ids)

    def cut(self, text: str) -> int:
        """Where `text` may be cut with no token across the cut (its end, for characters)."""
        return len(text)

    def encode_chunks(self, chunks: Iterable[str], unknown: dict | None = None
                      ) -> Iterator[np.ndarray]:
        """The ids of a text given in chunks (cut anywhere), as `encode` would give them for
        the whole text, a piece at a time; `unknown` collects the distinct unknown tokens
        (at most MAX_UNKNOWN, in order of appearance) as keys."""
        carry = ""
        for chunk in chunks:
            text = carry + chunk
            end = self.cut(text)
            if end == 0 and len(text) > MAX_CARRY:  # no cut in sight: cut anyway
                end = len(text)
            carry = text[end:]
            if end:
                yield self._encode_piece(text[:end], unknown)
        if carry:
            yield self._encode_piece(carry, unknown)

    def _encode_piece(self, text: str, unknown: dict | None) -> np.ndarray:
        ids = self.encode(text)
        if unknown is not None and len(unknown) < MAX_UNKNOWN and (ids == UNKNOWN).any():
            for token in self.unknown_tokens(text):
                if len(unknown) < MAX_UNKNOWN:
                    unknown.setdefault(token)
        return ids

    def unknown_tokens(self, text: str) -> list[str]:
        """The distinct tokens of `text` outside the vocabulary, in order of first appearance."""
        return list(dict.fromkeys(t for t in self.split(text) if t not in self.index))

    def to_dict(self) -> dict:
        return {"level": self.level, "vocab": list(self.vocab)}

    @staticmethod
    def from_dict(data: dict) -> Tokenizer:
        cls = TOKENIZERS.get(data.get("level"))
        if cls is None:
            raise TempgenError(f"unknown tokenizer level {data.get('level')!r}")
        vocab = data.get("vocab")
        if not isinstance(vocab, list) or not all(isinstance(t, str) and t for t in vocab):
            raise TempgenError("vocabulary must be a list of non-empty strings")
        return cls(vocab)


class CharTokenizer(Tokenizer):
    """Every character, newline included, is a token."""

    level = "char"

    @staticmethod
    def split(text: str) -> list[str]:
        return list(text)

    def joiner(self, before: list[str] = ()):
        return str

    @classmethod
    def fit(cls, text: str) -> CharTokenizer:
        """Every character of `text`, in code point order (as `sorted` orders them)."""
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        return cls([chr(c) for c in np.flatnonzero(np.bincount(codes))])

    def encode(self, text: str) -> np.ndarray:
        # Vectorised over code points through a lookup table: a 5 MB corpus in milliseconds.
        # (surrogatepass: a lone surrogate is a code point like any other, unknown or not)
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        table = np.full(max(self._codes, default=0) + 2, UNKNOWN, dtype=np.int64)
        table[self._codes] = np.arange(len(self._codes))
        return table[np.minimum(codes, len(table) - 1)]

    def __init__(self, vocab: list[str]):
        if any(len(t) != 1 for t in vocab):
            raise TempgenError("a character vocabulary must hold single characters")
        super().__init__(vocab)
        self._codes = [ord(c) for c in self.vocab]


class WordTokenizer(Tokenizer):
    """Words, punctuation marks and newlines are tokens; other white space is dropped.

    Its `joiner` restores ordinary English spacing: one space between words, punctuation
    attached to the word before it, no space around newlines, dashes or inside quotes.
    """

    level = "word"

    @staticmethod
    def split(text: str) -> list[str]:
        return _WORD_RE.findall(text)

    def cut(self, text: str) -> int:
        """After the last white space: no word, mark or newline reaches across it."""
        match = _LAST_SPACE.search(text)
        return match.end() if match else 0

    def joiner(self, before: list[str] = ()):
        prev = "\n"
        open_quote = False  # inside a "..." pair

        def add(tok: str) -> str:
            nonlocal prev, open_quote
            closing = tok == '"' and open_quote
            space = not (prev == "\n" or tok == "\n" or prev in _NO_SPACE_AFTER
                         or tok in _NO_SPACE_BEFORE or closing
                         or prev.startswith("--") or tok.startswith("--")
                         or (prev == '"' and open_quote))
            if tok == '"':
                open_quote = not open_quote
            prev = tok
            return " " + tok if space else tok

        for tok in before:
            add(tok)
        return add


TOKENIZERS: dict[str, type[Tokenizer]] = {"char": CharTokenizer, "word": WordTokenizer}


def shown(tokens: list[str], limit: int = 10) -> str:
    """A few tokens for a message: their reprs, comma-separated, '...' when there are more."""
    return ", ".join(repr(t) for t in tokens[:limit]) + (" ..." if len(tokens) > limit else "")
