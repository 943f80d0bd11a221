import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tempgen.cli import cli
from tempgen.io import npz
from tempgen.lm import store

ROOT = Path(__file__).resolve().parent.parent

CORPUS = "to be or not to be\nthat is the question\n" * 20


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(CORPUS)
    return path


@pytest.fixture
def model(tmp_path, corpus):
    out = tmp_path / "m.npz"
    result = run("train", corpus, "-o", out, "--order", 4)
    assert result.exit_code == 0, result.output
    return out


def test_train_writes_a_model_and_summarises(tmp_path, corpus):
    out = tmp_path / "m.npz"
    result = run("train", corpus, "-o", out, "--order", 3, "--name", "toy")
    assert result.exit_code == 0
    assert result.stdout == ""
    summary = result.stderr.strip()
    assert summary.startswith("trained toy:") and "vocabulary" in summary and "MB" in summary
    m = store.load(out)
    assert m.name == "toy" and m.order == 3 and m.level == "char"
    assert m.tokens == len(CORPUS) and m.corpus["name"] == "corpus.txt"


def test_train_word_level_per_line_from_stdin(tmp_path):
    out = tmp_path / "w.npz"
    result = run("train", "-", "-o", out, "--level", "word", "--per-line", input=CORPUS)
    assert result.exit_code == 0, result.output
    m = store.load(out)
    assert m.level == "word" and m.order == 3 and m.per_line
    assert m.corpus["name"] == "<stdin>"


def test_train_errors_replace_decodes_bad_bytes(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"abc\xffdef\n")
    assert run("train", bad, "-o", tmp_path / "m.npz", "--errors", "replace").exit_code == 0
    assert "\ufffd" in store.load(tmp_path / "m.npz").tokenizer.vocab


