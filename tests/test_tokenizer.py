import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tempgen.errors import TempgenError
from tempgen.lm.tokenizer import UNKNOWN, CharTokenizer, Tokenizer, WordTokenizer


@given(st.text(min_size=1))
def test_char_round_trip(text):
    tok = CharTokenizer.fit(text)
    ids = tok.encode(text)
    assert len(ids) == len(text)
    assert tok.decode(ids) == text


def test_char_newline_is_a_token_and_unknowns_are_marked():
    tok = CharTokenizer.fit("ab\n")
    assert "\n" in tok.vocab
    assert tok.encode("a\nz").tolist() == [tok.index["a"], tok.index["\n"], UNKNOWN]
    assert tok.unknown_tokens("azzy") == ["z", "y"]


# English-like prose: words separated by single spaces, punctuation attached as in English.
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
                min_size=1, max_size=8)
inner = st.tuples(words, st.sampled_from(["", "'", "-"]), words).map(
    lambda t: t[0] + t[1] + t[2] if t[1] else t[0])
word = st.one_of(words, inner, words.map(lambda w: "'" + w.lower()))
closing = st.sampled_from(["", "", "", ".", ",", ";", ":", "!", "?", "...", "?!"])


@st.composite
def prose_line(draw):
    parts = [draw(word) + draw(closing) for _ in range(draw(st.integers(1, 8)))]
    if draw(st.booleans()) and len(parts) > 1:  # a quotation inside the line
        parts[1] = '"' + parts[1]
        parts[-1] = parts[-1] + '"'
    if draw(st.booleans()):  # a bracket
        parts[0] = "(" + parts[0] + ")"
    out = " ".join(parts)
    if draw(st.booleans()) and len(parts) > 2:  # a dash joining two words
        out = out.replace(" ", "--", 1)
    return out


@given(st.lists(prose_line(), min_size=1, max_size=5), st.booleans())
def test_word_round_trip(lines, final_newline):
    text = "\n".join(lines) + ("\n" if final_newline else "")
    tok = WordTokenizer.fit(text)
    assert tok.decode(tok.encode(text)) == text


def test_word_tokens():
    toks = WordTokenizer.split("'Tis well-met, o'er the sea--KING!\nAy.")
    assert toks == ["'Tis", "well-met", ",", "o'er", "the", "sea", "--", "KING", "!", "\n",
                    "Ay", "."]


@pytest.mark.parametrize("cls", [CharTokenizer, WordTokenizer])
def test_dict_round_trip(cls):
    tok = cls.fit("Hello, world!\nHi.")
    again = Tokenizer.from_dict(tok.to_dict())
    assert type(again) is cls and again == tok
    np.testing.assert_array_equal(again.encode("Hello"), tok.encode("Hello"))


@pytest.mark.parametrize("data", [{"level": "bytes", "vocab": ["a"]},
                                  {"level": "char", "vocab": ["ab"]},
                                  {"level": "char", "vocab": ["a", "a"]},
                                  {"level": "word", "vocab": "abc"},
                                  {"level": "word", "vocab": [1, 2]}])
def test_bad_dicts_are_domain_errors(data):
    with pytest.raises(TempgenError):
        Tokenizer.from_dict(data)
