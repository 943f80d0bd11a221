"""Text from a file or stdin: decoded in the chosen encoding, undecodable bytes reported with
their offset, one newline convention ("\\n"), read whole with a bound or as a stream."""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from tempgen.errors import TempgenError
from tempgen.io import source as src

ADVICE = "; try --encoding or --errors replace"  # for commands that have those options


@dataclass(frozen=True)
class Corpus:
    text: str
    name: str  # file name, or "<stdin>"
    sha256: str  # of the raw bytes
    size: int  # bytes


def read_corpus(source: str, encoding: str = "utf-8", errors: str = "strict",
                limit: int = 1 << 62, purpose: str = "tempgen",
                on_wait: Callable[[str], None] | None = None, advice: str = ADVICE) -> Corpus:
    """Read `source` (a path, or "-" for stdin) whole, at most `limit` bytes, and decode it.

    With errors="strict" an undecodable byte is a TempgenError naming its offset;
    errors="replace" substitutes U+FFFD instead. A text holding NUL is not text.
    """
    def first(block: bytes, label: str) -> None:  # fail fast on a device of zeros
        _decoder(encoding, errors, label, advice).feed(block, final=False)

    data, label = src.read_bytes(source, limit, purpose, on_wait, first)
    return Corpus(decode_bytes(data, label, encoding, errors, advice),
                  label.rsplit("/", 1)[-1], hashlib.sha256(data).hexdigest(), len(data))


def decode_bytes(data: bytes, label: str, encoding: str = "utf-8", errors: str = "strict",
                 advice: str = ADVICE) -> str:
    """Decode `data`, turning every failure into a one-line TempgenError about `label`."""
    decoder = _decoder(encoding, errors, label, advice)
    text = decoder.feed(data, final=True)
    return text


def text_chunks(source: str, encoding: str = "utf-8", errors: str = "strict",
                on_wait: Callable[[str], None] | None = None,
                advice: str = ADVICE) -> tuple[str, Iterator[str]]:
    """(the label of `source`, its text as decoded chunks): a text of any size in bounded
    memory."""
    stream = open_corpus(source, encoding, errors, on_wait, advice)
    return stream.label, stream.chunks


@dataclass
class CorpusStream:
    """A corpus read as a stream: its text as decoded `chunks`; its `size` in bytes when it
    is a regular file; `read` bytes so far, and their SHA-256 (`about` once read)."""

    label: str
    size: int | None
    chunks: Iterator[str]
    read: int = 0
    digest: object = None

    def about(self) -> dict:
        """What a model says of its corpus: name, sha256 and size of the bytes read."""
        return {"name": self.label.rsplit("/", 1)[-1], "sha256": self.digest.hexdigest(),
                "size": self.read}


def open_corpus(source: str, encoding: str = "utf-8", errors: str = "strict",
                on_wait: Callable[[str], None] | None = None,
                advice: str = ADVICE) -> CorpusStream:
    """`source` (a path, or "-" for stdin) as a stream of decoded text, hashed as read."""
    label, size, blocks = src.sized_chunks(source, on_wait)
    return _stream(label, size, blocks, encoding, errors, advice)


def chunks_corpus(chunks: Iterable[str | bytes], label: str = "<text>",
                  encoding: str = "utf-8", errors: str = "strict") -> CorpusStream:
    """A corpus given as an iterable of text chunks (str; bytes are decoded in `encoding`),
    read as a file is: the same newline convention, checks and hash (of the UTF-8 bytes of
    str chunks)."""
    def blocks():
        for i, chunk in enumerate(chunks):
            if isinstance(chunk, str):
                try:
                    yield chunk.encode(encoding, "surrogatepass" if errors == "strict"
                                       else errors)
                except (UnicodeError, LookupError) as exc:
                    raise TempgenError(f"{label}: chunk {i} cannot be encoded as {encoding} "
                                       f"({exc})") from None
            elif isinstance(chunk, bytes | bytearray | memoryview):
                yield bytes(chunk)
            else:
                raise TempgenError(f"{label}: chunk {i} is a {type(chunk).__name__}, not "
                                   "text")

    return _stream(label, None, blocks(), encoding, errors, "")


def _stream(label: str, size: int | None, blocks: Iterable[bytes], encoding: str,
            errors: str, advice: str) -> CorpusStream:
    decoder = _decoder(encoding, errors, label, advice)
    stream = CorpusStream(label, size, iter(()), digest=hashlib.sha256())

    def gen():
        for block in blocks:
            stream.read += len(block)
            stream.digest.update(block)
            text = decoder.feed(block, final=False)
            if text:
                yield text
        text = decoder.feed(b"", final=True)
        if text:
            yield text

    stream.chunks = gen()
    return stream


class _Decoder:
    """An incremental decode that reports errors by byte offset in the whole input, refuses
    NUL characters, and turns "\\r\\n" into "\\n" (even across chunk boundaries)."""

    def __init__(self, codec, encoding: str, label: str, advice: str):
        self.codec, self.encoding, self.label, self.advice = codec, encoding, label, advice
        self.consumed = 0  # bytes fed before the current block
        self.chars = 0  # characters decoded so far
        self.cr = False  # the last chunk ended in "\r"

    def feed(self, block: bytes, final: bool) -> str:
        pending = len(self.codec.getstate()[0])
        try:
            text = self.codec.decode(block, final)
        except UnicodeDecodeError as exc:
            at = self.consumed - pending + exc.start
            before = exc.object[:exc.start].decode(exc.encoding, errors="replace")
            self._refuse_nul(before)  # binary data: say so, rather than where decoding failed
            raise TempgenError(
                f"{self.label}: invalid {exc.encoding} at byte offset {at} "
                f"(byte 0x{exc.object[exc.start]:02x}){self.advice}") from None
        except UnicodeError as exc:  # (a codec's own complaint: utf-16 without a BOM)
            raise TempgenError(f"{self.label}: not {self.encoding} text ({exc})"
                               f"{self.advice}") from None
        self.consumed += len(block)
        self._refuse_nul(text)
        self.chars += len(text)
        if self.cr:
            text = "\r" + text
        self.cr = text.endswith("\r") and not final
        if self.cr:
            text = text[:-1]
        return text.replace("\r\n", "\n")


    def _refuse_nul(self, text: str) -> None:
        nul = text.find("\x00")
        if nul >= 0:
            raise TempgenError(f"{self.label}: looks like a binary file (a NUL character at "
                               f"character {self.chars + nul:,} in {self.encoding}), not text")


def _decoder(encoding: str, errors: str, label: str, advice: str) -> _Decoder:
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise TempgenError(f"unknown encoding {encoding!r}") from None
    if not info._is_text_encoding:  # (base64, zlib, rot13: codecs, but not of text)
        raise TempgenError(f"{encoding!r} is not a text encoding")
    codec = info.incrementaldecoder(errors=errors)
    return _Decoder(codec, encoding, label, advice)
