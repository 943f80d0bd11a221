"""tempgen map: every interval it reports gives its text when sampled (inside, and just
inside both ends, by the compiled loop and by numpy), nothing is missed (a fine grid of T on
small random models finds no other text), and the intervals tile the range."""

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from tempgen.analysis.lines import Unmappable, check_mappable, envelope
from tempgen.analysis.textmap import text_map
from tempgen.cli import cli
from tempgen.generate import compiled
from tempgen.generate.samplers.chain import build_chain
from tempgen.generate.samples import one_sample
from tempgen.io.corpus import Corpus
from tempgen.lm import store
from tempgen.lm.training import train_model


def sampled(model, prompt, settings_, t, length, seed):
    stops = ["\n"] if model.per_line else []
    chain = build_chain({**settings_, "temperature": t})
    return list(one_sample(model, prompt, chain, length, seed, stops=stops).ids)


def inside(x) -> list[float]:
    """Temperatures inside a text's interval: its middle, and just inside both ends."""
    if x.lo == x.hi:
        return [x.lo]
    width = x.hi - x.lo
    out = [x.lo + width / 2]
    if width > 1e-6 * max(x.hi, 1e-300):
        out += [x.lo + width * 1e-7 if x.lo > 0 else x.hi * 1e-7, x.hi - width * 1e-7]
    return out


@pytest.fixture(scope="module")
def arpa_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("arpa") / "names.arpa"
    assert CliRunner().invoke(cli, ["export", "names-char", str(path)]).exit_code == 0
    return store.load(str(path))


CASES = [("shakespeare-char", "ROMEO.", 60, 1.5, {}),
         ("shakespeare-char", "", 40, 2.0, {"top_k": 5, "min_p": 0.05}),
         ("shakespeare-char", "ROMEO.", 40, 2.0, {"repeat_penalty": 1.3, "top_p": 0.9}),
         ("shakespeare-word", "KING", 12, 2.0, {}),
         ("shakespeare-word", "KING", 12, 2.0, {"top_k": 40, "dry_multiplier": 0.8}),
         ("names-char", "", 12, 3.0, {}),
         ("arpa", "", 12, 3.0, {"typical_p": 0.9, "top_n_sigma": 2})]


@pytest.mark.parametrize("numpy_only", [False, True], ids=["compiled", "numpy"])
@pytest.mark.parametrize(("name", "prompt", "length", "hi", "settings_"), CASES,
                         ids=[f"{c[0]}-{'-'.join(c[4]) or 'T'}" for c in CASES])
