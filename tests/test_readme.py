"""The README's examples are the tool's real output: each output block is what its command
prints now (`make readme` makes them anew)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import readme  # noqa: E402

BLOCKS = readme.outputs(readme.README.read_text())


def test_the_readme_has_examples():
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize(("command", "shown"), BLOCKS, ids=[c for c, _ in BLOCKS])
def test_an_example_is_what_its_command_prints(command, shown):
    assert readme.run(command) == shown
