"""The model file as data: a versioned .npz (io/npz.py) of a JSON metadata entry and the
tables of an n-gram model, every field and array checked before anything uses it.

Layout (format version 1; version 2 adds back-off models, kind "backoff"):
  meta.npy                 uint8 bytes of a UTF-8 JSON object (see `parse_meta`)
  ctx_children_{k}.npy     k = 1..N-1, unsigned ints, one per context of length k-1
  ctx_first_{k}.npy        k = 1..N-1, unsigned ints in 0..V (V is the begin symbol)
  succ_count_{m}.npy       m = 1..N, unsigned ints, one per context of length m-1
  succ_token_{m}.npy       m = 1..N, unsigned ints in 0..V-1, increasing within a context
  succ_adj_{m}.npy         m = 1..N, unsigned ints >= 1 (adjusted Kneser–Ney counts), or
  succ_u_{m}, ctx_gamma_{m}  float64 (back-off models: each n-gram's share of probability,
                           each context's back-off weight)
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass

import numpy as np

from tempgen.errors import TempgenError
from tempgen.io import npz
from tempgen.io.text import is_text

FORMAT = "tempgen-model"
FORMAT_VERSION = 2  # 2 added back-off models (kind "backoff"); count models still write 1
MAX_ORDER = 10
FLOAT_ARRAYS = ("succ_u_", "ctx_gamma_")  # the float arrays of a back-off model


@dataclass(frozen=True)
class ModelFile:
    """A model file's metadata and arrays, checked: sizes, ranges and orders agree."""

    meta: dict
    arrays: dict[str, np.ndarray]


def encode(meta: dict, arrays: dict[str, np.ndarray]) -> bytes:
    """The file's exact bytes (see `write_to`)."""
    buf = io.BytesIO()
    write_to(buf, meta, arrays)
    return buf.getvalue()


def write_to(f, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    """The file written into the binary file `f`, an array at a time (deterministic: sorted
    keys, no timestamps), once the model passes the checks a reader makes of it: nothing
    is written that would not load."""
    check_meta(meta)
    _check_structure(arrays, meta["order"], len(meta["vocab"]), meta["ngrams"],
                     meta.get("kind", "counts"))
    raw = json.dumps(meta, sort_keys=True, ensure_ascii=True).encode()
    npz.write_to(f, {"meta": np.frombuffer(raw, dtype=np.uint8), **arrays}, zip64=False)


def decode(data, label: str) -> ModelFile:
    """Parse and check a model file's bytes (bytes, or a read-only mmap of the file); every
    problem is one TempgenError naming `label`."""
    try:
        return _decode(data)
    except TempgenError as exc:
        raise TempgenError(f"{label}: {exc}") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile):
        raise TempgenError(f"{label}: not a tempgen model (not a valid zip/npz file)") from None
    except DAMAGE as exc:
        raise TempgenError(damaged(label, exc)) from None


# Damaged bytes surface from zlib, zipfile, the .npy header parser or numpy in many guises.
DAMAGE = (ValueError, OSError, EOFError, KeyError, IndexError, TypeError, OverflowError,
          MemoryError, NotImplementedError, UnicodeDecodeError, RuntimeError)


def damaged(label: str, exc: BaseException) -> str:
    """The one-line message for a file whose bytes raised `exc` (one of DAMAGE)."""
    detail = str(exc).splitlines()[0][:120] if str(exc) else "no detail"
    return f"{label}: damaged model file ({type(exc).__name__}: {detail})"


def read_meta(path) -> dict:
    """Only the metadata of a model file (cheap: no arrays are read)."""
    try:
        return parse_meta(npz.read_one(path, "meta"))
    except TempgenError as exc:
        raise TempgenError(f"{path}: {exc}") from None
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, RecursionError) as exc:
        raise TempgenError(f"{path}: not a readable tempgen model ({type(exc).__name__})"
                           ) from None


def array_names(order: int, kind: str = "counts") -> list[str]:
    """The arrays a model of this order and kind holds, in file order."""
    names = [f"{p}_{k}" for k in range(1, order) for p in ("ctx_children", "ctx_first")]
    per_order = (("succ_count", "succ_token", "succ_u", "ctx_gamma") if kind == "backoff"
                 else ("succ_count", "succ_token", "succ_adj"))
    return names + [f"{p}_{m}" for m in range(1, order + 1) for p in per_order]


def _decode(data) -> ModelFile:
    if not len(data):
        raise TempgenError("empty file, not a tempgen model")
    if data[:2] != b"PK":
        raise TempgenError("not a tempgen model (not an npz file)")
    if "meta" not in npz.names(data):
        raise TempgenError("not a tempgen model (no metadata entry)")
    arrays = npz.read(data)
    meta = parse_meta(arrays.pop("meta"))
    arrays = {name: _checked_numbers(name, arr) for name, arr in arrays.items()}
    order, kind = meta["order"], meta.get("kind", "counts")
    expected = set(array_names(order, kind))
    if set(arrays) != expected:
        missing, extra = sorted(expected - set(arrays)), sorted(set(arrays) - expected)
        raise TempgenError(f"arrays do not match order {order} "
                           f"(missing {missing[:3]}, unexpected {extra[:3]})")
    _check_structure(arrays, order, len(meta["vocab"]), meta["ngrams"], kind)
    if meta["per_line"] and "\n" not in meta["vocab"]:
        raise TempgenError("per-line model without a newline token")
    return ModelFile(meta, arrays)


