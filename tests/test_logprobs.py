"""Recorded completions: every API shape read into one form, bad files refused in one line
naming the position and the field, and the entropy bounds holding the true entropy."""

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from tempgen.analysis.estimate import estimate_temperature
from tempgen.analysis.recorded import at_temperature, figures
from tempgen.cli import cli
from tempgen.errors import TempgenError
from tempgen.io.jsondocs import documents
from tempgen.io.logprobs import Position, Recorded, read_recorded


def alt(token, lp, raw=True):
    return {"token": token, "logprob": lp, **({"bytes": list(token.encode())} if raw else {})}


CHAT = {"choices": [{"logprobs": {"content": [
    {**alt("Hi", -0.1), "top_logprobs": [alt("Hi", -0.1), alt("Hello", -2.5)]},
    {**alt("!", -1.0), "top_logprobs": [alt(".", -0.7), alt("!", -1.0)]}]}}]}
COMPLETIONS = {"choices": [{"logprobs": {"tokens": ["Hi", "!"], "token_logprobs": [-0.1, -1.0],
                                         "top_logprobs": [{"Hi": -0.1, "Hello": -2.5},
                                                          {".": -0.7, "!": -1.0}]}}]}
LLAMA = {"completion_probabilities": [
    {"id": 1, **alt("Hi", -0.1), "top_logprobs": [alt("Hi", -0.1), alt("Hello", -2.5)]},
    {"id": 2, **alt("!", -1.0), "top_logprobs": [alt(".", -0.7), alt("!", -1.0)]}]}
LLAMA_PROBS = {"completion_probabilities": [  # after its samplers: probabilities
    {"token": "Hi", "prob": math.exp(-0.1),
     "top_probs": [{"token": "Hi", "prob": math.exp(-0.1)},
                   {"token": "Hello", "prob": math.exp(-2.5)}]},
    {"token": "!", "prob": math.exp(-1.0),
     "top_probs": [{"token": ".", "prob": math.exp(-0.7)},
                   {"token": "!", "prob": math.exp(-1.0)}]}]}
LLAMA_OLD = {"completion_probabilities": [  # the older shape: the chosen token in its list
    {"content": "Hi", "probs": [{"tok_str": "Hi", "prob": math.exp(-0.1)},
                                {"tok_str": "Hello", "prob": math.exp(-2.5)}]},
    {"content": "!", "probs": [{"tok_str": ".", "prob": math.exp(-0.7)},
                               {"tok_str": "!", "prob": math.exp(-1.0)}]}]}
OLLAMA = {"model": "gemma3", "response": "Hi!", "logprobs": [
    {**alt("Hi", -0.1), "top_logprobs": [alt("Hi", -0.1), alt("Hello", -2.5)]},
    {**alt("!", -1.0), "top_logprobs": [alt(".", -0.7), alt("!", -1.0)]}]}
SHAPES = {"openai-chat": CHAT, "openai-completions": COMPLETIONS, "llama.cpp": LLAMA,
          "llama.cpp probs": LLAMA_PROBS, "llama.cpp old": LLAMA_OLD, "ollama": OLLAMA}


def read(text, fmt=None):
    data = text.encode() if isinstance(text, str) else text
    return read_recorded(documents(data.split(b"\n"), "f.json"), "f.json", fmt)


def chunked(doc):
    """A response cut into one chunk a token, as a streaming API sends it."""
    if "choices" in doc:
        lp = doc["choices"][0]["logprobs"]
        if "content" in lp:
            return [{"choices": [{"logprobs": {"content": [row]}}]} for row in lp["content"]]
        return [{"choices": [{"logprobs": {k: [v[i]] for k, v in lp.items()}}]}
                for i in range(len(lp["tokens"]))]
    key = "completion_probabilities" if "completion_probabilities" in doc else "logprobs"
    return [{key: [row]} for row in doc[key]]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("packing", ["whole", "chunk list", "json lines", "events"])
