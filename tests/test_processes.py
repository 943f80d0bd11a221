"""What only a real process shows: signals, pipes, closed streams, full disks, permissions,
memory limits, a model file changed under a run, and memory that does not grow with the
input."""

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import SAMPLES

ROOT = Path(__file__).resolve().parent.parent
TEMPGEN = [sys.executable, "-m", "tempgen"]
SHAKESPEARE = SAMPLES / "corpora" / "shakespeare.txt"


def start(*args, stdin=subprocess.DEVNULL, close=(), limit=None, user=None, env=None,
          python=sys.executable, first="", **kw):
    """tempgen ARGS as a process; `close`: fds closed in the child (0: stdin, 1: stdout),
    `limit`: its RLIMIT_AS in bytes, `user`: run as that uid (and gid), `first`: Python
    run before the command."""
    def setup():
        for fd in close:
            os.close(fd)
        if limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        if user is not None:
            os.setgid(user)
            os.setuid(user)

    main = f"import sys\n{first}\nfrom tempgen.cli import main\nsys.argv[0] = 'tempgen'\nmain()"
    kw.setdefault("stdout", None if 1 in close else subprocess.PIPE)
    return subprocess.Popen([python, "-c", main, *(a if isinstance(a, bytes) else str(a)
                                                   for a in args)], stdin=stdin,
                            stderr=subprocess.PIPE, preexec_fn=setup, cwd=kw.pop("cwd", ROOT),
                            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, **kw)


def run(*args, timeout=120, **kw):
    """(exit code, stdout, stderr lines) of tempgen ARGS."""
    proc = start(*args, **kw)
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err.decode(errors="replace").strip().splitlines()


def one_error(err: list[str], *words: str) -> None:
    lines = [ln for ln in err if not ln.startswith("seed: ")]
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    assert not any("Traceback" in ln for ln in err)
    for word in words:
        assert word in lines[0], lines[0]


# ---------------------------------------------------------------- closed and full streams
@pytest.mark.parametrize("args", [["sample", "-p", "-"], ["train", "-", "-o", "x.npz"],
                                  ["eval", "-"], ["calibrate", "-"]])
def test_closed_stdin_is_one_error(args, tmp_path):
    code, _, err = run(*args, close=(0,), cwd=tmp_path)
    assert code == 1
    one_error(err, "stdin", "closed")


def test_closed_stdout_is_one_error_and_needs_no_stdout_to_train(tmp_path):
    code, _, err = run("sample", "-n", "10", "--seed", "1", close=(1,))
    assert code == 1
    one_error(err, "stdout is closed")
    code, _, err = run("train", SAMPLES / "corpora" / "names.txt", "-o", tmp_path / "m.npz",
                       close=(1,))
    assert code == 0 and (tmp_path / "m.npz").exists()


@pytest.mark.parametrize("args", [["sample", "-n", "5000", "--seed", "1"],
                                  ["sample", "-n", "500", "--format", "jsonl"],
                                  ["sweep", "-n", "2000", "--format", "json", "--seed", "1"]])
def test_a_full_disk_is_one_error(args):
    with open("/dev/full", "w") as full:
        code, _, err = run(*args, stdout=full)
    assert code == 1
    one_error(err, "No space left")


@pytest.mark.parametrize("args", [["sample", "-n", "1000000", "--seed", "1"],
                                  ["sample", "-n", "200", "--num-samples", "3000",
                                   "--format", "jsonl", "--seed", "1"],
                                  ["sweep", "-n", "3000", "--seed", "1"],
                                  ["sweep", "-n", "300", "--num-samples", "200",
                                   "--format", "jsonl", "--seed", "1"],
                                  ["dist", "--json"], ["models"], ["--help"]])
def test_a_closed_pipe_ends_quietly_with_0(args):
    proc = start(*args)
    proc.stdout.read(1)
    proc.stdout.close()  # the reader goes away (as `| head -c 1` does)
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0 and not err.replace("seed: ", "").strip("0123456789\n")


C_LOCALE = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}


def test_a_utf8_argument_is_read_as_utf8_in_the_c_locale():
    # (with UTF-8 mode and locale coercion off, Python escapes each byte past ASCII: the
    # argument's own bytes are UTF-8 all the same, and a byte that is not UTF-8 is named)
    code, out, err = run("sample", "-p", "ROMEO é", "-n", "20", "--seed", "1",
                         "--stop", "é", env=C_LOCALE)
    assert code == 0 and not any("Error" in ln or "Traceback" in ln for ln in err), err
    code, _, err = run("sample", "-p", b"caf\xff", "-n", "5", env=C_LOCALE)
    one_error(err, "-p", "0xff")


@pytest.mark.parametrize(("env", "encoding", "start"), [
    ({"PYTHONIOENCODING": "ascii"}, "ascii", "caf\\xe9 \\xdf"),  # escaped
    ({"LC_ALL": "C", "LANG": "C"}, "utf-8", "café ß")])  # (Python reads C as UTF-8)
