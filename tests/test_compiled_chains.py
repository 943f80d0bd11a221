"""Every link of the chain in the compiled loop: the same tokens (and figures) as the numpy
path, on the bundled models and on any small model, stateful links included."""

import math
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tempgen.generate import compiled
from tempgen.generate.decode import Block, generate_blocks
from tempgen.generate.draw import streams
from tempgen.generate.samplers.chain import build_chain
from tempgen.io.corpus import Corpus
from tempgen.lm import store
from tempgen.lm.arpa import to_arpa
from tempgen.lm.training import train_model

pytestmark = pytest.mark.skipif(not compiled.AVAILABLE, reason="the compiled loop is not built")

LINKS = {
    "top-k": {"top_k": 7}, "top-p": {"top_p": 0.83}, "min-p": {"min_p": 0.13},
    "typical": {"typical_p": 0.77}, "top-n-sigma": {"top_n_sigma": 1.3},
    "top-a": {"top_a": 0.3, "temperature": 1.4},
    "epsilon": {"epsilon_cutoff": 0.03, "temperature": 1.6},
    "eta": {"eta_cutoff": 0.02, "temperature": 1.6},
    "p-less": {"p_less": 1, "temperature": 1.3},
    "tail-free": {"tfs": 0.9, "temperature": 1.2},
    "top-h": {"top_h": 0.6, "temperature": 1.3},
    "smoothing": {"smoothing_factor": 0.7, "temperature": 1.5},
    "no-repeat": {"no_repeat_ngram_size": 3, "temperature": 0.6},
    "adaptive-p": {"adaptive_target": 0.4, "adaptive_decay": 0.8, "min_p": 0.05,
                   "temperature": 1.1},
    "adaptive-p alone": {"adaptive_target": 0.1, "temperature": 0.7},
    "no-repeat 1": {"no_repeat_ngram_size": 1, "temperature": 1.0},
    "logit-bias": {"logit_bias": (("e", -math.inf), ("a", 2.5), ("n", -1.5), ("e", 3.0)),
                   "temperature": 1.1},
    "smoothing curve": {"smoothing_factor": 0.3, "smoothing_curve": 2.5, "temperature": 2.0},
    "xtc": {"xtc_probability": 0.6, "xtc_threshold": 0.17},
    "dynatemp": {"dynatemp_range": 0.6, "temperature": 0.9, "dynatemp_exponent": 1.7},
    "mirostat": {"mirostat": 2, "mirostat_tau": 1.8, "mirostat_eta": 0.3},
    "penalties": {"repeat_penalty": 1.4, "frequency_penalty": 0.2, "presence_penalty": 0.3,
                  "repeat_last_n": 20},
    "dry": {"dry_multiplier": 0.9, "temperature": 0.4},
    "dry short window": {"dry_multiplier": 2.0, "dry_penalty_last_n": 9, "temperature": 0.0,
                         "dry_allowed_length": 1},
    "everything": {"repeat_penalty": 1.1, "dry_multiplier": 0.5, "top_n_sigma": 2.1,
                   "top_k": 30, "typical_p": 0.97, "top_p": 0.91, "min_p": 0.01, "top_a": 0.05,
                   "xtc_probability": 0.3, "xtc_threshold": 0.11, "dynatemp_range": 0.3,
                   "mirostat": 2, "mirostat_tau": 2.5},
}

WORD_LINKS = {"logit-bias": {"logit_bias": (("the", -math.inf), (",", 2.0), ("and", -1.0)),
                             "temperature": 0.9}}


def run(model, chains, rows, prompt_ids, steps, fast):
    """The steps of rows (row -> chain index) of sample streams 0.., both paths alike."""
    states = [(chains[c].start(model.tokenizer, prompt_ids, 1) or [None])[0] for c in rows]
    blocks = list(generate_blocks(model, model.contexts_after(prompt_ids, len(rows)), chains,
                                  rows, streams(11, len(rows)), list(range(len(rows))), steps,
                                  fast, states))
    return Block(*(np.concatenate(f) for f in zip(*blocks, strict=True))), states


