"""The console every view prints on, and what it shows (colour, ground, width). Rendering
never computes: it lays out results."""

from __future__ import annotations

import os
import sys

from rich.console import Console
from rich.text import Text

from tempgen.views.palette import DARK, Palette


def make_console(color: str = "auto", file=None, width: int | None = None) -> Console:
    """A console for stdout: colour on a terminal only, never with a non-empty NO_COLOR
    (no-color.org) or --color never."""
    file = file or sys.stdout
    force = {"always": True, "never": False}.get(color)
    no_color = color == "never" or (color == "auto" and bool(os.environ.get("NO_COLOR")))
    return Console(file=file, force_terminal=force, no_color=no_color, width=width,
                   highlight=False, soft_wrap=False)


def colours(console: Console) -> bool:
    """Whether this console shows colour (a terminal, and colour not turned off)."""
    return console.is_terminal and not console.no_color


def light_ground() -> bool:
    """Whether the terminal says its background is light: COLORFGBG (set by rxvt, Konsole,
    and others) ends in a light colour's number. Unknown means dark, as most are."""
    return os.environ.get("COLORFGBG", "").rpartition(";")[2] in ("7", "15")


def palette_for(console: Console) -> Palette:
    """The palette a console shows: its colour, on its ground."""
    return Palette(colour=colours(console), light=light_ground())


def print_view(renderable, console: Console | None = None) -> None:
    """Print a view; to a pipe or file, without the spaces that pad its lines' ends."""
    console = console or make_console()
    if console.is_terminal:
        console.print(renderable)
        return
    with console.capture() as captured:
        console.print(renderable)
    console.file.write("".join(line.rstrip() + "\n"
                               for line in captured.get().splitlines()))


def tokens_text(pieces, palette: Palette = DARK) -> Text:
    """(text, probability) pairs, each coloured by its band."""
    text = Text()
    for piece, p in pieces:
        palette.add_token(text, printable(piece, keep="\n\t"), p)
    return text


def prompt_text(prompt: str) -> Text:
    return Text(printable(prompt, keep="\n\t"), style="dim")


def printable(text: str, keep: str = "") -> str:
    """`text` with every control character (but those in `keep`) written as an escape
    (\\x1b): a name or token from a file cannot drive the terminal."""
    return "".join(ch if ch in keep or ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def t_label(t: float) -> str:
    return f"T = {t:g}"
