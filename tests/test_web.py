"""The explorer's API through Starlette's test client: every endpoint, every bad parameter,
and that it says what the command line says."""

import json
import math
import os
import signal
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from tempgen.cli import cli
from tempgen.lm import store
from tempgen.web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
MODELS = ("shakespeare-char", "names-char", "shakespeare-word")


@pytest.fixture(scope="module")
def client():
    models = {name: store.load(name) for name in MODELS}
    return TestClient(create_app(models, ["testserver"]), raise_server_exceptions=False)


def cli_text(*args) -> str:
    result = CliRunner().invoke(cli, ["sample", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result.stdout[:-1]  # (the newline that ends the output)


def page_text(data: dict) -> str:
    return data["prompt"] + "".join(t["text"] for t in data["tokens"])


def test_config_lists_the_models_and_the_scale(client):
    data = client.get("/api/config").json()
    assert [m["name"] for m in data["models"]] == list(MODELS)
    assert len(data["palette"]) == 5 and data["limits"]["length"] == 5000


def test_the_page_and_its_files_load_nothing_from_elsewhere(client):
    page = client.get("/")
    policy = page.headers["content-security-policy"]
    assert page.status_code == 200 and policy == "default-src 'self'"
    for name in ("app.js", "api.js", "state.js", "render.js", "style.css"):
        body = client.get(f"/static/{name}").text
        assert "http://" not in body.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in body


@pytest.mark.parametrize(("model", "prompt", "t", "samplers"), [
    ("shakespeare-char", "ROMEO.", 0.8, {}), ("shakespeare-char", "", 0, {}),
    ("shakespeare-char", "KING", "inf", {"top_k": 5}),
    ("shakespeare-word", "KING", 1.2, {"top_p": 0.9, "order": ["top_p", "temperature"]}),
    ("names-char", "", 1.0, {"min_p": 0.05})])
def test_a_sample_is_what_its_command_prints(client, model, prompt, t, samplers):
    body = {"model": model, "prompt": prompt, "seed": 11, "length": 120, "temperature": t,
            "samplers": samplers}
    data = client.post("/api/sample", json=body).json()
    args = data["command"].split(" ", 2)[2]
    import shlex

    assert page_text(data) == cli_text(*shlex.split(args))


def test_a_choice_branches_and_its_command_says_so(client):
    body = {"model": "shakespeare-char", "prompt": "ROMEO.", "seed": 4, "length": 80,
            "temperature": 0.8}
    plain = client.post("/api/sample", json=body).json()
    z = store.load("shakespeare-char").tokenizer.index["Z"]
    branched = client.post("/api/sample", json={**body, "choices": [[10, z]]}).json()
    assert branched["tokens"][:10] == plain["tokens"][:10]
    assert branched["tokens"][10]["text"] == "Z" and "--force 10=Z" in branched["command"]
    import shlex

    args = shlex.split(branched["command"])[2:]
    assert page_text(branched) == cli_text(*args)


def test_a_position_shows_the_row_its_token_came_from(client):
    body = {"model": "shakespeare-char", "prompt": "ROMEO.", "seed": 4, "length": 60,
            "temperature": 0.7, "position": 5, "top": 8}
    data = client.post("/api/position", json=body).json()
    assert len(data["bars"]) in (8, 9) and data["rank"] >= 1
    for key in ("q", "q_at_1", "p"):
        total = sum(b[key] for b in data["bars"]) + data["other"][key]
        assert total == pytest.approx(1.0)
    ps = [b["p"] for b in data["bars"][:8]]
    assert ps == sorted(ps, reverse=True)  # the model's likeliest, as dist shows them
    assert data["token"] in [b["token"] for b in data["bars"]]  # and the drawn one
    assert len(data["curve"]["temperatures"]) == len(data["curve"]["entropy_bits"]) == 25


def test_a_cut_token_is_shown_removed_with_the_models_p(client):
    # top-k 3: as `dist --top-k 3` shows it, the tokens past the third are removed (q = 0)
    # and keep the model's own p; the page asks for the row past the end too
    body = {"model": "shakespeare-char", "prompt": "ROMEO.", "seed": 4, "length": 30,
            "temperature": 0.7, "samplers": {"top_k": 3}, "position": 30, "top": 10}
    data = client.post("/api/position", json=body).json()
    assert data["token"] is None and data["rank"] is None and len(data["bars"]) == 10
    kept = [b for b in data["bars"] if not b["removed"]]
    assert len(kept) == 3 and kept == data["bars"][:3]
    assert all(b["q"] == 0 and b["p"] > 0 for b in data["bars"][3:])
    assert sum(b["q"] for b in kept) == pytest.approx(1.0)
    past = dict(body, position=31)
    assert client.post("/api/position", json=past).status_code == 400


def test_a_sweep_column_is_the_sample_at_its_temperature(client):
    body = {"model": "shakespeare-char", "prompt": "", "seed": 9, "length": 100,
            "temperatures": [0, 0.5, "inf"]}
    data = client.post("/api/sweep", json=body).json()
    assert [c["temperature"] for c in data["columns"]] == [0, 0.5, "inf"]
    column = "".join(piece for piece, _ in data["columns"][1]["tokens"])
    assert column == cli_text("-t", 0.5, "-n", 100, "--seed", 9)


def test_calibrate(client):
    text = (ROOT / "sample_models/corpora/names.txt").read_text()[:20000]
    data = client.post("/api/calibrate", json={"model": "names-char", "text": text}).json()
    assert 0.05 <= data["t_star"] <= 20 and data["bits_at_t_star"] <= data["bits_at_1"]


def test_a_recorded_completion(client):
    data = (ROOT / "docs/logprobs/llama-cpp.json").read_text()
    for t in (0, 0.5, 1, "inf"):
        reply = client.post("/api/recorded", json={"data": data, "temperature": t}).json()
        assert reply["format"] == "llama.cpp" and reply["temperature"] == t
        tokens = reply["tokens"]
        assert "".join(tok["text"] for tok in tokens) == " the sea"
        for tok in tokens:  # the bars and the rest hold all the mass, at T and at 1
            assert sum(b["q"] for b in tok["bars"]) + tok["other"]["q"] == pytest.approx(1)
            assert sum(b["q_at_1"] for b in tok["bars"]) + tok["other"]["q_at_1"] == \
                pytest.approx(1)
        assert tokens[1]["bars"][1]["q_at_1"] == pytest.approx(tokens[1]["q"])  # " sea"
    for body in ({"data": "{}"}, {"data": '{"logprobs": [{"token": "a"}]}'}, {"data": 3},
                 {"data": data, "temperature": -1}):
        reply = client.post("/api/recorded", json=body)
        assert reply.status_code == 400 and reply.json()["param"] in ("data", "temperature")


@pytest.mark.parametrize("t", [0.5, 1, 2, "inf"])
def test_a_recorded_tokens_bounds_are_the_command_lines(client, t):
    # the page's bounds of a chosen token's q at T are `tempgen logprobs --temperatures`'s
    from tempgen.analysis.recorded import at_temperature
    from tempgen.io.jsondocs import documents
    from tempgen.io.logprobs import positions

    raw = (ROOT / "docs/logprobs/openai-chat.json").read_text()
    reply = client.post("/api/recorded", json={"data": raw, "temperature": t}).json()
    recorded = list(positions(documents(raw.encode().split(b"\n"), "f"), "f", None, []))
    spread = 0
    for tok, position in zip(reply["tokens"], recorded, strict=True):
        want = at_temperature(position, math.inf if t == "inf" else t)["probability"]
        chosen = [b for b in tok["bars"] if b["chosen"]]
        if chosen:
            assert chosen[0]["q_range"] == pytest.approx(want, rel=1e-9, abs=1e-15)
            lo, hi = tok["other"]["q_range"]
            assert lo <= tok["other"]["q"] + 1e-12 and tok["other"]["q"] <= hi + 1e-12
            spread += hi - lo > 1e-6
    assert spread or t == 1  # (at T = 1 the spread does not matter; elsewhere it does)


SAMPLE = {"model": "shakespeare-char", "seed": 1, "length": 50, "temperature": 1}
BAD = {  # (endpoint, body, the parameter the error names)
    "unknown model": ("sample", {**SAMPLE, "model": "../../etc/passwd"}, "model"),
    "seed negative": ("sample", {**SAMPLE, "seed": -1}, "seed"),
    "seed text": ("sample", {**SAMPLE, "seed": "one"}, "seed"),
    "seed huge": ("sample", {**SAMPLE, "seed": 10**30}, "seed"),
    "length 0": ("sample", {**SAMPLE, "length": 0}, "length"),
    "length past the limit": ("sample", {**SAMPLE, "length": 5001}, "length"),
    "length a float": ("sample", {**SAMPLE, "length": 2.5}, "length"),
    "temperature negative": ("sample", {**SAMPLE, "temperature": -1}, "temperature"),
    "temperature text": ("sample", {**SAMPLE, "temperature": "hot"}, "temperature"),
    "temperature nan": ("sample", {**SAMPLE, "temperature": None}, "temperature"),
    "samplers not an object": ("sample", {**SAMPLE, "samplers": [1]}, "samplers"),
    "sampler unknown": ("sample", {**SAMPLE, "samplers": {"top_q": 1}}, "samplers"),
    "top_p 0": ("sample", {**SAMPLE, "samplers": {"top_p": 0}}, "samplers.top_p"),
    "top_k negative": ("sample", {**SAMPLE, "samplers": {"top_k": -3}}, "samplers.top_k"),
    "order unknown": ("sample", {**SAMPLE, "samplers": {"order": ["nope"]}}, "samplers.order"),
    "order twice": ("sample", {**SAMPLE, "samplers": {"order": ["top_k", "top_k"]}},
                    "samplers.order"),
    "prompt not text": ("sample", {**SAMPLE, "prompt": 5}, "prompt"),
    "prompt too long": ("sample", {**SAMPLE, "prompt": "a" * 10_001}, "prompt"),
    "choices not a list": ("sample", {**SAMPLE, "choices": 3}, "choices"),
    "choice not a pair": ("sample", {**SAMPLE, "choices": [[1]]}, "choices"),
    "choice past the length": ("sample", {**SAMPLE, "choices": [[50, 1]]}, "step"),
    "choice past the vocabulary": ("sample", {**SAMPLE, "choices": [[1, 81]]}, "id"),
    "too many choices": ("sample", {**SAMPLE, "choices": [[1, 1]] * 201}, "choices"),
    "position past the sample": ("position", {**SAMPLE, "position": 51}, "position"),
    "position missing": ("position", SAMPLE, "position"),
    "top 0": ("position", {**SAMPLE, "position": 1, "top": 0}, "top"),
    "temperatures missing": ("sweep", SAMPLE, "temperatures"),
    "temperatures too many": ("sweep", {**SAMPLE, "temperatures": [1] * 33}, "temperatures"),
    "temperatures empty": ("sweep", {**SAMPLE, "temperatures": []}, "temperatures"),
    "temperatures bad": ("sweep", {**SAMPLE, "temperatures": [1, "x"]}, "temperatures"),
    "text missing": ("calibrate", {"model": "names-char"}, "text"),
    "text empty": ("calibrate", {"model": "names-char", "text": ""}, "text"),
    "text unknown": ("calibrate", {"model": "names-char", "text": "§§§"}, "text"),
    "text too long": ("calibrate", {"model": "names-char", "text": "a" * 1_000_001}, "text"),
    "body an array": ("sample", [1, 2], "body"),
    "model a list": ("sample", {**SAMPLE, "model": []}, "model"),
    "model an object": ("sweep", {**SAMPLE, "model": {"a": 1}, "temperatures": [1]}, "model"),
    "breaker not text": ("sample", {**SAMPLE, "samplers": {"dry_multiplier": 1,
                         "dry_sequence_breakers": [3]}}, "samplers.dry_sequence_breakers"),
    "recorded not text": ("recorded", {"data": 5}, "data"),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_parameter_is_a_400_that_names_it(client, case):
    endpoint, body, param = BAD[case]
    reply = client.post(f"/api/{endpoint}", json=body)
    assert reply.status_code == 400 and reply.json()["param"] == param, reply.text


@pytest.mark.parametrize("raw", [b"{", b"\xff\xfe", b"[" * 100_000, b"nul"])
def test_a_body_that_is_not_json_is_a_400(client, raw):
    reply = client.post("/api/sample", content=raw)
    assert reply.status_code == 400 and reply.json()["param"] == "body"


SURROGATE = '"a\\ud800b"'  # (a lone surrogate, as JSON escapes it)


@pytest.mark.parametrize(("raw", "param"), [
    ('{"model": "names-char", "seed": 1' + "2" * 5000 + "}", "body"),  # (past Python's 4,300)
    ('{"model": "names-char", "x": [' + "9" * 41 + "]}", "body"),
    ('{"model": "names-char", "temperature": NaN}', "body"),
    ('{"model": "names-char", "temperature": -Infinity}', "body"),
    ('{"model": "names-char", "prompt": ' + SURROGATE + "}", "prompt"),
    ('{"model": "names-char", "samplers": {"dry_sequence_breakers": [' + SURROGATE + "]}}",
     "samplers.dry_sequence_breakers[0]"),
    ("{" + SURROGATE + ": 1}", "body"),
    ('{"model": "names-char", "a": ' + "[" * 40 + "]" * 40 + "}", "body")])
def test_a_body_is_decoded_and_checked_whole_at_once(client, raw, param):
    for endpoint in ("sample", "sweep", "recorded"):
        reply = client.post(f"/api/{endpoint}", content=raw.encode())
        assert reply.status_code == 400 and reply.json()["param"] == param, reply.text


def json_values(depth: int = 3):
    """Any JSON value (bounded in size), numbers of every kind among them."""
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-10, 6000),
                        st.integers(-2**70, 2**70), st.floats(allow_nan=False,
                                                              allow_infinity=False),
                        st.text(max_size=12), st.sampled_from(MODELS + ("inf", "")))
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) |
                        st.dictionaries(st.text(max_size=8), inner, max_size=4),
                        max_leaves=12)


