"""Make the README's and docs' example outputs and pictures anew from the tool itself:
`make readme`.

In README.md and docs/*.md, a line `<!-- output: tempgen ARGS -->` before a ```text block
names the command whose output (80 columns, no colour) the block holds; a line
`<!-- picture: tempgen ARGS -->` names the command that writes the picture below it. Every
```sh block is a script that runs as pasted from the checkout's folder (but the set-up
commands of `make`, and `tempgen serve`, which waits for Ctrl-C).
tests/test_readme.py checks that every output block is still what its command prints and
that every script runs.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]
OUTPUT = re.compile(r"<!-- output: (?P<cmd>.+?) -->")
PICTURE = re.compile(r"<!-- picture: (?P<cmd>.+?) -->")
FENCE = re.compile(r"^```(\w*)\s*$")
SKIPPED = re.compile(r"^\s*(make |tempgen serve\b)")  # set-up, and the server
TABLE = re.compile(r"(<!-- samplers: registry -->\n)(\|.*?\n)(?=\n)", re.S)


def samplers_table() -> str:
    """The samplers table, from the registry: each link in the default order, its options
    with their defaults, what it does to the row."""
    from tempgen.generate.samplers.registry import CONTEXT, REGISTRY

    def option(s) -> str:
        if s.kind == "strings":
            return "`--dry-sequence-breaker` (repeatable)"
        if s.kind == "biases":
            return "`--logit-bias TOKEN=BIAS` (repeatable)"
        shown = f"{s.default:g}"
        if s.name in ("repeat_last_n", "dry_penalty_last_n"):
            shown += f"; -1 = {CONTEXT}"
        return f"`{'-t' if s.name == 'temperature' else s.option}` ({shown})"

    rows = ["| link | options (default) | what it does to the row |", "|---|---|---|"]
    for link in REGISTRY:
        rows.append(f"| {link.name} | {', '.join(map(option, link.settings))} | "
                    f"{link.does} |")
    return "\n".join(rows) + "\n"



def run(command: str) -> str:
    """What `tempgen ARGS` prints, 80 columns wide, from the checkout's folder."""
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


def blocks(text: str) -> list[tuple[str, int, int, str | None]]:
    """Every fenced block: (its language, its first line, the line after its last, the
    command of an `output` comment just before it), lines counted from 0."""
    lines = text.split("\n")
    out, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].rstrip() == "```")
        before = OUTPUT.fullmatch(lines[i - 1].strip()) if i else None
        out.append((m[1], i + 1, end, before["cmd"] if before else None))
        i = end + 1
    return out


def outputs(text: str) -> list[tuple[str, str]]:
    """(command, the output the page shows for it) of every output block."""
    lines = text.split("\n")
    return [(cmd, "".join(line + "\n" for line in lines[a:b]))
            for lang, a, b, cmd in blocks(text) if lang == "text" and cmd]


def scripts(text: str) -> list[str]:
    """Every ```sh block as a script, without the lines it does not run."""
    lines = text.split("\n")
    return [script for lang, a, b, _ in blocks(text) if lang == "sh"
            if (script := "\n".join(ln for ln in lines[a:b] if not SKIPPED.match(ln)).strip())]


def run_script(script: str, folder: Path) -> subprocess.CompletedProcess:
    """Run a block in `folder`, which sees the checkout's sample_models/ and docs/ as its
    own, with this Python's tempgen first on PATH."""
    for name in ("sample_models", "docs"):
        if not (folder / name).exists():
            (folder / name).symlink_to(ROOT / name)
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}", "COLUMNS": "80",
           "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=folder,
                          env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)


def remake(path: Path) -> int:
    text = path.read_text()
    lines = text.split("\n")
    for lang, a, b, cmd in reversed(blocks(text)):
        if lang == "text" and cmd:
            lines[a:b] = run(cmd)[:-1].split("\n")
    text = "\n".join(lines)
    text = TABLE.sub(lambda m: m[1] + samplers_table(), text)
    for m in PICTURE.finditer(text):
        run(m["cmd"])
        print("pictured:", m["cmd"])
    path.write_text(text)
    return len(outputs(text))


def main() -> None:
    for path in DOCS:
        n = remake(path)
        print(f"{n} outputs made anew in {path.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