def test_unencodable_output_is_escaped_not_a_crash(env, encoding, start):
    code, out, err = run("sample", "-p", "café ß", "-n", "50", "--seed", "1", env=env)
    assert code == 0 and not any("Traceback" in ln for ln in err)
    assert out.decode(encoding).startswith(start)


# ---------------------------------------------------------------- signals
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143),
                                              (signal.SIGHUP, 129)])
def test_a_signal_stops_a_run_with_its_code(signum, code):
    proc = start("sample", "-n", "100000000", "--seed", "1")
    assert proc.stdout.read(1)  # text is streaming: the decode loop is running
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code and b"Traceback" not in err


def test_a_signal_during_training_leaves_no_file_behind(tmp_path):
    # whenever SIGTERM lands, the folder holds the complete model or nothing
    for delay in (0.3, 0.6, 0.9, 1.2, 1.5, 2.0):
        target = tmp_path / "m.npz"
        proc = start("train", SHAKESPEARE, "-o", target, "--order", "4")
        time.sleep(delay)
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=120)
        # (-15: it landed while Python was still starting, before tempgen could hear it)
        assert proc.returncode in (0, 143, -15)
        assert [p.name for p in tmp_path.iterdir()] in ([], ["m.npz"])
        if proc.returncode == 0:
            assert run("models")[0] == 0 and run("eval", SHAKESPEARE, "-m", target)[0] == 0
            target.unlink()


def test_a_signal_while_spilling_leaves_no_temporary_file(tmp_path):
    # counting in pieces (--memory 20M: some twenty of them), stopped at any moment
    spill, target = tmp_path / "spill", tmp_path / "m.npz"
    spill.mkdir()
    for delay in (0.5, 1.0, 1.5, 2.5):
        proc = start("train", SHAKESPEARE, "-o", target, "--memory", "20M", "--temp-dir", spill)
        time.sleep(delay)
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=120)
        assert proc.returncode in (0, 143, -15)
        assert list(spill.iterdir()) == []
        assert [p.name for p in tmp_path.iterdir() if p != spill] in ([], ["m.npz"])
        target.unlink(missing_ok=True)


# ---------------------------------------------------------------- files
def _unprivileged_python():
    """A Python the user nobody may run with tempgen importable, or None."""
    if os.geteuid() != 0:
        return None
    for python in (sys.executable, "/usr/bin/python3"):
        try:
            ok = subprocess.run(
                [python, "-c", "import tempgen.cli"], preexec_fn=lambda: (os.setgid(65534),
                                                                          os.setuid(65534)),
                env={**os.environ, "PYTHONPATH": f"{ROOT}:{_site()}"},
                capture_output=True, timeout=60).returncode == 0
        except OSError:
            ok = False
        if ok:
            return python
    return None


def _site():
    import numpy

    return str(Path(numpy.__file__).parent.parent)


def test_a_read_only_folder_is_one_error(tmp_path):
    python = _unprivileged_python()
    if python is None:
        pytest.skip("no Python the user nobody may run here (root bypasses permissions)")
    folder = tmp_path / "ro"
    folder.mkdir()
    tmp_path.chmod(0o755)
    folder.chmod(0o555)
    code, _, err = run("train", SAMPLES / "corpora" / "names.txt", "-o", folder / "m.npz",
                       python=python, user=65534, env={"PYTHONPATH": f"{ROOT}:{_site()}"})
    assert code == 1
    one_error(err, "m.npz", "ermission denied")
    assert not list(folder.iterdir())


def test_a_fifo_waits_for_its_writer_and_says_so(tmp_path):
    fifo = tmp_path / "corpus"
    os.mkfifo(fifo)
    proc = start("train", fifo, "-o", tmp_path / "m.npz", "--order", "3")
    assert b"waiting for a writer" in proc.stderr.readline()
    fifo.write_bytes((SAMPLES / "corpora" / "names.txt").read_bytes())
    proc.communicate(timeout=60)
    assert proc.returncode == 0 and (tmp_path / "m.npz").exists()


def test_a_model_changed_under_a_run_cannot_crash_it(tmp_path):
    model = tmp_path / "m.npz"
    model.write_bytes((SAMPLES / "shakespeare-char.npz").read_bytes())
    proc = start("sample", "-m", model, "-n", "100000000", "--seed", "1")
    assert proc.stdout.read(4096)
    with open(model, "r+b") as f:  # truncated, then overwritten in place
        f.truncate(1000)
        f.seek(0)
        f.write(os.urandom(1000))
        f.truncate(10_000_000)
    assert len(proc.stdout.read(200_000)) == 200_000  # still sampling
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode == 130  # not SIGBUS or SIGSEGV


# ---------------------------------------------------------------- memory
GB = 1 << 30


@pytest.fixture(scope="module")
def thrice(tmp_path_factory):
    """Shakespeare three times over: 14.7 MB."""
    path = tmp_path_factory.mktemp("corpus") / "thrice.txt"
    path.write_text(SHAKESPEARE.read_text() * 3)
    return path