KEYS = ("model", "prompt", "seed", "length", "temperature", "samplers", "choices",
        "position", "top", "temperatures", "text", "data")


@settings(max_examples=150, deadline=None)
@given(endpoint=st.sampled_from(["sample", "position", "map", "sweep", "calibrate", "recorded"]),
       body=st.dictionaries(st.sampled_from(KEYS), json_values(), max_size=8))
def test_no_body_is_a_server_error(client, endpoint, body):
    # random values of every JSON type in every parameter: a 200 or a 400, never a 5xx
    if isinstance(body.get("length"), int) and not isinstance(body["length"], bool):
        body["length"] = min(body["length"], 60)  # (bounded in time, not in kind)
    reply = client.post(f"/api/{endpoint}", json=body)
    assert reply.status_code in (200, 400), (reply.status_code, reply.text)


def test_a_body_too_large_is_refused_before_it_is_read(client):
    reply = client.post("/api/calibrate", content=b"x" * 2_000_001)
    assert reply.status_code == 400 and reply.json()["param"] == "body"


def test_other_hosts_methods_and_paths(client):
    assert client.get("/api/config", headers={"host": "evil.example"}).status_code == 400
    assert client.get("/api/sample").status_code == 405
    missing = client.get("/api/nothing")
    assert missing.status_code == 404 and "error" in missing.json()
    assert client.get("/static/../../pyproject.toml").status_code == 404


