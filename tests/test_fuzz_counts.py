"""Fuzzing the count-file merge: mutated count files, every failure the one domain error."""

import numpy as np
import pytest
from test_fuzz import raw_mutation, structured_mutation

from tempgen.errors import TempgenError
from tempgen.io.corpus import open_corpus
from tempgen.lm import store
from tempgen.lm.arpa import to_arpa
from tempgen.lm.train_files import count_stream, train_counts

N_FILES = 3000
TEXT = "ab ba\naab bba\nabba baab\n" * 5


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> list[bytes]:
    """Two small count files: a stream shard and a per-line one."""
    d = tmp_path_factory.mktemp("counts")
    (d / "t.txt").write_text(TEXT)
    out = []
    for order, per_line in ((3, False), (4, True)):
        count_stream(open_corpus(str(d / "t.txt")), "char", order, per_line, d / "c.counts")
        out.append((d / "c.counts").read_bytes())
    return out


def test_mutated_count_files_are_refused_in_one_line_or_merge(good, tmp_path):
    rng = np.random.default_rng(20261128)
    path = tmp_path / "fuzz.counts"
    outcomes = {"refused": 0, "merged": 0}
    for i in range(N_FILES):
        base = good[i % len(good)]
        path.write_bytes(raw_mutation(rng, base) if i % 2 else structured_mutation(rng, base))
        try:
            model = train_counts([str(path)], "m")
        except TempgenError as exc:
            assert str(exc).startswith(f"{path}: ") and "\n" not in str(exc), str(exc)
            outcomes["refused"] += 1
            continue
        ng = model.ngram  # a mutation the checks let through still gives distributions
        ctx = np.array([[ng.bos] * (ng.order - 1), [0] * (ng.order - 1)])
        p = ng.probs(ctx)
        assert np.all(p > 0) and np.allclose(p.sum(axis=1), 1.0, atol=1e-9)
        # and a model that is written, loads, and exports
        store.from_bytes(store.to_bytes(model), "m")
        to_arpa(model).encode()
        outcomes["merged"] += 1
    assert sum(outcomes.values()) == N_FILES and outcomes["refused"] > N_FILES * 0.8


def rewritten(blob: bytes, path, meta=None, **arrays) -> str:
    """A count file like `blob`, its metadata and arrays changed as given, written at path."""
    import io
    import json

    from tempgen.io import countfile, npz

    whole = npz.read(io.BytesIO(blob).getvalue())
    old = json.loads(whole.pop("meta").tobytes())
    old.update(meta or {})
    whole.update(arrays)
    countfile.write(path, {k: v for k, v in old.items()
                           if k not in ("format", "format_version")}, whole)
    return str(path)


@pytest.mark.parametrize(("change", "message"), [
    (lambda m, a: ({"vocab": m["vocab"] + ["z"]}, {}), "lists 'z', which it never counts"),
    (lambda m, a: ({}, {"counts": np.full_like(a["counts"], 2**62, dtype=np.uint64)}),
     "more than any corpus holds"),
    (lambda m, a: ({}, {"counts": np.full_like(a["counts"], 2**64 - 1, dtype=np.uint64)}),
     "more than any corpus holds"),
    (lambda m, a: ({"vocab": ["\ud800"] + m["vocab"][1:]}, {}), "'vocab'")])
def test_what_would_make_a_model_that_does_not_load_is_refused_naming_the_file(
        good, tmp_path, change, message):
    import io
    import json

    from tempgen.io import npz

    whole = npz.read(io.BytesIO(good[0]).getvalue())
    meta, arrays = change(json.loads(whole["meta"].tobytes()), whole)
    path = rewritten(good[0], tmp_path / "bad.counts", meta, **arrays)
    with pytest.raises(TempgenError) as err:
        train_counts([path], "m")
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value), err.value