def test_every_shape_and_packing_reads_the_same(shape, packing):
    doc = SHAPES[shape]
    text = {"whole": json.dumps(doc, indent=2),
            "chunk list": json.dumps(chunked(doc)),
            "json lines": "\n".join(json.dumps(c) for c in chunked(doc)),
            "events": "".join(f"data: {json.dumps(c)}\n\n" for c in chunked(doc))
            + "data: [DONE]\n"}[packing]
    rec = read(text)
    assert rec.format == shape.split()[0]
    assert rec.text == "Hi!"
    assert [p.token for p in rec.positions] == ["Hi", "!"]
    assert [p.logprob for p in rec.positions] == pytest.approx([-0.1, -1.0])
    assert rec.positions[1].listed[0][0] == "."  # most likely first
    assert [p.chosen for p in rec.positions] == [0, 1]


def test_tokens_are_rebuilt_from_bytes_across_a_split_character():
    cup = "☕".encode()
    rows = [{"token": "bytes:\\xe2\\x98", "logprob": -1.0, "bytes": list(cup[:2]),
             "top_logprobs": [{"token": "bytes:\\xe2\\x98", "logprob": -1.0,
                               "bytes": list(cup[:2])}]},
            {"token": "bytes:\\x95", "logprob": -0.5, "bytes": list(cup[2:]),
             "top_logprobs": []},
            {"token": "é", "logprob": -0.2, "bytes": list("é".encode())[:1]}]  # never ends
    rec = read(json.dumps({"choices": [{"logprobs": {"content": rows}}]}))
    assert [p.token for p in rec.positions] == ["", "☕", "\ufffd"]
    assert rec.positions[0].chosen == 0 and rec.positions[1].chosen is None


@pytest.mark.parametrize(("doc", "message"), [
    ({"choices": [{"logprobs": {"content": [{"logprob": -1}]}}]}, "position 0: token: missing"),
    ({"choices": [{"logprobs": {"content": [{"token": "a"}]}}]},
     "position 0: logprob: missing"),
    ({"choices": [{"logprobs": {"content": [alt("a", -1), {"token": "b", "logprob": "x"}]}}]},
     "position 1: logprob: a number expected"),
    ({"choices": [{"logprobs": {"content": [alt("a", 0.5)]}}]}, "logprob: 0.5 is above 0"),
    ({"choices": [{"logprobs": {"content": [{**alt("a", -1), "bytes": [300]}]}}]},
     "position 0: bytes: a list of integers 0-255"),
    ({"choices": [{"logprobs": {"content": [{**alt("a", -1), "top_logprobs": [{"token":
                                                                               "b"}]}]}}]},
     "position 0: top_logprobs.logprob: missing"),
    ({"choices": [{"logprobs": {"content": [{**alt("a", -1), "top_logprobs": 3}]}}]},
     "top_logprobs: a list expected"),
    ({"choices": [{"logprobs": {"tokens": ["a"], "token_logprobs": []}}]},
     "differ in length"),
    ({"completion_probabilities": [{"content": "a", "probs": [{"tok_str": "b", "prob": 1}]}]},
     "not among those listed"),
    ({"completion_probabilities": [{"token": "a", "prob": 1.5}]}, "prob: 1.5 is not in"),
    ({"choices": [{"message": {"content": "no logprobs asked"}}]}, "no token log-probabilities"),
    ([], "no token log-probabilities"),
])
def test_a_bad_file_is_one_error_naming_the_position_and_field(doc, message):
    with pytest.raises(TempgenError, match=message):
        read(json.dumps(doc))


def test_nan_and_broken_json_are_refused():
    with pytest.raises(TempgenError, match="position 0: logprob: NaN"):
        read('{"logprobs": [{"token": "a", "logprob": NaN}]}')
    with pytest.raises(TempgenError, match="not JSON"):
        read('{"logprobs": [')
    with pytest.raises(TempgenError, match="line 2: not JSON"):
        read(json.dumps(OLLAMA) + "\n{oops\n")
    with pytest.raises(TempgenError, match="openai-chat among ollama responses"):
        read(json.dumps(OLLAMA) + "\n" + json.dumps(CHAT))


@pytest.mark.parametrize("data", [b"[" * 100000 + b"]" * 100000, b"\xff\xfe{}",
                                  b'{"logprobs": [{"token": "a", "logprob": -1e999}]}' * 2,
                                  b"\n\n", b"data: [DONE]\n"])
