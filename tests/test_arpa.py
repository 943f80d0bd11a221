"""ARPA export: exact in back-off form, and the reference implementation (KenLM) agrees."""

import gzip
import math

import kenlm  # noqa: E402  (the reference implementation; part of the test extra)
import numpy as np
import pytest
from click.testing import CliRunner
from helpers import SAMPLES

from tempgen.cli import cli
from tempgen.io.arpa import arpa_word
from tempgen.io.corpus import Corpus
from tempgen.lm import store
from tempgen.lm.arpa import to_arpa
from tempgen.lm.training import train_model

LINES = (SAMPLES / "corpora" / "shakespeare.txt").read_text().split("\n")
HELD = (SAMPLES / "corpora" / "shakespeare-held-out.txt").read_text().split("\n")
STORY = "\n".join(LINES[:4000]) + "\n"


def read_arpa(text: str) -> tuple[dict, dict]:
    """An independent, plain reading of ARPA: log10 P and log10 b by word tuple."""
    probs, backs = {}, {}
    section = 0
    for line in text.splitlines():
        if line.startswith("\\") and line.endswith("-grams:"):
            section = int(line[1:line.index("-")])
        elif section and line and not line.startswith("\\"):
            parts = line.split("\t")
            key = tuple(parts[1].split(" "))
            probs[key] = float(parts[0])
            if len(parts) > 2:
                backs[key] = float(parts[2])
    return probs, backs


def backoff_log10(probs, backs, context: tuple, word: str) -> float:
    """log10 p(word | context) by the back-off rule."""
    for start in range(len(context) + 1):
        h = context[start:]
        if h + (word,) in probs:
            return probs[h + (word,)] + sum(backs.get(context[s:], 0.0) for s in range(start))
    raise KeyError(word)


def our_log10(model, text: str) -> np.ndarray:
    ids = model.tokenizer.encode(text)
    return model.score(model.stream_contexts(ids), ids) / math.log(10)


@pytest.mark.parametrize("level,order,per_line", [("char", 5, False), ("char", 4, True),
                                                  ("word", 3, True)])
def test_export_is_exact_in_back_off_form(level, order, per_line):
    model = train_model(Corpus(STORY, "s", "", len(STORY)), level, order, "s", per_line)
    probs, backs = read_arpa(to_arpa(model))
    text = "\n".join(LINES[200:230]) + "\n"  # tokens the model knows, in a new order below
    text = text + "\n".join(reversed(LINES[300:320])) + "\n"
    ids = model.tokenizer.encode(text)
    assert np.all(ids >= 0)
    words = [arpa_word(t, per_line) for t in model.tokenizer.vocab]
    want = our_log10(model, text)
    hist = ["<s>"]
    got = []
    for i in ids:
        got.append(backoff_log10(probs, backs, tuple(hist[-(order - 1):]) if order > 1 else (),
                                 words[i]))
        hist = ["<s>"] if per_line and words[i] == "</s>" else hist + [words[i]]
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_kenlm_agrees_with_tempgen_on_a_stream_model(tmp_path):
    model = train_model(Corpus(STORY, "s", "", len(STORY)), "char", 5, "s")
    path = tmp_path / "m.arpa"
    path.write_text(to_arpa(model))
    lm = kenlm.Model(str(path))
    held = "\n".join(HELD[6332:6732]) + "\n"
    held = "".join(ch for ch in held if ch in model.tokenizer.index)
    sentence = " ".join(arpa_word(ch, False) for ch in held)
    theirs = [s[0] for s in lm.full_scores(sentence, bos=True, eos=False)]
    np.testing.assert_allclose(theirs, our_log10(model, held), atol=1e-4)


def test_kenlm_agrees_on_a_per_line_model_and_the_cli_writes_gzip(tmp_path):
    path = tmp_path / "names.arpa.gz"
    result = CliRunner().invoke(cli, ["export", "names-char", str(path)])
    assert result.exit_code == 0 and "exported names-char" in result.stderr
    assert gzip.decompress(path.read_bytes()).startswith(b"# tempgen model")
    lm = kenlm.Model(str(path))
    model = store.load("names-char")
    names = (SAMPLES / "corpora" / "names.txt").read_text().split()[-300:]
    for name in names:
        theirs = [s[0] for s in lm.full_scores(" ".join(name), bos=True, eos=True)]
        np.testing.assert_allclose(theirs, our_log10(model, name + "\n"), atol=1e-4)


def test_export_errors():
    result = CliRunner().invoke(cli, ["export", "no-such-model", "x.arpa"])
    assert result.exit_code == 1 and "no-such-model" in result.stderr
    result = CliRunner().invoke(cli, ["export", "names-char", "/no/such/dir/x.arpa"])
    assert result.exit_code == 1 and "does not exist" in result.stderr


