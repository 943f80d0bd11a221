"""The sampler options on the command line and in the explorer's API: every setting
checked with an error that names it, sweeps over any setting, and what each view shows."""

import json
import math

import pytest
from click.testing import CliRunner

from tempgen.cli import cli
from tempgen.generate.samplers.registry import SETTINGS

NUMERIC = [s for s in SETTINGS.values() if s.numeric and s.name != "temperature"]


def run(*args, code=0):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert result.exit_code == code, (result.output, result.stderr)
    return result


def bad_values(s):
    """Values each setting refuses: not numbers, NaN, and just outside its range."""
    out = ["x", "nan", "1e999"]
    if math.isfinite(s.low):
        out.append(str(s.low if s.open_low else s.low - 1))
    if math.isfinite(s.high):
        out.append(str(s.high * 2 + 1))
    if s.kind == "int":
        out.append("1.5")
    return out


@pytest.mark.parametrize("command", ["sample", "sweep", "dist"])
@pytest.mark.parametrize("setting", NUMERIC, ids=lambda s: s.name)
def test_every_setting_refuses_bad_values_in_one_line(setting, command):
    for value in bad_values(setting):
        result = run(command, setting.option, value, code=2)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and setting.option in lines[0] and value in lines[0], lines


@pytest.mark.parametrize("args,words", [
    (["--sweep-over", "nope=1"], ["--sweep-over", "top-n-sigma"]),
    (["--sweep-over", "top-k"], ["NAME=V1"]),
    (["--sweep-over", "top-k=1,x"], ["'x'"]),
    (["--sweep-over", "top-k="], ["1 to"]),
    (["--sweep-over", "dry-sequence-breakers=a"], ["--sweep-over"]),
    (["--sweep-over", "top-k=1", "--temperatures", "1"], ["--sweep-over", "--temperatures"]),
    (["--sweep-over", "mirostat=1"], ["use 2"]),
    (["--samplers", "top_k,top-k"], ["twice"]),
])
def test_sweep_over_errors(args, words):
    line = run("sweep", *args, code=2).stderr.strip()
    assert len(line.splitlines()) == 1 and all(w in line for w in words), line


def test_a_sweep_over_a_setting_labels_its_columns():
    out = run("sweep", "--sweep-over", "top-n-sigma=0.5,2", "-t", "1.5", "-n", "40",
              "--seed", "2").stdout
    assert out.startswith("top-n-sigma=0.5\n") and "\n\ntop-n-sigma=2\n" in out
    doc = json.loads(run("sweep", "--sweep-over", "xtc-probability=0,1", "--format", "json",
                         "-n", "30", "--seed", "2").stdout)
    assert doc["over"] == "xtc_probability"
    assert [c["xtc_probability"] for c in doc["columns"]] == [0.0, 1.0]
    assert [lk["name"] for lk in doc["columns"][1]["chain"]] == ["xtc", "temperature"]
    wide = run("sweep", "--sweep-over", "dynatemp-range=0,1", "-n", "60", "--seed", "2",
               "--color", "always", "--width", "100").stdout
    assert "T ± = 1" in wide and "mean T" in wide


def test_a_column_over_a_setting_is_what_sample_prints_with_it():
    sweep = run("sweep", "--sweep-over", "dry-multiplier=0,0.8", "-t", "0", "-n", "200",
                "--seed", "5").stdout
    alone = run("sample", "-t", "0", "--dry-multiplier", "0.8", "-n", "200", "--seed", "5")
    assert "dry-multiplier=0.8\n" + alone.stdout.rstrip("\n") in sweep


def test_sampler_order_names_as_llama_cpp_writes_them():
    a = run("sample", "-n", "50", "--seed", "1", "--top-k", "5", "--min-p", "0.1",
            "--samplers", "min_p;top-k;temp", "-v")
    assert "chain: min_p=0.1 -> top_k=5 -> temperature=1" in a.stderr
    b = run("sample", "-n", "50", "--seed", "1", "--top-k", "5", "--samplers", "typ_p,top_k")
    assert b.stdout


def test_dry_sequence_breakers_can_be_replaced_or_removed():
    chain = run("sample", "-n", "5", "--seed", "1", "--dry-multiplier", "1",
                "--dry-sequence-breaker", "none", "-v").stderr
    assert "sequence_breakers=[]" in chain
    chain = run("sample", "-n", "5", "--seed", "1", "--dry-multiplier", "1",
                "--dry-sequence-breaker", "\\n", "--dry-sequence-breaker", "ab", "-v").stderr
    assert "sequence_breakers=['\\n', 'ab']" in chain  # (a newline, unescaped)


