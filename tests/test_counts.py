"""Training in pieces and from shards: a corpus counted in pieces spilled to disk, or counted
as shards (count files) and merged, gives the model of the whole corpus, byte for byte; and
count files are checked like model files."""

import json
import random
import shlex
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from helpers import SAMPLES
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tempgen.cli import cli
from tempgen.io import npz
from tempgen.io.corpus import Corpus
from tempgen.lm import store, train_files, training
from tempgen.lm.training import train_model

WORDS = ["the", "cat", "sat", "on", "mat", "a", "dog", ",", ".", "'tis", "well-met"]


def corpus_text(draw_tokens, level):
    if level == "char":
        return "".join(draw_tokens)
    return "".join(t + ("\n" if t == "." else " ") for t in draw_tokens)


texts = st.builds(
    lambda level, tokens: (level, corpus_text(tokens, level)),
    st.sampled_from(["char", "word"]),
    st.lists(st.sampled_from(list("ab c\n\u00e9") + WORDS), min_size=1, max_size=120))


def model_bytes(text, level, order, per_line, memory=None):
    corpus = Corpus(text, "t", "", len(text))
    return store.to_bytes(train_model(corpus, level, order, "t", per_line, memory=memory))


@settings(max_examples=60, deadline=None)
@given(case=texts, order=st.integers(1, 6), per_line=st.booleans(),
       piece=st.integers(1, 40), fan_in=st.integers(2, 5))
@example(case=("word", "  a "), order=1, per_line=False, piece=1, fan_in=2)  # (blank pieces)
def test_counting_in_pieces_gives_the_same_model(case, order, per_line, piece, fan_in):
    # pieces of `piece` characters, merged fan_in files at a time as they pile up
    level, text = case
    if per_line and "\n" not in text:
        per_line = False
    if level == "word" and not text.split():
        return
    memory = piece * (training.BYTES_PER_CHAR[level] + 2 * order)
    saved = training.MIN_PIECE, training.FAN_IN
    training.MIN_PIECE, training.FAN_IN = 1, fan_in
    try:
        assert model_bytes(text, level, order, per_line, memory) == \
            model_bytes(text, level, order, per_line)
    finally:
        training.MIN_PIECE, training.FAN_IN = saved


def test_a_long_corpus_in_pieces_takes_the_spilling_path(monkeypatch):
    spilled = []
    real = training._spill
    monkeypatch.setattr(training, "_spill", lambda *a: spilled.append(real(*a)) or spilled[-1])
    text = "to be or not to be\n" * 500
    whole = model_bytes(text, "char", 5, True)
    assert model_bytes(text, "char", 5, True, memory=2000 * 86) == whole
    assert len(spilled) >= 4 and not any(p.exists() for p in spilled)  # (all removed)


def count(tmp_path, text, name, *args):
    (tmp_path / name).write_text(text)
    result = CliRunner().invoke(cli, ["count", str(tmp_path / name), "-o",
                                      str(tmp_path / f"{name}.counts"), *args])
    assert result.exit_code == 0, result.output
    return str(tmp_path / f"{name}.counts")


def merged(tmp_path, parts, out="m.npz"):
    result = CliRunner().invoke(cli, ["train", "--from-counts", *parts, "-o",
                                      str(tmp_path / out), "--name", "m"])
    assert result.exit_code == 0, result.output
    return (tmp_path / out).read_bytes()


def arrays_of(data):
    arrays = npz.read(data)
    meta = json.loads(arrays.pop("meta").tobytes())
    return meta, arrays


def same_model(a: bytes, b: bytes):
    (ma, aa), (mb, ab) = arrays_of(a), arrays_of(b)
    assert aa.keys() == ab.keys()
    for name in aa:
        np.testing.assert_array_equal(aa[name], ab[name], err_msg=name)
    for key in ("vocab", "order", "per_line", "level", "discounts", "ngrams", "tokens"):
        assert ma[key] == mb[key], key


@pytest.mark.parametrize(("level", "order", "per_line"), [
    ("char", 5, False), ("char", 4, True), ("word", 3, False), ("word", 4, True)])
