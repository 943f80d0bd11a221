"""Text to model: a corpus read as a stream, counted in pieces that fit a memory budget,
and estimated.

A corpus that fits the budget is counted whole. A larger one is cut into pieces (between
tokens); each piece is counted as a shard (lm/shards.py) and spilled to a count file in a
temporary folder, and the shards are joined into the corpus's windows, so the model is the
same as from counting it whole, byte for byte.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tempgen.errors import TempgenError
from tempgen.io.corpus import Corpus
from tempgen.io.limits import SHARE, memory_budget, memory_left
from tempgen.io.source import size_text
from tempgen.lm import shardfile
from tempgen.lm import windows as win
from tempgen.lm.arrays import compact
from tempgen.lm.counting import check_order, estimate, with_bos
from tempgen.lm.model import Model
from tempgen.lm.shards import Shard, count_shard, join, shard_windows, union
from tempgen.lm.tokenizer import MAX_CARRY, TOKENIZERS, Tokenizer

# Peak bytes of counting per character of a piece (the text, its ids, the keys and their
# sort; measured about 40), and of estimating per distinct window.
BYTES_PER_CHAR = {"char": 72, "word": 40}
BYTES_PER_WINDOW = 64  # estimating: the windows (12) and the passes over them (measured 34)
MIN_PIECE = 256  # characters: a smaller budget still makes progress
FAN_IN = 64  # pieces merged into one file as soon as there are so many


@dataclass
class Counted:
    """A corpus's windows in its vocabulary, and what a shard of it keeps besides."""

    vocab: list[str]
    windows: win.Windows
    tokens: int
    head: np.ndarray
    tail: np.ndarray
    last: int
    label: str = "corpus"


