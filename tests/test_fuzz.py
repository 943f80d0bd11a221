"""Fuzzing the model loader: 10 000 mutated model files, every failure the one domain error."""

import io
import json
import zipfile

import numpy as np
import pytest

from tempgen.errors import TempgenError
from tempgen.io.corpus import Corpus
from tempgen.lm import store
from tempgen.lm.training import train_model

N_FILES = 10_000
TEXT = "ab ba\naab bba\nabba baab\n" * 5


@pytest.fixture(scope="module")
def good() -> list[bytes]:
    """Two small models' files: a stream model and a per-line one."""
    return [store.to_bytes(train_model(Corpus(TEXT, "t", "", len(TEXT)), "char", order,
                                           "m", per_line))
            for order, per_line in ((3, False), (4, True))]


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def rezip(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, blob in parts.items():
            zf.writestr(name, blob)
    return buf.getvalue()


def npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=True)
    return buf.getvalue()


def raw_mutation(rng, data: bytes) -> bytes:
    blob = bytearray(data)
    kind = rng.integers(4)
    if kind == 0:  # flip a few bytes anywhere
        for i in rng.integers(0, len(blob), rng.integers(1, 9)):
            blob[i] = rng.integers(256)
    elif kind == 1:  # truncate
        blob = blob[: rng.integers(0, len(blob))]
    elif kind == 2:  # splice random bytes in
        at = rng.integers(0, len(blob))
        blob[at:at] = rng.bytes(rng.integers(1, 64))
    else:  # overwrite a run
        at = rng.integers(0, len(blob))
        blob[at: at + 32] = rng.bytes(32)
    return bytes(blob)


def structured_mutation(rng, data: bytes) -> bytes:
    """Valid zip, valid CRCs: the damage reaches the loader's own checks."""
    parts = members(data)
    names = sorted(n for n in parts if n != "meta.npy")
    kind = rng.integers(6)
    if kind == 5:  # edit the metadata
        meta = json.loads(np.lib.format.read_array(io.BytesIO(parts["meta.npy"])).tobytes())
        key = rng.choice(sorted(meta))
        meta[key] = [None, -1, 0, 3, 99, "x", [], {}, [1, 2], 2.5][rng.integers(10)]
        parts["meta.npy"] = npy(np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
        return rezip(parts)
    name = names[rng.integers(len(names))]
    arr = np.lib.format.read_array(io.BytesIO(parts[name]))
    if kind == 0 and arr.size:  # change values
        arr = arr.copy()
        idx = rng.integers(0, arr.size, rng.integers(1, 4))
        arr[idx] = rng.integers(0, np.iinfo(arr.dtype).max, len(idx), endpoint=True,
                                dtype=arr.dtype)
    elif kind == 1:  # change the length
        arr = arr[: rng.integers(0, arr.size + 1)] if rng.random() < 0.5 else np.append(
            arr, arr[:3])
    elif kind == 2:  # change the dtype
        arr = arr.astype([np.int8, np.int64, np.float32, np.float64, np.uint64,
                          np.bool_][rng.integers(6)])
    elif kind == 3:  # change the shape
        arr = arr.reshape(1, -1) if rng.random() < 0.5 else np.zeros((2, 2), dtype=arr.dtype)
    else:  # drop the array, or add a stray one
        if rng.random() < 0.5:
            del parts[name]
        else:
            parts["stray.npy"] = npy(np.array([object()], dtype=object))
        return rezip(parts)
    parts[name] = npy(arr)
    return rezip(parts)


def test_ten_thousand_mutated_model_files(good):
    rng = np.random.default_rng(20261123)
    outcomes = {"refused": 0, "loaded": 0}
    for i in range(N_FILES):
        base = good[i % len(good)]
        data = raw_mutation(rng, base) if i % 2 else structured_mutation(rng, base)
        try:
            model = store.from_bytes(data, "fuzz.npz")
        except TempgenError as exc:
            assert str(exc).startswith("fuzz.npz: ") and "\n" not in str(exc)
            outcomes["refused"] += 1
            continue
        # a mutation the checks let through must still give exact distributions
        ng = model.ngram
        ctx = np.array([[ng.bos] * (ng.order - 1), [0] * (ng.order - 1)])
        p = ng.probs(ctx)
        assert np.all(p > 0) and np.allclose(p.sum(axis=1), 1.0, atol=1e-9)
        outcomes["loaded"] += 1
    assert sum(outcomes.values()) == N_FILES
    assert outcomes["refused"] > N_FILES * 0.9
    print(f"\nfuzzed {N_FILES} files: {outcomes}")
