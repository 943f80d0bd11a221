"""make bench: training time against KenLM's lmplz, order by order, whole process against
whole process (what a user waits for), both timed in this run on the same text.

lmplz is not part of tempgen: it is timed when an `lmplz` binary is on PATH or named by
$LMPLZ (build it as KenLM's README says, with -DCMAKE_BUILD_TYPE=Release). Without one the
comparison is not made: a figure recorded on another machine does not carry over to this one.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = 3  # median of 3, each tool


def lmplz_binary() -> str | None:
    return os.environ.get("LMPLZ") or shutil.which("lmplz")


def median_wall(cmd: list[str], stdin_path: str | None = None) -> float:
    """Median wall time of a whole command, its output discarded."""
    times = []
    for _ in range(RUNS):
        with open(stdin_path or os.devnull, "rb") as src:
            start = time.perf_counter()
            subprocess.run(cmd, stdin=src, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def as_lmplz_text(train_text: str, path: str) -> None:
    """The text as lmplz reads characters: one a word (a space as U+2581), a line a sentence."""
    with open(path, "w") as f:
        for line in train_text.splitlines():
            f.write(" ".join("\u2581" if c == " " else c for c in line) + "\n")


def report(train_text: str, mark, orders=(3, 5, 7)) -> None:
    """Each order's whole-process training time, tempgen's against lmplz's."""
    binary = lmplz_binary()
    print("training time, whole process (median of 3): tempgen train against KenLM's lmplz "
          "(<= 1.0 x)")
    if not binary:
        print("  lmplz: not found (set LMPLZ or put lmplz on PATH): comparison not made")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "train.txt")
        with open(corpus, "w") as f:
            f.write(train_text)
        chars = os.path.join(tmp, "chars.txt")
        as_lmplz_text(train_text, chars)
        tempgen = [sys.executable, "-m", "tempgen", "train", corpus, "--level", "char", "-o",
                   os.path.join(tmp, "m.npz")]
        for order in orders:
            ours = median_wall(tempgen + ["--order", str(order)])
            line = f"  order {order}: tempgen {ours:5.2f} s"
            if binary:
                theirs = median_wall([binary, "-o", str(order), "-S", "2G",
                                      "--discount_fallback", "-T", tmp], chars)
                ratio = ours / theirs
                line += f" | lmplz {theirs:5.2f} s | {ratio:4.2f} x {mark(ratio <= 1.0)}"
            print(line)
