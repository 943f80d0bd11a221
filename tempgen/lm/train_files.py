"""Training from a file or stdin (read once, as a stream), counting a shard of a corpus into
a count file, and training from count files: what `tempgen train` and `tempgen count` do."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence

from tempgen.errors import TempgenError
from tempgen.io.corpus import CorpusStream
from tempgen.io.limits import memory_budget
from tempgen.io.source import size_text
from tempgen.lm import shardfile
from tempgen.lm.model import Model
from tempgen.lm.shards import Shard
from tempgen.lm.training import (
    Counted,
    count_text,
    join_shards,
    model_of,
    piece_chars,
    shard_of,
)

# Bytes a spilled piece's counts take on disk per byte of corpus, at most (every position a
# window of its own): a char window's digits are a byte each, a word's up to 3 bytes, and a
# word is at least 2 bytes of text with the space after it; plus a count of up to 4 bytes.
DISK_PER_BYTE = {"char": lambda order: order + 4, "word": lambda order: (3 * order + 4) / 2}


def check_disk(stream: CorpusStream, level: str, order: int, memory: int,
               temp_dir: str | None) -> None:
    """Stop before starting when the corpus will spill and the temporary folder has less
    room than its counts may need (a regular file's size is known beforehand)."""
    if stream.size is None or stream.size <= piece_chars(level, memory, order):
        return
    folder = temp_dir or tempfile.gettempdir()
    try:
        free = shutil.disk_usage(folder).free
    except OSError as exc:
        raise TempgenError(f"{folder}: cannot use as a temporary folder "
                           f"({exc.strerror or exc})") from None
    need = int(stream.size * DISK_PER_BYTE[level](order))
    if need > free:
        raise TempgenError(f"{stream.label}: counting it in pieces may need up to "
                           f"{size_text(need)} of temporary space, and {folder} has "
                           f"{size_text(free)} free; choose another with --temp-dir, or "
                           "give more --memory")


def _counted(stream: CorpusStream, level: str, order: int, per_line: bool, memory: int | None,
             temp_dir: str | None, whole: bool, on_piece) -> Counted:
    memory = memory or memory_budget()
    check_disk(stream, level, order, memory, temp_dir)
    return count_text(stream.chunks, level, order, per_line, memory, temp_dir, whole,
                      on_piece, stream.label)


def train_stream(stream: CorpusStream, level: str, order: int, name: str, per_line: bool,
                 memory: int | None = None, temp_dir: str | None = None,
                 on_piece: Callable[[str], None] | None = None, progress=None) -> Model:
    """The model of a corpus read from `stream`, counted within `memory` bytes (pieces
    beyond it spilled to `temp_dir`)."""
    counted = _counted(stream, level, order, per_line, memory, temp_dir, True, on_piece)
    return model_of(counted, level, per_line, name, stream.about(), progress)


def count_stream(stream: CorpusStream, level: str, order: int, per_line: bool, output,
                 memory: int | None = None, temp_dir: str | None = None,
                 on_piece: Callable[[str], None] | None = None) -> Shard:
    """Count a corpus read from `stream` as one shard, and write it to the count file
    `output`."""
    c = _counted(stream, level, order, per_line, memory, temp_dir, False, on_piece)
    shard = shard_of(c, order, per_line)
    shardfile.save(shard, output, level, stream.about())
    return shard


def train_counts(paths: Sequence[str], name: str, progress=None, memory: int | None = None
                 ) -> Model:
    """The model of the corpus whose shards' count files are `paths`, in corpus order
    (the order matters only where a window spans two shards: never, for per-line shards
    that end at a line's end), merged a block of each at a time within `memory` bytes."""
    loaded = [shardfile.load(p) for p in paths]
    first = loaded[0][1]
    for path, (_, meta) in zip(paths, loaded, strict=True):
        for key in ("level", "order", "per_line"):
            if meta[key] != first[key]:
                raise TempgenError(f"{path}: {key} {meta[key]!r}, but {paths[0]} has "
                                   f"{first[key]!r}; count every shard alike")
    counted = join_shards([s for s, _ in loaded], True, paths[0], memory or memory_budget())
    size = sum(m["corpus"]["size"] for _, m in loaded
               if isinstance(m["corpus"].get("size"), int))
    about = {"name": f"{len(paths)} count file{'s' * (len(paths) != 1)}", "sha256": "",
             "size": size}
    return model_of(counted, first["level"], first["per_line"], name, about, progress)