def test_hostile_bytes_are_one_error_or_read(data, tmp_path):
    path = tmp_path / "r.json"
    path.write_bytes(data)
    result = CliRunner().invoke(cli, ["logprobs", str(path), "--format", "json"])
    assert result.exit_code in (0, 1) and "Traceback" not in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_sentinels_and_empty_lists_are_read():
    rows = [{**alt("a", -0.05), "top_logprobs": [alt("a", -0.05), alt("b", -9999.0)]},
            {**alt("c", -3.0), "top_logprobs": []}]
    rec = read(json.dumps({"logprobs": rows}))
    f0, f1 = (figures(p, 1000) for p in rec.positions)
    assert f0["listed_mass"] == pytest.approx(math.exp(-0.05))
    assert f1["listed_mass"] == pytest.approx(math.exp(-3.0)) and not f1["chosen_listed"]
    lo, hi = f1["entropy_bits"]
    assert 0 < lo < hi <= math.log2(1000) + 1e-9


@settings(deadline=None, max_examples=200)
@given(st.integers(2, 300), st.integers(1, 20), st.floats(0.05, 5), st.integers(0, 2**31))
def test_entropy_bounds_hold_the_true_entropy(vocab, listed, spread, seed):
    # any distribution, listed by its top `listed` tokens (the chosen one among them or not)
    rng = np.random.default_rng(seed)
    p = np.maximum(rng.dirichlet(np.full(vocab, spread)), 1e-300)  # (every token possible)
    p /= p.sum()
    order = np.argsort(-p)
    top = order[:min(listed, vocab)]
    chosen = int(rng.integers(vocab))
    pos = Position(str(chosen), math.log(p[chosen]),
                   tuple((str(i), math.log(p[i])) for i in top),
                   next((k for k, i in enumerate(top) if i == chosen), None))
    f = figures(pos, vocab)
    truth = -sum(x * math.log2(x) for x in p if x > 0)
    lo, hi = f["entropy_bits"]
    assert lo - 1e-9 <= truth <= hi + 1e-9
    if listed >= vocab:  # everything listed: the bounds meet
        assert hi - lo < 1e-9


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl"])
def test_the_command_reads_any_shape_from_a_file_or_stdin(fmt, tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(LLAMA))
    a = CliRunner().invoke(cli, ["logprobs", str(path), "--format", fmt])
    b = CliRunner().invoke(cli, ["logprobs", "-", "--format", fmt], input=json.dumps(LLAMA))
    assert a.exit_code == 0 and a.stdout == b.stdout
    if fmt == "text":
        assert a.stdout == "Hi!\n"
    elif fmt == "json":
        assert json.loads(a.stdout)["tokens"] == 2
    else:
        assert [json.loads(line)["position"] for line in a.stdout.splitlines()] == [0, 1]


def test_the_command_refuses_in_one_line(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"logprobs": [{"token": "a"}]}))
    for args in (["logprobs", str(path)], ["logprobs", str(tmp_path / "none.json")],
                 ["logprobs", str(path), "--input-format", "openai-chat"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.stderr


def listing(p, listed, chosen):
    """A Position of distribution p (numpy) listed by its top `listed` tokens."""
    top = np.argsort(-p, kind="stable")[:listed]
    return Position(str(chosen), math.log(p[chosen]),
                    tuple((str(i), math.log(p[i])) for i in top),
                    next((k for k, i in enumerate(top) if i == chosen), None))


@settings(deadline=None, max_examples=200)
@given(st.integers(2, 200), st.integers(1, 20), st.floats(0.05, 5), st.integers(0, 2**31),
       st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0, 1.7, 4.0, math.inf]))
def test_retempering_bounds_hold_the_direct_computation(vocab, listed, spread, seed, t):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(vocab, spread))
    p = np.maximum(p, 1e-300)  # (every token possible, as in a softmax)
    p /= p.sum()
    chosen = int(rng.integers(vocab))
    a = at_temperature(listing(p, listed, chosen), t, vocab)
    if t == 0:
        truth = float(chosen == int(np.argmax(p)))
    elif math.isinf(t):
        truth = 1 / vocab
    else:
        z = np.log(p) / t
        truth = math.exp(z[chosen] - z.max()) / np.exp(z - z.max()).sum()
    lo, hi = a["probability"]
    assert lo - 1e-9 <= truth <= hi + 1e-9


