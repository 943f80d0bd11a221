"""Models to and from files: tempgen's model files (io/modelfile.py), ARPA files
(lm/arpa.py), and the bundled models by name."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from tempgen import __version__
from tempgen.errors import TempgenError
from tempgen.io import modelfile
from tempgen.io.atomic import atomic_file
from tempgen.io.bundled import bundled_models
from tempgen.io.limits import memory_budget
from tempgen.io.source import read_bytes
from tempgen.lm.backoff import BackoffModel, check_values
from tempgen.lm.discounts import discounts_from_counts
from tempgen.lm.model import Model
from tempgen.lm.ngram import NGramModel
from tempgen.lm.tokenizer import Tokenizer


# ===================================================================== saving
def _meta(model: Model) -> dict:
    ng = model.ngram
    backoff = isinstance(ng, BackoffModel)
    return {
        **({"kind": "backoff"} if backoff else {}),
        "format": modelfile.FORMAT,
        "format_version": 2 if backoff else 1,
        "tempgen_version": __version__,
        "name": model.name,
        "level": model.level,
        "order": ng.order,
        "per_line": ng.boundary is not None,
        "vocab": list(model.tokenizer.vocab),
        "discounts": [list(map(float, d)) for d in ng.discounts],
        "ngrams": ng.num_ngrams,
        "tokens": int(model.tokens),
        "corpus": dict(model.corpus),
    }


def to_bytes(model: Model) -> bytes:
    """The model file's exact bytes (deterministic: a rebuild is byte-identical)."""
    return modelfile.encode(_meta(model), model.ngram.arrays())


def save(model: Model, path: str | os.PathLike) -> int:
    """Save atomically, streamed (the file's bytes are never whole in memory); returns the
    file size in bytes."""
    with atomic_file(path, binary=True) as f:
        modelfile.write_to(f, _meta(model), model.ngram.arrays())
        return f.tell()


# ===================================================================== loading
def resolve(spec: str) -> Path:
    """A bundled model's name, or a path to a model file."""
    if not spec:
        raise TempgenError("an empty model name: give a bundled model's name (tempgen models) "
                           "or a model file")
    bundled = bundled_models()
    if spec in bundled:
        return bundled[spec]
    path = Path(spec)
    if os.path.exists(path):  # (False for a name no file can have, too long or looping)
        if path.is_dir():
            raise TempgenError(f"{spec}: is a directory, not a model file")
        return path
    names = ", ".join(bundled) or "none"
    raise TempgenError(f"unknown model {spec!r}: not a file, nor a bundled model ({names})")


def is_arpa(path: str | os.PathLike) -> bool:
    return str(path).endswith((".arpa", ".arpa.gz"))


def load(spec: str | os.PathLike, on_wait=None) -> Model:
    """Load a model by bundled name or path (ours, or an ARPA file: .arpa or .arpa.gz);
    every failure is one TempgenError.

    The file is read into memory, not mapped: whatever happens to it afterwards (truncated,
    overwritten in place), the loaded model stays as it was read."""
    path = str(resolve(str(spec)))
    if is_arpa(path):
        from tempgen.lm.arpa import read_arpa, text_limit

        # (a device of zeros is refused from its first block)
        data, label = read_bytes(path, text_limit(), "an ARPA file here", on_wait,
                                 _looks_like_text)
        return read_arpa(data, label)
    data, label = read_bytes(path, memory_budget(), "a model here", on_wait, _looks_like_npz)
    return from_bytes(data, label)


def _looks_like_npz(block: bytes, label: str) -> None:
    if not block:
        raise TempgenError(f"{label}: empty file, not a tempgen model")
    if block[:2] != b"PK":
        raise TempgenError(f"{label}: not a tempgen model (not an npz file)")


def _looks_like_text(block: bytes, label: str) -> None:
    if block[:2] != b"\x1f\x8b" and b"\x00" in block:
        raise TempgenError(f"{label}: not an ARPA file (binary data)")


def from_bytes(data, label: str = "<model>") -> Model:
    """A model from a model file's bytes (bytes, or a read-only mmap of the file)."""
    checked = modelfile.decode(data, label)
    try:
        return from_file(checked)
    except TempgenError as exc:
        raise TempgenError(f"{label}: {exc}") from None
    except modelfile.DAMAGE as exc:
        raise TempgenError(modelfile.damaged(label, exc)) from None


def from_file(f: modelfile.ModelFile) -> Model:
    """A model from a checked model file: its tokenizer and tables."""
    meta, arrays = f.meta, f.arrays
    order = meta["order"]
    tokenizer = Tokenizer.from_dict({"level": meta["level"], "vocab": meta["vocab"]})
    v = len(tokenizer)
    boundary = tokenizer.index["\n"] if meta["per_line"] else None

    def per(prefix: str, first: int, last: int) -> dict:
        return {k: arrays[f"{prefix}_{k}"] for k in range(first, last + 1)}

    structure = [per("ctx_children", 1, order - 1), per("ctx_first", 1, order - 1),
                 per("succ_count", 1, order), per("succ_token", 1, order)]
    if meta.get("kind") == "backoff":
        ngram = BackoffModel(order, v, *structure, per("succ_u", 1, order),
                             per("ctx_gamma", 1, order), boundary)
        _check_sorted(ngram)  # (before the values: their check searches the tables)
        check_values(ngram)
    else:
        discounts = np.array(meta["discounts"], dtype=np.float64)
        for m in range(1, order + 1):
            if not np.allclose(discounts[m - 1], discounts_from_counts(arrays[f"succ_adj_{m}"]),
                               rtol=0, atol=1e-9):
                raise TempgenError(f"discounts of order {m} contradict the counts")
        ngram = NGramModel(order, v, discounts, *structure, per("succ_adj", 1, order), boundary)
    _check_sorted(ngram)
    return Model(tokenizer, ngram, meta["name"], meta["tokens"], meta["corpus"])


def _check_sorted(ng: NGramModel) -> None:
    """Every table must be strictly increasing for the searches to be right."""
    for k in range(1, ng.order):
        if np.any(np.diff(ng.ctx_keys[k]) <= 0):
            raise TempgenError(f"contexts of length {k} are not sorted")
    for m in range(1, ng.order + 1):
        tok = ng.succ_token[m]
        rising = tok[1:] > tok[:-1]
        rising[ng.offsets[m][1:-1] - 1] = True  # a new context may start anywhere
        if not rising.all():
            raise TempgenError(f"successors of order {m} are not sorted")


def bundled_info() -> list[dict]:
    """What `tempgen models` lists of each bundled model (read from its metadata alone)."""
    rows = []
    for name, path in bundled_models().items():
        meta = modelfile.read_meta(path)
        rows.append({"name": name, "level": meta["level"], "order": meta["order"],
                     "vocab": len(meta["vocab"]), "per_line": meta["per_line"],
                     "size": path.stat().st_size,
                     "corpus": meta["corpus"].get("name", ""), "tokens": meta["tokens"]})
    return rows


def read_meta(path) -> dict:
    """Only the metadata of a model file (cheap: no arrays are read)."""
    return modelfile.read_meta(path)
