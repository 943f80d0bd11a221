import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from helpers import decoded

from tempgen.analysis import calibration
from tempgen.analysis.calibration import calibrate_ids
from tempgen.analysis.distribution import curve, log_spaced, next_token_logprobs, tempered
from tempgen.cli import cli
from tempgen.generate.draw import streams
from tempgen.generate.samplers.chain import build_chain
from tempgen.generate.tempering import entropy_bits, tempered_moments
from tempgen.lm import store


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


@pytest.fixture(scope="module")
def model():
    return store.load("shakespeare-char")


def test_dist_bars_are_the_chains_output(model):
    result = run("dist", "-p", "ROMEO. O", "--temperatures", "0.5,1,2", "--top", 8,
                 "--top-p", 0.9, "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    logp = next_token_logprobs(model, "ROMEO. O")
    ids = [t["id"] for t in data["tokens"]]
    assert ids == list(np.argsort(-logp, kind="stable")[:8])
    for col in data["temperatures"]:
        chain = build_chain({"temperature": col["temperature"], "top_p": 0.9})
        q = np.exp(chain(logp[None, :])[0])
        np.testing.assert_allclose(col["q"], q[ids], rtol=1e-12)
        assert col["removed"] == [bool(q[i] == 0) for i in ids]
        assert col["effective"] == pytest.approx(2 ** col["entropy_bits"])


def test_entropy_at_t_one_is_the_models(model):
    logp = next_token_logprobs(model, "To be, or not to be")
    p = np.exp(logp)
    at_one = tempered(logp, [build_chain({"temperature": 1.0})])["entropy_bits"][0]
    assert at_one == pytest.approx(-np.sum(p * np.log2(p)), rel=1e-12)


def test_curve_entropy_rises_and_reaches_its_limits(model):
    logp = next_token_logprobs(model, "")
    c = curve(logp, log_spaced(0.001, 1e4, 60))
    assert np.all(np.diff(c["entropy_bits"]) >= -1e-9)
    assert np.all(np.diff(c["top_p"]) <= 1e-12)
    assert c["entropy_bits"][0] < 0.01 and c["top_p"][0] > 0.999
    assert c["entropy_bits"][-1] == pytest.approx(c["limit_entropy_bits"], abs=0.01)
    assert c["limit_entropy_bits"] == pytest.approx(np.log2(model.vocab_size))
    assert 1.0 in log_spaced().tolist()


def sampled(model, t: float, steps: int = 20000):
    """The ids of a text drawn from the model at temperature t, in one stream."""
    return decoded(model, model.contexts_after([], 1), [build_chain({"temperature": t})],
                   [0], streams(17, 1), [0], steps).tokens[:, 0]


@pytest.mark.parametrize("t", [1.0, 0.7])
def test_calibration_recovers_the_sampling_temperature(model, t):
    result = calibrate_ids(model, [sampled(model, t)])
    assert abs(result.t_star - t) < 0.1
    assert result.bits_at_t_star <= result.bits_at_1 + 1e-12
    # the least of the curve's values: no tabulated T does better than T*
    assert all(result.bits_at_t_star <= bits + 1e-12 for _, bits in result.curve)


def direct_bits(model, ids, t: float) -> float:
    """Bits per token of the text at T, from the whole tempered rows."""
    ctx = model.stream_contexts(ids)
    logq = build_chain({"temperature": t})(model.logprobs(ctx))
    return float(-logq[np.arange(len(ids)), ids].mean() / np.log(2))


@pytest.mark.parametrize("fast", [True, False])  # the compiled loop's sums, or numpy's rows
@pytest.mark.parametrize("name", ["shakespeare-char", "shakespeare-word", "names-char"])
def test_the_moments_are_the_direct_ones(name, fast, monkeypatch):
    monkeypatch.setattr(calibration, "CHUNK", 7)  # many chunks, contexts across them
    model = store.load(name)
    ids = model.tokenizer.encode("JULIET.\nO Romeo, Romeo! wherefore art thou Romeo?\n")
    ids = ids[ids >= 0]
    temps = [0.3, 1.0, 2.5]
    with calibration.text_moments(model, fast) as text:
        assert isinstance(text, calibration.Tallied) == fast
        for lo in range(0, len(ids), 5):  # (a few ids at a time: contexts across them)
            text.add(ids[lo:lo + 5], ids[max(0, lo - model.width):lo])
        sums = text.at(temps)
        assert text.n == len(ids)
    ctx = model.stream_contexts(ids)
    logp = model.logprobs(ctx)
    want = np.array([[m.sum() for m in tempered_moments(logp, t)] for t in temps])
    np.testing.assert_allclose(sums, want, rtol=1e-9, atol=1e-9)  # (at T = 1 sum L is 0)
    assert text.total_logp == pytest.approx(model.score(ctx, ids).sum(), rel=1e-12)


@pytest.mark.parametrize("room", [1 << 14, 1 << 24])  # (a small room: renewed often)
def test_the_rows_sums_are_the_direct_ones_however_often_the_room_runs_out(room, monkeypatch):
    from tempgen.generate import compiled

    monkeypatch.setattr(compiled, "SPARSE_BYTES", room)
    model = store.load("shakespeare-word")
    ids = sampled(model, 1.2, 3000)  # (many rows, many parents kept in turn)
    temps = [0.25, 1.0, 4.0]
    counts = np.zeros(model.n_contexts, dtype=np.int64)
    logp = model.score(model.stream_contexts(ids), ids, counts)
    assert counts.sum() == len(ids) and np.count_nonzero(counts) > 1000
    sums = compiled.rows_moments(model, temps, counts)
    rows = model.logprobs(model.stream_contexts(ids))
    want = np.array([[m.sum() for m in tempered_moments(rows, t)] for t in temps])
    np.testing.assert_allclose(sums, want, rtol=1e-9, atol=1e-7)
    assert logp.sum() == pytest.approx(rows[np.arange(len(ids)), ids].sum(), rel=1e-12)


def ternary_min(f, lo: float, hi: float) -> float:
    """The argmin of a convex f on [lo, hi] (in log T), to about 1e-9."""
    a, b = math.log(lo), math.log(hi)
    for _ in range(60):
        m1, m2 = a + (b - a) / 3, b - (b - a) / 3
        if f(math.exp(m1)) < f(math.exp(m2)):
            b = m2
        else:
            a = m1
    return math.exp((a + b) / 2)


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize(("name", "t"), [("shakespeare-char", 0.7), ("shakespeare-char", 1.6),
                                         ("names-char", 1.0), ("shakespeare-word", 0.8)])
def test_t_star_is_the_least_cross_entropy(name, t, fast):
    # against a direct search of the cross-entropy from the whole rows; and the curve's
    # figures are its own
    model = store.load(name)
    ids = sampled(model, t, 3000 if model.level == "char" else 300)
    result = calibrate_ids(model, [ids], compiled_loop=fast)
    with calibration.text_moments(model, False) as text:  # (the moments are the direct ones)
        text.add(ids, ids[:0])
        sum_l = lambda x: float(text.at([x])[0, 0])  # noqa: E731
        want = ternary_min(lambda x: sum_l(x) - text.total_logp / x, 0.05, 20.0)
    assert result.t_star == pytest.approx(want, rel=1e-6)
    assert result.bits_at_t_star == pytest.approx(direct_bits(model, ids, result.t_star),
                                                  rel=1e-10)
    for temp, bits in result.curve:
        assert bits == pytest.approx(direct_bits(model, ids, temp), rel=1e-10)


def test_t_star_at_an_end_of_the_range():
    model = store.load("shakespeare-char")
    greedy = sampled(model, 0.0, 500)  # (the likelier the better: the coldest end)
    assert calibrate_ids(model, [greedy], lo=0.1).t_star == 0.1


def test_entropy_bits_by_hand():
    logq = np.array([[np.log(0.5), np.log(0.5)], [0.0, -np.inf]])
    assert entropy_bits(logq).tolist() == [1.0, 0.0]


def test_dist_and_curve_views_and_json():
    for args in (["dist", "-p", "KING"], ["dist"], ["curve", "-p", "KING"], ["curve"]):
        plain = run(*args)
        assert plain.exit_code == 0 and "\x1b[" not in plain.stdout and plain.stdout
        js = run(*args, "--json")
        assert js.exit_code == 0 and json.loads(js.stdout)
    assert "first token" in run("dist").stdout
    assert "⏎" in run("dist", "-p", "ROMEO.").stdout  # a newline is likely after a name
    out = run("curve", "-p", "KING").stdout
    assert "(model)" in out and "log2 V" in out


def test_calibrate_command(tmp_path):
    text = tmp_path / "names.txt"
    text.write_text("mary\njohn\nanna\npeter\n" * 20)
    result = run("calibrate", text, "-m", "names-char", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert {"t_star", "bits_at_1", "bits_at_t_star", "gain_bits", "curve"} <= set(data)
    assert data["bits_at_t_star"] <= data["bits_at_1"] and 0.05 <= data["t_star"] <= 20
    plain = run("calibrate", text, "-m", "names-char")
    assert plain.exit_code == 0 and "T*" in plain.stdout and "\x1b[" not in plain.stdout