def test_jsonl_reports_the_temperature_used_where_it_moves():
    rec = json.loads(run("sample", "-n", "40", "--seed", "1", "--dynatemp-range", "0.5",
                         "--format", "jsonl").stdout)
    assert len(rec["effective_temperature"]) == len(rec["tokens"])
    assert rec["chain"][-1] == {"name": "temperature", "value": 1.0, "dynatemp_range": 0.5,
                                "dynatemp_exponent": 1.0}
    plain = json.loads(run("sample", "-n", "40", "--seed", "1", "--format", "jsonl").stdout)
    assert "effective_temperature" not in plain


def test_dist_strikes_removed_tokens_and_shows_penalties():
    prompt = "the state of the world to the state of the wor"
    data = json.loads(run("dist", "-p", prompt, "--dry-multiplier", "0.8",
                          "--top-n-sigma", "1", "--json").stdout)
    col = data["temperatures"][0]
    top = [t["token"] for t in data["tokens"]]
    assert col["removed"][top.index("l")]  # "world" again: DRY weighs it down, top-n-σ cuts
    assert col["penalty"][top.index("l")] > 1.0
    args = ("dist", "-p", prompt, "--repeat-penalty", "1.5")
    cuts = json.loads(run(*args, "--json").stdout)["temperatures"][0]["penalty"]
    view = run(*args, "--width", "100").stdout  # each weighed-down token's factor, shown
    assert all(f"×{math.exp(-c):.2g}" in view for c in cuts if c) and any(cuts)


def test_the_explorer_takes_every_setting_and_names_a_bad_one():
    from starlette.testclient import TestClient

    from tempgen.lm import store
    from tempgen.web.app import create_app

    client = TestClient(create_app({"shakespeare-char": store.load("shakespeare-char")},
                                   ["testserver"]))
    config = client.get("/api/config").json()
    assert {s["name"] for s in config["settings"]} == {s.name for s in NUMERIC}
    assert config["at_hand"] == ["top_k", "typical_p", "top_p", "min_p"]  # (the registry's)
    body = {"model": "shakespeare-char", "seed": 3, "length": 80, "temperature": 0.7,
            "samplers": {"dry_multiplier": 0.8, "xtc_probability": 0.3, "mirostat": 2,
                         "dry_sequence_breakers": ["\n", "ab"]}}
    reply = client.post("/api/sample", json=body).json()
    assert "--dry-multiplier 0.8" in reply["command"] and "--mirostat 2" in reply["command"]
    assert "--dry-sequence-breaker ab" in reply["command"]
    text = "".join(t["text"] for t in reply["tokens"])
    args = __import__("shlex").split(reply["command"])[1:]
    assert run(*args).stdout.rstrip("\n") == text
    for key, value in [("xtc_probability", 2), ("mirostat", 1), ("dry_base", "x"),
                       ("dry_sequence_breakers", "ab"), ("top_n_sigma", True)]:
        bad = {**body, "samplers": {key: value}}
        reply = client.post("/api/sample", json=bad)
        assert reply.status_code == 400 and reply.json()["param"] == f"samplers.{key}"


@pytest.mark.parametrize("setting", NUMERIC + [SETTINGS["temperature"]], ids=lambda s: s.name)
def test_the_command_line_and_the_web_api_accept_and_refuse_the_same_values(setting):
    # one check per setting: the same values pass or fail on both sides
    from starlette.testclient import TestClient

    from tempgen.lm import store
    from tempgen.web.app import create_app

    client = TestClient(create_app({"names-char": store.load("names-char")}, ["testserver"]))
    values = [setting.low, setting.high, setting.default, 0, 1, 0.5, -1, 2.5, 1e300, -1e300]
    values = [v for v in values if not (isinstance(v, float) and math.isinf(v))]
    option = "-t" if setting.name == "temperature" else setting.option
    for value in values:
        cli_ok = CliRunner().invoke(cli, ["sample", "-m", "names-char", "-n", "3", "--seed",
                                          "1", option, repr(value)]).exit_code == 0
        body = {"model": "names-char", "seed": 1, "length": 3, "temperature": 1.0,
                "samplers": {setting.name: value}}
        if setting.name == "temperature":
            body = {**body, "temperature": value, "samplers": {}}
        web_ok = client.post("/api/sample", json=body).status_code == 200
        assert cli_ok == web_ok, (setting.name, value, cli_ok, web_ok)


@pytest.mark.parametrize("args", [
    ["-n", "300", "--seed", "2", "--num-samples", "3"],
    ["-m", "names-char", "--num-samples", "5", "--seed", "4"],  # (stopped at line ends)
    ["-n", "200", "--seed", "1", "--stop", "e", "-t", "0"],
    ["-n", "120", "--seed", "3", "--mirostat", "2"],  # (temperatures and bounds too)
    ["-n", "120", "--seed", "3", "--dynatemp-range", "0.5"],
    ["-m", "shakespeare-word", "-n", "80", "--seed", "5", "-t", "inf"]])
