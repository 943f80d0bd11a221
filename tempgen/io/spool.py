"""Arrays and text kept on disk, in an unnamed temporary file (gone when closed, or when the
process ends however it ends), and read back in chunks: a text's ids (IdSpool), rows of
numbers (RowSpool) or text (TextSpool) in bounded memory, for as many passes as a
computation needs."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

import numpy as np

from tempgen.errors import TempgenError


class IdSpool:
    def __init__(self):
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close or a with)
        self.count = 0

    def append(self, ids: np.ndarray) -> None:
        try:
            self.file.write(np.asarray(ids, dtype=np.int32).tobytes())
        except OSError as exc:
            raise TempgenError(f"cannot keep the text's tokens in a temporary file "
                               f"({exc.strerror or exc})") from None
        self.count += len(ids)

    def chunks(self, size: int) -> Iterator[np.ndarray]:
        """The ids from the start, `size` at a time (int64)."""
        self.file.seek(0)
        while block := self.file.read(4 * size):
            yield np.frombuffer(block, dtype=np.int32).astype(np.int64)

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> IdSpool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class RowSpool:
    """Blocks of rows of float64 (each block its own width) with an int64 per row, kept on
    disk and read back a block at a time."""

    def __init__(self):
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close or a with)

    def append(self, rows: np.ndarray, tags: np.ndarray) -> None:
        """A block: rows (n, width) float64 and tags (n,) int64."""
        rows = np.ascontiguousarray(rows, dtype=np.float64)
        try:
            self.file.write(np.array(rows.shape, dtype=np.int64).tobytes())
            self.file.write(np.asarray(tags, dtype=np.int64).tobytes())
            self.file.write(rows.tobytes())
        except OSError as exc:
            raise TempgenError(f"cannot keep rows in a temporary file "
                               f"({exc.strerror or exc})") from None

    def blocks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The blocks from the start: (rows, tags)."""
        self.file.seek(0)
        while head := self.file.read(16):
            n, width = np.frombuffer(head, dtype=np.int64).tolist()
            tags = np.frombuffer(self.file.read(8 * n), dtype=np.int64)
            yield np.frombuffer(self.file.read(8 * n * width)).reshape(n, width), tags

    def close(self) -> None:
        self.file.close()


class TextSpool:
    """Text written in pieces, read back in pieces of at most CHUNK characters' bytes."""

    CHUNK = 1 << 20

    def __init__(self):
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close or a with)

    def write(self, text: str) -> None:
        try:
            self.file.write(text.encode("utf-8"))
        except OSError as exc:
            raise TempgenError(f"cannot keep text in a temporary file "
                               f"({exc.strerror or exc})") from None

    def pieces(self) -> Iterator[str]:
        """The text from the start (a character is never split between pieces)."""
        import codecs

        self.file.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        while block := self.file.read(self.CHUNK):
            yield decoder.decode(block)
        yield decoder.decode(b"", final=True)

    def close(self) -> None:
        self.file.close()
