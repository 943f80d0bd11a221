"""Token ids kept on disk, in an unnamed temporary file (gone when closed, or when the
process ends however it ends), and read back in chunks: a text's ids in bounded memory,
for as many passes as a computation needs."""

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