def same(model, chains, rows, prompt_ids, steps):
    (fast, fs), (slow, ss) = (run(model, chains, rows, prompt_ids, steps, f) for f in (1, 0))
    assert fast.tokens.tolist() == slow.tokens.tolist()
    for x, y in zip(fast[1:], slow[1:], strict=True):
        # (DRY's penalties reach 1e4 and more in log space: a last bit there is 1e-12 in ln q)
        np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-10)
    for a, b in zip(fs, ss, strict=True):  # the states come back alike
        if a is not None:
            assert list(a.history) == list(b.history)
            assert a.mu == b.mu or abs(a.mu - b.mu) < 1e-9
            assert (a.adapt is None) == (b.adapt is None)
            if a.adapt is not None:
                np.testing.assert_allclose(a.adapt, b.adapt, rtol=1e-12)


@pytest.mark.parametrize("link", LINKS)
@pytest.mark.parametrize("name", ["shakespeare-char", "names-char"])
def test_each_link_draws_the_same_tokens_both_ways(name, link):
    model = store.load(name)
    chains = [build_chain(LINKS[link]), build_chain({"temperature": 0.7})]
    same(model, chains, [0, 0, 1], model.tokenizer.encode("KING" if name[0] == "s" else ""),
         250)


@pytest.mark.parametrize("link", ["top-k", "top-p", "min-p", "xtc", "dry", "mirostat",
                                  "tail-free", "top-h", "smoothing", "logit-bias",
                                  "no-repeat"])
def test_the_word_model_and_a_back_off_model_too(link, tmp_path):
    word = store.load("shakespeare-word")
    words = WORD_LINKS.get(link, LINKS[link])
    same(word, [build_chain(words)], [0, 0], word.tokenizer.encode("KING"), 25)
    text = "the cat sat on the mat\nthe dog sat on the log\n" * 4
    path = tmp_path / "m.arpa"
    path.write_text(to_arpa(train_model(Corpus(text, "t", "", len(text)), "char", 3, "t")))
    arpa = store.load(str(path))
    same(arpa, [build_chain(LINKS[link])], [0, 0], [], 80)


@pytest.mark.parametrize("settings", [
    {"repeat_penalty": 1.5, "temperature": 0.3}, {"presence_penalty": 2.0, "temperature": 1.0},
    {"frequency_penalty": 0.7, "repeat_last_n": 200, "temperature": 0.8},
    {"repeat_penalty": 3.0, "presence_penalty": 5.0, "temperature": 0.05},
    {"dry_multiplier": 1.0, "dry_allowed_length": 1, "temperature": 0.7},
    {"repeat_penalty": 1.3, "dry_multiplier": 0.8, "temperature": float("inf")},
    {"no_repeat_ngram_size": 2, "temperature": 0.3},
    {"no_repeat_ngram_size": 1, "repeat_penalty": 1.2, "temperature": 0.9},
    {"logit_bias": (("the", -math.inf), (",", 1.5), ("king", 4.0)), "temperature": 0.8},
    {"logit_bias": (("and", -2.0),), "dry_multiplier": 0.5, "no_repeat_ngram_size": 3,
     "temperature": 0.0}])
def test_penalties_on_a_large_vocabulary_draw_the_same_without_the_whole_row(settings):
    # penalties and DRY change a word row at few tokens: the short way (csrc/draw.c,
    # sparse_draw), the likeliest token off them read from the ranked lists when the
    # penalties take the row's top; and the row at T = 0.7 beside it, with its own noise
    word = store.load("shakespeare-word")
    chains = [build_chain(settings), build_chain({**settings, "temperature": 0.7})]
    same(word, chains, [0, 0, 1], word.tokenizer.encode("the king , the king and the"), 150)


