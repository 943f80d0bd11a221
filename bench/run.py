"""tempgen benchmarks: `make bench`. Prints figures next to their targets.

Every measurement runs in a fresh Python process, so peak memory (from wait4) and cold load
times belong to that measurement alone.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "sample_models" / "corpora" / "shakespeare.txt"  # the bundled models' 90%
HELD = CORPUS.with_name("shakespeare-held-out.txt")  # the rest, which they never saw

# Held-out bits per character of KenLM's lmplz (modified Kneser-Ney) on the same split.
KENLM_BPC = {3: 2.929, 5: 2.239, 7: 2.116}

CHILD = r'''
import json, sys, time, math
sys.path.insert(0, {root!r})
from tempgen.io.corpus import Corpus
train = open({corpus!r}).read()
held = open({held!r}).read()
job = {job!r}
out = {{}}
if job["kind"] == "train":
    from tempgen.lm.training import train_model
    from tempgen.analysis.scoring import evaluate
    times = []
    for _ in range(3):  # best of 3, as lmplz's figures
        t = time.perf_counter()
        model = train_model(Corpus(train, "train", "", len(train)), "char", job["order"],
                            "bench")
        times.append(time.perf_counter() - t)
    out["train_s"], out["train_first_s"] = min(times), times[0]
    runs = []
    for _ in range(3):  # the first call also builds the search keys it needs
        t = time.perf_counter()
        ev = evaluate(model, held)
        runs.append(time.perf_counter() - t)
    out["score_first_s"] = runs[0]
    out["score_s"] = min(runs)
    if job["order"] == 7:
        from tempgen.analysis.calibration import calibrate
        t = time.perf_counter()
        cal = calibrate(model, [held], "held-out")
        out["calibrate_s"] = time.perf_counter() - t
        out["t_star"], out["bits_1"], out["bits_star"] = (cal.t_star, cal.bits_at_1,
                                                          cal.bits_at_t_star)
    out["bpc"] = ev.bits_per_token
    out["held_chars"] = ev.tokens
    out["unknown"] = ev.unknown
elif job["kind"] == "decode":
    from tempgen.lm.store import load
    from tempgen.generate.decode import generate_blocks
    from tempgen.generate.draw import streams
    from tempgen.generate.samplers.chain import build_chain
    model = load(job["model"])
    b, n = job["batch"], job["steps"]
    chain = build_chain(job.get("settings", {{"temperature": 0.8}}))
    runs = []
    for seed in (1, 2, 3):  # the first run also pages the model's tables in from the file
        states = [(chain.start(model.tokenizer, [], 1) or [None])[0] for _ in range(b)]
        t = time.perf_counter()
        for _ in generate_blocks(model, model.contexts_after([], b), [chain], [0] * b,
                                 streams(seed, b), list(range(b)), n,
                                 states=states):  # (as the commands do)
            pass
        runs.append(b * n / (time.perf_counter() - t))
    out["tokens_per_s"], out["first_tokens_per_s"] = max(runs), runs[0]
elif job["kind"] == "naive":
    # The reference point of the sampler target: a plain dict-of-Counter order-5 char
    # sampler at T = 0.8 (no smoothing), trained on the same corpus.
    import random
    from collections import Counter, defaultdict
    text = open({corpus!r}).read()
    table = defaultdict(Counter)
    for i in range(len(text) - 4):
        table[text[i:i + 4]][text[i + 4]] += 1
    def step(ctx):
        if ctx not in dists:
            c = table[ctx]
            dists[ctx] = (list(c), [v ** (1 / 0.8) for v in c.values()])
        keys, weights = dists[ctx]
        return random.choices(keys, weights)[0]
    runs = []
    for seed in (1, 2, 3):  # best of 3, as the compiled loop's figures
        dists = {{}}
        random.seed(seed)
        ctx, out_chars = text[:4], []
        t = time.perf_counter()
        for _ in range(20000):
            ch = step(ctx)
            out_chars.append(ch)
            ctx = ctx[1:] + ch
        runs.append(20000 / (time.perf_counter() - t))
    out["tokens_per_s"] = max(runs)
elif job["kind"] == "arpa_exact":
    import io, math
    from tempgen.lm.arpa import read_arpa, to_arpa
    from tempgen.analysis.scoring import stream_logprobs
    from tempgen.lm.training import train_model
    model = train_model(Corpus(train, "train", "", len(train)), "char", 5, "bench")
    back = read_arpa(to_arpa(model).encode(), "export.arpa")
    ids = model.tokenizer.encode(held)
    a = stream_logprobs(model, ids) / math.log(10)
    b = stream_logprobs(back, ids) / math.log(10)
    out["positions"] = len(a)
    out["max_diff"] = float(abs(a - b).max())
elif job["kind"] == "arpa":
    import os, tempfile
    from tempgen.lm.arpa import to_arpa
    from tempgen.io.corpus import Corpus
    from tempgen.lm.store import load
    from tempgen.lm.training import train_model
    text = open({corpus!r}).read()
    model = train_model(Corpus(text, "s", "", len(text)), "char", job["order"], "s")
    path = os.path.join(tempfile.mkdtemp(), "m.arpa")
    with open(path, "w") as f:
        f.write(to_arpa(model))
    out["mb"] = os.path.getsize(path) / 1e6
    t = time.perf_counter()
    load(path)
    out["load_s"] = time.perf_counter() - t
    os.remove(path)
elif job["kind"] == "load":
    t = time.perf_counter()
    from tempgen.lm import store
    t1 = time.perf_counter()
    store.load(job["model"])
    out["import_s"] = t1 - t
    out["load_s"] = time.perf_counter() - t1
print(json.dumps(out))
'''


def child(job: dict) -> tuple[dict, float]:
    """Run one job in a fresh interpreter; returns its result and peak RSS in MB."""
    code = CHILD.format(root=str(ROOT), corpus=str(CORPUS), held=str(HELD), job=job)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.exit(f"benchmark job {job} failed")
    return json.loads(out), usage.ru_maxrss / 1024


def wall(cmd: list[str], runs: int = 5) -> float:
    """Median wall time of a whole command, its output discarded (as into a pipe)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                       cwd=ROOT)
        times.append(time.perf_counter() - start)
    return sorted(times)[runs // 2]


def mark(ok: bool) -> str:
    return "ok " if ok else "MISS"


def main() -> None:
    print(f"tempgen benchmarks on {CORPUS.name}: train = the first 90% of its lines, "
          f"held-out = {HELD.name}")
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}\n")
    print("order  train s  peak MB  held-out bits/char  (KenLM lmplz)  scoring chars/s "
          "(first call)")
    for order in (3, 5, 7):
        r, rss = child({"kind": "train", "order": order})
        speed = r["held_chars"] / r["score_s"]
        print(f"{order:>5}  {r['train_s']:7.2f}  {rss:7.0f}  {r['bpc']:18.4f}  "
              f"({KENLM_BPC[order]:.3f}) {mark(r['bpc'] <= KENLM_BPC[order])}  "
              f"{speed:15,.0f} ({r['held_chars'] / r['score_first_s']:,.0f})")
        if order == 7:
            last = (r, rss, speed)
    r, rss, speed = last
    print(f"\ntargets (order 7): training {r['train_s']:.2f} s (<= 4 s) {mark(r['train_s'] <= 4)}"
          f" | peak memory {rss:.0f} MB (<= 2048) {mark(rss <= 2048)}"
          f" | scoring {speed / 1e6:.2f} M chars/s, best of 3 (>= 1.5) {mark(speed >= 1.5e6)}")
    print(f"held-out: {r['held_chars']:,} chars scored, {r['unknown']} unknown")
    ratio = r["calibrate_s"] / r["score_first_s"]
    print(f"calibration of the order-7 model on the held-out text: T* = {r['t_star']:.3f}, "
          f"{r['bits_1']:.4f} -> {r['bits_star']:.4f} bits/char "
          f"(gain {r['bits_1'] - r['bits_star']:.4f}), {r['calibrate_s']:.1f} s = "
          f"{ratio:.1f} x scoring the text (<= 3 x) {mark(ratio <= 3)}\n")
    import training

    training.report(CORPUS.read_text(), mark)
    print()

    print("sampling speed at T = 0.8 (tokens/s), the default chain (compiled loop):")
    naive = child({"kind": "naive"})[0]["tokens_per_s"]
    print(f"  naive dict-of-Counter order-5 sampler, 1 stream x 20000: {naive:12,.0f}  "
          f"best of 3 seeds")
    # (targets: one char stream >= 1.25 x the naive sampler of this same run, as each token
    # now makes and searches its noise (README, How a token is drawn); the word model
    # >= 20 k/s; 64 rows is shown without a target: no command needs it)
    for name, batch, steps, target in (("shakespeare-char", 1, 20000, 1.25 * naive),
                                       ("shakespeare-word", 1, 2000, 20e3),
                                       ("shakespeare-char", 64, 2000, None)):
        r = child({"kind": "decode", "model": name, "batch": batch, "steps": steps})[0]
        speed = r["tokens_per_s"]
        goal = f"(>= {target:,.0f}) {mark(speed >= target)}" if target else "(no target)"
        print(f"  {name:<17} {batch:>2} x {steps:<5} {speed:12,.0f}  {goal}  best of 3 seeds; "
              f"first run {r['first_tokens_per_s']:,.0f}")
    import chains

    chains.report(child, mark)
    print()
    import calibrating

    calibrating.report(mark)
    print()
    import coupling

    coupling.report(mark)
    print()
    import mapping

    mapping.report(mark)
    print()
    tempgen = [sys.executable, "-m", "tempgen"]
    for n, runs in ((20000, 5), (500000, 3)):
        whole = wall(tempgen + ["sample", "-t", "0.8", "-n", str(n), "--seed", "1"], runs)
        print(f"  whole command: tempgen sample -t 0.8 -n {n} into a pipe: {whole:.2f} s "
              f"({n / whole:,.0f} chars/s with start-up and text output)")
    whole = wall(tempgen + ["sweep", "--range", "0:2:10", "-n", "2000", "--seed", "1"], 3)
    print(f"  whole command: tempgen sweep --range 0:2:10 -n 2000 (10 columns): {whole:.2f} s")
    print()
    print("start-up: whole commands, wall time (median of 5):")
    version = wall(tempgen + ["--version"])
    sweep = wall(tempgen + ["sweep", "-n", "300", "--seed", "1"])
    print(f"  tempgen --version                          {version * 1000:7.0f} ms")
    print(f"  tempgen sweep (5 temperatures x 300 chars) {sweep * 1000:7.0f} ms = "
          f"{sweep / version:.1f} x --version (<= 1.5 x) {mark(sweep <= 1.5 * version)}")
    print()
    r = child({"kind": "arpa_exact"})[0]
    print(f"ARPA: order-5 model -> export -> our loader: max |log10 p difference| over "
          f"{r['positions']:,} held-out positions {r['max_diff']:.2e} (<= 1e-4) "
          f"{mark(r['max_diff'] <= 1e-4)}")
    r = child({"kind": "arpa", "order": 6})[0]
    print(f"ARPA: loading a {r['mb']:.0f} MB file (char order 6 export) {r['load_s']:.1f} s "
          f"(50 MB in <= 10 s) {mark(r['load_s'] * 50 / r['mb'] <= 10)}\n")
    print("cold load of a bundled model (fresh process, median of 5):")
    for name in ("shakespeare-char", "shakespeare-word", "names-char"):
        loads = sorted(child({"kind": "load", "model": name})[0]["load_s"] for _ in range(5))
        med = loads[2]
        print(f"  {name:<17} {med * 1000:6.1f} ms (<= 100 ms) {mark(med <= 0.1)}")
    print()
    import serving

    serving.report(mark)
    print()
    packaging()


