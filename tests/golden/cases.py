"""The golden set: commands whose output must not change (fixed seeds), and how to record it.

`python tests/golden/cases.py` records every case's output into tests/golden/*.out; run it
only when a change of output is intended, and say so in the commit.
"""

from __future__ import annotations

import hashlib
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
# the ARPA export of names-char (its file's hash): the back-off form, exactly
EXPORT = "export-names.sha256"


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


def export_hash(arpa: str) -> bytes:
    return hashlib.sha256(Path(arpa).read_bytes()).hexdigest().encode() + b"\n"


def export_arpa(folder: Path) -> str:
    path = folder / "names.arpa"
    code, _ = run(["export", "names-char", str(path)])
    assert code == 0
    return str(path)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        arpa = export_arpa(Path(tmp))
        for name in CASES if len(sys.argv) < 2 else sys.argv[1:]:
            (HERE / f"{name}.out").write_bytes(output(name, arpa))
            print("recorded", name)
        (HERE / f"{EXPORT}.out").write_bytes(export_hash(arpa))
