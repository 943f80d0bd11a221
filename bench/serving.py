"""make bench: the explorer's server. The time the API takes for one sample and for a sweep
(in process, median), and a load run on loopback against `tempgen serve`."""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SWEEP = [0, 0.2, 0.5, 0.8, 1, 1.5, 2, "inf"]


def in_process(runs: int = 40) -> dict:
    """Median milliseconds of the API's sample (500 tokens) and 8-column sweep (500 tokens
    each), every call a new seed (nothing cached)."""
    sys.path.insert(0, str(ROOT))
    from tempgen.lm.store import load
    from tempgen.web.api import Api

    api = Api({"shakespeare-char": load("shakespeare-char")})
    body = {"model": "shakespeare-char", "length": 500, "temperature": 0.8}
    api.sample({**body, "seed": 0})  # (the first call builds what the compiled loop keeps)

    def median_ms(call) -> float:
        times = []
        for seed in range(1, runs + 1):
            start = time.perf_counter()
            call(seed)
            times.append(1000 * (time.perf_counter() - start))
        return statistics.median(times)

    return {"sample": median_ms(lambda s: api.sample({**body, "seed": s})),
            "sweep": median_ms(lambda s: api.sweep({**body, "seed": s, "temperatures": SWEEP}))}


def load_run(clients: int = 8, requests: int = 400) -> dict:
    """`clients` clients on loopback sending `requests` sample requests in all (each a new
    seed, 300 tokens) to `tempgen serve`: latency percentiles and errors."""
    proc = subprocess.Popen([sys.executable, "-m", "tempgen", "serve", "-m", "shakespeare-char",
                             "--port", "0"], stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        address = proc.stderr.readline().split(" at ")[1].split()[0]
        host, port = address.split("//")[1].rstrip("/").split(":")

        def one(seed: int) -> tuple[float, bool]:
            connection = http.client.HTTPConnection(host, int(port), timeout=60)
            body = json.dumps({"model": "shakespeare-char", "seed": seed, "length": 300,
                               "temperature": 0.8})
            start = time.perf_counter()
            try:
                connection.request("POST", "/api/sample", body,
                                   {"Content-Type": "application/json"})
                ok = connection.getresponse().status == 200
            except OSError:
                ok = False
            finally:
                connection.close()
            return 1000 * (time.perf_counter() - start), ok

        with ThreadPoolExecutor(clients) as pool:
            results = list(pool.map(one, range(requests)))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    times = sorted(t for t, _ in results)
    return {"p50": times[len(times) // 2], "p99": times[int(0.99 * (len(times) - 1))],
            "errors": sum(not ok for _, ok in results), "requests": requests,
            "clients": clients}


def report(mark) -> None:
    t = in_process()
    print("explorer server (tempgen serve), shakespeare-char:")
    print(f"  API time, one 500-token sample: {t['sample']:6.1f} ms median (<= 20 ms) "
          f"{mark(t['sample'] <= 20)}")
    print(f"  API time, 8-column sweep of 500 tokens: {t['sweep']:6.1f} ms median (<= 50 ms) "
          f"{mark(t['sweep'] <= 50)}")
    r = load_run()
    print(f"  load on loopback, {r['clients']} clients, {r['requests']} requests of 300 "
          f"tokens: p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, {r['errors']} errors "
          f"{mark(r['errors'] == 0)}")
