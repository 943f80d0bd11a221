"""make bench: training time against KenLM's lmplz, order by order.

lmplz is not part of tempgen: when an `lmplz` binary is on PATH (or named by $LMPLZ) it is
timed in the same run, on the same text (one character a token, a line a sentence, `-S 2G
--discount_fallback`). Otherwise its figures recorded on this machine are used, each as a
multiple of a fixed workload (numpy sorting 4 M int64) timed beside it, and compared with
tempgen's time as a multiple of the same workload timed in this run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time

import numpy as np

# lmplz seconds / workload seconds, measured on this machine (KenLM built from its source;
# best of 3 each over two runs): lmplz 0.77 / 1.92 / 3.97 s at orders 3 / 5 / 7, the
# workload 0.080 s (0.074-0.087) in the same runs.
LMPLZ_IN_WORKLOADS = {3: 0.77 / 0.080, 5: 1.92 / 0.080, 7: 3.97 / 0.080}


def workload() -> float:
    """Seconds numpy takes to sort 4 M random int64 here and now (best of 5)."""
    x = np.random.default_rng(0).integers(0, 2**62, 1 << 22)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        np.sort(x)
        best = min(best, time.perf_counter() - start)
    return best


def lmplz_live(train_text: str, order: int) -> float | None:
    """lmplz's best of 3 wall times on the text, when the binary is here."""
    binary = os.environ.get("LMPLZ") or shutil.which("lmplz")
    if not binary:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "chars.txt")
        with open(path, "w") as f:
            for line in train_text.splitlines():
                f.write(" ".join("\u2581" if c == " " else c for c in line) + "\n")
        best = float("inf")
        for _ in range(3):
            with open(path) as src:
                start = time.perf_counter()
                subprocess.run([binary, "-o", str(order), "-S", "2G", "--discount_fallback",
                                "-T", tmp], stdin=src, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, check=True)
                best = min(best, time.perf_counter() - start)
    return best


def report(times: dict[int, float], train_text: str, mark) -> None:
    """Each order's training time (best of 3, in-process) against lmplz's."""
    unit = workload()
    print(f"training time against KenLM's lmplz (<= 1.0 x), workload = numpy sorting 4 M "
          f"int64: {unit:.3f} s here")
    for order, seconds in sorted(times.items()):
        live = lmplz_live(train_text, order)
        theirs = live if live is not None else LMPLZ_IN_WORKLOADS[order] * unit
        how = "timed now" if live is not None else "recorded, scaled by the workload"
        ratio = seconds / theirs
        print(f"  order {order}: tempgen {seconds:5.2f} s = {seconds / unit:5.1f} workloads"
              f" | lmplz {theirs:5.2f} s = {theirs / unit:5.1f} workloads ({how})"
              f" | {ratio:4.2f} x {mark(ratio <= 1.0)}")
