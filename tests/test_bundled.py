"""The bundled models load, score their corpora well, and sample."""

import numpy as np
import pytest

from tempgen import modelfile
from tempgen.decode import generate, start_contexts
from tempgen.generation import streams
from tempgen.metrics import evaluate
from tempgen.samplers import build_chain

BUNDLED = {"shakespeare-char": ("char", 7, False), "shakespeare-word": ("word", 3, False),
           "names-char": ("char", 5, True)}


@pytest.fixture(scope="module", params=list(BUNDLED))
def bundled(request):
    return request.param, modelfile.load(request.param)


def test_bundled_models_load(bundled):
    name, model = bundled
    level, order, per_line = BUNDLED[name]
    assert model.name == name and model.level == level and model.ngram.order == order
    assert (model.ngram.boundary is not None) == per_line
    assert model.corpus["sha256"] and model.corpus["size"] > 0


def test_bundled_models_sample(bundled):
    _, model = bundled
    ngram = model.ngram
    chains = [build_chain({"temperature": 0.8}), build_chain({"temperature": 1.0})]
    steps = list(generate(ngram, start_contexts(ngram, [], 2), chains, [0, 1], streams(1, 2),
                          [0, 1], 30))
    tokens = np.stack([s.tokens for s in steps], axis=1)
    assert tokens.shape == (2, 30) and tokens.max() < ngram.vocab_size
    text = model.tokenizer.decode(tokens[0])
    assert text and all(np.isfinite(s.model_logprob).all() for s in steps)


def test_names_model_knows_names():
    model = modelfile.load("names-char")
    names = (modelfile.BUNDLED_DIR / "corpora" / "names.txt").read_text().split()
    assert evaluate(model, "\n".join(names[:200]) + "\n").bits_per_token < 2.5


def test_bundled_files_are_what_make_models_builds():
    from tempgen.corpus import read_corpus
    from tempgen.train import train_model

    corpus = read_corpus(str(modelfile.BUNDLED_DIR / "corpora" / "names.txt"))
    rebuilt = train_model(corpus, "char", 5, "names-char", per_line=True)
    assert modelfile.to_bytes(rebuilt) == (modelfile.BUNDLED_DIR / "names-char.npz").read_bytes()