def test_requests_at_once_all_succeed(client):
    bodies = [{**SAMPLE, "seed": s, "length": 200} for s in range(24)]
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda b: client.post("/api/sample", json=b), bodies))
    assert all(r.status_code == 200 for r in replies)
    assert len({page_text(r.json()) for r in replies}) == 24


# ---------------------------------------------------------------- the command
def serve(*args, **kw):
    return subprocess.Popen([sys.executable, "-m", "tempgen", "serve", *args],
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, **kw)


def test_serve_says_where_answers_and_stops_on_ctrl_c():
    proc = serve("-m", "names-char", "--port", "0")
    line = proc.stderr.readline()
    assert "tempgen explorer at http://127.0.0.1:" in line
    address = line.split(" at ")[1].split()[0]
    with urllib.request.urlopen(address + "api/config", timeout=30) as reply:
        assert json.load(reply)["models"][0]["name"] == "names-char"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "Traceback" not in err


def test_broken_requests_leave_no_traceback_in_the_log():
    # a client that goes away mid-body, and chunked bodies that break off or are not chunks
    import socket

    proc = serve("-m", "names-char", "--port", "0")
    port = int(proc.stderr.readline().split(":")[-1].split("/")[0])
    head = b"POST /api/sample HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    for raw, wait in [(head + b"Content-Length: 100\r\n\r\n{\"model\":", False),
                      (head + b"Transfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n", False),
                      (head + b"Transfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n", True),
                      (head + b"Transfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\nZZ\r\n\r\n",
                       True)]:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(raw)
            if wait:
                assert sock.recv(4096).startswith(b"HTTP/1.1 400")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/config", timeout=30) as reply:
        assert reply.status == 200  # (still serving)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "Traceback" not in err and "Error" not in err, err