def packaging() -> None:
    """The compiled loop's size, and the package as a wheel with and without a compiler."""
    csrc = ROOT / "tempgen" / "generate" / "csrc"
    lines = sum(len(p.read_text().splitlines()) for p in csrc.glob("*.[ch]"))
    print(f"packaging: C lines {lines:,} (generate/csrc)")
    with tempfile.TemporaryDirectory() as tmp:
        for cc, folder in ((None, "with"), ("/bin/false", "without")):
            src = Path(tmp, f"src-{folder}")  # a clean copy each: no build left from the other
            shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
                ".venv", ".git", "build", "*.egg-info", "__pycache__", "*.so", ".hypothesis"))
            env = {**os.environ, **({"CC": cc} if cc else {})}
            built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                                    "-w", Path(tmp, folder), src], env=env,
                                   capture_output=True).returncode == 0
            wheels = list(Path(tmp, folder).glob("*.whl")) if built else []
            names = zipfile.ZipFile(wheels[0]).namelist() if wheels else []
            models = [n for n in names if n.startswith("tempgen/sample_models/")]
            compiled = any(n.endswith(".so") for n in names)
            if cc:
                print(f"  install without compiler: {mark(built and not compiled).strip()} "
                      f"(a wheel with the numpy path alone)")
            else:
                size = wheels[0].stat().st_size / 1e6 if wheels else 0
                print(f"  wheel: models included: {len(models)} of 3 {mark(len(models) == 3)} "
                      f"compiled loop: {'yes' if compiled else 'NO'}, size {size:.1f} MB")


if __name__ == "__main__":
    if sys.argv[1:] == ["chains"]:  # (the chains' report alone: python bench/run.py chains)
        import chains

        chains.report(child, mark)
    elif sys.argv[1:] == ["calibrate"]:  # (python bench/run.py calibrate)
        import calibrating

        calibrating.report(mark)
    else:
        main()
