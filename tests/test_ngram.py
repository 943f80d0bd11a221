import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_kn import ReferenceKN

from tempgen.errors import TempgenError
from tempgen.lm import windows
from tempgen.lm.arrays import sliding_contexts
from tempgen.lm.counting import train
from tempgen.lm.discounts import discounts_from_counts
from tempgen.lm.tokenizer import CharTokenizer


def from_bos(ids, width, bos):
    """The contexts of a stream read from the begin symbol."""
    return sliding_contexts(ids, ([-1] * (width - 1) + [bos]) if width else [])


def char_model(text, order, per_line=False):
    tok = CharTokenizer.fit(text)
    boundary = tok.index["\n"] if per_line else None
    return tok, train(tok.encode(text), len(tok), order, boundary)


def test_hand_worked_bigram_example():
    # Corpus "ab\nab\nb\n", one stream: BOS a b \n a b \n b \n ; vocab \n=0, a=1, b=2.
    tok, m = char_model("ab\nab\nb\n", 2)
    assert tok.vocab == ["\n", "a", "b"]
    # Bigram counts (BOS,a)=1 (a,b)=2 (b,\n)=3 (\n,a)=1 (\n,b)=1: count-of-counts t4 = 0,
    # so the discounts fall back to (0.5, 1, 1.5); unigram continuation counts
    # N1+(. \n)=1 {b}, N1+(. a)=2 {BOS, \n}, N1+(. b)=2 {a, \n}: t3 = 0, also fallback.
    assert m.discounts.tolist() == [[0.5, 1.0, 1.5], [0.5, 1.0, 1.5]]
    # Unigrams: sum of adjusted counts 5; u = (a - D)/5; gamma = (0.5*1 + 1*2)/5 = 0.5.
    p1 = np.array([(1 - 0.5) / 5, (2 - 1) / 5, (2 - 1) / 5]) + 0.5 / 3
    # After "a": only b (count 2): u(b|a) = (2-1)/2, gamma(a) = 1*1/2.
    after_a = 0.5 * p1 + np.array([0, 0, 0.5])
    # After "b": only \n (count 3): u = (3-1.5)/3, gamma = 1.5/3.
    after_b = 0.5 * p1 + np.array([0.5, 0, 0])
    # After "\n": a and b once each: u = (1-0.5)/2 each, gamma = (0.5*2)/2.
    after_nl = 0.5 * p1 + np.array([0, 0.25, 0.25])
    # After BOS: a once: u = 0.5, gamma = 0.5.
    after_bos = 0.5 * p1 + np.array([0, 0.5, 0])
    got = m.probs(np.array([[1], [2], [0], [m.bos], [-1]]))
    np.testing.assert_allclose(got, [after_a, after_b, after_nl, after_bos, p1], rtol=1e-12)


def test_discount_formula_by_hand():
    # t1=4, t2=2, t3=1, t4=1: Y = 4/(4+2*2) = 0.5
    adj = np.array([1, 1, 1, 1, 2, 2, 3, 4])
    d1, d2, d3 = discounts_from_counts(adj)
    assert d1 == pytest.approx(1 - 2 * 0.5 * 2 / 4)  # 0.5
    assert d2 == pytest.approx(2 - 3 * 0.5 * 1 / 2)  # 1.25
    assert d3 == pytest.approx(3 - 4 * 0.5 * 1 / 1)  # 1.0


corpora = st.text(alphabet="ab c\n", min_size=1, max_size=80)


@settings(max_examples=60, deadline=None)
@given(text=corpora, order=st.integers(1, 5), per_line=st.booleans(), data=st.data())
def test_matches_reference_implementation(text, order, per_line, data):
    if per_line and "\n" not in text:
        per_line = False
    tok, m = char_model(text, order, per_line)
    ids = tok.encode(text)
    ref = ReferenceKN(ids, len(tok), order, tok.index["\n"] if per_line else None)
    ctx = from_bos(ids, order - 1, m.bos)
    extra = data.draw(st.lists(st.lists(st.integers(-1, len(tok)), min_size=order - 1,
                                        max_size=order - 1), max_size=5))
    if extra:
        ctx = np.concatenate([ctx, np.array(extra, dtype=np.int64).reshape(len(extra), order - 1)])
    got = m.probs(ctx)
    want = np.array([ref.row(c) for c in ctx.tolist()])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)