def test_serve_warns_off_loopback_and_refuses_a_port_in_use():
    first = serve("-m", "names-char", "--host", "0.0.0.0", "--port", "0")
    assert "warning" in first.stderr.readline()
    port = first.stderr.readline().split(":")[-1].split("/")[0]
    second = serve("-m", "names-char", "--host", "0.0.0.0", "--port", port)
    _, err = second.communicate(timeout=60)
    assert second.returncode == 1 and err.count("\n") == 1 and "--port" in err
    first.send_signal(signal.SIGTERM)
    first.communicate(timeout=30)
    assert first.returncode == 143


def test_serve_checks_its_models_before_it_starts(tmp_path):
    (tmp_path / "bad.npz").write_bytes(b"PK nothing")
    proc = serve("-m", str(tmp_path / "bad.npz"), "--port", "0")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "bad.npz" in err and "Traceback" not in err


def test_the_map_says_where_the_text_changes(client):
    body = {**SAMPLE, "prompt": "ROMEO.", "temperature": 0.7}
    data = client.post("/api/map", json=body).json()
    assert data["available"] and data["from"] <= 0.7 < data["to"]
    # (the whole map and the one interval are two computations: the same ends within a
    # relative 1e-12, whatever the CPU's kernels round)
    for end in (data["from"], data["to"]):
        assert any(abs(t - end) <= 1e-12 * end for t in data["ticks"]), end
    assert data["ticks"] == sorted(data["ticks"])
    for t in (data["from"] * (1 + 1e-6), (data["from"] + data["to"]) / 2):  # the same text
        same = client.post("/api/sample", json={**body, "temperature": t}).json()
        shown = client.post("/api/sample", json=body).json()
        assert [x["id"] for x in same["tokens"]] == [x["id"] for x in shown["tokens"]]
    word = client.post("/api/map", json={**body, "model": "shakespeare-word"}).json()
    assert word["available"] and word["ticks"] == [word["from"], word["to"]]
    for extra, word_ in (({"samplers": {"xtc_probability": 0.5}}, "xtc"),
                         ({"choices": [[3, 5]]}, "branched")):
        reply = client.post("/api/map", json={**body, **extra}).json()
        assert not reply["available"] and word_ in reply["reason"]
