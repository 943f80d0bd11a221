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


def test_with_no_prompt_samples_open_in_many_ways():
    # a stream model starts an empty prompt where a line starts: at T = 0.5 the commonest
    # 25-character opening of 100 seeds covers at most 15 of them (from the begin symbol,
    # which has only seen the corpus's first line, it was 38)
    from collections import Counter

    from tempgen.generate.samples import one_sample

    model = store.load("shakespeare-char")
    chain = build_chain({"temperature": 0.5})
    openings = Counter(one_sample(model, "", chain, 25, seed).text for seed in range(100))
    assert openings.most_common(1)[0][1] <= 15, openings.most_common(3)


@pytest.mark.parametrize("name", ["shakespeare-char", "shakespeare-word", "names-char"])
def test_the_explorer_reads_each_token_in_the_context_it_was_drawn_in(name):
    # with and without a prompt: the row a position shows is the row its token came from
    from tempgen.analysis.explore import position
    from tempgen.generate.samples import one_sample

    model = store.load(name)
    chain = build_chain({"temperature": 1.0})
    for prompt in ("", "ROM" if name != "shakespeare-word" else "ROMEO"):
        sample = one_sample(model, prompt, chain, 12, 3)
        for k in (0, 1, len(sample.ids) - 1):
            shown = position(model, prompt, sample, k, chain, top=model.vocab_size)
            bar = next(b for b in shown["bars"] if b["id"] == sample.ids[k])
            assert bar["p"] == pytest.approx(np.exp(sample.model_logprobs[k]), rel=1e-9)
            assert bar["q"] == pytest.approx(np.exp(sample.sample_logprobs[k]), rel=1e-9)
