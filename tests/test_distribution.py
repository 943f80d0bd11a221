import json

import numpy as np
import pytest
from click.testing import CliRunner
from helpers import decoded
from hypothesis import given
from hypothesis import strategies as st

from tempgen.analysis import calibration
from tempgen.analysis.calibration import CrossEntropy, calibrate_ids
from tempgen.analysis.distribution import curve, log_spaced, next_token_logprobs, tempered
from tempgen.cli import cli
from tempgen.generate.draw import streams
from tempgen.generate.samplers.chain import build_chain
from tempgen.generate.tempering import entropy_bits
from tempgen.io.spool import IdSpool
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


@pytest.mark.parametrize("kept", [64 << 20, 0])  # rows kept between passes, or none
def test_cross_entropy_is_the_direct_definition(model, kept, monkeypatch):
    monkeypatch.setattr(calibration, "ROWS_BYTES", kept)
    monkeypatch.setattr(calibration, "CHUNK", 7)  # many chunks, contexts across them
    ids = model.tokenizer.encode("JULIET.\nO Romeo, Romeo! wherefore art thou Romeo?\n")
    ctx = model.stream_contexts(ids)
    with IdSpool() as spool:
        spool.append(ids)
        ce = CrossEntropy(model, spool)
        at_one, at_six = ce.bits([1.0, 0.6])
    assert at_one == pytest.approx(-model.score(ctx, ids).mean() / np.log(2), rel=1e-9)
    logq = build_chain({"temperature": 0.6})(model.logprobs(ctx))
    direct = -logq[np.arange(len(ids)), ids].mean() / np.log(2)
    assert at_six == pytest.approx(direct, rel=1e-9)


class Convex:
    """A stand-in for CrossEntropy whose slope in b = 1/T is k (b - b0) + c (b - b0)^3."""

    def __init__(self, b0, k, c):
        self.b0, self.k, self.c, self.total_logp = b0, k, c, 0.0

    def moments(self, t):
        d = 1.0 / t - self.b0
        return 0.0, self.total_logp + self.k * d + self.c * d ** 3, self.k + 3 * self.c * d * d


@given(t0=st.floats(0.06, 19.0), k=st.floats(1e-3, 1e6), c=st.sampled_from([0.0, 1.0, 50.0]))
def test_the_minimum_is_found_to_rounding(t0, k, c):
    # (a slope of exactly 0 is the minimum, not an end of the bracket to halve from)
    assert calibration._newton(Convex(1.0 / t0, k, c), 0.05, 20.0) == \
        pytest.approx(t0, rel=1e-12)


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