def test_every_interval_gives_its_text(name, prompt, length, hi, settings_, numpy_only,
                                       arpa_model, monkeypatch):
    if numpy_only:
        monkeypatch.setattr(compiled, "AVAILABLE", False)
    model = arpa_model if name == "arpa" else store.load(name)
    found = text_map(model, prompt, build_chain({**settings_, "temperature": 1.0}), length,
                     3, 0.0, hi)
    assert found.complete and len(found.texts) >= 2
    # the intervals tile [0, hi): each starts where the one before ends
    assert found.texts[0].lo == 0 and found.texts[-1].hi == hi
    assert all(a.hi == b.lo for a, b in zip(found.texts, found.texts[1:], strict=False))
    assert all(a.tokens != b.tokens for a, b in zip(found.texts, found.texts[1:], strict=False))
    # the first is greedy decoding; the critical T is where the second starts
    assert found.texts[0].tokens == sampled(model, prompt, settings_, 0, length, 3)
    assert found.critical == next(x.lo for x in found.texts if x.lo > 0)
    checked = found.texts if len(found.texts) <= 40 else found.texts[::len(found.texts) // 40]
    for x in checked:
        for t in inside(x):
            assert sampled(model, prompt, settings_, t, length, 3) == x.tokens, (x.lo, x.hi, t)


def tiny_model(text: str, order: int):
    return train_model(Corpus(text, "t", "", len(text)), "char", order, "t")


@settings(max_examples=25, deadline=None)
@given(text=st.text(alphabet="abc \n", min_size=8, max_size=60), order=st.integers(1, 3),
       seed=st.integers(0, 2**32), length=st.integers(1, 6))
def test_a_fine_grid_finds_no_text_the_map_misses(text, order, seed, length):
    model = tiny_model(text, order)
    chain = build_chain({"temperature": 1.0})
    found = text_map(model, "", chain, length, seed, 0.0, 4.0)
    grid = np.concatenate([[0.0], np.geomspace(1e-3, 4.0, 600, endpoint=False)])
    seen = []
    for t in grid:
        ids = sampled(model, "", {}, float(t), length, seed)
        if not seen or seen[-1] != ids:
            seen.append(ids)
        owner = next(x for x in found.texts if x.lo <= t < x.hi or x.lo == x.hi == t)
        assert owner.tokens == ids, t
    # each text the grid meets is one of the map's, in the map's order
    listed = [x.tokens for x in found.texts]
    assert [listed.index(s) for s in seen] == sorted({listed.index(s) for s in seen})


@given(z=st.lists(st.floats(-30, 0), min_size=1, max_size=12),
       g=st.lists(st.floats(-2, 8), min_size=12, max_size=12),
       hi=st.floats(0.01, 50))
def test_the_envelope_is_the_argmax_everywhere(z, g, hi):
    z, g = np.array(z), np.array(g[:len(z)])
    pieces = envelope(z, g, 0.0, hi)
    assert pieces[-1][2] == hi
    assert all(a[2] == b[1] for a, b in zip(pieces, pieces[1:], strict=False))
    for token, a, b in pieces:
        if b > a:
            t = (a + b) / 2
            best = z + t * g
            assert best[token] >= best.max() - 1e-9 * (1 + abs(best.max()))
        else:  # T = 0 exactly: the likeliest, ties to the lowest id
            assert token == int(np.argmax(z))


@pytest.mark.parametrize(("settings_", "word"), [
    ({"xtc_probability": 0.5}, "xtc"), ({"mirostat": 2}, "Mirostat"),
    ({"dynatemp_range": 0.5}, "dynamic temperature")])
def test_a_chain_whose_text_is_not_lines_in_t_is_refused_by_name(settings_, word):
    with pytest.raises(Unmappable, match=word):
        check_mappable(build_chain({**settings_, "temperature": 1.0}))
    result = CliRunner().invoke(cli, ["map", "-n", "5", *sum(
        ([f"--{k.replace('_', '-')}", str(v)] for k, v in settings_.items()), [])])
    assert result.exit_code == 2 and word in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_cut_after_temperature_is_refused():
    chain = build_chain({"temperature": 1.0, "top_k": 5}, ["temperature", "top_k"])
    with pytest.raises(Unmappable, match="top_k comes after temperature"):
        check_mappable(chain)


def test_max_texts_stops_with_the_map_whole_up_to_where_it_got():
    model = store.load("shakespeare-char")
    chain = build_chain({"temperature": 1.0})
    whole = text_map(model, "ROMEO.", chain, 80, 2, 0.0, 2.0)
    part = text_map(model, "ROMEO.", chain, 80, 2, 0.0, 2.0, max_texts=10)
    assert not part.complete and len(part.texts) <= 10 and part.reached < 2.0
    assert part.texts[-1].hi == part.reached or part.texts[-1].hi <= part.reached
    for a, b in zip(part.texts[:-1], whole.texts, strict=False):
        assert (a.lo, a.hi, a.tokens) == (b.lo, b.hi, b.tokens)


def run(*args):
    return CliRunner().invoke(cli, ["map", *map(str, args)])


def test_the_command_in_json_text_and_pictures(tmp_path):
    data = json.loads(run("-p", "ROMEO.", "-n", 40, "--range", "0:1", "--seed", 5,
                          "--format", "json").stdout)
    assert data["count"] == len(data["texts"]) >= 2 and data["complete"]
    assert data["texts"][0]["from"] == 0 and data["texts"][-1]["to"] == 1.0
    assert data["critical_temperature"] == data["texts"][1]["from"]
    for x in data["texts"][1:]:  # (a text and the tokens it is made of)
        assert "".join(p for p, _ in x["pieces"]) == x["text"]
    plain = run("-p", "ROMEO.", "-n", 40, "--range", "0:1", "--seed", 5).stdout.splitlines()
    rows = [line.split("\t") for line in plain if not line.startswith("#")]
    assert [float(r[0]) for r in rows] == [x["from"] for x in data["texts"]]  # exact floats
    lines = run("-p", "ROMEO.", "-n", 40, "--range", "0:1", "--seed", 5, "--format", "jsonl")
    assert len(lines.stdout.splitlines()) == data["count"]
    svg, page = tmp_path / "m.svg", tmp_path / "m.html"
    assert run("-p", "ROMEO.", "-n", 40, "--range", "0:1", "--seed", 5, "--save-svg", svg,
               "--save-html", page).exit_code == 0
    assert svg.read_text().startswith("<svg") and "<table>" in page.read_text()
    assert "http" not in page.read_text().replace("http://www.w3.org/2000/svg", "")


@pytest.mark.parametrize(("args", "words"), [
    (["--range", "1:1"], ["--range", "LO < HI"]), (["--range", "0:inf"], ["--range"]),
    (["--range", "x"], ["--range"]), (["--range", "-1:2"], ["--range"]),
    (["--max-texts", "0"], ["--max-texts"]), (["-n", "0"], ["--length"])])
def test_bad_options_are_one_line(args, words):
    result = run(*args)
    assert result.exit_code == 2 and all(w in result.stderr for w in words)
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_critical_temperature_is_where_greedy_decoding_ends():
    model = store.load("shakespeare-char")
    found = text_map(model, "ROMEO.", build_chain({"temperature": 1.0}), 50, 4, 0.0, 1.0)
    greedy = sampled(model, "ROMEO.", {}, 0, 50, 4)
    below = found.critical * (1 - 1e-6)
    assert sampled(model, "ROMEO.", {}, below, 50, 4) == greedy
    assert sampled(model, "ROMEO.", {}, found.critical * (1 + 1e-6), 50, 4) != greedy
    assert not math.isnan(found.critical)


def test_sweep_v_says_each_columns_interval_and_it_holds():
    result = CliRunner().invoke(cli, ["sweep", "-n", "60", "--seed", "3", "-v",
                                      "--temperatures", "0,0.5,1", "-p", "ROMEO."])
    spans = [line for line in result.stderr.splitlines() if "the same text for" in line]
    assert len(spans) == 3
    model = store.load("shakespeare-char")
    for line in spans[1:]:
        t = float(line.split("T = ")[1].split(":")[0])
        lo, hi = (float(x) for x in line.split("[")[1].rstrip(")").split(", "))
        assert lo <= t < hi
        for inner in (lo + (hi - lo) * 0.01, hi - (hi - lo) * 0.01):  # (6 digits: inside)
            assert sampled(model, "ROMEO.", {}, inner, 60, 3) == sampled(model, "ROMEO.", {},
                                                                        t, 60, 3)
