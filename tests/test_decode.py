import numpy as np
import pytest
from helpers import decoded
from hypothesis import given, settings
from hypothesis import strategies as st

from tempgen.generate import compiled, decode
from tempgen.generate.draw import streams
from tempgen.generate.samplers.chain import build_chain
from tempgen.generate.samples import batch_samples, stream_sample
from tempgen.generate.textstream import TextStream, unescape
from tempgen.io.corpus import Corpus
from tempgen.lm import rowmemo, store
from tempgen.lm.arpa import to_arpa
from tempgen.lm.rowmemo import RowMemo
from tempgen.lm.tokenizer import WordTokenizer
from tempgen.lm.training import train_model

TEXT = "the cat sat on the mat\nthe dog sat on the log\na cat and a dog\n" * 3


@pytest.fixture(scope="module")
def char_model():
    return train_model(Corpus(TEXT, "toy", "", len(TEXT)), "char", 4, "toy")


@pytest.fixture(scope="module")
def shakespeare():
    return store.load("shakespeare-char")


def tokens_of(samples):
    return [s.tokens for s in samples]


def test_same_seed_same_text(shakespeare):
    chain = build_chain({"temperature": 0.9})
    a = batch_samples(shakespeare, "", [chain], [0, 0], [0, 1], 80, seed=7)
    b = batch_samples(shakespeare, "", [chain], [0, 0], [0, 1], 80, seed=7)
    c = batch_samples(shakespeare, "", [chain], [0, 0], [0, 1], 80, seed=8)
    assert tokens_of(a) == tokens_of(b) and tokens_of(a) != tokens_of(c)
    assert a[0].tokens != a[1].tokens  # samples of one seed differ


def test_sample_i_is_the_same_alone_or_in_a_batch(shakespeare):
    chain = build_chain({"temperature": 1.0})
    ten = batch_samples(shakespeare, "ROMEO", [chain], [0] * 10, list(range(10)), 60, seed=3)
    alone = batch_samples(shakespeare, "ROMEO", [chain], [0], [0], 60, seed=3)
    assert ten[0].tokens == alone[0].tokens
    beside = batch_samples(shakespeare, "ROMEO", [chain], [0] * 3, [7, 2, 9], 60, seed=3)
    assert [b.tokens for b in beside] == [ten[7].tokens, ten[2].tokens, ten[9].tokens]
    streamed = "".join(p for chunk in stream_sample(shakespeare, "ROMEO", chain, 60, 3, 7)
                       for p, _ in chunk)
    assert streamed == ten[7].text


def test_noise_block_and_cache_size_do_not_change_samples(shakespeare, monkeypatch):
    chain = build_chain({"temperature": 1.2, "top_k": 20})
    want = tokens_of(batch_samples(shakespeare, "", [chain], [0] * 4, [0, 1, 2, 3], 120, 5))
    monkeypatch.setattr(decode, "BLOCK", 3)  # tiny blocks
    monkeypatch.setattr(decode, "CACHE_FLOATS", 81 * 9)  # cache emptied every few steps
    monkeypatch.setattr(rowmemo, "FEW", 1)  # mostly the batched path
    assert tokens_of(batch_samples(shakespeare, "", [chain], [0] * 4, [0, 1, 2, 3], 120, 5)) \
        == want


def test_compiled_loop_is_built():
    assert compiled.BUILT  # else every chain would take the (slower) numpy path


@pytest.mark.parametrize("name", ["shakespeare-char", "names-char", "shakespeare-word", "arpa"])
def test_compiled_loop_equals_the_numpy_path(name, tmp_path):
    if name == "arpa":  # a back-off model, read from its ARPA export
        path = tmp_path / "m.arpa"
        path.write_text(to_arpa(train_model(Corpus(TEXT, "toy", "", len(TEXT)), "char", 3, "t")))
        name = str(path)
    model = store.load(name)
    temps = [0.0, 0.3, 0.8, 1.0, 2.5, float("inf")]
    chains = [build_chain({"temperature": t}) for t in temps]
    rows = list(range(len(temps))) * 2
    args = (model, model.contexts_after([], len(rows)), chains, rows)
    fast = decoded(*args, streams(4, 2), [0] * 6 + [1] * 6, 60)
    slow = decoded(*args, streams(4, 2), [0] * 6 + [1] * 6, 60, compiled_loop=False)
    _same_steps(fast, slow)


