"""Read text from a file or stdin; encoding errors are reported with their byte offset."""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

from tempgen.errors import TempgenError


@dataclass(frozen=True)
class Corpus:
    text: str
    name: str  # file name, or "<stdin>"
    sha256: str  # of the raw bytes
    size: int  # bytes


def read_corpus(source: str, encoding: str = "utf-8", errors: str = "strict") -> Corpus:
    """Read `source` (a path, or "-" for stdin) and decode it.

    With errors="strict" an undecodable byte is a TempgenError naming its offset;
    errors="replace" substitutes U+FFFD instead.
    """
    if source == "-":
        data = sys.stdin.buffer.read()
        name = "<stdin>"
    else:
        path = Path(source)
        name = path.name
        if path.is_dir():
            raise TempgenError(f"{source}: is a directory, not a text file")
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise TempgenError(f"{source}: no such file") from None
        except PermissionError:
            raise TempgenError(f"{source}: permission denied") from None
        except OSError as exc:
            raise TempgenError(f"{source}: cannot read ({exc.strerror or exc})") from None
    return Corpus(decode_bytes(data, source, encoding, errors), name,
                  hashlib.sha256(data).hexdigest(), len(data))


def decode_bytes(data: bytes, label: str, encoding: str = "utf-8", errors: str = "strict") -> str:
    """Decode `data`, turning every failure into a one-line TempgenError about `label`."""
    nul = data.find(b"\x00", 0, 65536)
    if nul >= 0:
        raise TempgenError(f"{label}: looks like a binary file (NUL byte at offset {nul}), "
                           "not text")
    try:
        text = data.decode(encoding, errors=errors)
    except LookupError:
        raise TempgenError(f"unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as exc:
        raise TempgenError(
            f"{label}: invalid {exc.encoding} at byte offset {exc.start} "
            f"(byte 0x{data[exc.start]:02x}); try --encoding or --errors replace"
        ) from None
    # One newline convention inside tempgen: the tokenizers see "\n" only.
    return text.replace("\r\n", "\n")
