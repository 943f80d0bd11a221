"""The README's and docs' examples are the tool's real output and run as pasted: each
output block is what its command prints now (`make readme` makes them anew), and each
```sh block runs (from a folder that sees the checkout's shipped files)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import readme  # noqa: E402

BLOCKS = [(f"{path.name}: {command}", command, shown) for path in readme.DOCS
          for command, shown in readme.outputs(path.read_text())]
SCRIPTS = [(f"{path.name}#{i}", script) for path in readme.DOCS
           for i, script in enumerate(readme.scripts(path.read_text()))]


def test_the_pages_have_examples():
    assert len(BLOCKS) >= 5 and len(SCRIPTS) >= 4
    assert sum(s.count("tempgen ") for _, s in SCRIPTS) >= 25


def test_the_readme_is_a_welcome():
    text = readme.README.read_text()
    assert len(text.splitlines()) <= 250
    for must in ("make run", "make test", "PATH", "Glossary", "docs/commands.md"):
        assert must in text


@pytest.mark.parametrize(("command", "shown"), [b[1:] for b in BLOCKS], ids=[b[0] for b in BLOCKS])
def test_an_example_is_what_its_command_prints(command, shown):
    assert readme.run(command) == shown


@pytest.mark.parametrize("script", [s for _, s in SCRIPTS], ids=[n for n, _ in SCRIPTS])
def test_an_example_runs_as_pasted(script, tmp_path):
    if "--scheduler" in script:  # (the tempgen[dask] extra's example)
        pytest.importorskip("distributed")
    done = readme.run_script(script, tmp_path)
    assert done.returncode == 0, (script, done.stderr[-2000:])
    assert "Traceback" not in done.stderr


def test_the_samplers_table_is_the_registrys():
    text = (readme.ROOT / "docs" / "samplers.md").read_text()
    found = readme.TABLE.search(text)
    assert found and found[2] == readme.samplers_table()
