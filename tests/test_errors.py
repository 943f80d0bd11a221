"""Bad input, one table by kind: every case exits with the right code and one line on stderr
that names the problem, and never a traceback. (Real processes, for what a CliRunner cannot
show — signals, pipes, closed streams, full disks, permissions, memory limits —, are in
test_processes.py.)"""

import io
import json
import os
import shlex

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
    (d / "one_token.json").write_text('{"logprobs": [{"token": "a", "logprob": -0.5}]}')
    (d / "utf16_bare.txt").write_bytes("to be or not".encode("utf-16-le"))
    os.mkfifo(d / "fifo.counts")
    (d / "bom.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(
        {"logprobs": [{"token": "a", "logprob": -0.5}]}, indent=2).encode())
    (d / "events.txt").write_text(": a comment\nevent: token\nid: 7\nretry: 10\ndata: " +
                                  json.dumps({"logprobs": [{"token": "a", "logprob": -0.5}]})
                                  + "\n\n")
    (d / "unended.json").write_text('[\n{"logprobs": [{"token": "a", "logprob": -0.5}]}\n')
    (d / "list_then_text.json").write_text('[\n{"logprobs": []}\n]\nmore\n')
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
    # files that are fine in forms tempgen does not write
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    (d / "compressed.npz").write_bytes(buf.getvalue())
    variant("big_endian.npz", **{k: v.astype(v.dtype.newbyteorder(">")) for k, v in
                                 arrays.items() if k != "meta"})
    variant("uint64.npz", **{k: v.astype(np.uint64) for k, v in arrays.items() if k != "meta"})
    variant("huge_uint64.npz", succ_adj_2=np.full_like(arrays["succ_adj_2"], 2**64 - 1,
                                                      dtype=np.uint64))
    raw = arrays["meta"].tobytes().decode().replace(
        '"corpus": {', '"corpus": {"x": ' + "[" * 100_000 + "]" * 100_000 + ", ")
    (d / "deep.npz").write_bytes(npz({**arrays, "meta": np.frombuffer(raw.encode(), np.uint8)}))
    variant("escape_name.npz", lambda m: m.update(name="\x1b[31mred\x1b]0;owned\x07"))
    # values: a back-off model (version 2) whose numbers give no distribution
    backoff = store.to_bytes(store.load(str(_arpa(d, "ok.arpa", "-0.4", "-0.1"))))
    with np.load(io.BytesIO(backoff)) as f:
        v2 = {k: f[k] for k in f.files}
    for name, edit in (("negative_u", {"succ_u_2": v2["succ_u_2"] - 5.0}),
                       ("huge_u", {"succ_u_1": v2["succ_u_1"] * 1e300}),
                       ("negative_gamma", {"ctx_gamma_2": -v2["ctx_gamma_2"] - 1})):
        (d / f"{name}.npz").write_bytes(npz({**v2, **edit}))
    # ARPA files whose numbers must not load
    for name, p_a, p_sa in (("nan_p", "nan", "-0.1"), ("inf_p", "inf", "-0.1"),
                            ("positive_p", "0.5", "-0.1"), ("over_one", "-0.4", "2")):
        _arpa(d, f"{name}.arpa", p_a, p_sa)
    (d / "nan_b.arpa").write_text(ARPA.format(a="-0.4", sa="-0.1").replace("\t-0.3", "\tnan"))
    (d / "twice.arpa").write_text(ARPA.format(a="-0.4", sa="-0.1").replace(
        "ngram 2=2", "ngram 2=3").replace("-0.2\ta b\n", "-0.2\ta b\n-0.3\ta b\n"))
    (d / "only_s.arpa").write_text("\\data\\\nngram 1=2\n\n\\1-grams:\n-99\t<s>\n"
                                   "-1\t<unk>\n\n\\end\\\n")
    lines = ["\\data\\", *[f"ngram {m}=1" for m in range(1, 12)], ""]
    for m in range(1, 12):
        lines += [f"\\{m}-grams:", "-0.1\t" + " ".join(["a"] * m), ""]
    (d / "order11.arpa").write_text("\n".join([*lines, "\\end\\", ""]))
    (d / "tiny.arpa").write_text(ARPA.format(a="-323", sa="-0.1"))
    (d / "a.txt").write_text("a" * 100)
    # texts
    (d / "utf16.txt").write_bytes(CORPUS.encode("utf-16"))
    variant("surrogate.npz", lambda m: m.update(vocab=["\udc80"] + m["vocab"][1:]))
    return d


