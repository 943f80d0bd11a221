"""The model file: a versioned .npz (a zip of .npy arrays) plus a JSON metadata entry.

Layout (format version 1):
  meta.npy                 uint8 bytes of a UTF-8 JSON object (see `_meta`)
  ctx_children_{k}.npy     k = 1..N-1, unsigned ints, one per context of length k-1
  ctx_first_{k}.npy        k = 1..N-1, unsigned ints in 0..V (V is the begin symbol)
  succ_count_{m}.npy       m = 1..N, unsigned ints >= 1, one per context of length m-1
  succ_token_{m}.npy       m = 1..N, unsigned ints in 0..V-1, increasing within a context
  succ_adj_{m}.npy         m = 1..N, unsigned ints >= 1 (adjusted Kneser–Ney counts)

Loading never unpickles (allow_pickle=False) and checks every array's dtype, shape and range;
any problem is one TempgenError naming the file. Saving is atomic and byte-deterministic.
"""

from __future__ import annotations

import io
import json
import mmap
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tempgen import __version__
from tempgen.atomic import atomic_write
from tempgen.counting import discounts_from_counts
from tempgen.errors import TempgenError
from tempgen.ngram import MAX_ORDER, NGramModel
from tempgen.tokenizer import Tokenizer

FORMAT = "tempgen-model"
FORMAT_VERSION = 2  # 2 added back-off models (kind "backoff"); count models still write 1
FLOAT_ARRAYS = ("succ_u_", "ctx_gamma_")  # the float arrays of a back-off model
BUNDLED_DIR = Path(__file__).resolve().parent.parent / "sample_models"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass
class Model:
    """A tokenizer, its n-gram model, and where they came from."""

    tokenizer: Tokenizer
    ngram: NGramModel
    name: str
    tokens: int  # training tokens
    corpus: dict = field(default_factory=dict)  # name, sha256, size (bytes)

    @property
    def level(self) -> str:
        return self.tokenizer.level


# ===================================================================== saving
def _kind(ngram) -> str:
    from tempgen.backoff import BackoffModel

    return "backoff" if isinstance(ngram, BackoffModel) else "counts"


def _meta(model: Model) -> dict:
    ng = model.ngram
    kind = _kind(ng)
    extra = {"kind": kind} if kind == "backoff" else {}
    return {
        **extra,
        "format": FORMAT,
        "format_version": 2 if kind == "backoff" else 1,
        "tempgen_version": __version__,
        "name": model.name,
        "level": model.level,
        "order": ng.order,
        "per_line": ng.boundary is not None,
        "vocab": model.tokenizer.vocab,
        "discounts": [list(map(float, d)) for d in ng.discounts],
        "ngrams": ng.num_ngrams,
        "tokens": int(model.tokens),
        "corpus": dict(model.corpus),
    }


def to_bytes(model: Model) -> bytes:
    """The model file's exact bytes (deterministic: no timestamps, sorted keys)."""
    meta = json.dumps(_meta(model), sort_keys=True, ensure_ascii=True).encode()
    arrays = {"meta": np.frombuffer(meta, dtype=np.uint8), **model.ngram.arrays()}
    buf = io.BytesIO()
    # Stored, not deflated: the arrays are already narrow integers, and a plain copy
    # loads several times faster than inflating.
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, arr in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_TIME)
            npy = io.BytesIO()
            np.lib.format.write_array(npy, np.ascontiguousarray(arr), allow_pickle=False)
            zf.writestr(info, npy.getvalue())
    return buf.getvalue()


def save(model: Model, path: str | os.PathLike) -> int:
    """Save atomically; returns the file size in bytes."""
    data = to_bytes(model)
    atomic_write(path, data)
    return len(data)


# ===================================================================== loading
def bundled_models() -> dict[str, Path]:
    """Bundled model names -> files."""
    if not BUNDLED_DIR.is_dir():
        return {}
    return {p.stem: p for p in sorted(BUNDLED_DIR.glob("*.npz"))}