# ===================================================================== reading
def test_our_loader_reads_the_export_exactly_on_held_out_text(tmp_path):
    train = "\n".join(LINES) + "\n"
    held = "\n".join(HELD[:2000]) + "\n"
    model = train_model(Corpus(train, "s", "", len(train)), "char", 5, "s")
    path = tmp_path / "m.arpa.gz"
    assert CliRunner().invoke(cli, ["export", str(tmp_path / "m.npz"), str(path)]).exit_code \
        == 1  # (no such model yet: exported from a saved file below)
    store.save(model, tmp_path / "m.npz")
    assert CliRunner().invoke(cli, ["export", str(tmp_path / "m.npz"), str(path)]).exit_code == 0
    back = store.load(path)
    assert back.level == "char" and back.order == 5 and not back.per_line
    known = "".join(ch for ch in held if ch in model.tokenizer.index)
    np.testing.assert_allclose(our_log10(back, known), our_log10(model, known), atol=1e-4)


KENLM_STYLE = """\\data\\
ngram 1=7
ngram 2=7
ngram 3=2

\\1-grams:
-1.2041200\t<unk>\t0
0\t<s>\t-0.30103
-0.4771213\t</s>\t0
-0.7781513\tthe\t-0.1760913
-0.9030900\tcat\t-0.2
-1.0000000\tsat\t0
-1.3010300\tmat\t0

\\2-grams:
-0.3010300\t<s> the\t-0.1
-0.1249387\tthe cat\t0
-0.4771213\tcat sat\t0
-0.3010300\tsat </s>
-0.6020600\tthe mat
-0.2218487\tmat </s>
-0.6989700\tcat </s>

\\3-grams:
-0.0457575\t<s> the cat
-0.1549020\tthe cat sat

\\end\\
"""


def test_a_kenlm_style_word_arpa_loads_as_a_word_model(tmp_path):
    path = tmp_path / "lm.arpa"
    path.write_text(KENLM_STYLE)
    model = store.load(path)
    assert model.level == "word" and model.order == 3
    assert model.per_line  # sentences: </s> is the end of a line
    assert sorted(model.tokenizer.vocab) == ["\n", "<unk>", "cat", "mat", "sat", "the"]
    probs, backs = read_arpa(KENLM_STYLE)
    ids = model.tokenizer.encode("the cat sat\nthe mat\n")
    words = ["the", "cat", "sat", "</s>", "the", "mat", "</s>"]
    hist, want = ["<s>"], []
    for w in words:
        want.append(backoff_log10(probs, backs, tuple(hist[-2:]), w))
        hist = ["<s>"] if w == "</s>" else hist + [w]
    np.testing.assert_allclose(our_log10(model, "the cat sat\nthe mat\n"), want, atol=1e-9)
    assert len(ids) == 7
    for args in (["sample", "-n", "20", "--seed", "1"], ["sweep", "-n", "10", "--seed", "1"],
                 ["dist", "-p", "the"], ["curve"], ["eval", str(path)]):
        extra = [] if args[0] != "eval" else []
        result = CliRunner().invoke(cli, [*args, "-m", str(path), *extra],
                                    input="the cat sat\n")
        assert result.exit_code in (0, 1), result.output  # eval of the ARPA text itself: 1
        assert "Traceback" not in result.output


def test_convert_round_trips_exactly(tmp_path):
    arpa = tmp_path / "n.arpa"
    CliRunner().invoke(cli, ["export", "names-char", str(arpa)])
    out = tmp_path / "n.npz"
    result = CliRunner().invoke(cli, ["convert", str(arpa), str(out)])
    assert result.exit_code == 0 and "converted" in result.stderr
    a, b = store.load(arpa), store.load(out)
    assert store.read_meta(out)["kind"] == "backoff"
    ctx = a.stream_contexts(a.tokenizer.encode("mary\njohn\n"))
    assert np.array_equal(a.logprobs(ctx), b.logprobs(ctx))
    assert CliRunner().invoke(cli, ["sample", "-m", str(out), "--seed", "1"]).exit_code == 0


@pytest.mark.parametrize("text,line,words", [
    ("hello\n", 1, "\\data\\"),
    ("\\data\\\nngram one=3\n", 2, "ngram 1=COUNT"),
    ("\\data\\\nngram 1=2\n\n\\1-grams:\n-1.0\ta\n", 6, "ends after 1 of the 2"),
    ("\\data\\\nngram 1=1\n\n\\1-grams:\n-1.0\ta b c d\n", 5, "fields"),
    ("\\data\\\nngram 1=1\n\n\\1-grams:\nhigh\ta\n", 5, "not a number"),
    ("\\data\\\nngram 1=1\n\n\\2-grams:\n", 4, "1-grams"),
    ("\\data\\\nngram 1=1\n\n\\1-grams:\n-1\ta\n\n-1\tb\n", 7, "end"),
])
def test_malformed_arpa_names_the_line(tmp_path, text, line, words):
    path = tmp_path / "bad.arpa"
    path.write_text(text)
    result = CliRunner().invoke(cli, ["sample", "-m", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    message = result.stderr.strip()
    assert "\n" not in message and f"line {line}:" in message and words in message, message


def test_convert_wants_an_arpa_file():
    result = CliRunner().invoke(cli, ["convert", "names-char", "x.npz"])
    assert result.exit_code == 2 and ".arpa" in result.stderr
