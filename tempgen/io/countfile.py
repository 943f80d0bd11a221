"""The count file as data: one shard of a corpus counted by `tempgen count`, merged by
`tempgen train --from-counts`. A versioned .npz (io/npz.py) of a JSON metadata entry and
the shard's windows; nothing in it is pickled, and every field is checked before use.

Layout (format "tempgen-counts", version 1), V = len(vocab), N = order:
  meta.npy      uint8 bytes of a UTF-8 JSON object: format, format_version, level ("char"
                or "word"), order N, per_line, vocab (the shard's tokens, sorted as Python
                sorts strings), tokens (how many the shard has), windows (D, the rows
                below), last (the shard's last token id, -1 when it has none), corpus
                ({name, sha256, size} of the text counted)
  digit_{j}.npy j = 0..N-1, (D,) unsigned: row i is one distinct window, digit j the id + 1
                of the token j steps before its position (digit 0: the position's own),
                0 once its history has ended, V + 1 for the begin symbol (BOS) that ends
                it. Rows are windows of the shard's positions past its first N-1 tokens,
                strictly increasing by (digit 0, digit 1, ...)
  counts.npy    (D,) unsigned >= 1: how often each window occurs
  head.npy      (min(N-1, tokens),) unsigned: the shard's first token ids
  tail.npy      (<= N-1,) unsigned: the last values of the shard's stream (ids; V for a BOS
                a per-line shard puts after a newline that is not its last token)
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass

import numpy as np

from tempgen.errors import TempgenError
from tempgen.io import npz
from tempgen.io.atomic import atomic_file
from tempgen.io.modelfile import DAMAGE, MAX_ORDER
from tempgen.io.source import open_file, regular_file
from tempgen.io.text import is_text

FORMAT = "tempgen-counts"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class CountFile:
    meta: dict
    arrays: dict[str, np.ndarray]


def write(path, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write a count file atomically, streamed (see `npz.write_to`)."""
    raw = json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION, **meta},
                     sort_keys=True, ensure_ascii=True).encode()
    with atomic_file(path, binary=True) as f:
        npz.write_to(f, {"meta": np.frombuffer(raw, dtype=np.uint8), **arrays})


def read(path: str) -> CountFile:
    """A count file's checked metadata and arrays: the windows' columns as npz.Column (read
    a block at a time, checked as they are), the rest whole."""
    try:
        regular_file(path, "a count file")
        with open_file(path) as f:
            if not f.read(2) == b"PK":
                raise TempgenError("not a tempgen count file (not an npz file)")
        arrays = npz.columns(path)
        if "meta" not in arrays:
            raise TempgenError("not a tempgen count file (no metadata entry)")
        meta = _meta(arrays.pop("meta").whole())
        for name in ("head", "tail"):
            if name in arrays:
                arrays[name] = arrays[name].whole()
        _check(meta, arrays)
        return CountFile(meta, arrays)
    except TempgenError as exc:
        raise TempgenError(str(exc) if str(exc).startswith(f"{path}:") else f"{path}: {exc}"
                           ) from None
    except zipfile.BadZipFile:
        raise TempgenError(f"{path}: not a tempgen count file (not a valid npz)") from None
    except DAMAGE as exc:
        raise TempgenError(f"{path}: damaged count file ({type(exc).__name__})") from None


def _meta(raw: np.ndarray) -> dict:
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise TempgenError("metadata is not valid JSON") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise TempgenError("not a tempgen count file (foreign metadata)")
    version = meta.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise TempgenError("metadata has no valid format version")
    if version > FORMAT_VERSION:
        raise TempgenError(f"format version {version} is newer than this tempgen reads "
                           f"({FORMAT_VERSION}); upgrade tempgen")
    counts = lambda x: isinstance(x, int) and not isinstance(x, bool) and x >= 0  # noqa: E731
    checks = {
        "level": lambda x: x in ("char", "word"),
        "order": lambda x: counts(x) and 1 <= x <= MAX_ORDER,
        "per_line": lambda x: isinstance(x, bool),
        "vocab": lambda x: isinstance(x, list) and all(isinstance(t, str) and t and is_text(t)
                                                       for t in x),
        "tokens": counts,
        "windows": counts,
        "last": lambda x: isinstance(x, int) and not isinstance(x, bool) and x >= -1,
        "corpus": lambda x: isinstance(x, dict),
    }
    for key, ok in checks.items():
        if key not in meta or not ok(meta[key]):
            raise TempgenError(f"metadata field {key!r} is missing or invalid")
    vocab = meta["vocab"]
    if vocab != sorted(set(vocab)):
        raise TempgenError("metadata field 'vocab' is not sorted and distinct")
    if meta["level"] == "char" and any(len(t) != 1 for t in vocab):
        raise TempgenError("a char vocabulary must hold single characters")
    if meta["last"] >= len(vocab) or (meta["last"] < 0) != (meta["tokens"] == 0):
        raise TempgenError("metadata field 'last' does not fit the shard")
    return meta


def _check(meta: dict, arrays: dict[str, np.ndarray]) -> None:
    """Sizes and ranges of the arrays (the rows' order and shape: `check_rows`)."""
    order, v, d = meta["order"], len(meta["vocab"]), meta["windows"]
    names = [f"digit_{j}" for j in range(order)] + ["counts", "head", "tail"]
    if set(arrays) != set(names):
        raise TempgenError(f"arrays do not match order {order}")
    for name in names:
        arr = arrays[name]
        if arr.dtype.kind != "u" or arr.ndim != 1:
            raise TempgenError(f"array {name} must be 1-D unsigned integers")
        if not arr.dtype.isnative:
            raise TempgenError(f"array {name} must be in this machine's byte order")
    for j in range(order):
        _expect(len(arrays[f"digit_{j}"]) == d, f"digit_{j} does not hold {d} windows")
    _expect(len(arrays["counts"]) == d, f"counts does not hold {d} windows")
    head, tail = arrays["head"], arrays["tail"]
    _expect(len(head) == min(order - 1, meta["tokens"]), "head has the wrong length")
    _expect(len(tail) <= order - 1, "tail is too long")
    _expect(head.size == 0 or int(head.max()) < v, "head holds a bad token")
    _expect(tail.size == 0 or int(tail.max()) <= v, "tail holds a bad token")
    if d and meta["tokens"] <= order - 1:
        raise TempgenError("a shard of fewer than order tokens has no windows of its own")


def check_rows(columns: list[np.ndarray], vocab_size: int, label: str) -> None:
    """A block of windows given as their digits' columns: digit 0 a token or the BOS, each
    later digit a token, the BOS, or 0, and nothing after a 0 or a BOS."""
    bos = vocab_size + 1
    ok = (columns[0] >= 1) & (columns[0] <= bos)
    ended = np.zeros(len(columns[0]), dtype=bool)
    for j in range(1, len(columns)):
        before, col = columns[j - 1], columns[j]
        ended |= (before == 0) | (before == bos)
        ok &= (col <= bos) & (~ended | (col == 0))
    if not ok.all():
        raise TempgenError(f"{label}: window {int(np.argmin(ok))} is not a window")


def _expect(ok: bool, what: str) -> None:
    if not ok:
        raise TempgenError(what)
