import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tempgen.generate.draw import Stream, draw
from tempgen.generate.noise import token_gumbels
from tempgen.generate.samplers.chain import build_chain
from tempgen.generate.samplers.truncation import MARGIN, min_p, top_k, top_p, typical_p
from tempgen.generate.tempering import temperature

logits = arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(2, 30)),
                elements=st.floats(-30, 5, allow_nan=False))


def normalise(z):
    return z - np.log(np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True)) - z.max(
        1, keepdims=True)


def entropy(logq):
    q = np.exp(logq)
    return -np.sum(np.where(q > 0, q * logq, 0.0), axis=1)


@given(logits, st.floats(0, 50))
def test_rows_are_distributions(z, t):
    q = np.exp(temperature(z, t))
    assert np.all(np.isfinite(temperature(z, t)) | (q == 0))
    np.testing.assert_allclose(q.sum(axis=1), 1.0, atol=1e-9)


@given(logits)
def test_temperature_one_changes_nothing(z):
    np.testing.assert_allclose(temperature(z, 1.0), normalise(z), atol=1e-9)


@given(logits, st.floats(0.05, 20))
def test_softmax_of_z_over_t_is_p_to_the_one_over_t(z, t):
    p = np.exp(normalise(z))
    textbook = p ** (1 / t) / np.sum(p ** (1 / t), axis=1, keepdims=True)
    np.testing.assert_allclose(np.exp(temperature(z, t)), textbook, rtol=1e-6, atol=1e-12)


@given(logits, st.floats(0.01, 30), st.floats(0.01, 30))
def test_entropy_never_decreases_as_t_rises(z, t1, t2):
    lo, hi = sorted((t1, t2))
    assert np.all(entropy(temperature(z, lo)) <= entropy(temperature(z, hi)) + 1e-9)


@given(logits)
def test_t_zero_is_exactly_the_argmax_and_small_t_tends_to_it(z):
    best = np.argmax(z, axis=1)  # the first maximum: ties go to the lowest id
    q0 = np.exp(temperature(z, 0.0))
    assert np.all(q0[np.arange(len(z)), best] == 1.0) and np.all(q0.sum(axis=1) == 1.0)
    z = z.copy()
    z[np.arange(len(z)), best] += 0.5  # a clear winner: 0.5 above every other token
    q = np.exp(temperature(z, 0.01))
    assert np.all(q[np.arange(len(z)), best] > 1 - 1e-6)


def test_t_inf_is_uniform_over_allowed_tokens():
    z = np.array([[0.0, -1.0, -np.inf, -50.0]])
    np.testing.assert_allclose(np.exp(temperature(z, np.inf)), [[1 / 3, 1 / 3, 0, 1 / 3]])


@pytest.mark.parametrize("t", [1e-6, 1e-3, 1e3, np.inf, 0.0])
def test_no_nan_or_inf_leaks_at_extreme_temperatures(t):
    rng = np.random.default_rng(0)
    z = normalise(rng.normal(size=(50, 40)) * 20)
    z[:, 5] = -np.inf
    out = temperature(z, t)
    assert not np.any(np.isnan(out)) and not np.any(out == np.inf)
    assert np.all(out[:, 5] == -np.inf)
    np.testing.assert_allclose(np.exp(out).sum(axis=1), 1.0, atol=1e-9)


def test_per_row_temperatures():
    z = np.log(np.array([[0.7, 0.2, 0.1]] * 3))
    out = temperature(z, np.array([0.0, 1.0, np.inf]))
    np.testing.assert_allclose(np.exp(out), [[1, 0, 0], [0.7, 0.2, 0.1], [1 / 3] * 3])


@pytest.mark.parametrize("t", [-1.0, np.nan])
def test_bad_temperature_names_the_value(t):
    with pytest.raises(ValueError, match="temperature"):
        temperature(np.zeros((1, 3)), t)


@given(logits, st.integers(1, 40))
def test_top_k_keeps_exactly_k_ties_aside(z, k):
    # (ties: within the margin, so that a last bit does not decide)
    kept = np.isfinite(top_k(z, k))
    for row, keep in zip(z, kept, strict=True):
        if k >= len(row):
            assert keep.all()
        else:
            kth = np.sort(row)[::-1][k - 1]
            assert keep.sum() == (row >= kth - MARGIN).sum() >= k
            assert np.all(row[keep] >= row[~keep].max(initial=-np.inf))


@given(logits, st.floats(0.01, 1.0))
def test_top_p_keeps_the_smallest_prefix_reaching_p(z, p):
    probs = np.exp(normalise(z))
    kept = np.isfinite(top_p(z, p))
    for prob, keep in zip(probs, kept, strict=True):
        assert prob[keep].min() >= prob[~keep].max(initial=0)  # the most likely tokens
        mass = prob[keep].sum()
        assert mass >= p - 1e-9 or keep.all()  # reaching p
        assert keep.sum() == 1 or mass - prob[keep].min() < p + 1e-9  # and no more than that