@pytest.mark.parametrize("settings", [{"top_p": 0.5, "temperature": 0.1},
                                      {"top_k": 5, "typical_p": 0.9, "temperature": 0.2},
                                      {"tfs": 0.7, "temperature": 0.1},
                                      {"tfs": 0.95, "top_h": 0.3, "temperature": 0.15}])
def test_rows_kept_for_contexts_met_again_are_the_rows(settings):
    # at a low temperature the text comes round again: from its second visit, a context's
    # row is served from what the run keeps (csrc/draw.c, log_row), and must be the same,
    # its order by p too (kept with it for tail-free, the first link that sorts it)
    model = store.load("shakespeare-char")
    (fast, _), (slow, _) = (run(model, [build_chain(settings)], [0, 0], [], 1500, f)
                            for f in (1, 0))
    assert fast.tokens.tolist() == slow.tokens.tolist()
    text = model.tokenizer.decode(fast.tokens[:, 0].tolist())
    grams = [text[i:i + 6] for i in range(len(text) - 6)]
    assert len(set(grams)) < 0.8 * len(grams)  # (hundreds of contexts were met before)


def test_dry_keeps_its_state_across_long_runs_and_blocks(monkeypatch):
    # a window of 5 is outgrown many times over (the kept history is cut every 5 steps)
    model = store.load("shakespeare-char")
    monkeypatch.setattr("tempgen.generate.decode.COMPILED_BLOCK", 37)
    chain = build_chain({"dry_multiplier": 3.0, "dry_penalty_last_n": 5, "temperature": 0.0,
                         "dry_allowed_length": 1, "repeat_penalty": 1.5, "repeat_last_n": 3})
    same(model, [chain], [0], [], 400)


@settings(deadline=None, max_examples=40)
@given(st.text("ab c\n", min_size=1, max_size=50), st.integers(1, 4),
       st.sampled_from(list(LINKS)), st.floats(0, 3), st.integers(0, 3), st.integers(1, 12),
       st.lists(st.text("ab c\n", min_size=1, max_size=3), max_size=3),
       st.text("ab c", max_size=8))
def test_any_model_and_any_dry_the_same_both_ways(text, order, link, multiplier, allowed,
                                                  window, breakers, prompt):
    text += "\n"
    model = train_model(Corpus(text, "t", "", len(text)), "char", order, "t")
    chains = [build_chain(LINKS[link]),
              build_chain({"dry_multiplier": multiplier, "dry_allowed_length": allowed,
                           "dry_penalty_last_n": window, "dry_sequence_breakers": breakers,
                           "temperature": 0.5})]
    same(model, chains, [0, 1, 1], model.tokenizer.encode(prompt), 60)


FIRST_CUTS = [{"top_k": 1}, {"top_k": 40, "temperature": 0.8}, {"top_p": 0.3},
              {"top_p": 0.95, "temperature": 1.7}, {"min_p": 0.2},
              {"min_p": 0.01, "temperature": 0.5}, {"top_p": 0.9, "typical_p": 0.9, "top_k": 50},
              {"min_p": 0.05, "xtc_probability": 0.5, "xtc_threshold": 0.1},
              {"top_a": 0.2}, {"top_a": 0.02, "temperature": 1.3}, {"epsilon_cutoff": 3e-4},
              {"epsilon_cutoff": 0.02, "temperature": 0.7}, {"top_h": 0.4},
              {"top_h": 0.95, "temperature": 1.6}, {"top_h": 0.05, "top_p": 0.9},
              {"eta_cutoff": 6e-4}, {"eta_cutoff": 0.02, "temperature": 0.7},
              {"eta_cutoff": 0.3, "top_k": 5}, {"p_less": 1},
              {"p_less": 1, "temperature": 1.4, "min_p": 0.01}, {"top_n_sigma": 1.0},
              {"top_n_sigma": 0.3, "temperature": 1.8}, {"top_n_sigma": 4.0, "top_k": 50},
              {"top_n_sigma": 200.0}]