def test_shards_merge_into_the_whole_corpus_model(tmp_path, level, order, per_line):
    rng = random.Random(order)
    lines = (SHAKESPEARE_LINES * 2)[rng.randrange(100):][:3000]
    cuts = sorted(rng.sample(range(1, len(lines)), 4))
    args = ["--level", level, "--order", str(order), *(["--per-line"] if per_line else [])]
    parts = [count(tmp_path, "".join(lines[a:b]), f"p{i}", *args)
             for i, (a, b) in enumerate(zip([0, *cuts], [*cuts, len(lines)], strict=True))]
    whole_path = tmp_path / "whole.txt"
    whole_path.write_text("".join(lines))
    result = CliRunner().invoke(cli, ["train", str(whole_path), "-o", str(tmp_path / "w.npz"),
                                      "--name", "m", *args])
    assert result.exit_code == 0
    same_model(merged(tmp_path, parts), (tmp_path / "w.npz").read_bytes())
    if per_line:  # shards that end at a line's end: any order, the same file
        shuffled = parts[::-1]
        assert merged(tmp_path, shuffled, "r.npz") == merged(tmp_path, parts, "f.npz")


def test_a_char_corpus_may_be_cut_anywhere(tmp_path):
    text = "".join(SHAKESPEARE_LINES[:400])
    cuts = [1, 2, 3, 1000, 1001, 5000]
    parts = [count(tmp_path, text[a:b], f"c{i}", "--order", "6")
             for i, (a, b) in enumerate(zip([0, *cuts], [*cuts, len(text)], strict=True))]
    same_model(merged(tmp_path, parts), model_bytes(text, "char", 6, False))


def test_a_shard_counted_in_pieces_is_the_same_file(tmp_path):
    text = "".join(SHAKESPEARE_LINES[:600])
    small = count(tmp_path, text, "a", "--order", "5", "--memory", "20K")
    whole = count(tmp_path, text, "b", "--order", "5")
    (ma, aa), (mb, ab) = (arrays_of(Path(p).read_bytes()) for p in (small, whole))
    assert ma.pop("corpus")["sha256"] == mb.pop("corpus")["sha256"]
    assert ma == mb and aa.keys() == ab.keys()
    for name in aa:
        np.testing.assert_array_equal(aa[name], ab[name], err_msg=name)


SHAKESPEARE_LINES = (SAMPLES / "corpora" / "shakespeare.txt").read_text().splitlines(True)[:6000]


