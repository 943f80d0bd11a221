"""The links beyond top-k/top-p/min-p/typical: each against its definition (hand-worked
rows and llama.cpp's formulas), and the properties every link keeps."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tempgen.generate.draw import Stream, draw
from tempgen.generate.noise import token_gumbels
from tempgen.generate.samplers.chain import build_chain
from tempgen.generate.samplers.registry import LINK_OF, LINKS, SETTINGS
from tempgen.generate.samplers.state import RowState
from tempgen.generate.samplers.temperature import dynamic_temperature, smoothing
from tempgen.generate.samplers.truncation import (
    epsilon_cutoff,
    eta_cutoff,
    p_less,
    probs,
    surprise_cut,
    tfs,
    top_a,
    top_h,
    top_k,
    top_n_sigma,
    xtc_cut,
)
from tempgen.generate.tempering import temperature

logits = arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(2, 30)),
                elements=st.floats(-30, 5, allow_nan=False))


def kept(z):
    return np.isfinite(z)


def test_top_n_sigma_by_hand():
    z = np.array([[0.0, -1.0, -2.0, -3.0]])  # mean -1.5, sigma sqrt(1.25) = 1.118
    assert kept(top_n_sigma(z, 1.0)).tolist() == [[True, True, False, False]]  # >= -1.118
    assert kept(top_n_sigma(z, 2.0)).tolist() == [[True, True, True, False]]  # >= -2.236
    z = np.array([[0.0, -1.0, -np.inf, -3.0]])  # -inf is not counted: mean -4/3
    sigma = math.sqrt(((0 + 4 / 3) ** 2 + (-1 + 4 / 3) ** 2 + (-3 + 4 / 3) ** 2) / 3)
    assert kept(top_n_sigma(z, 1.0)).tolist() == [[True, True, False, -sigma <= -3]]


@given(logits, st.floats(0.0, 1.0))
def test_top_a_keeps_exactly_the_tokens_at_least_a_times_the_top_squared(z, a):
    # RWKV's top-a, as text-generation-webui's TopALogitsWarper removes them: p < a p_max^2
    p = probs(z)
    bound = a * p.max(axis=1, keepdims=True) ** 2
    clear = np.abs(p - bound) > 1e-9 * np.maximum(bound, 1e-300)  # (away from the edge)
    stays = kept(top_a(z, a))
    assert np.array_equal(stays[clear], (p >= bound)[clear])
    assert stays[np.arange(len(z)), z.argmax(axis=1)].all()  # the top token always stays
    if a == 0:
        assert np.array_equal(top_a(z, a), z)  # its neutral value: the row unchanged


@given(logits, st.floats(0.0, 1.0), st.booleans())
def test_epsilon_and_eta_cutoffs_remove_exactly_the_tokens_below_their_bound(z, eps, eta):
    # transformers' EpsilonLogitsWarper and EtaLogitsWarper: p < eps, or p < min(eps,
    # sqrt(eps) e^-H) with H in nats, removed; the most likely token always kept
    p = probs(z)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.where(p > 0, p * np.log(p), 0.0).sum(axis=1, keepdims=True)
    bound = np.minimum(eps, np.sqrt(eps) * np.exp(-h)) if eta else np.full_like(h, eps)
    stays = kept((eta_cutoff if eta else epsilon_cutoff)(z, eps))
    clear = np.abs(p - bound) > 1e-9 * np.maximum(bound, 1e-300)
    top = z >= z.max(axis=1, keepdims=True) - 1e-9  # (the likeliest, ties within a margin)
    assert np.array_equal(stays[clear & ~top], (p >= bound)[clear & ~top])
    assert stays[top].all()
    if eps == 0:
        assert np.array_equal(kept((eta_cutoff if eta else epsilon_cutoff)(z, eps)), kept(z))


def test_eta_cutoff_by_hand():
    p = np.array([[0.7, 0.2, 0.06, 0.04]])
    h = -(p * np.log(p)).sum()  # 0.872 nats: eta = min(0.1, sqrt(0.1) e^-0.872) = 0.1
    assert math.isclose(min(0.1, math.sqrt(0.1) * math.exp(-h)), 0.1)
    assert kept(eta_cutoff(np.log(p), 0.1)).tolist() == [[True, True, False, False]]
    assert kept(epsilon_cutoff(np.log(p), 0.05)).tolist() == [[True, True, True, False]]


@given(logits)
def test_p_less_keeps_exactly_the_tokens_at_least_the_collision_probability(z):
    # p-less: keep p >= L = sum p^2 (the chance two draws agree); L <= max p
    p = probs(z)
    collision = (p * p).sum(axis=1, keepdims=True)
    stays = kept(p_less(z, 1))
    clear = np.abs(p - collision) > 1e-9 * collision
    assert np.array_equal(stays[clear], (p >= collision)[clear])
    assert stays[np.arange(len(z)), z.argmax(axis=1)].all()
    assert np.array_equal(p_less(z, 0), z)


def test_p_less_by_hand():
    p = np.array([[0.5, 0.3, 0.15, 0.05]])  # L = .25 + .09 + .0225 + .0025 = 0.365
    assert kept(p_less(np.log(p), 1)).tolist() == [[True, False, False, False]]
    flat = np.log(np.full((1, 4), 0.25))  # uniform: L = 1/4 = every p (all stay)
    assert kept(p_less(flat, 1)).all()


def test_top_a_by_hand():
    z = np.log(np.array([[0.5, 0.3, 0.12, 0.08]]))  # p_max^2 = 0.25
    assert kept(top_a(z, 0.4)).tolist() == [[True, True, True, False]]  # >= 0.1
    assert kept(top_a(z, 1.0)).tolist() == [[True, True, False, False]]  # >= 0.25


@given(logits, st.floats(0.05, 20), st.floats(0.1, 3))
def test_top_n_sigma_keeps_the_same_tokens_at_every_temperature(z, t, n):
    at_one = kept(top_n_sigma(z, n))
    scaled = kept(top_n_sigma(z / t, n))
    # (equal up to rounding at the boundary: compare away from it)
    sigma = np.sqrt(np.var(z, axis=1, keepdims=True))
    clear = np.abs(z - (z.max(axis=1, keepdims=True) - n * sigma)) > 1e-9 * (1 + np.abs(z))
    assert np.array_equal(at_one[clear], scaled[clear])
    before = build_chain({"top_n_sigma": n, "temperature": t}, ("top_n_sigma",))(z)
    after = build_chain({"top_n_sigma": n, "temperature": t}, ("temperature",))(z)
    assert np.array_equal(kept(before)[clear], kept(after)[clear])


def test_xtc_removes_all_top_choices_but_the_least_likely():
    z = np.log([[0.5, 0.3, 0.15, 0.05], [0.9, 0.05, 0.03, 0.02]])
    cut, changed = xtc_cut(z, 0.1)
    assert kept(cut).tolist() == [[False, False, True, True], [True] * 4]  # row 2: one top
    assert changed.tolist() == [True, False]
    tie = np.log([[0.4, 0.4, 0.2]])  # of equals the last in token order stays
    assert kept(xtc_cut(tie, 0.3)[0]).tolist() == [[False, True, True]]


def test_xtc_is_the_mixture_of_its_two_outcomes():
    p = np.array([0.5, 0.3, 0.15, 0.05])
    chain = build_chain({"xtc_probability": 0.3, "xtc_threshold": 0.1, "temperature": 0.7})
    q = np.exp(chain(np.log(p)[None]))[0]
    keep = p ** (1 / 0.7) / np.sum(p ** (1 / 0.7))  # the rest of the chain on each outcome
    rest = np.array([0, 0, 0.15, 0.05]) ** (1 / 0.7)
    np.testing.assert_allclose(q, 0.7 * keep + 0.3 * rest / rest.sum(), rtol=1e-12)


@settings(deadline=None, max_examples=80)
@given(logits, st.floats(0.01, 1), st.floats(0, 0.5), st.sampled_from([1e-4, 0.05, 0.7, 1.0, 6.0]),
       st.booleans())
def test_xtc_from_one_tempering_is_the_mixture_of_the_two_tempered_outcomes(z, prob, threshold,
                                                                            t, last):
    # the rest of the chain only tempers (or nothing follows): the mixture is worked out from
    # one tempered row; at T = 1e-4 the excluded row's share underflows, and it is not
    chain = build_chain({"xtc_probability": prob, "xtc_threshold": threshold,
                         "temperature": t}, ["temperature", "xtc"] if last else None)
    cut, _ = xtc_cut(z, threshold)
    rest_t = 1.0 if last else t
    source = temperature(z, t) if last else z
    qa = np.exp(temperature(source, rest_t))
    qb = np.exp(temperature(xtc_cut(source, threshold)[0], rest_t))
    want = (1 - prob) * qa + prob * qb
    logq, temps = chain.apply(z)
    np.testing.assert_allclose(np.exp(logq), want, rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(temps, t, rtol=1e-15)


def test_xtc_draws_follow_the_mixture_chi_square():
    # llama.cpp's XTC flips a coin per step; one draw from the exact mixture must draw
    # with the same frequencies (chi-square, alpha = 0.001, 3 degrees of freedom)
    p = np.array([0.5, 0.3, 0.15, 0.05])
    chain = build_chain({"xtc_probability": 0.5, "xtc_threshold": 0.2})
    n = 100_000
    tokens = draw(np.repeat(chain(np.log(p)[None]), n, axis=0),
                  token_gumbels(Stream(7, 0).keys(n), np.arange(4, dtype=np.int32)))
    observed = np.bincount(tokens, minlength=4)
    expected = n * (0.5 * p + 0.5 * np.array([0, 0.3, 0.15, 0.05]) / 0.5)
    assert np.sum((observed - expected) ** 2 / expected) < 16.266


def test_dynamic_temperature_follows_the_entropy():
    uniform = np.zeros((1, 8))  # normalised entropy 1: T + range
    peaked = np.log([[1 - 7e-12] + [1e-12] * 7])  # entropy ~0: max(0, T - range)
    assert dynamic_temperature(uniform, 1.0, 0.5, 1.0)[0] == pytest.approx(1.5)
    assert dynamic_temperature(peaked, 1.0, 0.5, 1.0)[0] == pytest.approx(0.5, abs=1e-9)
    assert dynamic_temperature(peaked, 0.3, 0.5, 1.0)[0] == pytest.approx(0.0, abs=1e-9)
    z = np.log([[0.7, 0.2, 0.1]])  # llama.cpp's formula, by hand
    h = -(0.7 * math.log(0.7) + 0.2 * math.log(0.2) + 0.1 * math.log(0.1))
    want = 0.5 + 1.0 * (h / math.log(3)) ** 2.0
    assert dynamic_temperature(z, 1.0, 0.5, 2.0)[0] == pytest.approx(want, rel=1e-12)
    assert dynamic_temperature(np.array([[0.0, -np.inf]]), 0.8, 0.5, 1.0)[0] == 0.8  # one
    logq, t = build_chain({"dynatemp_range": 0.5}).apply(z)
    np.testing.assert_allclose(logq, temperature(z, t[0]), rtol=1e-12)


def test_mirostat_cuts_at_the_surprise_bound():
    z = np.log([[0.5, 0.25, 0.125, 0.125]])  # surprises 1, 2, 3, 3 bits
    assert kept(surprise_cut(z, np.array([2.0]))).tolist() == [[True, True, False, False]]
    assert kept(surprise_cut(z, np.array([0.5]))).tolist() == [[True, False, False, False]]
    chain = build_chain({"mirostat": 2, "mirostat_tau": 1.0, "mirostat_eta": 0.5})
    state = chain.start(None, [], 1)
    assert state[0].mu == 2.0  # 2 tau
    chain.update(state, [1], [math.log(0.25)])  # surprise 2 bits: mu -= 0.5 (2 - 1)
    assert state[0].mu == 1.5


def test_repetition_penalties_as_llama_cpp_defines_them():
    z = np.array([[-1.0, -2.0, -3.0, 0.5]])
    chain = build_chain({"repeat_penalty": 2.0, "frequency_penalty": 0.1,
                         "presence_penalty": 0.3, "repeat_last_n": 3})
    state = chain.start(None, [2, 0, 0, 3, 3], 1)  # the last 3: 0, 3, 3
    got = chain.penalty(z, state)
    # token 0: -1 * 2 - 0.1 - 0.3; token 3 (> 0): 0.5 / 2 - 0.2 - 0.3; token 2: too old
    want_w = np.array([-2.4, -2.0, -3.0, -0.25])
    np.testing.assert_allclose(z - got, want_w[None], rtol=1e-12)


@settings(deadline=None, max_examples=60)
@given(logits, st.floats(0, 5), st.integers(0, 5), st.floats(0.05, 1), st.floats(0, 1),
       st.floats(-1, 3), st.floats(0, 1), st.floats(0, 0.6), st.floats(0, 2),
       st.sampled_from([0, 2]), st.floats(0, 4), st.floats(0.5, 3),
       st.lists(st.integers(0, 29), max_size=40), st.floats(0, 3))
@pytest.mark.filterwarnings("error")
def test_no_chain_ever_empties_a_row(z, t, k, p, mp, nsig, xp, xt, dr, miro, tau, rep,
                                     history, dry):
    chain = build_chain({"temperature": t, "top_k": k, "top_p": p, "min_p": mp,
                         "top_a": mp, "epsilon_cutoff": xt, "eta_cutoff": xt,
                         "typical_p": p, "top_n_sigma": nsig, "xtc_probability": xp,
                         "xtc_threshold": xt, "dynatemp_range": dr, "mirostat": miro,
                         "mirostat_tau": tau, "repeat_penalty": rep, "dry_multiplier": dry,
                         "dry_sequence_breakers": (), "tfs": p, "top_h": mp,
                         "smoothing_factor": nsig if nsig > 0 else 0.0})
    states = chain.start(None, history, len(z))
    logq, temps = chain.apply(z, states)
    np.testing.assert_allclose(np.exp(logq).sum(axis=1), 1.0, atol=1e-9)
    assert not np.isnan(logq).any() and np.all(temps >= 0)


@given(logits)
def test_neutral_settings_are_the_identity(z):
    defaults = {name: s.default for name, s in SETTINGS.items()}
    chain = build_chain(defaults)
    assert [lk.name for lk in chain.links] == ["temperature"] and chain.temperature_only
    np.testing.assert_array_equal(chain(z), temperature(z, 1.0))
    assert np.array_equal(top_k(z, 0), z) and np.array_equal(top_n_sigma(z, -1.0), z)
    assert np.array_equal(xtc_cut(z, 0.6)[0], z)  # above 0.5: at most one top choice


spaced = arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(2, 30)),
                elements=st.integers(-300, 50).map(lambda x: x / 10))  # (no ties by rounding)


@given(spaced, st.integers(1, 10), st.floats(0.05, 20))
def test_order_matters_only_where_it_should(z, k, t):
    # top-k keeps the same tokens before or after temperature (ranks do not move) ...
    a = build_chain({"top_k": k, "temperature": t}, ("top_k",))(z)
    b = build_chain({"top_k": k, "temperature": t}, ("temperature",))(z)
    assert np.array_equal(kept(a), kept(b))


def test_but_min_p_after_temperature_is_another_sampler():
    z = np.log([[0.6, 0.3, 0.1]])
    a = build_chain({"min_p": 0.2, "temperature": 3.0}, ("min_p",))(z)
    b = build_chain({"min_p": 0.2, "temperature": 3.0}, ("temperature",))(z)
    assert kept(a).tolist() == [[True, True, False]] and kept(b).all()


def test_every_link_has_a_place_in_the_default_order():
    assert set(LINK_OF) == set(SETTINGS) and set(LINK_OF.values()) == set(LINKS)
    chain = build_chain({"top_k": 5, "xtc_probability": 0.5, "dry_multiplier": 1.0,
                         "repeat_penalty": 1.1, "top_n_sigma": 1.0, "mirostat": 2,
                         "dynatemp_range": 0.2})
    assert [lk.name for lk in chain.links] == ["penalties", "dry", "top_n_sigma", "top_k",
                                               "xtc", "temperature", "mirostat"]
    assert chain.stateful and chain.varies_temperature and not chain.temperature_only


@pytest.mark.parametrize("settings,word", [
    ({"top_n_sigma": float("nan")}, "top_n_sigma"), ({"xtc_probability": 1.5}, "xtc_prob"),
    ({"xtc_threshold": -0.1}, "xtc_threshold"), ({"dynatemp_range": -1}, "dynatemp_range"),
    ({"dynatemp_exponent": float("inf")}, "dynatemp_exponent"), ({"mirostat": 1}, "use 2"),
    ({"mirostat": 3}, "mirostat"), ({"mirostat_tau": -1}, "mirostat_tau"),
    ({"repeat_penalty": 0}, "repeat_penalty"), ({"repeat_last_n": -2}, "repeat_last_n"),
    ({"repeat_last_n": 1.5}, "whole"), ({"dry_base": 0.5}, "dry_base"),
    ({"dry_allowed_length": -1}, "dry_allowed"), ({"dry_penalty_last_n": 10**9}, "dry_penalty"),
    ({"dry_sequence_breakers": "ab"}, "strings"), ({"presence_penalty": "x"}, "presence"),
    ({"top_q": 1}, "top_q")])
def test_each_setting_is_checked_once_by_name(settings, word):
    with pytest.raises(ValueError, match=word):
        build_chain(settings)


def test_a_stateful_chain_needs_its_states():
    with pytest.raises(ValueError, match="state"):
        build_chain({"repeat_penalty": 1.2})(np.zeros((1, 3)))
    assert RowState([1, 2, 3], 2).history == type(RowState([], 2).history)([2, 3])


# ------------------------------------------------------------ tail-free, Top-H, smoothing
def tail_free_by_its_reference(w: list[float], p: list[float], z: float) -> set[int]:
    """llama.cpp's llama_sample_tail_free (min_keep 1), step by step, on one row's allowed
    tokens (sorted by log-weight w, as its softmax sorts them; p their probabilities): the
    ids it keeps, and the running sum at its cut (to tell an edge case)."""
    ids = sorted((i for i in range(len(p)) if w[i] > -math.inf), key=lambda i: (-w[i], i))
    if z >= 1.0 or len(ids) <= 2:
        return set(ids), math.inf
    ps = [p[i] for i in ids]
    first = [ps[i] - ps[i + 1] for i in range(len(ps) - 1)]
    second = [abs(first[i] - first[i + 1]) for i in range(len(first) - 1)]
    total = sum(second)
    second = [d / total for d in second] if total > 1e-6 else [1 / len(second)] * len(second)
    cum, last = 0.0, len(ids)
    for i, d in enumerate(second):
        cum += d
        if cum > z and i >= 1:
            last = i
            break
    return set(ids[:last]), cum


@settings(max_examples=150)
@given(logits, st.floats(0.0, 1.0))
def test_tail_free_keeps_what_its_reference_keeps(z, cut):
    for row, stays in zip(z, kept(tfs(z, cut)), strict=True):
        p = probs(row[None])[0]
        want, at = tail_free_by_its_reference(row.tolist(), p.tolist(), cut)
        if abs(at - cut) > 1e-9:  # (away from the edge)
            assert set(np.flatnonzero(stays)) == want
        assert stays[row.argmax()]
    if cut >= 1.0:
        assert np.array_equal(tfs(z, cut), z)


def test_tail_free_by_hand():
    # sorted p .5 .25 .15 .1: first differences .25 .1 .05, second .15 .05 -> .75 .25
    z = np.log([[0.15, 0.5, 0.1, 0.25]])
    assert kept(tfs(z, 0.5)).tolist() == [[False, True, False, False]]  # cut at i = 1
    five = np.log([[0.4, 0.3, 0.15, 0.1, 0.05]])  # second differences .05 .1 0: 1/3 2/3 0
    assert kept(tfs(five, 0.2)).tolist() == [[True, False, False, False, False]]
    assert kept(tfs(five, 0.99)).all() is np.False_
    two = np.log([[0.6, 0.4]])
    assert np.array_equal(tfs(two, 0.0), two)  # two tokens: nothing to curve


def top_h_by_its_reference(row: np.ndarray, h: float) -> tuple[set[int], float]:
    """transformers' TopHLogitsWarper on one row, plainly: the ids kept, and the nearest
    running entropy to the bound (to tell an edge case)."""
    ids = sorted(range(len(row)), key=lambda i: (-row[i], i))[:100]
    w = [row[i] for i in ids]
    m = max(w)
    e = [math.exp(x - m) if x > -math.inf else 0.0 for x in w]
    p = [x / sum(e) for x in e]
    terms = [-q * math.log(q) if q > 0 else 0.0 for q in p]
    tau = h * sum(terms)
    cum, keep, near = 0.0, set(), math.inf
    for j, (i, t) in enumerate(zip(ids, terms, strict=True)):
        cum += t
        near = min(near, abs(cum - tau))
        if j == 0 or cum <= tau:
            keep.add(i)
    return {i for i in keep if row[i] > -math.inf}, near


wide = arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(2, 140)),
              elements=st.floats(-30, 5, allow_nan=False))


@settings(max_examples=150)
@given(wide, st.floats(0.0, 1.0))
def test_top_h_keeps_what_its_reference_keeps(z, h):
    stays = kept(top_h(z, h))
    if h == 0:
        assert np.array_equal(top_h(z, h), z)
        return
    for row, keep in zip(z, stays, strict=True):
        want, near = top_h_by_its_reference(row, h)
        if near > 1e-9:
            assert set(np.flatnonzero(keep)) == want
        assert keep.sum() <= 100 and keep[row.argmax()]


def test_top_h_by_hand():
    p = np.array([[0.5, 0.25, 0.125, 0.125]])  # terms .347 .347 .26 .26: H = 1.213
    assert kept(top_h(np.log(p), 0.3)).tolist() == [[True, False, False, False]]
    assert kept(top_h(np.log(p), 0.6)).tolist() == [[True, True, False, False]]  # .693<=.728
    assert kept(top_h(np.log(p), 1.0)).all()


def test_smoothing_by_hand():
    z = np.array([[0.0, -1.0, -2.0, -np.inf]])
    np.testing.assert_allclose(smoothing(z, 1.0, 1.0), [[0, -1, -4, -np.inf]])  # quadratic
    np.testing.assert_allclose(smoothing(z, 1.0, 3.0), [[0, -1, -8, -np.inf]])  # cubic
    np.testing.assert_allclose(smoothing(z + 5, 0.5, 2.0),  # k = s = 1/2, about the top
                               [[5, 5 - 0.25 - 0.25, 5 - 1 - 2, -np.inf]])


@given(logits, st.floats(0.0, 5.0), st.floats(1.0, 3.0))
def test_smoothing_keeps_the_order_and_the_top(z, factor, curve):
    out = smoothing(z, factor, curve)
    assert np.array_equal(out.max(axis=1), z.max(axis=1))  # the top stays where it was
    assert np.array_equal(np.isfinite(out), np.isfinite(z))
    order = np.argsort(-z, axis=1, kind="stable")
    s = np.take_along_axis(out, order, axis=1)
    assert (np.diff(s, axis=1) <= 1e-9 * (1 + np.abs(s[:, 1:])) + 0 * s[:, 1:]).all() or \
        not np.isfinite(s).all()
    if factor == 0:
        assert np.array_equal(out, z)


# ------------------------------------------------------------------ no-repeat-n-gram
def banned_by_its_reference(history: list[int], n: int) -> set[int]:
    """transformers' _get_ngrams / _get_generated_ngrams, plainly: the tokens that followed
    the last n - 1 tokens anywhere before."""
    if len(history) < n:
        return set()
    grams: dict[tuple, set] = {}
    for j in range(len(history) - n + 1):
        gram = tuple(history[j:j + n])
        grams.setdefault(gram[:-1], set()).add(gram[-1])
    return grams.get(tuple(history[len(history) - n + 1:]), set())


@given(st.lists(st.integers(0, 5), max_size=60), st.integers(1, 5))
def test_no_repeat_ngram_bans_what_its_reference_bans(history, n):
    from tempgen.generate.samplers.penalties import no_repeat

    z = np.log(np.full((1, 6), 1 / 6))
    out = no_repeat(z, [history], n, 4096)
    banned = banned_by_its_reference(history, n)
    if len(banned) < 6:
        assert set(np.flatnonzero(out[0] == -np.inf)) == banned
    else:  # (every token: the likeliest stays, as no link empties a row)
        assert kept(out).sum() == 1
    assert np.array_equal(no_repeat(z, [history[-2:]], 3, 4096), z)  # too short: nothing


@pytest.mark.parametrize("fast", [True, False])
def test_no_repeat_ngram_text_never_repeats_an_ngram(fast, monkeypatch):
    from tempgen.generate import compiled
    from tempgen.generate.samples import one_sample
    from tempgen.lm import store

    if not fast:
        monkeypatch.setattr(compiled, "AVAILABLE", False)
    model = store.load("shakespeare-char")
    chain = build_chain({"no_repeat_ngram_size": 5, "temperature": 0.0})
    sample = one_sample(model, "KING", chain, 400, 1, 0)
    text = "KING" + "".join(sample.tokens)
    grams = [text[i:i + 5] for i in range(len(text) - 4)]
    assert len(set(grams)) == len(grams)  # (greedy text, which loops at once without it)


# ------------------------------------------------------------------ logit bias
def test_logit_bias_adds_each_bias_to_its_token_and_minus_inf_bans():
    from tempgen.generate.samplers.bias import logit_bias

    z = np.log([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    out = logit_bias(z, ((1, 2.0), (2, -np.inf), (1, 0.5)))  # token 1 named twice: both
    np.testing.assert_allclose(out[:, 0], z[:, 0])
    np.testing.assert_allclose(out[:, 1], z[:, 1] + 2.5)
    assert (out[:, 2] == -np.inf).all()
    assert np.array_equal(logit_bias(z, ()), z)  # its neutral value: the row unchanged
    every = logit_bias(z, ((0, -np.inf), (1, -np.inf), (2, -np.inf)))  # never empty
    assert kept(every).tolist() == [[True, False, False], [False, False, True]]


@given(logits, st.lists(st.tuples(st.integers(0, 29), st.floats(-50, 50)), max_size=6))
def test_logit_bias_changes_only_the_named_tokens(z, pairs):
    from tempgen.generate.samplers.bias import logit_bias

    pairs = tuple((t, b) for t, b in pairs if t < z.shape[1])
    out = logit_bias(z, pairs)
    named = np.zeros(z.shape[1], dtype=bool)
    for t, _ in pairs:
        named[t] = True
    assert np.array_equal(out[:, ~named], z[:, ~named])
    want = z.copy()
    for t, b in pairs:
        want[:, t] += b
    np.testing.assert_allclose(out, want)


@pytest.mark.parametrize(("value", "message"), [
    ("e=1", "list of TOKEN=BIAS"), (["e"], "not TOKEN=BIAS"), (["=1"], "not TOKEN=BIAS"),
    (["e=x"], "must be a number"), (["e=nan"], "or -inf"), (["e=inf"], "or -inf"),
    ([("e", 1, 2)], "TOKEN=BIAS"), ([(True, 1)], "TOKEN=BIAS"), ({"e": 1e7}, "or -inf")])
def test_a_bad_logit_bias_is_named(value, message):
    with pytest.raises(ValueError, match=message):
        build_chain({"logit_bias": value})


def test_logit_biases_name_one_token_of_the_model():
    from tempgen.lm.tokenizer import CharTokenizer

    tok = CharTokenizer.fit("abc\n")
    chain = build_chain({"logit_bias": [("a", 1.0), ("\n", -np.inf)]})
    bound = chain.for_model(tok)
    assert bound.links[0].value == ((tok.encode("a")[0], 1.0), (tok.encode("\n")[0], -np.inf))
    assert build_chain({"logit_bias": ["x==2"]}).links[0].value == (("x=", 2.0),)
    for text, message in (("z", "not a token"), ("ab", "2 tokens"), ("", "no token")):
        with pytest.raises(ValueError, match=message):
            build_chain({"logit_bias": [(text, 1.0)]}).for_model(tok)
    with pytest.raises(ValueError, match="bind"):
        chain.apply(np.zeros((1, 4)))


# ------------------------------------------------------------------ adaptive-p
def test_adaptive_p_by_hand():
    # llama.cpp's transform: 5 - 10 d^2 / (1 + d), d = |p - t| / 0.3
    from tempgen.generate.samplers import adaptive

    p = np.array([[0.5, 0.3, 0.2, 0.0]])
    state = RowState([], 0, adapt=adaptive.start(0.3, 0.9))  # (3, 10): average 0.3
    with np.errstate(divide="ignore"):
        out = adaptive.adaptive_p(np.log(p), 0.3, [state])
    d = np.abs(p[0, :3] - 0.3) / 0.3
    np.testing.assert_allclose(out[0, :3], 5 - 10 * d * d / (1 + d), rtol=1e-12)
    assert out[0, 3] == -np.inf and state.drawn_p[0] == 0.5


def test_adaptive_p_memory_moves_as_its_reference_says():
    # llama_sampler_adaptive_p_accept: sum = p + decay sum, weight = 1 + decay weight,
    # primed as if the target were met; the adapted target 2 target - sum / weight
    from tempgen.generate.samplers import adaptive

    target, decay = 0.4, 0.75
    chain = build_chain({"adaptive_target": target, "adaptive_decay": decay})
    states = chain.start(None, [], 1)
    total, weight = target / (1 - decay), 1 / (1 - decay)
    assert states[0].adapt == (total, weight)
    rows = np.log(np.array([[0.7, 0.2, 0.1], [0.05, 0.9, 0.05], [0.6, 0.3, 0.1]]))
    for row, token in zip(rows, [0, 1, 2], strict=True):
        logq, _ = chain.apply(row[None, :], states)
        p = float(np.exp(row[token]))
        chain.update(states, [token], [logq[0, token]])
        total, weight = p + decay * total, 1 + decay * weight
        np.testing.assert_allclose(states[0].adapt, (total, weight), rtol=1e-12)
    t = adaptive.adapted(target, states[0].adapt)
    assert t == min(max(2 * target - total / weight, 0), 1)


def test_adaptive_p_draws_toward_its_target():
    # over a long text the drawn tokens' average probability comes near the target
    from tempgen.generate.samples import one_sample
    from tempgen.lm import store

    model = store.load("shakespeare-char")
    for target in (0.2, 0.6):
        chain = build_chain({"adaptive_target": target, "min_p": 0.02})
        sample = one_sample(model, "KING", chain, 1500, 3, 0)
        ps = np.exp(sample.model_logprobs)
        assert abs(ps.mean() - target) < 0.12, (target, ps.mean())


def test_adaptive_p_after_xtc_is_refused():
    with pytest.raises(ValueError, match="adaptive"):
        build_chain({"adaptive_target": 0.5, "xtc_probability": 0.5})


def test_the_explorer_replays_adaptive_p_memory_as_the_decode_moved_it():
    from tempgen.analysis.explore import adaptive_memory
    from tempgen.generate.decode import generate_blocks
    from tempgen.generate.draw import streams
    from tempgen.generate.samples import one_sample
    from tempgen.lm import store

    model = store.load("shakespeare-char")
    chain = build_chain({"adaptive_target": 0.3, "min_p": 0.05})
    ids = model.tokenizer.encode("KING")
    sample = one_sample(model, "KING", chain, 300, 5, 0)
    for k in (0, 1, 77, 300):
        states = chain.start(model.tokenizer, ids, 1)
        for _ in generate_blocks(model, model.contexts_after(ids, 1), [chain], [0],
                                 streams(5, 1), [0], k, states=states):
            pass
        np.testing.assert_allclose(adaptive_memory(model, ids, sample, k, chain),
                                   states[0].adapt, rtol=1e-9)
