"""make bench: `tempgen map`'s time and memory (in-process: the map alone, its model loaded
before), with the number of texts, on every model kind: char, word, per line, and an ARPA
file (names-char exported). Target: each under 1 s."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = (("shakespeare-char", 300, 1.0), ("shakespeare-word", 60, 2.0), ("names-char", 20, 3.0),
         ("names.arpa", 20, 3.0))
CHILD = r'''
import json, resource, sys, time
sys.path.insert(0, {root!r})
from tempgen.analysis.textmap import text_map
from tempgen.generate.samplers.chain import build_chain
from tempgen.lm import store
model = store.load({name!r})
chain = build_chain({{"temperature": 1.0}})
text_map(model, "ROMEO.", chain, 5, 0, 0.0, {hi!r})  # (the noise tree's tables, once)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
times, counts = [], []
for seed in (1, 2, 3):
    start = time.perf_counter()
    found = text_map(model, "ROMEO.", chain, {n!r}, seed, 0.0, {hi!r})
    times.append(time.perf_counter() - start)
    counts.append(len(found.texts))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"times": times, "counts": counts, "grew_mb": (peak - before) / 1024,
                   "peak_mb": peak / 1024}}))
'''


def report(mark) -> None:
    import tempfile

    print("tempgen map (in-process, the model loaded before; seeds 1, 2, 3; target < 1 s):")
    with tempfile.TemporaryDirectory() as tmp:
        arpa = str(Path(tmp) / "names.arpa")
        subprocess.run([sys.executable, "-m", "tempgen", "export", "names-char", arpa],
                       check=True, capture_output=True)
        for name, n, hi in CASES:
            _case(arpa if name == "names.arpa" else name, name, n, hi, mark)


def _case(spec: str, name: str, n: int, hi: float, mark) -> None:
    code = CHILD.format(root=str(ROOT), name=spec, n=n, hi=hi)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    r = json.loads(out)
    worst = max(r["times"])
    print(f"  {name:<17} -n {n:<3} --range 0:{hi:g}: {worst:5.2f} s at most "
          f"({', '.join(f'{t:.2f}' for t in r['times'])}), texts "
          f"{', '.join(map(str, r['counts']))}; memory +{r['grew_mb']:.0f} MB "
          f"(peak {r['peak_mb']:.0f} MB)  (< 1 s) {mark(worst < 1.0)}")

if __name__ == "__main__":
    report(lambda ok: "ok" if ok else "MISS")
