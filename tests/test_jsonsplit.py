"""One large response read in bounded memory: split into small documents along the path to
its long list of entries, it reads exactly as when parsed whole."""

import json
import random

import pytest
from test_logprobs import SHAPES, alt

from tempgen.errors import TempgenError
from tempgen.io import jsondocs, jsonsplit
from tempgen.io.logprobs import read_file


def long_chat(n, seed=0):
    rng = random.Random(seed)
    tokens = ['"]}', "a\\b", "[x", "{", "ok", "é", " ,"]

    def entry():
        t = rng.choice(tokens)
        return {**alt(t, -rng.random()), "top_logprobs": [alt(rng.choice(tokens), -rng.random())
                                                          for _ in range(3)]}

    return {"id": "x", "object": "chat.completion", "choices": [
        {"index": 0, "message": {"content": "[{" * 50}, "logprobs": {
            "content": [entry() for _ in range(n)], "refusal": None}},
        {"index": 1, "logprobs": {"content": [entry() for _ in range(n // 2)]}}],
        "usage": {"tokens": n}}


def long_llama(n):
    return {"content": "x", "completion_probabilities": [
        {"id": i, **alt(f"t{i}", -0.5), "top_logprobs": [alt("t", -0.1)]} for i in range(n)],
        "stop": True}


def long_completions(n):
    return {"choices": [{"text": "x", "logprobs": {
        "tokens": [f"t{i}" for i in range(n)], "token_logprobs": [-0.5] * n,
        "top_logprobs": [{f"t{i}": -0.5, "u": -1.0} for i in range(n)],
        "text_offset": list(range(n))}}]}


DOCS = {**SHAPES, "long chat": long_chat(300), "long llama.cpp": long_llama(300),
        "long completions": long_completions(300)}


@pytest.mark.parametrize("name", DOCS)
@pytest.mark.parametrize("indent", [None, 2])
def test_a_split_document_reads_as_the_whole(name, indent, tmp_path, monkeypatch):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(DOCS[name], indent=indent))
    whole = read_file(str(path))
    monkeypatch.setattr(jsonsplit, "WINDOW", 24)  # every container past 24 characters split
    monkeypatch.setattr(jsondocs, "SPLIT_LINE", 0)
    split = read_file(str(path))
    assert split == whole and len(split.positions) == len(whole.positions) > 0


@pytest.mark.parametrize("text", ['{"choices": [{"logprobs": {"content": [{"token": "a", '
                                  '"logprob": -1}, {"token": ]}}]}',
                                  '{"completion_probabilities": [{"token": "a"} {}]}',
                                  '{"logprobs": [{"token": "a", "logprob": -1}]} trailing',
                                  '{"logprobs": [{"token": "a", "logprob": -1}'])
def test_broken_json_in_a_split_document_is_one_error(text, tmp_path, monkeypatch):
    monkeypatch.setattr(jsonsplit, "WINDOW", 8)
    monkeypatch.setattr(jsondocs, "SPLIT_LINE", 0)
    (tmp_path / "r.json").write_text(text)
    with pytest.raises(TempgenError, match="r.json"):
        read_file(str(tmp_path / "r.json"))


def test_a_long_list_before_the_entries_keeps_each_document_small(monkeypatch):
    # 50,000 choices before the one with entries: each small document stays small (a copy
    # of every index's nulls made the reading cost the square of the list)
    doc = {"choices": [{} for _ in range(50_000)] + [{"logprobs": {"content": [
        {"token": "a", "logprob": -0.5}] * 1000}}]}
    lines = json.dumps(doc).replace("}, ", "},\n").encode().split(b"\n")
    monkeypatch.setattr(jsonsplit, "WINDOW", 4096)  # (values past it are walked)
    docs = list(jsonsplit.split(lines, "t", lambda path, key: False))
    assert len(docs) > 50_000 and max(len(json.dumps(d)) for d in docs) < 200
