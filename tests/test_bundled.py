"""The bundled models load, score their corpora well, and sample."""

import numpy as np
import pytest
from helpers import SAMPLES, decoded

from tempgen.analysis.scoring import evaluate
from tempgen.generate.draw import streams
from tempgen.generate.samplers.chain import build_chain
from tempgen.lm import store

BUNDLED = {"shakespeare-char": ("char", 7, False), "shakespeare-word": ("word", 3, False),
           "names-char": ("char", 5, True)}


@pytest.fixture(scope="module", params=list(BUNDLED))
def bundled(request):
    return request.param, store.load(request.param)


def test_bundled_models_load(bundled):
    name, model = bundled
    level, order, per_line = BUNDLED[name]
    assert model.name == name and model.level == level and model.order == order
    assert model.per_line == per_line
    assert model.corpus["sha256"] and model.corpus["size"] > 0


def test_bundled_models_sample(bundled):
    _, model = bundled
    chains = [build_chain({"temperature": 0.8}), build_chain({"temperature": 1.0})]
    steps = decoded(model, model.contexts_after([], 2), chains, [0, 1], streams(1, 2), [0, 1],
                    30)
    tokens = steps.tokens.T
    assert tokens.shape == (2, 30) and tokens.max() < model.vocab_size
    text = model.tokenizer.decode(tokens[0])
    assert text and np.isfinite(steps.model_logprob).all()


def test_names_model_knows_names():
    model = store.load("names-char")
    names = (SAMPLES / "corpora" / "names.txt").read_text().split()
    assert evaluate(model, "\n".join(names[:200]) + "\n").bits_per_token < 2.5


def test_bundled_files_are_what_make_models_builds():
    from tempgen.io.corpus import read_corpus
    from tempgen.lm.training import train_model

    corpus = read_corpus(str(SAMPLES / "corpora" / "names.txt"))
    rebuilt = train_model(corpus, "char", 5, "names-char", per_line=True)
    assert store.to_bytes(rebuilt) == (SAMPLES / "names-char.npz").read_bytes()
