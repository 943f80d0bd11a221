"""Counting on a cluster: the library's entry points for one part and the merge, and
`tempgen count --scheduler`, run on a Dask LocalCluster of 2 worker processes (skipped where
the tempgen[dask] extra is not installed; `make test` installs it)."""

import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_counts import arrays_of, same_model

from tempgen.cli import cli
from tempgen.errors import TempgenError
from tempgen.lm import store
from tempgen.lm.parts import count_part, count_part_bytes, merge_counts

CORPUS = Path(__file__).resolve().parent.parent / "sample_models" / "corpora" / \
    "shakespeare.txt"


def split(text: str, n: int, folder: Path) -> list[str]:
    """`text` in n consecutive parts cut between lines, as files part-00.. in `folder`."""
    lines = text.splitlines(keepends=True)
    size = -(-len(lines) // n)
    paths = []
    for i in range(n):
        path = folder / f"part-{i:02d}"
        path.write_text("".join(lines[i * size:(i + 1) * size]))
        paths.append(str(path))
    return paths


def whole_model(tmp_path, text, *args) -> bytes:
    (tmp_path / "whole.txt").write_text(text)
    result = CliRunner().invoke(cli, ["train", str(tmp_path / "whole.txt"), "-o",
                                      str(tmp_path / "whole.npz"), *args])
    assert result.exit_code == 0, result.output
    return (tmp_path / "whole.npz").read_bytes()


# ------------------------------------------------------------------ the library, no Dask
def test_a_part_given_as_chunks_counts_as_its_file(tmp_path):
    text = CORPUS.read_text()[:60_000]
    (tmp_path / "t.txt").write_text(text)
    from_file = count_part(tmp_path / "t.txt", tmp_path / "f.counts", level="word")
    pieces = [text[i:i + 777] for i in range(0, len(text), 777)]  # words cut across chunks
    from_chunks = count_part(iter(pieces), tmp_path / "c.counts", level="word")
    assert (from_file.tokens, from_file.vocab, from_file.windows, from_file.order) == \
        (from_chunks.tokens, from_chunks.vocab, from_chunks.windows, 3)
    (_, a), (_, b) = (arrays_of(Path(p).read_bytes()) for p in (from_file.path,
                                                                 from_chunks.path))
    assert a.keys() == b.keys()
    for name in a:
        assert (a[name] == b[name]).all(), name
    as_bytes = count_part_bytes([c.encode() for c in pieces], level="word")
    assert arrays_of(as_bytes)[1].keys() == a.keys()


def test_merge_counts_gives_the_whole_corpus_model(tmp_path):
    text = CORPUS.read_text()[:200_000]
    parts = split(text, 4, tmp_path)
    counts = [count_part(p, p + ".counts", level="char", order=5).path for p in parts]
    model = merge_counts(counts, tmp_path / "m.npz", name="whole")
    assert model.tokens == len(text)
    same_model((tmp_path / "m.npz").read_bytes(), whole_model(tmp_path, text, "--order", "5",
                                                               "--name", "whole"))


@pytest.mark.parametrize(("call", "message"), [
    (lambda t: count_part(t / "missing.txt", t / "o.counts"), "missing.txt"),
    (lambda t: count_part(["ok", 7], t / "o.counts"), "chunk 1 is a int"),
    (lambda t: count_part(["bad \ud800 surrogate"], t / "o.counts"), "invalid utf-8"),
    (lambda t: count_part(b"bytes", t / "o.counts"), "not bytes"),
    (lambda t: count_part(42, t / "o.counts"), "not a int"),
    (lambda t: count_part(["x"], t / "o.counts", level="byte"), "level must be"),
    (lambda t: count_part(["x"], t / "o.counts", order=0), "order must be"),
    (lambda t: count_part(["x"], t / "o.counts", order=2.5), "order must be"),
    (lambda t: merge_counts([]), "no count files"),
    (lambda t: merge_counts([t / "missing.counts"]), "missing.counts"),
])
def test_every_bad_call_is_one_line_and_writes_nothing(tmp_path, call, message):
    with pytest.raises(TempgenError) as exc:
        call(tmp_path)
    assert message in str(exc.value) and "\n" not in str(exc.value)
    assert not [p for p in os.listdir(tmp_path)]


def test_without_the_extra_the_option_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # (import fails)
    (tmp_path / "a").write_text("some text\n")
    result = CliRunner().invoke(cli, ["count", "--scheduler", "local", str(tmp_path / "a"),
                                      "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "pip install 'tempgen[dask]'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["a", "b", "-o", "x.counts"], "give one PART"),
    (["--workers", "2", "a", "-o", "x.counts"], "--workers goes with --scheduler local"),
    (["--scheduler", "local", "-o", "out"], "give the PARTs"),
    (["--scheduler", "local", "-", "-o", "out"], "cannot read stdin"),
    (["--scheduler", "local", "a", "sub/a", "-o", "out"], "distinct file names"),
    (["--scheduler", "tcp://127.0.0.1:1", "--workers", "2", "a", "-o", "out"],
     "--workers goes with --scheduler local"),
])
def test_count_options_are_checked_before_any_work(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").write_text("text\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a").write_text("text\n")
    result = CliRunner().invoke(cli, ["count", *args])
    assert result.exit_code in (1, 2) and message in result.output, result.output
    assert not (tmp_path / "out").exists() and not (tmp_path / "x.counts").exists()


# ------------------------------------------------------------------ on a Dask cluster
@pytest.fixture(scope="module")
def scheduler():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def test_ten_parts_counted_on_the_cluster_merge_into_the_whole_model(tmp_path, scheduler):
    text = CORPUS.read_text()
    parts = split(text, 10, tmp_path)
    result = CliRunner().invoke(cli, ["count", "--scheduler", scheduler, *parts, "-o",
                                      str(tmp_path / "counts"), "--order", "5"])
    assert result.exit_code == 0, result.output
    assert "counted 10 parts" in result.output
    files = sorted(str(p) for p in (tmp_path / "counts").iterdir())
    assert [Path(f).name for f in files] == [Path(p).name + ".counts" for p in parts]
    merged = CliRunner().invoke(cli, ["train", "--from-counts", *files, "-o",
                                      str(tmp_path / "m.npz"), "--name", "whole"])
    assert merged.exit_code == 0, merged.output
    same_model((tmp_path / "m.npz").read_bytes(),
               whole_model(tmp_path, text, "--order", "5", "--name", "whole"))
    assert store.load(str(tmp_path / "m.npz")).tokens == len(text)


def test_a_part_that_fails_is_named_and_leaves_no_count_file(tmp_path, scheduler):
    parts = split("a line of text\n" * 300, 3, tmp_path)
    os.chmod(parts[1], 0)
    if os.access(parts[1], os.R_OK):  # (root reads it anyway: make it unreadable otherwise)
        os.chmod(parts[1], 0o644)
        Path(parts[1]).unlink()
        Path(parts[1]).mkdir()
    result = CliRunner().invoke(cli, ["count", "--scheduler", scheduler, *parts, "-o",
                                      str(tmp_path / "counts")])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("Error:") and "part-01" in lines[-1], result.output
    assert "Traceback" not in result.output
    left = os.listdir(tmp_path / "counts")
    assert "part-01.counts" not in left
    assert all(name.endswith(".counts") for name in left)  # no partial or temporary file


def test_an_unreachable_scheduler_is_one_line(tmp_path):
    pytest.importorskip("distributed")
    (tmp_path / "a").write_text("text\n")
    result = CliRunner().invoke(cli, ["count", "--scheduler", "tcp://127.0.0.1:9",
                                      str(tmp_path / "a"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.output
    assert len(result.output.strip().splitlines()) == 1
