"""The golden set: commands whose output must not change (fixed seeds), and how to record it.

`python tests/golden/cases.py` records every case's output into tests/golden/*.out; run it
only when a change of output is intended, and say so in the commit. `--into DIR` writes the
outputs into DIR instead (a test runs it so in a process with numpy's SIMD kernels limited).

What is compared (`same_output`): tokens, texts, names and integers byte for byte; a figure
printed as a float by value, to within ACROSS_CPUS relative. numpy picks its exp and log
kernels by CPU (SSE, AVX2, AVX-512), and theirs differ in the last bit; a sum of products is
never left to BLAS, whose kernels (and so their order of additions) are also picked by CPU.
"""

from __future__ import annotations

import gzip
import json
import math
import shlex
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# name -> command line (after `tempgen`); {held} is a held-out text, {arpa} an ARPA file
# exported from names-char.
CASES = {
    "sample-char": "sample -n 3000 --seed 1 -t 0.8",
    "sample-char-jsonl": "sample -n 400 --seed 2 -t 0.7 --num-samples 3 --format jsonl",
    "sample-word": "sample -m shakespeare-word -n 400 --seed 2 -t 0.9 -p KING",
    "sample-word-jsonl": "sample -m shakespeare-word -n 150 --seed 9 --format jsonl",
    "sample-chain": "sample --top-k 20 --top-p 0.9 -t 1.1 -n 600 --seed 3",
    "sample-chain-word": "sample -m shakespeare-word --min-p 0.05 --typical-p 0.95 -n 200 --seed 4",
    "sample-names": "sample -m names-char --num-samples 12 --seed 4",
    "sample-greedy": "sample -t 0 -n 300 -p ROMEO",
    "sample-arpa": "sample -m {arpa} --num-samples 6 --seed 5 -t 1.3",
    "sweep-jsonl": "sweep --format jsonl -n 200 --seed 5",
    "sweep-json-names": "sweep -m names-char --format json --num-samples 3 --seed 6 "
                        "--temperatures 0,0.5,1,inf",
    "sweep-text": "sweep -n 120 --seed 7 --range 0:2:4",
    "dist-char": "dist -p 'ROMEO. O' --json",
    "dist-word": "dist -m shakespeare-word -p 'my good' --top-p 0.9 --top 15 --json",
    "curve-char": "curve -p 'ROMEO. O' --json",
    "curve-names": "curve -m names-char -p ma --json",
    "eval-char": "eval {held} --json",
    "eval-word": "eval {held} -m shakespeare-word --json",
    "eval-arpa": "eval {held} -m {arpa} --json",
    "calibrate-char": "calibrate {held} --json",
    "calibrate-word": "calibrate {held} -m shakespeare-word --json",
}
# the ARPA export of names-char: the back-off form (its n-grams exactly, its figures, printed
# to 6 and 7 decimals, to within one unit of the last)
EXPORT = "export-names.arpa.gz"
ARPA_DIGIT = 1.000001e-7

ACROSS_CPUS = 1e-12  # relative: a few ulps of each figure, after a whole computation
ACROSS_PATHS = 1e-9  # relative: the compiled loop's exp and log against numpy's


def same(got, want, rel: float = ACROSS_CPUS) -> bool:
    """Equal JSON values, floats to within `rel` relative (and 1e3 * rel absolute, for
    figures that cancel to about 0); every other value exactly."""
    if isinstance(want, float) and isinstance(got, float | int):
        if math.isinf(want) or math.isnan(want):
            return got == want or (math.isnan(want) and math.isnan(got))
        return abs(got - want) <= max(rel * abs(want), 1e3 * rel)
    if isinstance(want, dict):
        return isinstance(got, dict) and got.keys() == want.keys() and \
            all(same(got[k], want[k], rel) for k in want)
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and \
            all(same(g, w, rel) for g, w in zip(got, want, strict=True))
    return type(got) is type(want) and got == want


def same_output(got: bytes, want: bytes, rel: float = ACROSS_CPUS) -> bool:
    """A command's output against the recorded one: JSON (or JSON lines) by `same`, text
    byte for byte."""
    if not want.startswith(b"{"):
        return got == want
    got_lines, want_lines = got.splitlines(), want.splitlines()
    return len(got_lines) == len(want_lines) and all(
        same(json.loads(g), json.loads(w), rel)
        for g, w in zip(got_lines, want_lines, strict=True))


def same_arpa(got: bytes, want: bytes) -> bool:
    """Two ARPA texts: every line's words exactly, its figures to within ARPA_DIGIT."""
    got_lines, want_lines = got.decode().splitlines(), want.decode().splitlines()
    if len(got_lines) != len(want_lines):
        return False
    for g, w in zip(got_lines, want_lines, strict=True):
        g_fields, w_fields = g.split("\t"), w.split("\t")
        if len(g_fields) != len(w_fields) or len(w_fields) == 1:
            if g != w:
                return False
            continue
        figures = [0, 2] if len(w_fields) == 3 else [0]
        if [f for i, f in enumerate(g_fields) if i not in figures] != \
                [f for i, f in enumerate(w_fields) if i not in figures]:
            return False
        if any(abs(float(g_fields[i]) - float(w_fields[i])) > ARPA_DIGIT for i in figures):
            return False
    return True


def command(name: str, arpa: str) -> list[str]:
    return shlex.split(CASES[name].format(held=str(HERE / "held.txt"), arpa=arpa))


def run(args: list[str]) -> tuple[int, bytes]:
    """Exit code and stdout bytes of `tempgen ARGS`, in this process."""
    from click.testing import CliRunner

    from tempgen.cli import cli

    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return result.exit_code, result.stdout_bytes


def output(name: str, arpa: str) -> bytes:
    code, out = run(command(name, arpa))
    assert code == 0, (name, code)
    return out


def recorded_export() -> bytes:
    return gzip.decompress((HERE / EXPORT).read_bytes())


def export_arpa(folder: Path) -> str:
    path = folder / "names.arpa"
    code, _ = run(["export", "names-char", str(path)])
    assert code == 0
    return str(path)


if __name__ == "__main__":
    import tempfile

    args = sys.argv[1:]
    into = HERE
    if args[:1] == ["--into"]:
        into, args = Path(args[1]), args[2:]
    with tempfile.TemporaryDirectory() as tmp:
        arpa = export_arpa(Path(tmp))
        for name in args or CASES:
            (into / f"{name}.out").write_bytes(output(name, arpa))
            print("recorded", name, file=sys.stderr)
        # (mtime 0: the same bytes on a rerun)
        (into / EXPORT).write_bytes(gzip.compress(Path(arpa).read_bytes(), 9, mtime=0))
