"""The links that remember a sample's past (penalties, DRY, Mirostat) in decoding: their
definitions on histories, and what they do to text."""

import collections

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tempgen.analysis.sweep import sweep
from tempgen.generate.samplers.chain import build_chain
from tempgen.generate.samplers.penalties import breaker_table, dry_repeats
from tempgen.generate.samples import batch_samples, one_sample
from tempgen.lm import store


@pytest.fixture(scope="module")
def char():
    return store.load("shakespeare-char")


def reference_repeats(history, allowed, breakers):
    """DRY's repeat lengths by their definition, one shift at a time."""
    rev = list(history)[::-1]
    size = len(rev)
    if size <= allowed:
        return {}
    limit = size
    for i, tok in enumerate(rev):  # the newest breaker ends every repeat
        ends = [len(tail) for tail in breakers.get(tok, [])
                if len(tail) <= i and all(tail[o] == rev[i - o - 1] for o in range(len(tail)))]
        if ends:
            limit = i - max(ends)
            break
    if limit < allowed:
        return {}
    best = {}
    for k in range(1, size):
        n = 0
        while n < limit and k + n < size and rev[n] == rev[k + n]:
            n += 1
        if n >= allowed:
            best[rev[k - 1]] = max(best.get(rev[k - 1], 0), n)
    return best


@given(st.lists(st.integers(0, 3), max_size=60), st.integers(0, 4),
       st.lists(st.lists(st.integers(0, 4), min_size=1, max_size=3), max_size=2))
def test_dry_repeats_follow_their_definition(history, allowed, breakers):
    table = breaker_table(breakers)
    assert dry_repeats(history, allowed, table) == reference_repeats(history, allowed, table)


def test_dry_by_hand():
    a, b, c, x = 0, 1, 2, 3
    # ... a b c X a b: c would extend a repeat of 2 (a b)
    assert dry_repeats([a, b, c, x, a, b], 2, {}) == {c: 2}
    assert dry_repeats([a, b, c, x, a, b], 3, {}) == {}
    # a breaker (X) between: the repeat cannot run back past it
    assert dry_repeats([a, b, c, a, b, c, x, a, b], 2, breaker_table([[x]])) == {c: 2}
    assert dry_repeats([a, b, c, x, a, b], 2, breaker_table([[b]])) == {}  # breaker last
    chain = build_chain({"dry_multiplier": 0.5, "dry_base": 2.0, "dry_allowed_length": 2,
                         "dry_sequence_breakers": ()})
    state = chain.start(None, [a, b, c, a, b, c, x, a, b, c, a, b], 1)
    # c: the longest repeat is a b c a b (5): 0.5 * 2^(5 - 2)
    assert chain.penalty(np.zeros((1, 4)), state)[0].tolist() == [0.0, 0.0, 4.0, 0.0]


def test_dry_breaks_the_loop_of_greedy_text(char):
    def most_repeated(settings):
        text = one_sample(char, "", build_chain(settings), 600, 1).text
        grams = collections.Counter(text[i:i + 20] for i in range(len(text) - 20))
        return grams.most_common(1)[0][1]

    assert most_repeated({"temperature": 0}) >= 10  # "the state of the world to the ..."
    assert most_repeated({"temperature": 0, "dry_multiplier": 0.8}) <= 2


def test_repetition_penalty_lowers_the_repeats(char):
    def distinct(settings, seeds=range(6)):  # 4-grams, over six samples of 400 characters
        return sum(len({tuple(ids[i:i + 4]) for i in range(len(ids) - 4)}) for ids in
                   (one_sample(char, "", build_chain(settings), 400, s).ids for s in seeds))

    assert distinct({"temperature": 0.3, "repeat_penalty": 1.5}) > distinct(
        {"temperature": 0.3})
    # greedy text loops ("the state of the world to the state of ..."): far fewer 4-grams
    assert distinct({"temperature": 0, "repeat_penalty": 1.5}, [0]) > 2 * distinct(
        {"temperature": 0}, [0])


@pytest.mark.parametrize("tau", [1.0, 1.5])
def test_mirostat_holds_the_mean_surprise_at_tau(char, tau):
    s = one_sample(char, "", build_chain({"mirostat": 2, "mirostat_tau": tau}), 3000, 2)
    surprise = -np.array(s.sample_logprobs[500:]) / np.log(2)
    assert abs(surprise.mean() - tau) < 0.05 * tau
    assert all(m == m for m in s.mus) and len(s.mus) == len(s.ids)


@pytest.mark.parametrize("settings", [
    {"temperature": 0.8, "dry_multiplier": 0.8}, {"mirostat": 2, "mirostat_tau": 2.0},
    {"temperature": 0.7, "repeat_penalty": 1.3, "presence_penalty": 0.2},
    {"temperature": 0.9, "xtc_probability": 0.5, "dynatemp_range": 0.4}])
def test_a_row_draws_the_same_alone_or_in_a_batch(char, settings):
    chains = [build_chain(settings), build_chain({"temperature": 0.5})]
    batch = batch_samples(char, "KING", chains, [0, 1, 0], [0, 0, 1], 120, 9)
    for row, index in ((0, 0), (2, 1)):
        alone = one_sample(char, "KING", chains[0], 120, 9, index)
        assert batch[row].ids == alone.ids and batch[row].temperatures == alone.temperatures


def test_a_column_over_a_setting_is_that_sample(char):
    values = [0.0, 0.5, 2.0]
    chains = [build_chain({"temperature": 0.6, "dry_multiplier": v}) for v in values]
    result = sweep(char, "", chains, 150, range(2), 4, (), "dry_multiplier", values)
    for v, column in zip(values, result.columns, strict=True):
        for i, s in enumerate(column.samples):
            chain = build_chain({"temperature": 0.6, "dry_multiplier": v})
            assert s.text == one_sample(char, "", chain, 150, 4, i).text
    assert result.label(result.columns[1]) == "DRY = 0.5"
    assert result.to_dict()["over"] == "dry_multiplier"


def test_effective_temperature_is_reported_where_it_moves(char):
    dyn = one_sample(char, "", build_chain({"temperature": 1.0, "dynatemp_range": 0.5}), 80, 1)
    assert "effective_temperature" in dyn.to_dict() and "mirostat_mu" not in dyn.to_dict()
    temps = dyn.to_dict()["effective_temperature"]
    assert len(temps) == len(dyn.ids) and min(temps) >= 0.5 and max(temps) <= 1.5
    assert len(set(temps)) > 10  # it moves
    plain = one_sample(char, "", build_chain({"temperature": 1.0}), 80, 1)
    assert "effective_temperature" not in plain.to_dict()
    miro = one_sample(char, "", build_chain({"mirostat": 2}), 80, 1).to_dict()
    assert set(miro["effective_temperature"]) == {1.0} and len(miro["mirostat_mu"]) == 80