@settings(max_examples=40, deadline=None)
@given(text=corpora, order=st.integers(1, 6), data=st.data())
def test_rows_are_distributions(text, order, data):
    tok, m = char_model(text, order)
    ctx = np.array(data.draw(st.lists(st.lists(st.integers(-3, len(tok) + 2),
                                               min_size=order - 1, max_size=order - 1),
                                      min_size=1, max_size=20)), dtype=np.int64)
    ctx = ctx.reshape(len(ctx), order - 1)
    p = m.probs(ctx)
    assert p.shape == (len(ctx), len(tok))
    assert np.all(p > 0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(np.exp(m.logprobs(ctx)), p)


@settings(max_examples=30, deadline=None)
@given(text=corpora, order=st.integers(1, 6))
def test_score_equals_row_lookup(text, order):
    tok, m = char_model(text, order)
    ids = tok.encode(text)
    ctx = from_bos(ids, order - 1, m.bos)
    np.testing.assert_allclose(m.score(ctx, ids), m.logprobs(ctx)[np.arange(len(ids)), ids],
                               rtol=1e-12)


@pytest.mark.parametrize("per_line", [False, True])
def test_byte_keys_give_the_packed_keys_model(monkeypatch, per_line):
    # Order 10 over 81 symbols needs 70 bits: its windows are byte strings. Force them on a
    # small case and check the statistics are identical to packed keys.
    text = "the cat sat on the mat\nthe dog sat on the log\n" * 3
    _, packed = char_model(text, 6, per_line)
    monkeypatch.setattr(windows, "PACKED_BITS", 9)
    _, wide = char_model(text, 6, per_line)
    for name, arr in packed.arrays().items():
        np.testing.assert_array_equal(arr, wide.arrays()[name], err_msg=name)


@settings(max_examples=40)
@given(text=st.text(alphabet="ab c\n", min_size=1, max_size=200), order=st.integers(1, 6),
       per_line=st.booleans())
def test_tallied_windows_are_the_sorted_ones(text, order, per_line):
    # a corpus's windows are counted by a tally when few kinds are possible, else by sorting
    if per_line and "\n" not in text:
        per_line = False
    tally = windows.TALLY_MIN
    try:
        windows.TALLY_MIN = 1 << 30
        _, tallied = char_model(text, order, per_line)
        windows.TALLY_MIN = 0
        _, sorted_ = char_model(text, order, per_line)
    finally:
        windows.TALLY_MIN = tally
    for name, arr in tallied.arrays().items():
        np.testing.assert_array_equal(arr, sorted_.arrays()[name], err_msg=name)


def test_unknown_token_in_context_backs_off_past_it():
    tok, m = char_model("abcabcabd\n", 3)
    a, b = tok.index["a"], tok.index["b"]
    np.testing.assert_allclose(m.probs([[-1, b]]), m.probs([[-1, b]]))
    # an unknown just before "b" gives the same row as knowing only "b"
    np.testing.assert_allclose(m.probs([[-1, b]]), m.probs([[-7, b]]))
    assert not np.allclose(m.probs([[a, b]]), m.probs([[-1, b]]))


def test_per_line_context_resets_at_newline():
    tok, m = char_model("ab\nba\nab\n", 3, per_line=True)
    a, b, nl = tok.index["a"], tok.index["b"], tok.index["\n"]
    np.testing.assert_allclose(m.probs([[b, nl]]), m.probs([[-1, m.bos]]))
    np.testing.assert_allclose(m.probs([[nl, a]]), m.probs([[m.bos, a]]))


@pytest.mark.parametrize("order", [0, 11])
def test_order_out_of_range(order):
    with pytest.raises(TempgenError, match="order"):
        train(np.array([0, 1]), 2, order)


def test_empty_corpus():
    with pytest.raises(TempgenError, match="empty"):
        train(np.array([], dtype=np.int64), 1, 3)


def test_all_orders_train_and_normalise():
    tok = CharTokenizer.fit("to be or not to be\n")
    ids = tok.encode("to be or not to be\n" * 5)
    for order in range(1, 11):
        m = train(ids, len(tok), order)
        p = m.probs(from_bos(ids, order - 1, m.bos))
        np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)


def test_ngram_seen():
    tok, m = char_model("abcabc\n", 3)
    ids = tok.encode("abca")
    seen = m.ngram_seen(from_bos(ids, 2, m.bos), ids)
    # position 0 has only "BOS a", shorter than the top order: not a top-order n-gram
    assert seen.tolist() == [False, True, True, True]
    ids = tok.encode("acb")
    assert m.ngram_seen(from_bos(ids, 2, m.bos), ids).tolist() == [False, False, False]