ARPA = ("\\data\\\nngram 1=4\nngram 2=2\n\n\\1-grams:\n-99\t<s>\t-0.3\n{a}\ta\t-0.2\n"
        "-0.5\tb\n-0.6\t</s>\n\n\\2-grams:\n{sa}\t<s> a\n-0.2\ta b\n\n\\end\\\n")


def _arpa(d, name, p_a, p_sa):
    (d / name).write_text(ARPA.format(a=p_a, sa=p_sa))
    return d / name


# (command, expected exit code, words the one stderr line must contain), by kind
CASES = {
    # ---- inputs that are not there, not readable, or not files
    "model given as ''": ("sample -m ''", 1, ["empty model name"]),
    "train missing": ("train {d}/nope.txt -o {d}/o.npz", 1, ["nope.txt", "no such file"]),
    "train unreadable": ("train /proc/self/mem -o {d}/o.npz", 1, ["cannot read"]),
    "train directory": ("train {d} -o {d}/o.npz", 1, ["is a directory"]),
    "count missing": ("count {d}/nope.txt -o {d}/o.counts", 1, ["nope.txt", "no such file"]),
    "count empty": ("count {d}/empty.txt -o {d}/o.counts", 1, ["empty"]),
    "eval missing": ("eval {d}/nope.txt -m {d}/model.npz", 1, ["no such file"]),
    "eval directory": ("eval {d} -m {d}/model.npz", 1, ["is a directory"]),
    "model is a directory": ("sample -m {d}", 1, ["is a directory"]),
    "train /dev/zero": ("train /dev/zero -o {d}/o.npz", 1, ["/dev/zero", "binary"]),
    "model /dev/zero": ("sample -m /dev/zero", 1, ["/dev/zero", "not a tempgen model"]),
    # ---- corpus contents
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
    "utf-16 with its encoding": ("train {d}/utf16.txt -o {d}/o.npz --encoding utf-16", 0,
                                 ["trained"]),
    "utf-16 read as utf-8": ("train {d}/utf16.txt -o {d}/o.npz", 1, ["utf16.txt"]),
    "eval empty": ("eval {d}/empty.txt -m {d}/model.npz", 1, ["empty text"]),
    "calibrate empty": ("calibrate {d}/empty.txt -m {d}/model.npz", 1, ["empty text"]),
    "calibrate all unknown": ("calibrate {d}/unknown.txt -m {d}/model.npz", 1, ["no token"]),
    # ---- numbers and options
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
    "top-k 400 digits": ("sample --top-k " + "9" * 400, 2, ["--top-k"]),
    "top-a above 1": ("sample --top-a 1.5", 2, ["--top-a", "[0, 1]"]),
    "top-a negative": ("sample --top-a -0.1", 2, ["--top-a"]),
    "num-samples 400 digits": ("sample --num-samples " + "9" * 400, 2, ["--num-samples"]),
    "length 400 digits": ("sample -n " + "9" * 400, 2, ["--length"]),
    "range to inf": ("sweep --range 0:inf:3", 2, ["--range", "finite"]),
    "range count huge": ("sweep --range 0:2:100000000", 2, ["--range", "COUNT"]),
    "temperatures too many": ("sweep --temperatures " + ",".join(["1"] * 1001), 2,
                              ["--temperatures", "1,001"]),
    "temperatures empty": ("dist --temperatures ,", 2, ["--temperatures", "no temperature"]),
    "temperatures ''": ("sweep --temperatures ''", 2, ["--temperatures", "no temperature"]),
    "width too small": ("sweep --width 3", 2, ["--width"]),
    "output onto the model": ("sample -m {d}/model.npz -o {d}/model.npz", 1,
                              ["also an input"]),
    # ---- outputs that would not fit in memory: refused up front
    "sweep view too big": ("sweep -n 100000000000 --seed 1 --color always", 2,
                           ["--length", "jsonl"]),
    "sweep jsonl too big": ("sweep -n 100000000000 --format jsonl --seed 1", 2, ["--length"]),
    # ---- map
    "map range reversed": ("map --range 2:1", 2, ["--range", "LO < HI"]),
    "map range to inf": ("map --range 0:inf", 2, ["--range", "finite"]),
    "map range nan": ("map --range nan:1", 2, ["--range"]),
    "map range words": ("map --range a:b", 2, ["--range", "LO:HI"]),
    "map no texts": ("map --max-texts 0", 2, ["--max-texts"]),
    "map with xtc": ("map --xtc-probability 0.5", 2, ["xtc", "cannot map"]),
    "map with mirostat": ("map --mirostat 2", 2, ["mirostat", "cannot map"]),
    "map cut after temperature": ("map --top-k 5 --samplers temperature,top_k", 2,
                                  ["top_k comes after temperature"]),
    "map unknown model": ("map -m no-such-model", 1, ["no-such-model"]),
    "map output onto the model": ("map -m {d}/model.npz -o {d}/model.npz", 1,
                                  ["also an input"]),
    "map svg to a folder": ("map -n 5 --save-svg {d}", 2, ["--save-svg"]),
    # ---- models
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
    "compressed members load": ("sample -m {d}/compressed.npz -n 5 --seed 1", 0, []),
    "big-endian arrays load": ("sample -m {d}/big_endian.npz -n 5 --seed 1", 0, []),
    "uint64 arrays load": ("sample -m {d}/uint64.npz -n 5 --seed 1", 0, []),
    "uint64 past 2^63": ("sample -m {d}/huge_uint64.npz", 1, ["huge_uint64.npz", "2^63"]),
    "metadata nested deeply": ("sample -m {d}/deep.npz", 1, ["deep.npz", "nested"]),
    "models of a nested file": ("dist -m {d}/deep.npz", 1, ["deep.npz"]),
    # ---- values that must not load, whichever reader
    "v2 negative u": ("sample -m {d}/negative_u.npz", 1, ["negative_u.npz", "(0, 1]"]),
    "v2 huge u": ("sample -m {d}/huge_u.npz", 1, ["huge_u.npz"]),
    "v2 negative weight": ("sample -m {d}/negative_gamma.npz", 1, ["negative_gamma.npz"]),
    "arpa nan p": ("sample -m {d}/nan_p.arpa", 1, ["nan_p.arpa", "(0, 1]"]),
    "arpa inf p": ("sample -m {d}/inf_p.arpa", 1, ["inf_p.arpa", "(0, 1]"]),
    "arpa positive log p": ("sample -m {d}/positive_p.arpa", 1, ["positive_p.arpa"]),
    "arpa p over one": ("sample -m {d}/over_one.arpa", 1, ["over_one.arpa", "(0, 1]"]),
    "arpa nan back-off": ("sample -m {d}/nan_b.arpa", 1, ["nan_b.arpa", "back-off"]),
    "arpa n-gram twice": ("sample -m {d}/twice.arpa", 1, ["twice.arpa", "twice"]),
    "arpa only <s>": ("sample -m {d}/only_s.arpa", 1, ["only_s.arpa", "no tokens"]),
    "arpa order 11": ("sample -m {d}/order11.arpa", 1, ["order11.arpa", "order 11"]),
    "convert refuses bad values": ("convert {d}/nan_p.arpa {d}/nan.npz", 1, ["nan_p.arpa"]),
    "eval tiny probabilities": ("eval {d}/a.txt -m {d}/tiny.arpa --json", 0, []),
    # ---- prompts and outputs
    "prompt all unknown": ("sample -m {d}/model.npz -p @#$ -n 5 --seed 1", 0,
                           ["unknown characters", "'@'", "'#'", "'$'"]),
    "svg into missing folder": ("sweep -n 5 --seed 1 --save-svg {d}/no/such/x.svg", 1,
                                ["does not exist"]),
    "html into missing folder": ("sweep -n 5 --seed 1 --save-html {d}/no/x.html", 1,
                                 ["does not exist"]),
    "model into missing folder": ("train {d}/corpus.txt -o {d}/no/m.npz", 1,
                                  ["does not exist"]),
    "output ''": ("train {d}/corpus.txt -o ''", 1, ["empty output file name"]),
    "output a folder": ("train {d}/corpus.txt -o {d}", 1, ["is a directory"]),
    "output a device": ("train {d}/corpus.txt -o /dev/null", 1, ["not a regular file"]),
    "output name too long": ("train {d}/corpus.txt -o {d}/" + "x" * 256, 1,
                             ["cannot write", "too long"]),
    "output of 254 characters": ("train {d}/corpus.txt -o {d}/" + "y" * 250 + ".npz", 0,
                                 ["trained"]),
    "output over its input": ("train {d}/corpus.txt -o {d}/corpus.txt", 1,
                              ["corpus.txt", "also an input"]),
    "convert over its input": ("convert {d}/ok.arpa {d}/ok.arpa", 1, ["also an input"]),
    "svg over the model": ("sweep -m {d}/model.npz -n 5 --save-svg {d}/model.npz", 1,
                           ["model.npz", "also an input"]),
    "svg and html in one file": ("sweep -n 5 --save-svg {d}/v.x --save-html {d}/v.x", 1,
                                 ["v.x"]),
    "escape sequence in a name": ("eval {d}/corpus.txt -m {d}/escape_name.npz", 0, []),
    "lone surrogate in a vocabulary": ("sample -m {d}/surrogate.npz -n 20 --seed 1", 1,
                                       ["surrogate.npz", "'vocab'"]),
    # the other model commands
    "export unknown model": ("export nope {d}/o.arpa", 1, ["unknown model", "nope"]),
    "export into missing folder": ("export {d}/model.npz {d}/no/o.arpa", 1,
                                   ["does not exist"]),
    "export damaged model": ("export {d}/cut_half.npz {d}/o.arpa", 1, ["cut_half.npz"]),
    "convert not arpa": ("convert {d}/model.npz {d}/o.npz", 2, ["IN.arpa", ".arpa"]),
    "convert missing": ("convert {d}/nope.arpa {d}/o.npz", 1, ["nope.arpa"]),
    "models extra argument": ("models extra", 2, ["extra"]),
    # ---- the explorer's server (each refused before it would start)
    "serve port past 65535": ("serve --port 70000", 2, ["--port"]),
    "serve unknown model": ("serve -m nope", 1, ["unknown model", "nope"]),
    "serve damaged model": ("serve -m {d}/cut_half.npz", 1, ["cut_half.npz"]),
    "serve unknown host": ("serve --host no.such.host.invalid --port 0", 1, ["--host"]),
    # ---- recorded LLM completions
    "logprobs missing": ("logprobs {d}/nope.json", 1, ["nope.json", "no such file"]),
    "logprobs directory": ("logprobs {d}", 1, ["is a directory"]),
    "logprobs a corpus": ("logprobs {d}/corpus.txt", 1, ["corpus.txt", "not JSON"]),
    "logprobs binary": ("logprobs {d}/binary.bin", 1, ["not JSON"]),
    "logprobs not UTF-8": ("logprobs {d}/bad.txt", 1, ["not", "JSON"]),
    "logprobs a model": ("logprobs {d}/model.npz", 1, ["model.npz"]),
    "logprobs empty": ("logprobs {d}/empty.txt", 1, ["no token log-probabilities"]),
    "logprobs /dev/zero": ("logprobs /dev/zero", 1, ["/dev/zero", "binary"]),
    "logprobs unknown format": ("logprobs {d}/corpus.txt --input-format x", 2,
                                ["--input-format"]),
    "logprobs vocabulary 0": ("logprobs {d}/corpus.txt --vocab-size 0", 2, ["--vocab-size"]),
    "logprobs bad temperatures": ("logprobs {d}/corpus.txt --temperatures x", 2,
                                  ["--temperatures"]),
    "dist position past the end": ("dist --logprobs {d}/one_token.json --position 4", 1,
                                   ["position 4", "0 to 0"]),
    "dist a stateful chain on a recording": ("dist --logprobs {d}/one_token.json "
                                             "--mirostat 2", 2, ["--logprobs"]),
    "curve of a missing recording": ("curve --logprobs {d}/nope.json", 1, ["nope.json"]),
    "logprobs a list unended": ("logprobs {d}/unended.json", 1, ["without its end"]),
    "logprobs a list then text": ("logprobs {d}/list_then_text.json", 1, ["after the list"]),
    # ---- options that would mean something else silently
    "memory half a byte": ("count {d}/corpus.txt -o {d}/o.counts --memory 0.5", 2,
                           ["--memory", "least"]),
    "memory 1e-5": ("train {d}/corpus.txt -o {d}/o.npz --memory 1e-5", 2, ["--memory"]),
    "dist prompt with a recording": ("dist --logprobs {d}/one_token.json -p hi", 2,
                                     ["--prompt", "--logprobs"]),
    "dist model with a recording": ("dist --logprobs {d}/one_token.json -m names-char", 2,
                                    ["--model", "--logprobs"]),
    "curve prompt with a recording": ("curve --logprobs {d}/one_token.json -p hi", 2,
                                      ["--prompt"]),
    "dist position without a recording": ("dist --position 2", 2, ["--position"]),
    "curve vocabulary without a recording": ("curve --vocab-size 50", 2, ["--vocab-size"]),
    # ---- inputs that decode wrongly or wait
    "train utf-16 without a BOM": ("train {d}/utf16_bare.txt -o {d}/o.npz --encoding utf-16",
                                   1, ["utf16_bare.txt", "utf-16"]),
    "count utf-16 without a BOM": ("count {d}/utf16_bare.txt -o {d}/o.counts --encoding "
                                   "utf-16", 1, ["utf16_bare.txt", "utf-16"]),
    "eval utf-16 without a BOM": ("eval {d}/utf16_bare.txt --encoding utf-16", 1,
                                  ["utf-16"]),
    "counts from a FIFO": ("train --from-counts {d}/fifo.counts -o {d}/o.npz", 1,
                           ["fifo.counts", "not a regular file"]),
    "counts from a device": ("train --from-counts /dev/zero -o {d}/o.npz", 1,
                             ["/dev/zero", "not a regular file"]),
    "logprobs pretty JSON after a BOM": ("logprobs {d}/bom.json", 0, []),
    "logprobs events with names, ids and comments": ("logprobs {d}/events.txt", 0, []),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input(d, case):
    command, code, words = CASES[case]
    result = CliRunner().invoke(cli, shlex.split(command.format(d=d)))
    # an exception that is not the boundary's exit is a traceback in a real run
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = [ln for ln in result.stderr.strip().splitlines() if not ln.startswith("seed: ")]
    if code == 0:
        assert not [ln for ln in lines if ln.startswith("Error")], result.stderr
        lines = lines or [""]
    else:
        assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_names_and_tokens_from_files_cannot_drive_the_terminal(d):
    result = CliRunner().invoke(cli, ["eval", str(d / "corpus.txt"), "-m",
                                      str(d / "escape_name.npz")])
    assert result.exit_code == 0 and "\x1b" not in result.output and "\\x1b" in result.output


def test_json_is_strict(d):
    result = CliRunner().invoke(cli, ["eval", str(d / "a.txt"), "-m", str(d / "tiny.arpa"),
                                      "--json"])
    data = json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"JSON {c}"))
    assert data["perplexity"] == "inf" and data["bits_per_token"] > 1024
    sweep = CliRunner().invoke(cli, ["sweep", "--temperatures", "0,inf", "-n", "20", "--seed",
                                     "1", "--format", "json"])
    doc = json.loads(sweep.stdout, parse_constant=lambda c: pytest.fail(f"JSON {c}"))
    assert [c["temperature"] for c in doc["columns"]] == [0, "inf"]


def test_every_command_has_bad_input_cases():
    commands = {command.split()[0] for command, _, _ in CASES.values()}
    assert set(cli.commands) <= commands
    assert {code for _, code, _ in CASES.values()} == {0, 1, 2}


def test_pickle_was_not_run(d):
    CliRunner().invoke(cli, ["sample", "-m", str(d / "pickle.npz")])
    assert not (d / "pwned").exists()


def test_training_stops_before_running_out_of_memory(d, monkeypatch):
    # counting goes in pieces; what must fit is the model's own n-grams
    monkeypatch.setattr(training, "memory_left", lambda: 1000)
    result = CliRunner().invoke(cli, ["train", str(d / "corpus.txt"), "-o", str(d / "x.npz")])
    assert result.exit_code == 1 and "distinct n-grams" in result.stderr
    assert "may use" in result.stderr and not (d / "x.npz").exists()
