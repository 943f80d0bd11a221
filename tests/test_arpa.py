"""ARPA export: exact in back-off form, and the reference implementation (KenLM) agrees."""

import gzip
import math

import kenlm  # noqa: E402  (the reference implementation; part of the test extra)
import numpy as np
import pytest
from click.testing import CliRunner

from tempgen import modelfile
from tempgen.arpa import arpa_word, to_arpa
from tempgen.cli import cli
from tempgen.corpus import Corpus
from tempgen.ngram import stream_contexts
from tempgen.train import train_model

LINES = (modelfile.BUNDLED_DIR / "corpora" / "shakespeare.txt").read_text().split("\n")
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
    return model.ngram.score(stream_contexts(ids, model.ngram.order, model.ngram.bos),
                             ids) / math.log(10)


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
    held = "\n".join(LINES[170000:170400]) + "\n"
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
    model = modelfile.load("names-char")
    names = (modelfile.BUNDLED_DIR / "corpora" / "names.txt").read_text().split()[-300:]
    for name in names:
        theirs = [s[0] for s in lm.full_scores(" ".join(name), bos=True, eos=True)]
        np.testing.assert_allclose(theirs, our_log10(model, name + "\n"), atol=1e-4)


def test_export_errors():
    result = CliRunner().invoke(cli, ["export", "no-such-model", "x.arpa"])
    assert result.exit_code == 1 and "no-such-model" in result.stderr
    result = CliRunner().invoke(cli, ["export", "names-char", "/no/such/dir/x.arpa"])
    assert result.exit_code == 1 and "does not exist" in result.stderr