def piece_chars(level: str, memory: int, order: int) -> int:
    """Characters of corpus one piece may hold within `memory` bytes (long windows, whose
    keys are bytes, take up to 2 bytes a digit more)."""
    return max(MIN_PIECE, memory // (BYTES_PER_CHAR[level] + 2 * order))


def pieces(chunks: Iterable[str], tokenizer: Tokenizer, size: int) -> Iterator[str]:
    """The text of `chunks` again, as pieces of about `size` characters cut between tokens
    (where the tokenizer may cut: a piece runs on to the next such place; a stretch of more
    than MAX_CARRY characters with none is cut anyway, as a streamed text is)."""
    held: list[str] = []
    n = 0
    for chunk in chunks:
        held.append(chunk)
        n += len(chunk)
        while n >= size:
            text = "".join(held)
            end = tokenizer.cut(text[:size]) or tokenizer.cut(text)
            if end == 0 and n > MAX_CARRY:  # no cut in sight: cut anyway
                end = size
            held, n = [text[end:]], len(text) - end
            if not end:
                break
            yield text[:end]
    if n:
        yield "".join(held)


def count_text(chunks: Iterable[str], level: str, order: int, per_line: bool,
               memory: int | None = None, temp_dir: str | None = None, whole: bool = True,
               on_piece: Callable[[str], None] | None = None, label: str = "corpus"
               ) -> Counted:
    """Count a corpus given as text chunks. `whole`: as a corpus (a model's windows), else as
    one shard of one (its head left out: see shards.join). `on_piece(stage)` is called as
    each piece is counted ("counting"), and before the pieces are merged. Pieces past the
    first go to a temporary folder in `temp_dir`, removed at the end whatever happens.
    `label` names the corpus in errors."""
    check_order(order)
    cls = TOKENIZERS[level]
    memory = memory or memory_budget()
    size = piece_chars(level, memory, order)
    first, folder, files, spilled = None, None, [], 0
    try:
        for text in pieces(chunks, cls([]), size):
            tok = cls.fit(text)
            part = (tok.vocab, tok.encode(text))
            del text
            if not len(part[1]):  # (only spaces: a piece without tokens adds nothing)
                continue
            if first is not None:  # a second piece: the first was not the whole corpus
                folder = _temporary_folder(temp_dir)
                files.append(_spill(first, folder, spilled, order, per_line, level))
                spilled += 1
                first = None
            if folder is None:
                first = part  # (perhaps the whole corpus)
            else:
                files.append(_spill(part, folder, spilled, order, per_line, level))
                spilled += 1
                _fold(files, label, memory, level)
            del part
            if on_piece is not None:
                on_piece("counting")
        if folder is None:
            return _counted_whole(first, order, per_line, whole, label)
        if on_piece is not None:
            on_piece(f"merging {len(files)} pieces")
        return join_shards([shardfile.load(str(f))[0] for f in files], whole, label, memory,
                           folder)
    except OSError as exc:
        raise TempgenError(f"{folder}: cannot write the counts of a piece "
                           f"({exc.strerror or exc})") from None
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _temporary_folder(temp_dir: str | None) -> Path:
    try:
        return Path(tempfile.mkdtemp(prefix="tempgen-", dir=temp_dir))
    except OSError as exc:
        raise TempgenError(f"{temp_dir or tempfile.gettempdir()}: cannot make a temporary "
                           f"folder there ({exc.strerror or exc})") from None


def _spill(part, folder: Path, n: int, order: int, per_line: bool, level: str) -> Path:
    """Count a piece (its vocabulary and ids) as a shard into the folder's n-th file."""
    path = folder / f"piece-{n}.counts"
    shardfile.save(count_shard(part[1], part[0], order, per_line), path, level, {})
    return path


def _fold(files: list[Path], label: str, memory: int, level: str) -> None:
    """Merge the last FAN_IN count files into one while they hold as many pieces each (as
    a counter carries), so that no merge reads more than FAN_IN files and each piece is
    merged a few times at most."""
    while len(files) >= FAN_IN and len({_pieces(f) for f in files[-FAN_IN:]}) == 1:
        group = files[-FAN_IN:]
        folder, shards = group[0].parent, [shardfile.load(str(f))[0] for f in group]
        merged = shard_of(join_shards(shards, False, label, memory, folder),
                          shards[0].order, shards[0].per_line)
        path = folder / f"{group[0].stem.split('x')[0]}x{_pieces(group[0]) * FAN_IN}.counts"
        shardfile.save(merged, path, level, {})
        for f in group:
            f.unlink()
        files[-FAN_IN:] = [path]


def _pieces(path: Path) -> int:
    """How many pieces a count file of the folder holds (piece-N.counts: 1; piece-NxK: K)."""
    stem = path.stem
    return int(stem.split("x")[1]) if "x" in stem else 1


def shard_of(c: Counted, order: int, per_line: bool) -> Shard:
    """A count of a shard (`count_text(..., whole=False)`) as a Shard."""
    w = c.windows
    return Shard(c.vocab, order, per_line, c.tokens,
                 [compact(w.digit(j)) for j in range(order)], compact(w.counts),
                 c.head, c.tail, c.last)


def _counted_whole(part, order: int, per_line: bool, whole: bool, label: str) -> Counted:
    vocab, ids = part if part is not None else ([], np.zeros(0, dtype=np.int64))
    if not len(ids):
        raise TempgenError(f"{label}: the corpus is empty (no tokens)")
    if not whole:
        w, head, tail, last = shard_windows(ids, vocab, order, per_line)
        return Counted(vocab, w, len(ids), head, tail, last, label)
    boundary = _boundary(vocab, per_line)
    x = with_bos(ids, len(vocab), boundary)
    return Counted(vocab, win.count(x, order, len(vocab)), len(ids), ids[:order - 1],
                   x[max(1, len(x) - (order - 1)):] if order > 1 else ids[:0], int(ids[-1]),
                   label)


def join_shards(shards: list[Shard], whole: bool = True, label: str = "corpus",
                memory: int | None = None, folder: Path | None = None) -> Counted:
    """The count of the corpus whose pieces, in order, are `shards` (see shards.join)."""
    shards = [s for s in shards if s.tokens]
    if not shards:
        raise TempgenError(f"{label}: the corpus is empty (no tokens)")
    vocab = union([s.vocab for s in shards])
    index = {t: i for i, t in enumerate(vocab)}
    order = shards[0].order
    windows, tail = join(shards, vocab, whole, memory, folder)
    head = np.concatenate([[index[s.vocab[i]] for i in s.head] for s in shards]
                          ).astype(np.int64)[:order - 1]
    last = index[shards[-1].vocab[shards[-1].last]]
    return Counted(vocab, windows, sum(s.tokens for s in shards), head, tail, last, label)


def _boundary(vocab: list[str], per_line: bool) -> int | None:
    if not per_line:
        return None
    if "\n" not in vocab:
        raise TempgenError("--per-line needs a corpus with line breaks")
    return vocab.index("\n")


def check_memory(windows: int, label: str) -> None:
    """Stop before estimating from more distinct windows than memory can hold."""
    need, left = windows * BYTES_PER_WINDOW, memory_left()
    if left is not None and need > SHARE * left:
        raise TempgenError(
            f"{label}: {windows:,} distinct n-grams of the top order; estimating the model "
            f"from them needs about {size_text(need)} of memory, more than the "
            f"{size_text(int(SHARE * left))} this process may use; train at a lower order")


def model_of(counted: Counted, level: str, per_line: bool, name: str, corpus: dict,
             progress=None) -> Model:
    """The model of a counted corpus."""
    boundary = _boundary(counted.vocab, per_line)
    check_memory(len(counted.windows), counted.label)
    ngram = estimate(counted.windows, len(counted.vocab), boundary, progress)
    return Model(TOKENIZERS[level](counted.vocab), ngram, name, counted.tokens, corpus)


def train_model(corpus: Corpus, level: str, order: int, name: str, per_line: bool = False,
                progress=None, memory: int | None = None) -> Model:
    """Train an order-`order` model on a corpus held in memory."""
    counted = count_text([corpus.text], level, order, per_line, memory, label=corpus.name)
    return model_of(counted, level, per_line, name,
                    {"name": corpus.name, "sha256": corpus.sha256, "size": corpus.size},
                    progress)