def _checked_numbers(name: str, arr: np.ndarray) -> np.ndarray:
    """The array, checked for its kind and made native: byte order, and unsigned 64-bit
    integers as signed ones (values past 2^63 are refused)."""
    want = "f" if name.startswith(FLOAT_ARRAYS) else "u"
    if arr.dtype.kind != want or arr.ndim != 1 or (want == "f" and arr.itemsize != 8):
        kind = "float64" if want == "f" else "unsigned integers"
        raise TempgenError(f"array {name} must be 1-D {kind}, got {arr.ndim}-D {arr.dtype}")
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if want == "f" and not np.all(np.isfinite(arr)):
        raise TempgenError(f"array {name} holds a value that is not finite")
    if arr.dtype == np.uint64:
        if arr.size and int(arr.max()) >= 2**63:
            raise TempgenError(f"array {name} holds a value past 2^63")
        arr = arr.astype(np.int64)
    return arr


def parse_meta(raw: np.ndarray) -> dict:
    """The metadata entry's JSON object, every field the format needs checked."""
    if raw.dtype != np.uint8:
        raise TempgenError("metadata entry is not bytes")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise TempgenError("metadata is not valid JSON") from None
    except RecursionError:
        raise TempgenError("metadata is nested too deeply") from None
    return check_meta(meta)


def check_meta(meta) -> dict:
    """A metadata object, every field the format needs checked (reading and writing)."""
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise TempgenError("not a tempgen model (foreign metadata)")
    version = meta.get("format_version")
    if not isinstance(version, int):
        raise TempgenError("metadata has no format version")
    if version > FORMAT_VERSION:
        raise TempgenError(f"format version {version} is newer than this tempgen reads "
                           f"({FORMAT_VERSION}); upgrade tempgen")
    if version < 1:
        raise TempgenError(f"unknown format version {version}")
    checks = {
        "name": lambda x: isinstance(x, str),
        "level": lambda x: x in ("char", "word"),
        "order": lambda x: isinstance(x, int) and 1 <= x <= MAX_ORDER,
        "per_line": lambda x: isinstance(x, bool),
        "vocab": lambda x: isinstance(x, list) and len(x) > 0 and all(
            isinstance(t, str) and is_text(t) for t in x),
        "tokens": lambda x: isinstance(x, int) and x >= 0,
        "corpus": lambda x: isinstance(x, dict),
        "ngrams": lambda x: isinstance(x, list) and all(isinstance(n, int) for n in x),
        "discounts": lambda x: isinstance(x, list) and all(
            isinstance(d, list) and len(d) == 3
            and all(isinstance(v, (int, float)) for v in d) for d in x),
    }
    for key, ok in checks.items():
        if key not in meta or not ok(meta[key]):
            raise TempgenError(f"metadata field {key!r} is missing or invalid")
    if len(meta["ngrams"]) != meta["order"] or len(meta["discounts"]) != meta["order"]:
        raise TempgenError("metadata n-gram counts or discounts do not match the order")
    if meta.get("kind", "counts") not in ("counts", "backoff") or (
            version == 1 and "kind" in meta):
        raise TempgenError(f"unknown model kind {meta.get('kind')!r}")
    return meta


def _check_structure(arrays: dict, order: int, v: int, ngrams: list[int],
                     kind: str = "counts") -> None:
    """Every size, range and ordering the query code relies on."""
    n_ctx = [1]
    for k in range(1, order):
        children, first = arrays[f"ctx_children_{k}"], arrays[f"ctx_first_{k}"]
        _expect(len(children) == n_ctx[-1], f"ctx_children_{k} has the wrong length")
        _expect(int(children.sum(dtype=np.uint64)) == len(first),
                f"ctx_children_{k} does not add up to ctx_first_{k}")
        _expect(first.size == 0 or int(first.max()) <= v, f"ctx_first_{k} holds a bad token")
        n_ctx.append(len(first))
    for m in range(1, order + 1):
        count, tok = arrays[f"succ_count_{m}"], arrays[f"succ_token_{m}"]
        if kind == "backoff":  # probabilities given, not counts; a context may have none
            adj = arrays[f"succ_u_{m}"]
            _expect(len(arrays[f"ctx_gamma_{m}"]) == n_ctx[m - 1],
                    f"ctx_gamma_{m} has the wrong length")
            _expect(bool(np.all(arrays[f"ctx_gamma_{m}"] >= 0)), f"ctx_gamma_{m} is negative")
        else:
            adj = arrays[f"succ_adj_{m}"]
            _expect(count.size == 0 or int(count.min()) >= 1,
                    f"succ_count_{m} has an empty context")
        _expect(len(count) == n_ctx[m - 1], f"succ_count_{m} has the wrong length")
        _expect(int(count.sum(dtype=np.uint64)) == len(tok) == len(adj),
                f"succ_count_{m} does not add up to succ_token_{m}")
        _expect(len(tok) == ngrams[m - 1], f"order {m} has {len(tok)} n-grams, "
                                           f"metadata says {ngrams[m - 1]}")
        _expect(tok.size == 0 or int(tok.max()) < v, f"succ_token_{m} holds a bad token")
        _expect(kind == "backoff" or adj.size == 0 or int(adj.min()) >= 1,
                f"succ_adj_{m} holds a zero count")
    _expect(len(arrays["succ_token_1"]) == v, "every vocabulary token needs a unigram")


def _expect(cond: bool, message: str) -> None:
    if not cond:
        raise TempgenError(message)