@pytest.mark.parametrize("cut", FIRST_CUTS, ids=str)
def test_a_first_cut_taken_from_the_top_down_keeps_what_the_whole_row_keeps(cut):
    # a large vocabulary's first top-k, top-p or min-p walks the row from its most likely
    # token (csrc/ranked.c) instead of building it: the same tokens as the whole row
    word = store.load("shakespeare-word")
    same(word, [build_chain(cut)], [0, 0], word.tokenizer.encode("KING"), 120)


def same_from_the_top(model, settings_, listed, steps):
    """same(), with every level but the empty context kept by its successors (as a word
    model's are), so that every first cut is taken from the top down (csrc/ranked.c)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compiled, "DENSE_FLOATS", 0)
        patch.setattr(compiled, "SPARSE_MIN_LISTED", listed)
        same(model, [build_chain(settings_)], [0, 0], [], steps)


@settings(deadline=None, max_examples=60)
@given(st.text("abcdefgh \n", min_size=1, max_size=80), st.integers(1, 4),
       st.sampled_from(["top_k", "top_p", "min_p", "top_h", "eta_cutoff", "p_less",
                        "top_n_sigma", "mirostat", "xtc"]),
       st.floats(0.01, 0.99), st.integers(1, 12), st.sampled_from([0.0, 0.3, 1.0, 2.5]),
       st.integers(0, 40))
def test_any_model_cut_from_the_top_down_the_same_both_ways(text, order, link, x, k, t, listed):
    text += "\n"
    model = train_model(Corpus(text, "t", "", len(text)), "char", order, "t")
    if link == "xtc":  # (XTC then T: the tempered row changed at its top tokens)
        settings_ = {"xtc_probability": x, "xtc_threshold": x / 2}
    else:
        value = k if link == "top_k" else 1 if link == "p_less" else 2 if link == "mirostat" \
            else x
        settings_ = {link: value, **({"mirostat_tau": 4 * x} if link == "mirostat" else {})}
    same_from_the_top(model, {**settings_, "temperature": t}, listed, 60)


@settings(deadline=None, max_examples=40)
@given(st.integers(100, 900), st.floats(0.5, 1.5), st.integers(0, 2**32),
       st.integers(1, 3),
       st.sampled_from(["top_k", "top_p", "min_p", "top_h", "eta_cutoff", "p_less",
                        "top_n_sigma"]),
       st.floats(0.01, 0.999), st.integers(1, 700), st.sampled_from([0.0, 0.3, 1.0, 2.5]),
       st.integers(0, 40))
def test_a_cut_read_in_bands_keeps_what_the_whole_row_keeps(vocab, zipf, seed, order, link, x, k,
                                                            t, listed):
    # hundreds of words, by Zipf's law (p at every depth, and ties among the rare ones): a
    # cut reads the row in bands of growing depth (64 tokens, 96, 144, ...) until they hold
    # its value
    words = [f"w{j}" for j in range(vocab) for _ in range(1 + int(300 / (j + 1) ** zipf))]
    random.Random(seed).shuffle(words)
    text = " ".join(words) + "\n"
    model = train_model(Corpus(text, "t", "", len(text)), "word", order, "t")
    value = k if link == "top_k" else 1 if link == "p_less" else x
    same_from_the_top(model, {link: value, "temperature": t}, listed, 40)


@pytest.mark.parametrize("t", [0.8, 1e-3, 2.5])
@pytest.mark.parametrize("xtc_last", [False, True])
def test_xtc_before_a_plain_temperature_or_last_the_same_both_ways(t, xtc_last):
    # the rest of the chain only tempers (or nothing follows XTC): the mixture is taken from
    # one tempering, unless the kept share is too small to divide by (T = 1e-3)
    model = store.load("shakespeare-char")
    settings_ = {"xtc_probability": 0.7, "xtc_threshold": 0.05, "temperature": t}
    chain = build_chain(settings_, ["temperature", "xtc"] if xtc_last else None)
    assert [lk.name for lk in chain.links][-1] == ("xtc" if xtc_last else "temperature")
    same(model, [chain], [0, 0], model.tokenizer.encode("KING"), 300)
    fast, _ = run(model, [chain], [0], [], 50, 1)
    assert np.allclose(fast.temperature, t)  # the temperature each step was tempered at


def test_the_compiled_loop_names_the_registrys_links_in_its_order():
    # a link's kind is its place in registry.py; csrc/chain.h must list the same names
    from tempgen.generate import _compiled
    from tempgen.generate.samplers.registry import LINKS

    assert _compiled.kinds() == LINKS == tuple(compiled.KINDS)


def test_p_less_on_the_tempered_row_draws_the_same_tokens_both_ways():
    # (its paper's place: after temperature, --samplers temperature,p_less)
    model = store.load("shakespeare-char")
    chain = build_chain({"p_less": 1, "temperature": 1.8}, ("temperature", "p_less"))
    assert [lk.name for lk in chain.links] == ["temperature", "p_less"]
    same(model, [chain], [0, 0], model.tokenizer.encode("KING"), 200)


def test_no_repeat_ngram_keeps_its_places_across_the_historys_compaction():
    # the compiled loop keeps 2 windows of history and drops the older one when full
    # (csrc/state.c, compact): past 8,194 tokens its chains of places must still be right
    model = store.load("names-char")
    chain = build_chain({"no_repeat_ngram_size": 3, "temperature": 1.0})
    same(model, [chain], [0], [], 9000)


@pytest.mark.parametrize("settings", [
    {"repeat_penalty": 1.1, "dry_multiplier": 0.8, "top_k": 40, "typical_p": 0.95,
     "top_p": 0.95, "min_p": 0.05, "temperature": 0.8},  # (llama.cpp's, penalties on)
    {"presence_penalty": -3.0, "top_k": 5, "temperature": 1.0},  # (penalties that lift)
    {"logit_bias": (("the", 6.0), (",", -math.inf)), "no_repeat_ngram_size": 2, "top_k": 3,
     "temperature": 0.0},
    {"repeat_penalty": 1.5, "repeat_last_n": 8, "top_k": 1, "temperature": 1.0}])
def test_penalties_then_top_k_on_a_large_vocabulary_cut_from_the_top_down(settings):
    # the changed tokens and the model's k + (their number) likeliest hold the top-k of the
    # changed row (csrc/draw.c, touched_top_k): the same tokens as the whole row
    word = store.load("shakespeare-word")
    chain = build_chain(settings)
    same(word, [chain, chain], [0, 1], word.tokenizer.encode("the king , the king and the"),
         150)


@pytest.mark.parametrize("settings", [
    {"mirostat": 2, "mirostat_tau": 1.0, "temperature": 0.8},
    {"mirostat": 2, "mirostat_tau": 3.0, "mirostat_eta": 0.5, "temperature": 1.3},
    {"mirostat": 2, "temperature": 0.8}])
def test_mirostat_after_a_temperature_on_a_large_vocabulary_cuts_from_the_top_down(settings):
    # its bound from the tempered row's log-partition (csrc/draw.c, mirostat_top): the same
    # tokens and the same mu as the whole row, step after step
    word = store.load("shakespeare-word")
    chain = build_chain(settings)
    same(word, [chain, chain], [0, 1], word.tokenizer.encode("KING"), 120)


@pytest.mark.parametrize("settings", [
    {"xtc_probability": 0.5, "xtc_threshold": 0.1, "temperature": 0.8},
    {"xtc_probability": 1.0, "xtc_threshold": 0.05, "temperature": 1.2},
    {"xtc_probability": 0.2, "xtc_threshold": 0.01, "temperature": 0.3},
    {"xtc_probability": 0.9, "xtc_threshold": 0.2, "temperature": 2.0}])
def test_xtc_then_a_temperature_on_a_large_vocabulary_draws_the_short_way(settings):
    # the mixture is the tempered row with its excluded tokens' weights scaled (csrc/draw.c,
    # xtc_short): the same tokens and figures as the whole row
    word = store.load("shakespeare-word")
    chain = build_chain(settings)
    same(word, [chain, chain], [0, 1], word.tokenizer.encode("the king , the"), 120)


VALUE_CHAINS = [
    {"typical_p": 0.9, "temperature": 0.8}, {"typical_p": 0.3, "temperature": 1.3},
    {"typical_p": 0.2, "temperature": 0.0}, {"typical_p": 0.99, "temperature": float("inf")},
    {"tfs": 0.95, "temperature": 0.8}, {"tfs": 0.3, "temperature": 2.0},
    {"dynatemp_range": 0.5, "temperature": 0.8},
    {"dynatemp_range": 1.0, "dynatemp_exponent": 2.0, "temperature": 0.6},
    {"smoothing_factor": 0.3, "temperature": 0.8},
    {"smoothing_factor": 0.3, "smoothing_curve": 4.0, "temperature": 1.3},
    {"tfs": 0.5, "typical_p": 0.5, "dynatemp_range": 1.0, "temperature": 0.9,
     "smoothing_factor": 1.0}]


@pytest.mark.parametrize("settings", VALUE_CHAINS)
def test_chains_that_weigh_a_row_by_its_values_draw_the_same_from_its_distinct_values(settings):
    # tail-free, typical-p, a dynamic temperature and smoothing on a large vocabulary: the
    # row as its distinct values, each weighed by its number of tokens, a cut through a value
    # keeping its first tokens by id (csrc/distinct.c); the same tokens and figures as the
    # whole row, and the row at T = 0.7 beside it
    word = store.load("shakespeare-word")
    chains = [build_chain(settings), build_chain({**settings, "temperature": 0.7})]
    same(word, chains, [0, 0, 1], word.tokenizer.encode("the king , the"), 150)


@pytest.mark.parametrize("settings, prompt", [
    ({"typical_p": 0.5}, "A room in the land that too;\nOr with my affection.\nBy"),
    ({"tfs": 0.9}, "[Exeunt.]\n\nFIRST GENTLEMAN.\n\n[Enter ANTONY and")])
def test_a_cut_through_a_value_keeps_its_first_tokens_by_id_whichever_lists_hold_them(
        settings, prompt):
    # at these contexts the cut falls among the tokens of one value, some of them S's
    # members (listed apart) and some not (csrc/distinct.c: one candidate, kept_upto); at
    # T = inf every token the cut keeps is drawn as often as any, so 240 draws find a token
    # one path keeps and the other does not
    word = store.load("shakespeare-word")
    chain = build_chain({**settings, "temperature": float("inf")})
    same(word, [chain], [0] * 240, word.tokenizer.encode(prompt), 1)


@pytest.fixture(scope="module")
def word_arpa(tmp_path_factory):
    """A back-off word model of 8,000 words (its rows drawn the short ways, as the bundled
    word model's)."""
    text = (Path(__file__).parent.parent / "sample_models/corpora/shakespeare.txt").read_text()
    path = tmp_path_factory.mktemp("arpa") / "words.arpa"
    path.write_text(to_arpa(train_model(Corpus(text[:400000], "t", "", 400000), "word", 3,
                                        "t")))
    return store.load(str(path))


@pytest.mark.parametrize("settings", VALUE_CHAINS[::2])
def test_a_back_off_word_model_draws_the_same_from_its_distinct_values(settings, word_arpa):
    same(word_arpa, [build_chain(settings)], [0, 0], word_arpa.tokenizer.encode("the king"),
         120)
