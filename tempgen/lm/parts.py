"""The library's entry points for counting a corpus anywhere: count one part into a count
file, and merge count files (in corpus order) into a model. They take the options of
`tempgen count` and `tempgen train --from-counts`, so any task runner can call them
(lm/cluster.py runs them as Dask tasks):

    from tempgen.lm.parts import count_part, merge_counts
    count_part("part-00", "part-00.counts", level="word")      # on any machine
    count_part(["text in ", "chunks\\n"], "more.counts", level="word")
    merge_counts(["part-00.counts", "more.counts"], "model.npz")  # on one machine

Every failure a caller can cause (an unreadable part, a bad option, shards counted unalike)
is a TempgenError with a one-line message naming its input.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tempgen.errors import TempgenError
from tempgen.io.corpus import CorpusStream, chunks_corpus, open_corpus
from tempgen.io.modelfile import MAX_ORDER
from tempgen.lm.model import Model
from tempgen.lm.store import save
from tempgen.lm.train_files import count_stream, train_counts

LEVELS = ("char", "word")


def default_order(level: str) -> int:
    """The n-gram order a level trains at unless told: 7 for characters, 3 for words."""
    return 7 if level == "char" else 3


@dataclass(frozen=True)
class PartCounts:
    """What counting one part gave: its count file, tokens, vocabulary and windows."""

    path: str
    order: int
    tokens: int
    vocab: int
    windows: int


def check_options(level: str, order: int | None) -> int:
    """The order to count at; a TempgenError for a level or order tempgen has no model of."""
    if level not in LEVELS:
        raise TempgenError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    if order is None:
        return default_order(level)
    if isinstance(order, bool) or not isinstance(order, int) or not 1 <= order <= MAX_ORDER:
        raise TempgenError(f"order must be a whole number in 1-{MAX_ORDER}, got {order!r}")
    return order


def text_stream(text: str | os.PathLike | Iterable[str | bytes], encoding: str = "utf-8",
                errors: str = "strict", on_wait=None) -> CorpusStream:
    """A part given as a path ("-": stdin) or as an iterable of text chunks, as a stream
    (a CorpusStream is taken as it is)."""
    if isinstance(text, CorpusStream):
        return text
    if isinstance(text, str | os.PathLike):
        return open_corpus(os.fspath(text), encoding, errors, on_wait)
    if isinstance(text, bytes | bytearray):
        raise TempgenError("a part is a path or an iterable of text chunks, not bytes")
    try:
        chunks = iter(text)
    except TypeError:
        raise TempgenError(f"a part is a path or an iterable of text chunks, not a "
                           f"{type(text).__name__}") from None
    return chunks_corpus(chunks, encoding=encoding, errors=errors)


def count_part(text, output: str | os.PathLike, *, level: str = "char",
               order: int | None = None, per_line: bool = False, memory: int | None = None,
               temp_dir: str | None = None, encoding: str = "utf-8",
               errors: str = "strict", on_piece=None) -> PartCounts:
    """Count one part of a corpus (a path, or an iterable of text chunks) into the count file
    `output`, written atomically: a failed count leaves no file. Every part of one corpus is
    counted with the same level, order and per_line."""
    order = check_options(level, order)
    stream = text_stream(text, encoding, errors)
    shard = count_stream(stream, level, order, per_line, output, memory, temp_dir, on_piece)
    return PartCounts(os.fspath(output), order, int(shard.tokens), len(shard.vocab),
                      len(shard.counts))


def count_part_bytes(text, **options) -> bytes:
    """count_part, giving the count file's bytes (for a task runner that moves results
    itself rather than through a shared folder)."""
    with tempfile.TemporaryDirectory(prefix="tempgen-part-") as folder:
        path = Path(folder) / "part.counts"
        count_part(text, path, **options)
        return path.read_bytes()


def merge_counts(paths: Sequence[str | os.PathLike], output: str | os.PathLike | None = None,
                 *, name: str | None = None, memory: int | None = None,
                 progress=None) -> Model:
    """The model of a corpus from its parts' count files, in corpus order, merged within
    `memory` bytes; written atomically to `output` when given. It equals training on the
    parts' texts concatenated in that order."""
    paths = [os.fspath(p) for p in paths]
    if not paths:
        raise TempgenError("no count files to merge")
    if name is None:
        name = Path(output).stem if output is not None else "merged"
    model = train_counts(paths, name, progress, memory)
    if output is not None:
        save(model, output)
    return model
