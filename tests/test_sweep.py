import io
import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from click.testing import CliRunner
from rich.console import Console

from tempgen.analysis.sweep import distinct_n, merge_stats, novelty, sample_stats
from tempgen.cli import cli
from tempgen.generate.samples import Sample
from tempgen.lm import store
from tempgen.views.sweep import sweep_view


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def jsonl(*args):
    result = run("sweep", *args, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_t_zero_column_is_greedy_decoding():
    rows = jsonl("--temperatures", "0,0.7", "-n", 80, "--seed", 5, "-p", "KING.")
    greedy = run("sample", "-t", 0, "-n", 80, "--seed", 99, "-p", "KING.").stdout
    assert rows[0]["temperature"] == 0.0 and "KING." + rows[0]["text"] + "\n" == greedy


@pytest.mark.parametrize("t", [0.5, 1.0, 1.7])
def test_a_column_is_exactly_sample_at_that_temperature(t):
    rows = jsonl("--temperatures", f"0.2,{t},3", "-n", 100, "--seed", 11, "--num-samples", 2,
                 "--top-k", 30)
    mine = [r for r in rows if r["temperature"] == t]
    alone = [json.loads(line) for line in run(
        "sample", "-t", t, "-n", 100, "--seed", 11, "--num-samples", 2, "--top-k", 30,
        "--format", "jsonl").stdout.splitlines()]
    assert [r["tokens"] for r in mine] == [a["tokens"] for a in alone]


def test_neighbouring_temperatures_agree_on_a_long_prefix():
    rows = jsonl("--temperatures", "0.8,0.801", "-n", 300, "--seed", 4)
    a, b = rows[0]["tokens"], rows[1]["tokens"]
    same = next((i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y), len(a))
    assert same >= 100


def test_piped_output_is_plain_with_one_header_per_temperature():
    result = run("sweep", "--temperatures", "0.2,0.8,1.5", "-n", 50, "--seed", 1)
    assert result.exit_code == 0 and "\x1b[" not in result.stdout
    headers = [line for line in result.stdout.splitlines() if line.startswith("T=")]
    assert headers == ["T=0.2", "T=0.8", "T=1.5"]


def test_range_and_json_document():
    result = run("sweep", "--range", "0:2:5", "-n", 30, "--seed", 2, "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert [c["temperature"] for c in doc["columns"]] == [0, 0.5, 1, 1.5, 2]
    assert len(doc["samples"]) == 5 and doc["seed"] == 2
    for c in doc["columns"]:
        assert set(c["stats"]) >= {"entropy_bits", "model_logprob", "perplexity",
                                   "distinct_2", "novelty"}


def test_jsonl_rows_carry_stats_and_entropy_rises_with_t():
    rows = jsonl("--temperatures", "0.3,1,3", "-n", 200, "--seed", 8)
    assert [r["temperature"] for r in rows] == [0.3, 1.0, 3.0]
    h = [r["stats"]["entropy_bits"] for r in rows]
    assert h[0] < h[1] < h[2]
    for r in rows:
        assert len(r["entropies"]) == len(r["tokens"]) == r["stats"]["tokens"]


def test_names_sweep_gives_one_name_per_sample():
    rows = jsonl("-m", "names-char", "--num-samples", 4, "--temperatures", "0.5,1", "--seed", 3)
    assert len(rows) == 8 and all(r["text"].isalpha() and r["stopped"] for r in rows)


def columns(n=3, text="the cat sat on the mat " * 4):
    return [{"temperature": t, "stats": {"entropy_bits": 1.0, "model_logprob": -1.0,
                                         "perplexity": 2.7, "distinct_2": 0.5, "novelty": 0.1},
             "samples": [[(ch, 0.5) for ch in text]]} for t in (0.2, 0.8, 1.5)[:n]]


def render(width, cols):
    out = io.StringIO()
    Console(file=out, width=width, force_terminal=False).print(sweep_view("", cols, width))
    return out.getvalue()


def test_wide_view_stands_side_by_side():
    text = render(120, columns())
    first = next(line for line in text.splitlines() if "T = 0.2" in line)
    assert "T = 0.8" in first and "T = 1.5" in first
    assert "entropy" in text and "novel" in text and "token probability" in text


def test_width_40_stacks():
    text = render(40, columns())
    lines = text.splitlines()
    assert not any("T = 0.2" in line and "T = 0.8" in line for line in lines)
    assert [i for i, line in enumerate(lines) if line.startswith("T = ")] == sorted(
        i for i, line in enumerate(lines) if line.startswith("T = "))
    assert sum(line.startswith("T = ") for line in lines) == 3


def test_save_svg_and_html(tmp_path):
    svg, html = tmp_path / "s.svg", tmp_path / "s.html"
    result = run("sweep", "-n", 40, "--seed", 1, "--save-svg", svg, "--save-html", html,
                 "--temperatures", "0.5,1", "-p", "HAMLET")
    assert result.exit_code == 0
    root = ET.fromstring(svg.read_text())  # well-formed XML
    assert root.tag.endswith("svg")
    assert "HAMLET" in svg.read_text().replace("&#160;", " ")
    assert "HAMLET" in html.read_text() and html.read_text().lstrip().startswith("<!DOCTYPE")


def test_distinct_and_novelty_by_hand():
    assert distinct_n([1, 2, 1, 2, 1], 2) == 2 / 4 and distinct_n([1], 2) is None
    model = store.load("names-char")
    ids = list(model.tokenizer.encode("james"))
    assert novelty(model, np.array([], dtype=np.int64), ids) == 0.0  # seen in training
    ids = list(model.tokenizer.encode("zzqxzzqxzz"))
    assert novelty(model, np.array([], dtype=np.int64), ids) == 1.0


def test_sample_stats_and_merge():
    model = store.load("names-char")
    s = Sample(ids=[1, 2, 3, 1, 2], model_logprobs=[-1.0] * 5, entropies=[2.0] * 5)
    st = sample_stats(model, np.array([], dtype=np.int64), s)
    assert st["tokens"] == 5 and st["entropy_bits"] == 2.0
    assert st["perplexity"] == pytest.approx(np.e) and st["distinct_2"] == 3 / 4
    both = merge_stats([st, {**st, "tokens": 15, "entropy_bits": 4.0}])
    assert both["tokens"] == 20 and both["entropy_bits"] == pytest.approx(3.5)
