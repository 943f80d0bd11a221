import io
import json
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tempgen.errors import TempgenError
from tempgen.io.corpus import Corpus
from tempgen.lm import store
from tempgen.lm.training import train_model

TEXT = "To be, or not to be, that is the question:\nWhether 'tis nobler in the mind\n" * 4


def make(level="char", order=4, per_line=False, text=TEXT):
    corpus = Corpus(text, "toy.txt", "0" * 64, len(text))
    return train_model(corpus, level, order, "toy", per_line)


def npz(arrays: dict) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def arrays_of(data: bytes) -> dict:
    with np.load(io.BytesIO(data), allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


@pytest.mark.parametrize("level,order,per_line", [("char", 1, False), ("char", 5, True),
                                                  ("word", 3, False), ("char", 10, False)])
def test_save_load_round_trips_exactly(tmp_path, level, order, per_line):
    model = make(level, order, per_line)
    path = tmp_path / "m.npz"
    size = store.save(model, path)
    assert size == path.stat().st_size
    again = store.load(path)
    assert again.tokenizer == model.tokenizer and again.name == "toy"
    assert again.tokens == model.tokens and again.corpus == model.corpus
    assert again.per_line == per_line
    for name, arr in model.ngram.arrays().items():
        np.testing.assert_array_equal(arr, again.ngram.arrays()[name])
        assert arr.dtype == again.ngram.arrays()[name].dtype
    ids = model.tokenizer.encode(TEXT)
    ctx = model.stream_contexts(ids)
    np.testing.assert_array_equal(model.logprobs(ctx), again.logprobs(ctx))
    assert store.to_bytes(again) == path.read_bytes()  # save(load(f)) == f


def test_bytes_are_deterministic():
    assert store.to_bytes(make()) == store.to_bytes(make())


def test_save_is_atomic_and_leaves_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    path.write_bytes(b"old")

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        store.save(make(), path)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["m.npz"]


def test_save_into_missing_folder(tmp_path):
    with pytest.raises(TempgenError, match="does not exist"):
        store.save(make(), tmp_path / "nope" / "m.npz")


GOOD = store.to_bytes(make())


def broken(edit) -> bytes:
    arrays = arrays_of(GOOD)
    meta = json.loads(arrays["meta"].tobytes())
    edit(arrays, meta)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    return npz(arrays)


def _set(d, k, v):
    d[k] = v


CASES = {
    "empty": (b"", "empty file"),
    "random bytes": (bytes(range(256)) * 4, "not a tempgen model"),
    "truncated header": (GOOD[:10], "damaged|not a valid"),
    "truncated middle": (GOOD[: len(GOOD) // 2], "damaged|not a valid"),
    "truncated end": (GOOD[:-30], "damaged|not a valid"),
    "foreign zip": (npz({"weights": np.zeros(3)}), "no metadata"),
    "foreign meta": (broken(lambda a, m: _set(m, "format", "kenlm")), "foreign"),
    "newer version": (broken(lambda a, m: _set(m, "format_version", 99)), "newer"),
    "missing field": (broken(lambda a, m: m.pop("vocab")), "vocab"),
    "bad level": (broken(lambda a, m: _set(m, "level", "byte")), "level"),
    "order mismatch": (broken(lambda a, m: _set(m, "order", 3)), "match"),
    "wrong dtype": (broken(lambda a, m: _set(a, "succ_adj_2", a["succ_adj_2"].astype(float))),
                    "unsigned"),
    "wrong shape": (broken(lambda a, m: _set(a, "succ_adj_2", a["succ_adj_2"][:-1])),
                    "add up"),
    "2-d array": (broken(lambda a, m: _set(a, "succ_token_1", a["succ_token_1"][None])),
                  "1-D"),
    "count contradicts metadata": (broken(lambda a, m: m["ngrams"].__setitem__(1, 5)),
                                   "metadata says"),
    "token out of range": (broken(lambda a, m: a["succ_token_2"].__setitem__(0, 250)),
                           "bad token|not sorted"),
    "zero count": (broken(lambda a, m: a["succ_adj_3"].__setitem__(0, 0)), "zero count"),
    "unsorted": (broken(lambda a, m: a["ctx_first_2"].__setitem__(slice(None),
                                                                   a["ctx_first_2"][::-1])),
                 "sorted"),
    "discounts contradict": (broken(lambda a, m: m["discounts"].__setitem__(0, [0.1, 0.2, 0.3])),
                             "discounts"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_files_are_one_domain_error(case):
    data, pattern = CASES[case]
    with pytest.raises(TempgenError, match=pattern) as info:
        store.from_bytes(data, "bad.npz")
    assert str(info.value).startswith("bad.npz: ")
    assert "\n" not in str(info.value)


def test_pickled_object_array_is_refused_without_unpickling(tmp_path):
    flag = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (flag.write_text, ("pwned",))

    arrays = arrays_of(GOOD)
    buf = io.BytesIO()
    np.savez(buf, **arrays, evil=np.array([Evil()], dtype=object))
    with pytest.raises(TempgenError):
        store.from_bytes(buf.getvalue(), "evil.npz")
    assert not flag.exists()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_files_only_raise_the_domain_error(data):
    blob = bytearray(GOOD)
    for _ in range(data.draw(st.integers(1, 8))):
        i = data.draw(st.integers(0, len(blob) - 1))
        blob[i] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        blob = blob[: data.draw(st.integers(0, len(blob)))]
    try:
        model = store.from_bytes(bytes(blob), "m.npz")
    except TempgenError:
        return
    # a mutation that survives validation must still give exact distributions
    ctx = np.full((3, model.width), model.bos)
    np.testing.assert_allclose(np.exp(model.logprobs(ctx)).sum(axis=1), 1.0, atol=1e-9)


def test_unknown_model_name_lists_the_bundled_ones():
    with pytest.raises(TempgenError) as info:
        store.load("no-such-model")
    for name in ("shakespeare-char", "shakespeare-word", "names-char"):
        assert name in str(info.value)


def test_read_meta_reads_only_metadata(tmp_path):
    path = tmp_path / "m.npz"
    store.save(make(), path)
    meta = store.read_meta(path)
    assert meta["order"] == 4 and meta["level"] == "char" and meta["name"] == "toy"