def test_a_long_sample_streams_the_same_json_line(args, monkeypatch):
    # past HELD_TOKENS a sample's line is written as it is decoded, its fields spooled to
    # temporary files: the same bytes as the line of a sample held whole
    from tempgen.cli import generate

    held = CliRunner().invoke(cli, ["sample", "--format", "jsonl", *args])
    monkeypatch.setattr(generate, "HELD_TOKENS", 1)
    streamed = CliRunner().invoke(cli, ["sample", "--format", "jsonl", *args])
    assert held.exit_code == streamed.exit_code == 0, streamed.output
    assert streamed.stdout == held.stdout


def test_dist_stages_show_the_row_after_each_link():
    args = ["dist", "-p", "ROMEO. O", "--stages", "--top-k", "5", "--min-p", "0.3",
            "--repeat-penalty", "1.4", "--temperatures", "0.7", "--top", "12"]
    data = json.loads(run(*args, "--json").stdout)
    stages = data["stages"]
    assert [s["label"] for s in stages] == ["model", "penalties", "top_k=5", "min_p=0.3",
                                            "temperature=0.7"]
    p = [t["p_model"] for t in data["tokens"]]
    assert stages[0]["q"] == pytest.approx(p, rel=1e-12)
    assert any(stages[1]["penalty"])  # (the prompt's own letters weighed down)
    for before, after in zip(stages[2:], stages[3:], strict=False):  # a cut stays cut
        assert all(a for b, a in zip(before["removed"], after["removed"], strict=True) if b)
    assert sum(not r for r in stages[2]["removed"]) == 5
    # the last stage is the whole chain's row: what dist shows at that temperature
    whole = json.loads(run(*[a for a in args if a != "--stages"], "--json").stdout)
    assert stages[-1]["q"] == pytest.approx(whole["temperatures"][0]["q"], rel=1e-12)
    assert stages[-1]["removed"] == whole["temperatures"][0]["removed"]
    view = run(*args, "--width", "120").stdout
    assert all(s["label"] in view for s in stages) and "(" in view  # cut tokens: (what they had)


@pytest.mark.parametrize(("extra", "words"), [
    (["--temperatures", "0.5,1"], ["--temperatures", "one temperature"]),
    (["--logprobs", "docs/logprobs/llama-cpp.json"], ["--logprobs", "--stages"])])
def test_dist_stages_refusals(extra, words, monkeypatch):
    from pathlib import Path

    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    result = run("dist", "--stages", *extra, code=2)
    assert all(w in result.stderr for w in words)


@pytest.mark.parametrize(("args", "words"), [
    (["--logit-bias", "zq=-1"], "'zq' is 2 tokens of this model"),
    (["--logit-bias", "\u00b5=-1"], "is not a token of this model"),
    (["--logit-bias", "e"], "is not TOKEN=BIAS"),
    (["--logit-bias", "e=x"], "must be a number"),
    (["--logit-bias", "e=inf"], "or -inf"),
    (["-m", "shakespeare-word", "--logit-bias", "thee thou=1"], "2 tokens"),
])
def test_a_bad_logit_bias_is_one_line_naming_the_option(args, words):
    result = run("sample", "-n", "5", *args, code=2)
    assert words in result.stderr and "--logit-bias" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_logit_bias_of_minus_inf_never_draws_its_token_and_the_web_says_the_same():
    text = run("sample", "-n", "400", "--seed", "4", "-t", "1.3", "--logit-bias", "e=-inf",
               "--logit-bias", "\\n=-inf", "--logit-bias", "a=3").stdout.rstrip("\n")
    assert "e" not in text and "\n" not in text and text.count("a") > 30
    from starlette.testclient import TestClient

    from tempgen.lm import store
    from tempgen.web.app import create_app

    client = TestClient(create_app({"shakespeare-char": store.load("shakespeare-char")},
                                   ["testserver"]))
    body = {"model": "shakespeare-char", "seed": 4, "length": 400, "temperature": 1.3,
            "samplers": {"logit_bias": {"e": "-inf", "\n": "-inf", "a": 3}}}
    reply = client.post("/api/sample", json=body).json()
    assert "".join(t["text"] for t in reply["tokens"]) == text
    args = __import__("shlex").split(reply["command"])[1:]
    assert run(*args).stdout.rstrip("\n") == text  # (its command names the biases too)
    for value in ({"zz": 1}, {"e": "x"}, "e=1", {"e" * 41: 1}, {str(i): 1 for i in range(65)}):
        bad = {**body, "samplers": {"logit_bias": value}}
        reply = client.post("/api/sample", json=bad)
        assert reply.status_code == 400, value
        assert reply.json()["param"] == "samplers.logit_bias"
