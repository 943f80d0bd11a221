"""`make bench`'s jobs still run against the library as it is now: each job once, on a small
corpus, in a fresh process as the bench runs it (its figures are not checked here)."""

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import run  # noqa: E402

JOBS = [{"kind": "train", "order": 7}, {"kind": "naive"}, {"kind": "arpa_exact"},
        {"kind": "arpa", "order": 3}, {"kind": "load", "model": "names-char"},
        {"kind": "decode", "model": "names-char", "batch": 2, "steps": 30},
        {"kind": "decode", "model": "names-char", "batch": 1, "steps": 30,
         "settings": {"dry_multiplier": 0.8, "mirostat": 2, "top_k": 5}}]


@pytest.mark.parametrize("job", JOBS, ids=lambda j: " ".join(map(str, j.values())))
def test_every_bench_job_runs(job, tmp_path, monkeypatch):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the quick brown fox jumps over the lazy dog\n" * 400)
    monkeypatch.setattr(run, "CORPUS", corpus)
    result, peak_mb = run.child(job)
    assert result and peak_mb > 0


def test_the_training_report_compares_only_with_a_peer_timed_now(monkeypatch, capsys):
    import training

    true = shutil.which("true")
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("LMPLZ", raising=False)
    training.report("ab\n" * 100, run.mark, orders=(2,))
    out = capsys.readouterr().out
    assert "comparison not made" in out and "| lmplz" not in out and " x " not in out
    monkeypatch.setenv("LMPLZ", true)  # a peer that is there (its figure is not checked)
    training.report("ab\n" * 100, run.mark, orders=(2,))
    out = capsys.readouterr().out
    assert "not made" not in out and out.count("| lmplz") == 1


def test_the_scale_bench_measures_a_run(monkeypatch, tmp_path):
    import scale

    monkeypatch.setattr(scale, "CACHE", tmp_path)
    corpus = tmp_path / "c.txt"
    corpus.write_text("to be or not to be\n" * 2000)
    wall, rss, disk = scale.train(corpus, "--order", "4", "--memory", "64K")
    assert wall > 0 and 0 < rss < 2 and disk > 0  # (it spilled: some disk was used)


def test_the_calibrate_bench_times_both_commands_on_every_model_kind(monkeypatch, capsys):
    import calibrating

    monkeypatch.setattr(calibrating, "SIZES", (20_000,))
    monkeypatch.setattr(calibrating, "best", lambda args, runs: calibrating.whole(args))
    calibrating.report(run.mark)
    lines = [line for line in capsys.readouterr().out.splitlines() if " MB  eval " in line]
    assert len(lines) == 4 and all(" x (<= 3 x) " in line for line in lines)
    assert "ARPA" in lines[-1] and "0.02 MB" in lines[0]