def resolve(spec: str) -> Path:
    """A bundled model's name, or a path to a model file."""
    bundled = bundled_models()
    if spec in bundled:
        return bundled[spec]
    path = Path(spec)
    if path.exists():
        if path.is_dir():
            raise TempgenError(f"{spec}: is a directory, not a model file")
        return path
    names = ", ".join(bundled) or "none"
    raise TempgenError(f"unknown model {spec!r}: not a file, nor a bundled model ({names})")


def is_arpa(path: str | os.PathLike) -> bool:
    return str(path).endswith((".arpa", ".arpa.gz"))


def load(spec: str | os.PathLike) -> Model:
    """Load a model by bundled name or path (ours, or an ARPA file: .arpa or .arpa.gz);
    every failure is one TempgenError."""
    path = resolve(str(spec))
    if is_arpa(path):
        from tempgen.arpa import read_arpa

        try:
            data = path.read_bytes()
        except OSError as exc:
            raise TempgenError(f"{path}: cannot read ({exc.strerror or exc})") from None
        return read_arpa(data, str(path))
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            # Mapped, not read: the arrays become views of the page cache (kept alive by
            # the arrays themselves), which is the fastest way in for a large model.
            data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    except OSError as exc:
        raise TempgenError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return from_bytes(data, str(path))


def read_meta(path: str | os.PathLike) -> dict:
    """Only the metadata of a model file (cheap: no arrays are read)."""
    try:
        with zipfile.ZipFile(path) as zf, zf.open("meta.npy") as f:  # noqa: SIM117
            return _parse_meta(np.lib.format.read_array(f, allow_pickle=False))
    except TempgenError as exc:
        raise TempgenError(f"{path}: {exc}") from None
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as exc:
        raise TempgenError(f"{path}: not a readable tempgen model ({type(exc).__name__})"
                           ) from None


def from_bytes(data, label: str = "<model>") -> Model:
    """Parse and validate a model file's bytes (bytes, or a read-only mmap of the file)."""
    try:
        return _parse(data)
    except TempgenError as exc:
        raise TempgenError(f"{label}: {exc}") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile):
        raise TempgenError(f"{label}: not a tempgen model (not a valid zip/npz file)") from None
    except (ValueError, OSError, EOFError, KeyError, IndexError, TypeError, OverflowError,
            MemoryError, NotImplementedError, UnicodeDecodeError, RuntimeError) as exc:
        # Damaged bytes surface from zlib, zipfile or the .npy header parser in many guises.
        raise TempgenError(f"{label}: damaged model file ({type(exc).__name__}: "
                           f"{str(exc).splitlines()[0][:120] if str(exc) else 'no detail'})"
                           ) from None


def _parse(data) -> Model:
    if not len(data):
        raise TempgenError("empty file, not a tempgen model")
    if data[:2] != b"PK":
        raise TempgenError("not a tempgen model (not an npz file)")
    with zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data) as zf:
        names = set(zf.namelist())
        if "meta.npy" not in names:
            raise TempgenError("not a tempgen model (no metadata entry)")
        arrays = {i.filename[:-4]: _read_npy(zf, i, data) for i in zf.infolist()
                  if i.filename.endswith(".npy")}
    meta = _parse_meta(arrays.pop("meta"))
    order, vocab = meta["order"], meta["vocab"]
    kind = meta.get("kind", "counts")
    tokenizer = Tokenizer.from_dict({"level": meta["level"], "vocab": vocab})
    expected = set(_array_names(order, kind))
    if set(arrays) != expected:
        missing, extra = sorted(expected - set(arrays)), sorted(set(arrays) - expected)
        raise TempgenError(f"arrays do not match order {order} "
                           f"(missing {missing[:3]}, unexpected {extra[:3]})")
    v = len(vocab)
    _check_structure(arrays, order, v, meta["ngrams"], kind)
    boundary = None
    if meta["per_line"]:
        if "\n" not in tokenizer.index:
            raise TempgenError("per-line model without a newline token")
        boundary = tokenizer.index["\n"]
    if kind == "backoff":
        from tempgen.backoff import BackoffModel

        ngram = BackoffModel(order, v, *[{k: arrays[f"{p}_{k}"] for k in range(1, order)}
                                         for p in ("ctx_children", "ctx_first")],
                             *[{m: arrays[f"{p}_{m}"] for m in range(1, order + 1)}
                               for p in ("succ_count", "succ_token", "succ_u", "ctx_gamma")],
                             boundary)
        ngram.check_sorted()
        return Model(tokenizer, ngram, meta["name"], meta["tokens"], meta["corpus"])
    discounts = np.array(meta["discounts"], dtype=np.float64)
    for m in range(1, order + 1):
        if not np.allclose(discounts[m - 1], discounts_from_counts(arrays[f"succ_adj_{m}"]),
                           rtol=0, atol=1e-9):
            raise TempgenError(f"discounts of order {m} contradict the counts")
    ngram = NGramModel(order, v, discounts,
                       {k: arrays[f"ctx_children_{k}"] for k in range(1, order)},
                       {k: arrays[f"ctx_first_{k}"] for k in range(1, order)},
                       {m: arrays[f"succ_count_{m}"] for m in range(1, order + 1)},
                       {m: arrays[f"succ_token_{m}"] for m in range(1, order + 1)},
                       {m: arrays[f"succ_adj_{m}"] for m in range(1, order + 1)},
                       boundary)
    ngram.check_sorted()
    return Model(tokenizer, ngram, meta["name"], meta["tokens"], meta["corpus"])