@given(logits, st.floats(0.0, 1.0))
def test_min_p_keeps_tokens_at_least_min_p_times_the_best(z, mp):
    probs = np.exp(normalise(z))
    kept = np.isfinite(min_p(z, mp))
    threshold = mp * probs.max(axis=1, keepdims=True)
    assert np.all(kept[probs > threshold * (1 + 1e-9)])  # clearly above: kept
    assert not np.any(kept[probs < threshold * (1 - 1e-9)])  # clearly below: removed
    assert np.all(kept.sum(axis=1) >= 1)


@given(logits, st.floats(0.01, 1.0))
def test_typical_keeps_mass_and_never_empties(z, p):
    out = typical_p(z, p)
    kept = np.isfinite(out)
    assert np.all(kept.sum(axis=1) >= 1)
    probs = np.exp(normalise(z))
    assert np.all((probs * kept).sum(axis=1) >= min(p, 1.0) - 1e-9)


@pytest.mark.parametrize("f,neutral", [(top_k, 0), (top_p, 1.0), (min_p, 0.0),
                                       (typical_p, 1.0)])
def test_neutral_values_do_nothing(f, neutral):
    z = np.log(np.array([[0.5, 0.3, 0.2]]))
    assert np.array_equal(f(z, neutral), z)


def test_chain_adds_only_non_neutral_links_in_default_order():
    chain = build_chain({"temperature": 0.7, "top_p": 0.9, "top_k": 40, "min_p": 0.0})
    assert [lk.name for lk in chain.links] == ["top_k", "top_p", "temperature"]
    assert str(chain) == "top_k=40 -> top_p=0.9 -> temperature=0.7"
    assert [lk.name for lk in build_chain({}).links] == ["temperature"]


def test_chain_order_can_be_given():
    chain = build_chain({"top_p": 0.9, "min_p": 0.1}, ("temperature", "min_p"))
    assert [lk.name for lk in chain.links] == ["temperature", "min_p", "top_p"]
    np.testing.assert_allclose(np.exp(chain(np.log([[0.6, 0.3, 0.1]]))).sum(), 1.0)


@pytest.mark.parametrize("settings,order,word", [
    ({"top_p": 1.5}, None, "top_p"), ({"top_p": 0.0}, None, "top_p"),
    ({"top_k": -3}, None, "top_k"), ({"min_p": 2}, None, "min_p"),
    ({"temperature": -1}, None, "temperature"), ({"typical_p": float("nan")}, None, "typical"),
    ({}, ("top_q",), "top_q"), ({}, ("top_p", "top_p"), "twice")])
def test_chain_settings_are_checked(settings, order, word):
    with pytest.raises(ValueError, match=word):
        build_chain(settings, order)


@settings(deadline=None, max_examples=30)
@given(logits, st.floats(0, 5), st.integers(0, 10), st.floats(0.05, 1), st.floats(0, 1))
def test_chain_never_empties_a_row(z, t, k, p, mp):
    out = build_chain({"temperature": t, "top_k": k, "top_p": p, "min_p": mp,
                       "typical_p": p})(z)
    np.testing.assert_allclose(np.exp(out).sum(axis=1), 1.0, atol=1e-9)


def gumbels(n: int, vocab: int, seed: int = 1):
    return token_gumbels(Stream(seed, 0).keys(n), np.arange(vocab, dtype=np.int32))


def test_draw_frequencies_match_tempered_distribution():
    # At T = 0.5 the sampling distribution is p^2 / sum p^2; chi-square test, alpha = 0.001.
    p = np.array([0.4, 0.25, 0.2, 0.1, 0.05])
    n = 100_000
    logq = temperature(np.log(p)[None, :], 0.5)
    tokens = draw(np.repeat(logq, n, axis=0), gumbels(n, len(p), 12345))
    observed = np.bincount(tokens, minlength=len(p))
    expected = n * p**2 / np.sum(p**2)
    chi2 = np.sum((observed - expected) ** 2 / expected)
    assert chi2 < 18.467  # the 0.999 quantile of chi-square with 4 degrees of freedom


def test_shared_noise_couples_rows_and_t_zero_ignores_it():
    logp = np.log(np.array([[0.5, 0.3, 0.2]] * 3))
    logq = temperature(logp, np.array([0.0, 1.0, 1.0]))
    for g in gumbels(50, 3):
        tok = draw(logq, np.repeat(g[None], 3, axis=0))
        assert tok[0] == 0 and tok[1] == tok[2]


def test_draw_never_picks_an_impossible_token():
    with np.errstate(divide="ignore"):
        logq = np.log(np.array([[0.0, 0.5, 0.0, 0.5, 0.0]]))
    tokens = draw(np.repeat(logq, 2000, axis=0), gumbels(2000, 5))
    assert set(tokens.tolist()) == {1, 3}
