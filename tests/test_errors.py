"""Bad input, one table: every case exits with the right code and one line on stderr that
names the problem, and never a traceback."""

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tempgen.cli import cli
from tempgen.io.corpus import Corpus
from tempgen.lm import store, training
from tempgen.lm.training import train_model

CORPUS = "to be or not to be\nthat is the question\n" * 20


def npz(arrays: dict) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    """A folder of good and bad inputs."""
    d = tmp_path_factory.mktemp("inputs")
    (d / "corpus.txt").write_text(CORPUS)
    (d / "empty.txt").write_text("")
    (d / "one.txt").write_text("a")
    (d / "binary.bin").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)))
    (d / "bad.txt").write_bytes(b"abc\xff\xfe def\n")
    (d / "long.txt").write_text("word " * 400_000)  # one 2 MB line
    (d / "unknown.txt").write_text("@@@###$$$")
    model = train_model(Corpus(CORPUS, "c", "", len(CORPUS)), "char", 3, "m")
    good = store.to_bytes(model)
    (d / "model.npz").write_bytes(good)
    (d / "empty.npz").write_bytes(b"")
    for n, cut in (("head", 10), ("half", len(good) // 2), ("tail", len(good) - 100)):
        (d / f"cut_{n}.npz").write_bytes(good[:cut])
    (d / "random.npz").write_bytes(np.random.default_rng(0).bytes(5000))
    (d / "foreign.npz").write_bytes(npz({"weights": np.zeros((3, 3))}))
    with np.load(io.BytesIO(good)) as f:
        arrays = {k: f[k] for k in f.files}
    meta = json.loads(arrays["meta"].tobytes())

    def variant(name, meta_edit=None, **replace):
        m = dict(meta)
        if meta_edit:
            meta_edit(m)
        a = {**arrays, **replace,
             "meta": np.frombuffer(json.dumps(m).encode(), dtype=np.uint8)}
        (d / name).write_bytes(npz(a))

    variant("newer.npz", lambda m: m.update(format_version=3))
    variant("dtype.npz", succ_adj_2=arrays["succ_adj_2"].astype(np.float32))
    variant("shape.npz", succ_token_3=arrays["succ_token_3"][:-2])
    variant("contradict.npz", lambda m: m.update(ngrams=[1, 2, 3]))

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {d / 'pwned'}",))

    (d / "pickle.npz").write_bytes(npz({**arrays, "evil": np.array([Evil()], dtype=object)}))
    return d


# (command, expected exit code, words the one stderr line must contain)
CASES = {
    # paths
    "train missing": ("train {d}/nope.txt -o {d}/o.npz", 1, ["nope.txt", "no such file"]),
    "train unreadable": ("train /proc/self/mem -o {d}/o.npz", 1, ["cannot read"]),
    "train directory": ("train {d} -o {d}/o.npz", 1, ["is a directory"]),
    "eval missing": ("eval {d}/nope.txt -m {d}/model.npz", 1, ["no such file"]),
    "eval directory": ("eval {d} -m {d}/model.npz", 1, ["is a directory"]),
    "model is a directory": ("sample -m {d}", 1, ["is a directory"]),
    # corpus contents
    "empty corpus": ("train {d}/empty.txt -o {d}/o.npz", 1, ["empty"]),
    "one-character corpus trains": ("train {d}/one.txt -o {d}/one.npz", 0,
                                    ["trained one: 1 tokens"]),
    "binary corpus": ("train {d}/binary.bin -o {d}/o.npz", 1, ["binary", "NUL"]),
    "invalid utf-8 train": ("train {d}/bad.txt -o {d}/o.npz", 1, ["byte offset 3", "0xff"]),
    "invalid utf-8 eval": ("eval {d}/bad.txt -m {d}/model.npz", 1, ["byte offset 3"]),
    "errors replace": ("train {d}/bad.txt -o {d}/o.npz --errors replace", 0, ["trained"]),
    "encoding latin-1": ("train {d}/bad.txt -o {d}/o.npz --encoding latin-1", 0, ["trained"]),
    "eval errors replace": ("eval {d}/bad.txt -m {d}/model.npz --errors replace", 0,
                            ["unknown characters"]),
    "unknown encoding": ("train {d}/corpus.txt -o {d}/o.npz --encoding klingon", 1,
                         ["klingon"]),
    "very long line train": ("train {d}/long.txt -o {d}/o.npz --order 4", 0, ["trained"]),
    "very long line eval": ("eval {d}/long.txt -m {d}/model.npz", 0, ["unknown characters"]),
    "text all unknown": ("eval {d}/unknown.txt -m {d}/model.npz", 1, ["no token"]),
    # numbers
    "order 0": ("train {d}/corpus.txt -o {d}/o.npz --order 0", 2, ["--order", "0"]),
    "order 11": ("train {d}/corpus.txt -o {d}/o.npz --order 11", 2, ["--order", "11"]),
    "order x": ("train {d}/corpus.txt -o {d}/o.npz --order x", 2, ["--order", "'x'"]),
    "temperature -1": ("sample -t -1", 2, ["--temperature", "-1"]),
    "temperature nan": ("sample -t nan", 2, ["--temperature", "nan"]),
    "temperature hot": ("sample -t hot", 2, ["--temperature", "hot"]),
    "top-p 0": ("sample --top-p 0", 2, ["--top-p", "0"]),
    "top-p 1.5": ("sample --top-p 1.5", 2, ["--top-p", "1.5"]),
    "top-k -1": ("sample --top-k -1", 2, ["--top-k", "-1"]),
    "min-p 2": ("sample --min-p 2", 2, ["--min-p", "2"]),
    "typical-p nan": ("sample --typical-p nan", 2, ["--typical-p", "nan"]),
    "length -1": ("sample -n -1", 2, ["--length", "-1"]),
    "length 0": ("sample -n 0", 2, ["--length", "0"]),
    "num-samples 0": ("sample --num-samples 0", 2, ["--num-samples", "0"]),
    "samplers unknown": ("sample --samplers top_q,temperature", 2, ["--samplers", "top_q"]),
    "sweep temperature": ("sweep --temperatures 0.5,-2", 2, ["--temperatures", "-2"]),
    "sweep range": ("sweep --range 0:2", 2, ["--range", "START:STOP:COUNT"]),
    "sweep range count": ("sweep --range 0:2:0", 2, ["--range", "COUNT"]),
    "sweep both": ("sweep --range 0:2:3 --temperatures 1", 2, ["--range", "--temperatures"]),
    "dist temperature": ("dist --temperatures warm", 2, ["--temperatures", "warm"]),
    "dist top 0": ("dist --top 0", 2, ["--top", "0"]),
    "format": ("sweep --format yaml", 2, ["--format", "yaml"]),
    "color": ("sample --color rainbow", 2, ["--color", "rainbow"]),
    "unknown option": ("sample --temprature 1", 2, ["--temprature"]),
    "unknown command": ("frobnicate", 2, ["frobnicate"]),
    "missing output": ("train {d}/corpus.txt", 2, ["-o"]),
    # models
    "unknown model": ("sample -m no-such-model", 1,
                      ["no-such-model", "names-char", "shakespeare-char", "shakespeare-word"]),
    "empty model": ("sample -m {d}/empty.npz", 1, ["empty.npz", "empty file"]),
    "truncated head": ("sample -m {d}/cut_head.npz", 1, ["cut_head.npz"]),
    "truncated half": ("eval {d}/corpus.txt -m {d}/cut_half.npz", 1, ["cut_half.npz"]),
    "truncated tail": ("sweep -m {d}/cut_tail.npz", 1, ["cut_tail.npz"]),
    "random bytes": ("dist -m {d}/random.npz", 1, ["random.npz", "not a tempgen model"]),
    "foreign zip": ("curve -m {d}/foreign.npz", 1, ["foreign.npz", "no metadata"]),
    "newer version": ("sample -m {d}/newer.npz", 1, ["newer.npz", "version 3", "upgrade"]),
    "wrong dtype": ("sample -m {d}/dtype.npz", 1, ["dtype.npz", "succ_adj_2"]),
    "wrong shape": ("sample -m {d}/shape.npz", 1, ["shape.npz", "succ_token_3"]),
    "counts contradict": ("sample -m {d}/contradict.npz", 1, ["contradict.npz", "metadata"]),
    "pickled object": ("sample -m {d}/pickle.npz", 1, ["pickle.npz"]),
    "calibrate binary": ("calibrate {d}/binary.bin", 1, ["binary"]),
    # prompts and outputs
    "prompt all unknown": ("sample -m {d}/model.npz -p @#$ -n 5 --seed 1", 0,
                           ["unknown characters", "'@'", "'#'", "'$'"]),
    "svg into missing folder": ("sweep -n 5 --seed 1 --save-svg {d}/no/such/x.svg", 1,
                                ["does not exist"]),
    "html into missing folder": ("sweep -n 5 --seed 1 --save-html {d}/no/x.html", 1,
                                 ["does not exist"]),
    "model into missing folder": ("train {d}/corpus.txt -o {d}/no/m.npz", 1,
                                  ["does not exist"]),
    # the other model commands
    "export unknown model": ("export nope {d}/o.arpa", 1, ["unknown model", "nope"]),
    "export into missing folder": ("export {d}/model.npz {d}/no/o.arpa", 1,
                                   ["does not exist"]),
    "export damaged model": ("export {d}/cut_half.npz {d}/o.arpa", 1, ["cut_half.npz"]),
    "convert not arpa": ("convert {d}/model.npz {d}/o.npz", 2, ["IN.arpa", ".arpa"]),
    "convert missing": ("convert {d}/nope.arpa {d}/o.npz", 1, ["nope.arpa"]),
    "models extra argument": ("models extra", 2, ["extra"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input(d, case):
    command, code, words = CASES[case]
    result = CliRunner().invoke(cli, command.format(d=d).split())
    assert result.exit_code == code, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    lines = [ln for ln in lines if not ln.startswith("seed: ")]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_every_command_has_bad_input_cases():
    commands = {command.split()[0] for command, _, _ in CASES.values()}
    assert set(cli.commands) <= commands
    assert {code for _, code, _ in CASES.values()} == {0, 1, 2}


def test_pickle_was_not_run(d):
    CliRunner().invoke(cli, ["sample", "-m", str(d / "pickle.npz")])
    assert not (d / "pwned").exists()


def test_training_stops_before_running_out_of_memory(d, monkeypatch):
    monkeypatch.setattr(training, "memory_left", lambda: 50_000)
    result = CliRunner().invoke(cli, ["train", str(d / "corpus.txt"), "-o", str(d / "x.npz")])
    assert result.exit_code == 1 and "needs about" in result.stderr
    assert "has left" in result.stderr and not (d / "x.npz").exists()


def cli_process(*args, **kw):
    return subprocess.Popen([sys.executable, "-m", "tempgen", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **kw)


def test_ctrl_c_exits_130_without_traceback():
    proc = cli_process("sample", "-n", "100000000", "--seed", "1")
    assert proc.stdout.read(1)  # text is streaming: the decode loop is running
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and b"Traceback" not in err


@pytest.mark.parametrize("command", ["sample -n 100000 --seed 1", "sweep -n 3000 --seed 1"])
def test_closed_pipe_ends_quietly(command):
    shell = f"{sys.executable} -m tempgen {command} | head -c 10"
    out = subprocess.run(["bash", "-c", shell + " >/dev/null"], capture_output=True,
                         timeout=120, cwd=Path(__file__).parent.parent)
    assert b"Traceback" not in out.stderr and b"Error" not in out.stderr, out.stderr
