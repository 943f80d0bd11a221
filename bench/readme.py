"""Make the README's example outputs and pictures anew from the tool itself: `make readme`.

In README.md, a line `<!-- output: tempgen ARGS -->` before a ```text block names the
command whose output (80 columns, no colour) the block holds; a line
`<!-- picture: tempgen ARGS -->` names the command that writes the picture below it.
tests/test_readme.py checks that every output block is still what its command prints.
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- output: (?P<cmd>.+?) -->\n```text\n)(?P<out>.*?)(```)", re.S)
PICTURE = re.compile(r"<!-- picture: (?P<cmd>.+?) -->")


def run(command: str) -> str:
    """What `tempgen ARGS` prints, 80 columns wide, from the checkout's folder."""
    import os

    from click.testing import CliRunner

    from tempgen.cli import cli

    args = shlex.split(command)
    assert args[0] == "tempgen", command
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        result = CliRunner(env={"COLUMNS": "80", "NO_COLOR": "1"}).invoke(cli, args[1:])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, (command, result.output)
    return "\n".join(line.rstrip() for line in result.stdout.splitlines()) + "\n"


def outputs(text: str) -> list[tuple[str, str]]:
    """(command, the output the README shows for it) of every output block."""
    return [(m["cmd"], m["out"]) for m in BLOCK.finditer(text)]


def main() -> None:
    text = README.read_text()
    text = BLOCK.sub(lambda m: m[1] + run(m["cmd"]) + m[4], text)
    for m in PICTURE.finditer(text):
        run(m["cmd"])
        print("pictured:", m["cmd"])
    README.write_text(text)
    print(f"{len(outputs(text))} outputs made anew in {README.name}", file=sys.stderr)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