def _same_steps(fast, slow):
    assert fast.tokens.tolist() == slow.tokens.tolist()
    for x, y in [(fast.model_logprob, slow.model_logprob),
                 (fast.sample_logprob, slow.sample_logprob), (fast.entropy, slow.entropy)]:
        np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-12)


# A back-off model with what counted models never have: an n-gram less likely than its
# back-off estimate (u < 0), a trigram whose bigram is not listed, and ties.
EDGE_ARPA = """\\data\\
ngram 1=6
ngram 2=5
ngram 3=3

\\1-grams:
-0.60206\t<unk>\t0
-99\t<s>\t-0.30103
-0.60206\t</s>\t0
-0.60206\tthe\t-0.30103
-0.5\tcat\t-0.1
-0.90309\tdog\t0

\\2-grams:
-0.30103\t<s> the\t-0.2
-1.5\tthe cat\t0
-0.30103\tcat </s>
-0.60206\tcat the
-0.30103\tdog </s>

\\3-grams:
-0.1\t<s> the dog
-0.30103\t<s> the cat
-0.60206\tthe cat the

\\end\\
"""

# How a run keeps contexts (generate/csrc/kept.h): DENSE_FLOATS, SPARSE_BYTES,
# SPARSE_MIN_LISTED
KEEPING = {"empty context alone": (0, 0, 0),
           "sparse over the empty context": (0, 1 << 40, 0),
           "sparse over dense": (20_000, 1 << 40, 0),
           "all dense": (1 << 40, 0, 1e9),
           "room runs out": (0, 3200, 0),
           "dense and sparse": (1 << 21, 1 << 21, 32), "default": None}
NAMES = ("DENSE_FLOATS", "SPARSE_BYTES", "SPARSE_MIN_LISTED")


@pytest.mark.parametrize("keeping", KEEPING)
@pytest.mark.parametrize("name", ["shakespeare-char", "names-char", "arpa", "edge-arpa"])
def test_every_way_of_keeping_contexts_equals_the_numpy_path(name, keeping, tmp_path,
                                                             monkeypatch):
    # A row is drawn from its deepest kept context and the tokens the longer contexts list:
    # the result must not depend on which contexts are kept, or how. T = 1e-300 and the
    # edge model's ties take the whole-row way.
    path = tmp_path / "m.arpa"
    if name == "arpa":
        path.write_text(to_arpa(train_model(Corpus(TEXT, "toy", "", len(TEXT)), "char", 3, "t")))
        name = str(path)
    elif name == "edge-arpa":
        path.write_text(EDGE_ARPA)
        name = str(path)
    for knob, setting in zip(NAMES, KEEPING[keeping] or (), strict=False):
        monkeypatch.setattr(compiled, knob, setting)
    model = store.load(name)
    temps = [0.0, 1e-300, 0.05, 0.7, 1.0, 3.0, float("inf")]
    chains = [build_chain({"temperature": t}) for t in temps]
    rows, row_stream = list(range(7)) * 3, [0] * 7 + [1] * 7 + [2] * 7
    ctx = model.contexts_after([], len(rows))
    fast = decoded(model, ctx, chains, rows, streams(9, 3), row_stream, 80)
    slow = decoded(model, ctx, chains, rows, streams(9, 3), row_stream, 80, compiled_loop=False)
    _same_steps(fast, slow)


@pytest.mark.parametrize("keeping", KEEPING)
def test_back_off_rows_below_their_estimate_and_ties(keeping, tmp_path, monkeypatch):
    # After "cat the", the most likely word of the shorter contexts ("cat") is listed with
    # less than its back-off estimate: the longest contexts' maximum is not known from the
    # shorter ones', and T = 0 must find it in the whole row.
    for knob, setting in zip(NAMES, KEEPING[keeping] or (), strict=False):
        monkeypatch.setattr(compiled, knob, setting)
    path = tmp_path / "edge.arpa"
    path.write_text(EDGE_ARPA)
    model = store.load(path)
    chains = [build_chain({"temperature": t}) for t in (0.0, 1e-300, 0.7, float("inf"))]
    for prompt in ("", "the", "cat the", "dog the cat"):
        args = (model, model.contexts_after(model.tokenizer.encode(prompt), 8), chains,
                [0, 1, 2, 3] * 2)
        _same_steps(decoded(*args, streams(5, 2), [0] * 4 + [1] * 4, 12),
                    decoded(*args, streams(5, 2), [0] * 4 + [1] * 4, 12, compiled_loop=False))