@pytest.mark.parametrize("t", [0.5, 1.0, 1.5])
def test_the_estimator_recovers_the_temperature_a_text_was_drawn_at(t):
    # completions drawn at t from the bundled char model, recorded as an API would: the raw
    # log-probabilities of the top 20 and of the chosen token
    from tempgen.lm import store

    model = store.load("shakespeare-char")
    rng = np.random.default_rng(int(t * 10))
    positions, ctx = [], list(model.contexts_after([], 1)[0])
    for _ in range(1500):
        lp = model.logprobs(np.array([ctx[-(model.order - 1):]]))[0]
        z = lp / t
        q = np.exp(z - z.max())
        chosen = int(rng.choice(len(q), p=q / q.sum()))
        positions.append(listing(np.exp(lp), 20, chosen))
        ctx.append(chosen)
    est = estimate_temperature(Recorded("test", tuple(positions)))
    lo, hi = est["interval"]
    assert lo < t < hi and hi - lo < 0.25 * t
    assert abs(est["temperature"] - t) < 0.08 * t


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def test_dist_of_a_recorded_position_is_its_row_with_the_rest_spread_evenly(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(LLAMA))
    result = run("dist", "--logprobs", path, "--position", 1, "--temperatures", "0.5,1,3",
                 "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["prompt"] == "Hi" and [t["token"] for t in data["tokens"]][:2] == [".", "!"]
    for col in data["temperatures"]:
        assert sum(col["q"]) == pytest.approx(1.0)
    at_1 = data["temperatures"][1]["q"]
    assert at_1[:2] == pytest.approx([math.exp(-0.7), math.exp(-1.0)])
    assert at_1[2] == pytest.approx(1 - math.exp(-0.7) - math.exp(-1.0))  # the unlisted
    # T = 1's entropy is the upper bound logprobs gives (the rest spread evenly)
    f = figures(read(json.dumps(LLAMA)).positions[1])
    assert data["temperatures"][1]["entropy_bits"] == pytest.approx(f["entropy_bits"][1])
    cut = json.loads(run("dist", "--logprobs", path, "--position", 1, "--top-k", 1,
                         "--json").stdout)
    assert [col["removed"] for col in cut["temperatures"]][0] == [False, True, True]


def test_curve_of_a_recorded_position(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(CHAT))
    data = json.loads(run("curve", "--logprobs", path, "--position", 1, "--json").stdout)
    h = data["entropy_bits"]
    assert all(a <= b + 1e-9 for a, b in zip(h, h[1:], strict=False))  # rises with T
    assert data["top_p"][0] > 0.99 and data["prompt"] == "Hi"


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--position", 2], 1, "positions 0 to 1"),
    (["--repeat-penalty", 1.3], 2, "penalties, DRY and Mirostat"),
    (["--position", -1], 2, "--position"),
])
def test_dist_of_a_recorded_position_refuses_in_one_line(args, code, message, tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(LLAMA))
    result = run("dist", "--logprobs", path, *args)
    assert result.exit_code == code and message in result.stderr
    assert "Traceback" not in result.stderr


def test_greedy_text_has_no_finite_temperature():
    # every chosen token the likeliest: the likelihood grows all the way to T = 0
    rows = [Position("a", -0.1, (("a", -0.1), ("b", -3.0)), 0),
            Position("b", -0.2, (("b", -0.2), ("a", -2.0)), 0)]
    est = estimate_temperature(Recorded("t", tuple(rows)))
    assert est == {"positions": 2, "temperature": None, "interval": None}


def test_the_vocabulary_sets_how_far_the_rest_spreads(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(LLAMA))
    small, large = (json.loads(run("curve", "--logprobs", path, "--position", 1,
                                   "--vocab-size", v, "--json").stdout) for v in (10, 10**6))
    assert small["limits"]["t_to_inf"]["entropy_bits"] == pytest.approx(math.log2(10))
    assert large["limits"]["t_to_inf"]["entropy_bits"] == pytest.approx(math.log2(10**6))
    rows = json.loads(run("dist", "--logprobs", path, "--position", 1, "--vocab-size", 10,
                          "--json").stdout)
    assert rows["tokens"][-1]["token"] == "unlisted×8"  # (10 less the two listed)


# Every logprob a file can hold: 0, ordinary, the edge of exp's range (subnormal p), p that
# rounds to 0, and -inf (llama.cpp's "prob": 0).
HOSTILE = st.sampled_from([0.0, -1e-300, -0.1, -1.0, -30.0, -700.0, -744.4, -745.1, -1e308,
                           -math.inf]) | st.floats(-800, 0)