def _read_npy(zf: zipfile.ZipFile, info: zipfile.ZipInfo, data) -> np.ndarray:
    """One array of the file. A stored (uncompressed) member becomes a read-only view of
    `data`, checked against its CRC-32: no copy of the file's bytes is made."""
    name = info.filename[:-4]
    if info.compress_type == zipfile.ZIP_STORED:
        at = info.header_offset
        if data[at: at + 4] != b"PK\x03\x04":
            raise TempgenError(f"array {name}: bad zip entry header")
        n_name, n_extra = struct.unpack("<HH", data[at + 26: at + 30])
        start = at + 30 + n_name + n_extra
        payload = memoryview(data)[start: start + info.file_size]
        if len(payload) != info.file_size or zlib.crc32(payload) != info.CRC:
            raise TempgenError(f"array {name}: damaged (checksum mismatch)")
        head = io.BytesIO(payload[:4096])
        reader = {(1, 0): np.lib.format.read_array_header_1_0,
                  (2, 0): np.lib.format.read_array_header_2_0}.get(
                      np.lib.format.read_magic(head))
        if reader is None:
            raise TempgenError(f"array {name}: unsupported .npy version")
        shape, fortran, dtype = reader(head)
        if dtype.hasobject or fortran or len(shape) != 1:
            raise TempgenError(f"array {name} must be 1-D unsigned integers")
        arr = np.frombuffer(payload, dtype=dtype, count=shape[0], offset=head.tell())
    else:
        with zf.open(info) as f:
            arr = np.lib.format.read_array(f, allow_pickle=False)
    want = "f" if name.startswith(FLOAT_ARRAYS) else "u"
    if arr.dtype.kind != want or arr.ndim != 1 or (want == "f" and arr.dtype != np.float64):
        kind = "float64" if want == "f" else "unsigned integers"
        raise TempgenError(f"array {name} must be 1-D {kind}, got {arr.ndim}-D {arr.dtype}")
    if want == "f" and not np.all(np.isfinite(arr)):
        raise TempgenError(f"array {name} holds a value that is not finite")
    return arr


def _array_names(order: int, kind: str = "counts") -> list[str]:
    names = [f"{p}_{k}" for k in range(1, order) for p in ("ctx_children", "ctx_first")]
    per_order = (("succ_count", "succ_token", "succ_u", "ctx_gamma") if kind == "backoff"
                 else ("succ_count", "succ_token", "succ_adj"))
    return names + [f"{p}_{m}" for m in range(1, order + 1) for p in per_order]


def _parse_meta(raw: np.ndarray) -> dict:
    if raw.dtype != np.uint8:
        raise TempgenError("metadata entry is not bytes")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise TempgenError("metadata is not valid JSON") from None
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
        "vocab": lambda x: isinstance(x, list) and len(x) > 0,
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