def test_eval_text_and_json(model, corpus):
    result = run("eval", corpus, "-m", model, "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["tokens"] == len(CORPUS) and data["unknown"] == 0
    assert 0 < data["bits_per_token"] < 2 and data["perplexity"] == pytest.approx(
        2 ** data["bits_per_token"])
    plain = run("eval", corpus, "-m", model)
    assert plain.exit_code == 0 and "bits per char" in plain.stdout
    assert "\x1b[" not in plain.stdout


def test_eval_counts_and_names_unknown_tokens(model):
    result = run("eval", "-", "-m", model, "--json", input="to be? or not!")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["unknown"] == 2 and data["tokens"] == len("to be? or not!") - 2
    warning = result.stderr.strip().splitlines()
    assert len(warning) == 1 and "'?'" in warning[0] and "'!'" in warning[0]


def test_models_lists_the_bundled_models():
    result = run("models", "--json")
    assert result.exit_code == 0
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert set(rows) >= {"shakespeare-char", "shakespeare-word", "names-char"}
    assert rows["shakespeare-char"]["order"] == 7 and rows["shakespeare-word"]["level"] == "word"
    assert rows["names-char"]["per_line"] and rows["names-char"]["corpus"] == "names.txt"
    table = run("models")
    assert table.exit_code == 0 and "shakespeare-word" in table.stdout


def test_sample_is_reproducible_and_plain_when_piped(model):
    a = run("sample", "-m", model, "-n", 40, "--seed", 5, "-t", 0.8)
    b = run("sample", "-m", model, "-n", 40, "--seed", 5, "-t", 0.8)
    assert a.exit_code == 0 and a.stdout == b.stdout and "\x1b[" not in a.stdout
    assert len(a.stdout) == 41  # 40 characters and the final newline
    unseeded = run("sample", "-m", model, "-n", 5)
    assert unseeded.stderr.startswith("seed: ")


def test_sample_greedy_is_deterministic_without_a_seed(model):
    assert run("sample", "-m", model, "-t", 0, "-n", 30).stdout == \
        run("sample", "-m", model, "-t", 0, "-n", 30).stdout


@pytest.mark.parametrize("command", ["train", "count", "eval", "models", "sample", "sweep",
                                     "dist", "curve", "calibrate", "logprobs"])
def test_help_has_examples(command):
    result = run(command, "--help")
    assert result.exit_code == 0 and "Example" in result.stdout


def help_examples():
    """Every example of every command's --help that runs as it stands: those naming no file
    of the user's own (play.txt, my.npz ...) or of an example before (part-*), no pipe and
    no server."""
    out = []
    for command in ("train", "count", "eval", "models", "sample", "sweep", "dist", "curve",
                    "calibrate", "export", "logprobs"):
        lines = run(command, "--help").stdout.split("Example")[1].splitlines()
        for line in lines[1:]:
            if not line.strip():
                break
            if not line.strip().startswith("tempgen "):
                continue
            args = shlex.split(line.strip())[1:]
            if not any(a in ("play.txt", "held-out.txt", "my.npz") or a.startswith("part-")
                       or a.startswith("counts/") for a in args):
                out.append(args)
    return out


@pytest.mark.parametrize("which", [0, 1], ids=["xargs", "dask"])
def test_the_shard_example_of_count_works_when_pasted(tmp_path, which):
    # count's --help examples, as a shell runs them: shards counted in parallel (by xargs, or
    # on local Dask workers), then merged, give the bundled model's every array
    if which == 1:
        pytest.importorskip("distributed")
    script = run("count", "--help").stdout.split("Examples:")[1].strip().split("\n\n")[which]
    script = "\n".join(line for line in script.splitlines() if line.strip().startswith(
        ("tempgen ", "split ", "ls ")))
    (tmp_path / "sample_models").symlink_to(ROOT / "sample_models")
    bin_dir = Path(sys.executable).parent
    subprocess.run(["bash", "-ec", script], cwd=tmp_path, check=True, capture_output=True,
                   env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"})
    merged = npz.read((tmp_path / "shakespeare.npz").read_bytes())
    bundled = npz.read((ROOT / "sample_models" / "shakespeare-char.npz").read_bytes())
    assert merged.keys() == bundled.keys()
    for name in set(merged) - {"meta"}:
        np.testing.assert_array_equal(merged[name], bundled[name], err_msg=name)


@pytest.mark.parametrize("args", help_examples(), ids=" ".join)
def test_help_examples_work_when_pasted(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # (the outputs they name land here)
    for folder in ("sample_models", "docs"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    result = run(*args)
    assert result.exit_code == 0, result.stderr


def test_version():
    from importlib.metadata import version

    import tempgen

    assert version("tempgen") == tempgen.__version__  # (pyproject.toml's)
    assert run("--version").stdout.strip().endswith(tempgen.__version__)


def test_python_dash_m_works():
    out = subprocess.run([sys.executable, "-m", "tempgen", "--version"], capture_output=True,
                         text=True, check=True)
    assert "tempgen" in out.stdout


def test_sample_jsonl_objects(model):
    result = run("sample", "-m", model, "-n", 30, "--num-samples", 3, "--seed", 4,
                 "--format", "jsonl", "-t", 0.7, "--top-k", 5, "-p", "to ")
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3 and [d["sample"] for d in lines] == [0, 1, 2]
    for d in lines:
        assert d["seed"] == 4 and d["temperature"] == 0.7 and d["prompt"] == "to "
        assert d["chain"] == [{"name": "top_k", "value": 5}, {"name": "temperature",
                                                              "value": 0.7}]
        assert len(d["tokens"]) == len(d["model_logprobs"]) == len(d["sample_logprobs"]) == 30
        assert "".join(d["tokens"]) == d["text"]
        assert all(lp <= 0 for lp in d["model_logprobs"] + d["sample_logprobs"])
    text = run("sample", "-m", model, "-n", 30, "--num-samples", 3, "--seed", 4, "-t", 0.7,
               "--top-k", 5, "-p", "to ")
    assert text.stdout == "\n\n".join("to " + d["text"] for d in lines) + "\n"


def test_sample_prompt_from_stdin_and_stop(model):
    result = run("sample", "-m", model, "-p", "-", "--stop", "\\n", "-n", 200, "--seed", 1,
                 input="to be or ")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("to be or ") and out.count("\n") == 1 and out.endswith("\n")


def test_sample_names_stop_after_one_name_each():
    result = run("sample", "-m", "names-char", "--num-samples", 4, "--seed", 2)
    assert result.exit_code == 0
    names = result.stdout.split("\n")  # a per-line model: one name a line
    assert len(names) == 5 and names[-1] == "" and all(n.isalpha() for n in names[:4])


def test_sample_verbose_prints_the_chain(model):
    result = run("sample", "-m", model, "-n", 5, "--seed", 1, "--top-p", 0.9, "--min-p", 0.1,
                 "--samplers", "min_p,temperature", "-v")
    assert result.exit_code == 0
    assert "chain: min_p=0.1 -> temperature=1 -> top_p=0.9" in result.stderr


def test_sample_colour_only_when_asked(model, monkeypatch):
    plain = run("sample", "-m", model, "-n", 20, "--seed", 1)
    always = run("sample", "-m", model, "-n", 20, "--seed", 1, "--color", "always")
    assert "\x1b[" not in plain.stdout and "\x1b[" in always.stdout
    assert "token probability" in always.stderr
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in run("sample", "-m", model, "-n", 20, "--seed", 1).stdout


def test_sample_warns_about_unknown_prompt_characters(model):
    result = run("sample", "-m", model, "-p", "zzz", "-n", 5, "--seed", 1)
    assert result.exit_code == 0 and "unknown characters" in result.stderr and "'z'" in \
        result.stderr


@pytest.mark.parametrize("args", [
    ["dist", "-p", "ROMEO. O"], ["curve", "-p", "ROMEO. O"], ["models"],
    ["calibrate", "sample_models/corpora/names-held-out.txt", "-m", "names-char"],
    ["eval", "sample_models/corpora/names-held-out.txt", "-m", "names-char"]],
    ids=lambda a: a[0])  # (a sample's text is its own: a space it ends in stays)
def test_piped_views_end_their_lines_without_padding(args, monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    out = run(*args).stdout
    assert out.strip() and not [line for line in out.splitlines() if line != line.rstrip()]