@settings(max_examples=300)
@given(chosen=HOSTILE, listed=st.lists(HOSTILE, max_size=5), at=st.integers(0, 6),
       vocab=st.sampled_from([2, 50, 128_000, 10**8]))
def test_figures_are_defined_for_any_logprob(chosen, listed, at, vocab):
    # figures, retempering at every T and the summary with the estimate: no exception,
    # probabilities in [0, 1], entropy bounds ordered and finite
    from tempgen.analysis.recorded import summary

    listed = sorted(((f"t{i}", v) for i, v in enumerate(listed)), key=lambda a: -a[1])
    index = at if at < len(listed) else None
    if index is not None:
        chosen = listed[index][1]
    p = Position("x", chosen, tuple(listed), index)
    row = figures(p, vocab)
    low, high = row["entropy_bits"]
    assert 0 <= low <= high < math.inf
    for t in (0.0, 1e-300, 0.3, 1.0, 7.0, math.inf):
        lo, hi = at_temperature(p, t, vocab)["probability"]
        assert 0.0 <= lo <= hi <= 1.0 + 1e-12
    out = summary([p, p], "", vocab, [0.0, 0.5, 2.0], True)
    assert out["tokens"] == 2 and (out["estimate"]["temperature"] is None or
                                   out["estimate"]["temperature"] > 0)
    # and what dist, curve and the explorer show of the position
    from tempgen.analysis.recorded_rows import bars_at, position_curve, position_table
    from tempgen.generate.samplers.chain import build_chain

    rec = Recorded("openai-chat", (p,))
    chains = [build_chain({"temperature": t}) for t in (0.0, 1e-300, 1.0, math.inf)]
    from tempgen.analysis.recorded_rows import ROW_TOKENS

    if vocab <= ROW_TOKENS:  # (past it, a whole row is refused in one line)
        json.dumps(position_table(rec, 0, chains, 5, vocab), allow_nan=True)
    else:
        with pytest.raises(TempgenError):
            position_table(rec, 0, chains, 5, vocab)
    json.dumps(position_curve(rec, 0, vocab), allow_nan=True)
    for t in (0.0, 0.5, math.inf):
        json.dumps(bars_at(p, t, vocab), allow_nan=True)


def test_a_lone_surrogate_in_a_token_is_read_as_a_replacement_character(tmp_path):
    doc = ('{"choices":[{"logprobs":{"content":[{"token":"a\\ud800","logprob":-1.0,'
           '"top_logprobs":[{"token":"\\udc00b","logprob":-1.0}]}]}}]}')
    (tmp_path / "s.json").write_text(doc)
    result = CliRunner().invoke(cli, ["logprobs", str(tmp_path / "s.json"), "--format",
                                      "jsonl"])
    assert result.exit_code == 0 and json.loads(result.stdout)["token"] == "a\ufffd"


def test_a_position_past_any_file_is_refused_in_one_line(tmp_path):
    (tmp_path / "c.json").write_text(json.dumps(
        {"choices": [{"logprobs": {"content": [{"token": "a", "logprob": -1.0}]}}]}))
    for command in ("dist", "curve"):
        result = CliRunner().invoke(cli, [command, "--logprobs", str(tmp_path / "c.json"),
                                          "--position", str(2**63 - 1)])
        assert result.exit_code == 1 and "positions 0 to 0" in result.stderr, result.output


def test_the_estimate_is_the_same_kept_in_blocks_on_disk(monkeypatch):
    # positions past a block go to a temporary file; Newton reads them back block by block
    from tempgen.analysis import estimate

    rng = np.random.default_rng(3)
    rows = []
    for _ in range(500):
        lps = np.sort(rng.normal(-3, 2, rng.integers(2, 9)))[::-1]
        lps -= np.log(np.exp(lps).sum() * 1.3)
        rows.append((lps, int(rng.integers(len(lps)))))
    whole = estimate.estimate_from(rows)
    monkeypatch.setattr(estimate, "BLOCK", 7)
    blocks = estimate.estimate_from(rows)
    assert blocks["positions"] == whole["positions"] == 500
    assert blocks["temperature"] == pytest.approx(whole["temperature"], rel=1e-12)