# ---------------------------------------------------------------- bad count files and options
@pytest.fixture(scope="module")
def c(tmp_path_factory):
    d = tmp_path_factory.mktemp("counts")
    good = count(d, "to be or not to be\nthat is the question\n" * 30, "good", "--order", "3")
    data = Path(good).read_bytes()
    meta, arrays = arrays_of(data)
    (d / "model.npz").write_bytes(store.resolve("names-char").read_bytes())
    (d / "cut.counts").write_bytes(data[: len(data) // 2])
    (d / "text.counts").write_text("hello")

    def variant(name, edit_meta=None, **replace):
        m = dict(meta)
        if edit_meta:
            edit_meta(m)
        a = {**arrays, **replace, "meta": np.frombuffer(json.dumps(m).encode(), np.uint8)}
        (d / name).write_bytes(npz.write(a))

    variant("newer.counts", lambda m: m.update(format_version=2))
    variant("unsorted_vocab.counts", lambda m: m.update(vocab=m["vocab"][::-1]))
    count(d, "to be or not to be\n" * 5, "four", "--order", "4")
    variant("swapped.counts", digit_0=arrays["digit_0"][::-1].copy())
    variant("beyond_bos.counts", digit_1=arrays["digit_1"] + 50)
    variant("zero_count.counts", counts=arrays["counts"] * 0)
    variant("short_head.counts", head=arrays["head"][:1])
    variant("float.counts", counts=arrays["counts"].astype(np.float64))
    variant("last.counts", lambda m: m.update(last=99))
    (d / "big").mkdir()
    return d


BAD = {
    "no count files": ("train --from-counts -o {d}/o.npz", 2, ["count files"]),
    "order with counts": ("train --from-counts {d}/good.counts -o {d}/o.npz --order 3", 2,
                          ["--order", "count files"]),
    "two corpora": ("train {d}/good.counts {d}/good.counts -o {d}/o.npz", 2, ["one CORPUS"]),
    "missing": ("train --from-counts {d}/nope.counts -o {d}/o.npz", 1, ["no such file"]),
    "a folder": ("train --from-counts {d}/big -o {d}/o.npz", 1, ["is a directory"]),
    "stdin": ("train --from-counts - -o {d}/o.npz", 1, ["stdin"]),
    "a model file": ("train --from-counts {d}/model.npz -o {d}/o.npz", 1, ["not a tempgen count"]),
    "a text file": ("train --from-counts {d}/text.counts -o {d}/o.npz", 1, ["not a tempgen count"]),
    "cut": ("train --from-counts {d}/cut.counts -o {d}/o.npz", 1, ["cut.counts"]),
    "newer": ("train --from-counts {d}/newer.counts -o {d}/o.npz", 1, ["newer", "upgrade"]),
    "vocab": ("train --from-counts {d}/unsorted_vocab.counts -o {d}/o.npz", 1, ["sorted"]),
    "mixed orders": ("train --from-counts {d}/good.counts {d}/four.counts -o {d}/o.npz", 1,
                     ["order", "count every shard alike"]),
    "out of order": ("train --from-counts {d}/swapped.counts -o {d}/o.npz", 1,
                     ["out of order"]),
    "not a window": ("train --from-counts {d}/beyond_bos.counts -o {d}/o.npz", 1,
                     ["not a window"]),
    "zero count": ("train --from-counts {d}/zero_count.counts -o {d}/o.npz", 1, ["0 times"]),
    "head": ("train --from-counts {d}/short_head.counts -o {d}/o.npz", 1, ["head"]),
    "float counts": ("train --from-counts {d}/float.counts -o {d}/o.npz", 1, ["unsigned"]),
    "last": ("train --from-counts {d}/last.counts -o {d}/o.npz", 1, ["last"]),
    "count over input": ("count {d}/good -o {d}/good", 1, ["input"]),
    "memory 0": ("train {d}/good -o {d}/o.npz --memory 0", 2, ["--memory", "not a size"]),
    "memory x": ("train {d}/good -o {d}/o.npz --memory 2X", 2, ["--memory", "not a size"]),
    "memory nan": ("count {d}/good -o {d}/o.counts --memory nan", 2, ["not a size"]),
    "temp dir a file": ("train {d}/good -o {d}/o.npz --memory 1K --temp-dir {d}/good", 2,
                        ["--temp-dir", "is a file"]),
    "temp dir missing": ("train {d}/good -o {d}/o.npz --memory 1K --temp-dir {d}/no/such", 1,
                         ["no/such"]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_counts_and_options(c, case):
    command, code, words = BAD[case]
    result = CliRunner().invoke(cli, shlex.split(command.format(d=c)))
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_too_little_disk_is_refused_before_starting(c, monkeypatch):
    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(1, 1, 1))
    result = CliRunner().invoke(cli, ["train", str(c / "good"), "-o", str(c / "o.npz"),
                                      "--memory", "1K"])
    assert result.exit_code == 1 and "--temp-dir" in result.stderr


def test_a_full_disk_while_spilling_is_one_error_and_leaves_nothing(c, monkeypatch, tmp_path):
    def full(*a):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(train_files.shardfile, "save", full)
    monkeypatch.setattr(training.shardfile, "save", full)
    result = CliRunner().invoke(cli, ["train", str(c / "good"), "-o", str(c / "o.npz"),
                                      "--memory", "1K", "--temp-dir", str(tmp_path)])
    assert result.exit_code == 1 and "No space left" in result.stderr
    assert list(tmp_path.iterdir()) == [] and not (c / "o.npz").exists()


def test_stdin_is_read_once_and_counted_in_pieces(tmp_path):
    text = "".join(SHAKESPEARE_LINES[:3000])
    (tmp_path / "c.txt").write_text(text)
    piped = CliRunner().invoke(cli, ["train", "-", "-o", str(tmp_path / "a.npz"), "--order",
                                     "4", "--memory", "200K", "--name", "m",
                                     "--temp-dir", str(tmp_path)], input=text)
    assert piped.exit_code == 0, piped.output
    filed = CliRunner().invoke(cli, ["train", str(tmp_path / "c.txt"), "-o",
                                     str(tmp_path / "b.npz"), "--order", "4", "--name", "m"])
    assert filed.exit_code == 0
    same_model((tmp_path / "a.npz").read_bytes(), (tmp_path / "b.npz").read_bytes())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz", "b.npz", "c.txt"]
