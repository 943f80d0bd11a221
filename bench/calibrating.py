"""make bench: `tempgen calibrate` against `tempgen eval` on the same text, whole commands
(start-up included), wall time and peak memory, on texts of 2 MB and 20 MB cut from the
bundled corpora repeated (each model's own), for every model kind: char, word, per line
(names-char) and an ARPA file (the word model exported). Target: calibrate within 3 x
eval's time, its memory the same at both sizes.
`python bench/run.py calibrate` runs it alone."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT / "sample_models" / "corpora"
SIZES = (2_000_000, 20_000_000)


def whole(args: list[str]) -> tuple[float, float]:
    """Wall time and peak memory (MB) of one whole command, its output discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "tempgen", *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"benchmark command tempgen {' '.join(args)} failed")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def best(args: list[str], runs: int) -> tuple[float, float]:
    """The fastest of `runs` runs (this machine is noisy), with that run's peak memory."""
    return min(whole(args) for _ in range(runs))


def report(mark) -> None:
    print("calibrate against eval, whole commands on the same text (best of 3 at 2 MB, "
          "1 at 20 MB; target: calibrate <= 3 x eval):")
    with tempfile.TemporaryDirectory() as tmp:
        arpa = Path(tmp, "word.arpa")
        subprocess.run([sys.executable, "-m", "tempgen", "export", "shakespeare-word",
                        str(arpa)], cwd=ROOT, check=True, capture_output=True)
        for model, name, corpus in (("shakespeare-char", "shakespeare-char", "shakespeare"),
                                    ("shakespeare-word", "shakespeare-word", "shakespeare"),
                                    ("names-char", "names-char (lines)", "names"),
                                    (str(arpa), "word model as ARPA", "shakespeare")):
            text = (CORPORA / f"{corpus}.txt").read_text()
            for size in SIZES:
                path = Path(tmp, f"{corpus}-{size}.txt")
                if not path.exists():
                    path.write_text((text * (size // len(text) + 1))[:size])
                runs = 3 if size < 10_000_000 else 1
                ev, ev_mb = best(["eval", "-m", model, str(path)], runs)
                cal, cal_mb = best(["calibrate", "-m", model, str(path)], runs)
                ratio = cal / ev
                print(f"  {name:<18} {size / 1e6:4g} MB  eval {ev:6.2f} s {ev_mb:5.0f} MB  "
                      f"calibrate {cal:6.2f} s {cal_mb:5.0f} MB  = {ratio:.1f} x (<= 3 x) "
                      f"{mark(ratio <= 3)}")