def test_kept_levels(monkeypatch):
    # the word model's contexts list many successors: they are kept sparse
    word = store.load("shakespeare-word").compiled_tables()
    assert compiled.levels(word, 1)[1] > compiled.levels(word, 1)[0]
    char = store.load("shakespeare-char").compiled_tables()
    monkeypatch.setattr(compiled, "DENSE_FLOATS", 0)
    monkeypatch.setattr(compiled, "SPARSE_MIN_LISTED", 0)
    assert compiled.levels(char, 1) == (1, char.order)
    monkeypatch.setattr(compiled, "SPARSE_MIN_LISTED", 1e9)
    assert compiled.levels(char, 1) == (1, 1)
    monkeypatch.setattr(compiled, "DENSE_FLOATS", 1 << 40)
    assert compiled.levels(char, 1) == (char.order, char.order)


def test_a_run_keeps_its_contexts_across_blocks(shakespeare, monkeypatch):
    chains = [build_chain({"temperature": t}) for t in (0.0, 0.8)]

    def run():
        return decoded(shakespeare, shakespeare.contexts_after([], 4), chains, [0, 1, 1, 1],
                       streams(2, 3), [0, 0, 1, 2], 50)

    want = run()
    monkeypatch.setattr(decode, "COMPILED_BLOCK", 7)  # many blocks of one run
    for got, field in zip(run(), want, strict=True):
        assert np.array_equal(got, field, equal_nan=True)


@settings(deadline=None, max_examples=40)
@given(st.text("ab c\n", min_size=1, max_size=60), st.integers(1, 5), st.booleans(),
       st.sampled_from([0.0, 0.3, 1.0, 4.0, float("inf")]),
       st.sampled_from([k for k in KEEPING if KEEPING[k]]), st.integers(0, 99))
def test_compiled_loop_equals_the_numpy_path_on_any_model(text, order, per_line, t, keeping,
                                                           seed):
    text += "\n"
    model = train_model(Corpus(text, "t", "", len(text)), "char", order, "t",
                        per_line=per_line)
    chains = [build_chain({"temperature": t})]
    ctx = model.contexts_after([], 3)
    old = [getattr(compiled, name) for name in NAMES]
    for name, setting in zip(NAMES, KEEPING[keeping], strict=True):
        setattr(compiled, name, setting)
    try:
        fast = decoded(model, ctx, chains, [0] * 3, streams(seed, 3), [0, 1, 2], 30)
    finally:
        for name, setting in zip(NAMES, old, strict=True):
            setattr(compiled, name, setting)
    slow = decoded(model, ctx, chains, [0] * 3, streams(seed, 3), [0, 1, 2], 30,
                   compiled_loop=False)
    _same_steps(fast, slow)


def test_t_zero_is_greedy_and_logprobs_are_the_models(char_model):
    chains = [build_chain({"temperature": 0.0}), build_chain({"temperature": 0.7})]
    ctx = char_model.contexts_after(char_model.tokenizer.encode("the"), 2)
    steps = decoded(char_model, ctx, chains, [0, 1], streams(1, 1), [0, 0], 40)
    hist = ctx.copy()
    for step in zip(*steps, strict=True):
        step = decode.Block(*step)
        logp = char_model.logprobs(hist)
        assert step.tokens[0] == np.argmax(logp[0])  # greedy
        np.testing.assert_allclose(step.model_logprob, logp[[0, 1], step.tokens], rtol=1e-12)
        assert step.sample_logprob[0] == 0.0  # T = 0: the drawn token had q = 1
        logq = chains[1](logp[1:2])
        np.testing.assert_allclose(step.sample_logprob[1], logq[0, step.tokens[1]], rtol=1e-12)
        hist = np.concatenate([hist[:, 1:], step.tokens[:, None]], axis=1)


@pytest.mark.parametrize("name", ["shakespeare-char", "names-char", "shakespeare-word"])
def test_incremental_rows_equal_the_models_rows_exactly(name):
    model = store.load(name)
    ng = model.ngram
    rng = np.random.default_rng(0)
    text = "JULIET.\nO Romeo, Romeo! wherefore art thou Romeo?\nmary\njohn\n"
    ctx = np.concatenate([model.stream_contexts(model.tokenizer.encode(text)),
                          rng.integers(-2, ng.vocab_size + 2, (40, model.width)),
                          model.contexts_after([])])
    rows = RowMemo(ng)
    for chunk in (ctx[:5], ctx[5:8], ctx[40:48], ctx[3:9]):  # memoised and fresh rows alike
        assert np.array_equal(rows.probs(chunk), ng.probs(chunk))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "ab", "\n", "x"]), max_size=30),
       st.lists(st.sampled_from(["b", "ab", "\n", "bx", "zz"]), max_size=2))