def test_training_counts_in_pieces_within_ulimit(tmp_path, thrice):
    # counted whole at order 7 it would need more than half a gigabyte
    code, _, err = run("train", thrice, "-o", tmp_path / "m.npz", limit=GB // 2)
    assert code == 0, err
    assert run("eval", SHAKESPEARE, "-m", tmp_path / "m.npz")[0] == 0


def test_training_memory_does_not_grow_with_the_corpus(tmp_path, thrice):
    once, three = (peak_mb("train", corpus, "-o", tmp_path / "m.npz", "--order", "5",
                           "--memory", "40M") for corpus in (SHAKESPEARE, thrice))
    assert three < 1.2 * once, (once, three)


def test_training_more_than_memory_allows_is_refused(tmp_path):
    # (counting goes in pieces; the model's own 2.9 M distinct 10-grams do not fit)
    code, _, err = run("train", SHAKESPEARE, "-o", tmp_path / "m.npz", "--order", "10",
                       limit=GB * 3 // 10)
    assert code == 1
    one_error(err, "shakespeare.txt", "memory")


def test_a_view_larger_than_memory_is_refused_up_front():
    # (the coloured view; plain text streams column after column, any length)
    code, _, err = run("sweep", "-n", "1000000", "--num-samples", "20", "--seed", "1",
                       "--color", "always", limit=GB)
    assert code == 2
    one_error(err, "--length", "jsonl")


def peak_mb(*args, **kw) -> float:
    """Peak RSS of tempgen ARGS, in MB (its output discarded)."""
    proc = start(*args, **kw)
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, proc.stderr.read()
    return usage.ru_maxrss / 1024


@pytest.fixture(scope="module")
def texts(tmp_path_factory):
    """Shakespeare's text, 200 KB and ten times as much."""
    folder = tmp_path_factory.mktemp("texts")
    text = SHAKESPEARE.read_text()
    small, large = folder / "small.txt", folder / "large.txt"
    small.write_text(text[:200_000])
    large.write_text(text[:2_000_000])
    return small, large


# calibrate keeps rows up to a cap (ROWS_BYTES): below the cap, here, for a short test
SMALL_CAP = "import tempgen.analysis.calibration as c; c.ROWS_BYTES = 16 << 20"


@pytest.mark.parametrize(("command", "first"), [
    (["eval", "{}"], ""), (["eval", "{}", "-m", "shakespeare-word"], ""),
    (["calibrate", "{}", "-m", "names-char"], SMALL_CAP)])
def test_scoring_memory_does_not_grow_with_the_text(command, first, texts):
    small, large = (peak_mb(*[a.format(t) for a in command], first=first) for t in texts)
    assert large < small + 60, (small, large)


@pytest.mark.parametrize("command", [["sample", "--format", "jsonl", "-n", "200"],
                                     ["sweep", "--format", "jsonl", "-n", "100"]])
def test_streamed_json_memory_does_not_grow_with_the_samples(command):
    small, large = (peak_mb(*command, "--num-samples", n, "--seed", "1")
                    for n in (100, 1000))
    assert large < small + 40, (small, large)


@pytest.mark.parametrize("command", [
    ["sample", "--format", "jsonl"],  # (one JSON line: its fields spooled to disk)
    ["sweep"],  # (a pipe: column after column)
])
def test_one_long_sample_does_not_grow_memory_with_its_length(command):
    # (ten times the length either way; numpy alone decodes a few times slower, so without
    # the compiled loop the lengths are a tenth, and the test takes the same time)
    from tempgen.generate import compiled

    base = 100_000 if compiled.AVAILABLE else 10_000
    small, large = (peak_mb(*command, "-n", n, "--seed", "1") for n in (base, 10 * base))
    assert large < small + 40, (small, large)


def test_calibrate_memory_does_not_grow_with_the_text(tmp_path):
    # the char model: rows of 81 tokens, many distinct contexts (600 KB: past the cap of
    # kept rows)
    text = SHAKESPEARE.read_text()
    sizes = []
    for n in (60_000, 600_000):
        (tmp_path / f"{n}.txt").write_text(text[:n])
        sizes.append(peak_mb("calibrate", tmp_path / f"{n}.txt"))
    assert sizes[1] < sizes[0] + 60, sizes


def test_a_signal_whose_exception_was_lost_still_stops_the_next_write():
    # a signal's exception lands wherever the interpreter is, and in a finaliser it is only
    # reported: the next write to stdout raises it again
    import contextlib
    import io

    from tempgen.cli import output

    out = output.Stdout(io.StringIO())
    for handler, signum, kind in ((output.on_interrupt, signal.SIGINT, KeyboardInterrupt),
                                  (output.on_terminate, signal.SIGTERM, output.Terminated)):
        with contextlib.suppress(BaseException):  # (lost, as in a finaliser)
            handler(signum, None)
        with pytest.raises(kind):
            out.write("more text")
        output.forget_signal()  # (the run ends: nothing is raised again)
        out.write("after")