def test_text_stream_stops_and_holds_back(tokens, stops):
    ts = TextStream(str, stops)
    shown = "".join(p for t in tokens for p, _ in ts.feed_all([t])[0])
    shown += "".join(p for p, _ in ts.close())
    full = "".join(tokens)
    cuts = [full.find(s) for s in stops if s in full]
    want = full[: min(cuts)] if cuts else full
    assert shown == ts.text == want and ts.done == bool(cuts)


class OneByOne:
    """The reference: a stop string checked after every token, the whole text kept."""

    def __init__(self, stops):
        self.stops = [s for s in stops if s]
        self.hold = max((len(s) for s in self.stops), default=1) - 1
        self.text, self.pending, self.done, self.fed = "", [], False, 0

    def feed(self, token, info):
        if self.done:
            return []
        start = len(self.text)
        self.text += token
        self.pending.append([start, len(self.text), info])
        cuts = [i for s in self.stops if (i := self.text.find(s, max(0, start - self.hold))) >= 0]
        if cuts:
            self.done, self.text = True, self.text[:min(cuts)]
            self.pending = [[a, min(b, len(self.text)), i] for a, b, i in self.pending
                            if a < len(self.text)]
        else:
            self.fed += 1
        safe = len(self.text) if self.done else len(self.text) - self.hold
        ready = [p for p in self.pending if p[1] <= safe]
        self.pending = self.pending[len(ready):]
        return [(self.text[a:b], i) for a, b, i in ready]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "ab", "\n", "x", "bab", ""]), max_size=40),
       st.lists(st.sampled_from(["b", "ab", "\n", "bx", "zz", "abab", "\nx"]), max_size=3),
       st.lists(st.integers(1, 7), min_size=1, max_size=40))
def test_feeding_many_tokens_at_once_is_feeding_them_one_by_one(tokens, stops, cuts):
    ref, ts = OneByOne(stops), TextStream(str, stops)
    text = TextStream(str, stops, pieces=False)  # final text as it comes, not by token
    want = [p for i, t in enumerate(tokens) for p in ref.feed(t, i)]
    got, fed, at, shown = [], 0, 0, ""
    for size in cuts * len(tokens):
        if at >= len(tokens):
            break
        pieces, n = ts.feed_all(tokens[at:at + size], list(range(at, at + size)))
        more, n_text = text.feed_all(tokens[at:at + size])
        assert n_text == n and all(info is None and p for p, info in more)
        shown += "".join(p for p, _ in more)
        got += pieces
        fed += n
        at += size
        # final (the whole text, `ref` fed first, starts with it), and no less than the
        # pieces so far
        assert ref.text.startswith(shown) and shown.startswith("".join(p for p, _ in got))
    assert got + ts.close() == want + [(ref.text[a:b], i) for a, b, i in ref.pending]
    shown += "".join(p for p, _ in text.close())
    assert (ts.text, ts.done, fed) == (ref.text, ref.done, ref.fed)
    assert (shown, text.text, text.done) == (ref.text, ref.text, ref.done)


def test_word_text_stream_keeps_spacing():
    tok = WordTokenizer(["KING", ".", "\n", "O", ",", "my", "lord"])
    ts = TextStream(tok.joiner(["KING"]), ["lord"])
    out = "".join(p for t in [".", "\n", "O", ",", "my", "lord", "."]
                  for p, _ in ts.feed_all([t])[0])
    assert out + "".join(p for p, _ in ts.close()) == ".\nO, my "


def test_unescape():
    assert unescape(r"a\nb\tc\\n\q") == "a\nb\tc\\n\\q"


def test_names_model_stops_after_one_name():
    model = store.load("names-char")
    samples = batch_samples(model, "", [build_chain({})], [0] * 5, list(range(5)), 40, 11,
                            stops=["\n"])
    for s in samples:
        assert s.stopped and s.text and "\n" not in s.text and s.text.isalpha()
