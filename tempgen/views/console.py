"""The console and the colour scale every view shares. Rendering never computes: it lays
out results."""

from __future__ import annotations

import os
import sys

from rich.console import Console
from rich.text import Text

# One scale for every view: how likely each token was when it was drawn.
SCALE = ((0.8, "green3", "≥ 80%"), (0.5, "chartreuse3", "50–80%"), (0.2, "yellow3", "20–50%"),
         (0.05, "dark_orange", "5–20%"), (0.0, "red1", "< 5%"))


def make_console(color: str = "auto", file=None, width: int | None = None) -> Console:
    """A console for stdout: colour on a terminal only, never with NO_COLOR or --color never."""
    file = file or sys.stdout
    force = {"always": True, "never": False}.get(color)
    no_color = color == "never" or (color == "auto" and "NO_COLOR" in os.environ)
    return Console(file=file, force_terminal=force, no_color=no_color, width=width,
                   highlight=False, soft_wrap=False)


def colours(console: Console) -> bool:
    """Whether this console shows colour (a terminal, and colour not turned off)."""
    return console.is_terminal and not console.no_color


def print_view(renderable, console: Console | None = None) -> None:
    (console or make_console()).print(renderable)


def prob_style(p: float) -> str:
    return next(style for floor, style, _ in SCALE if p >= floor)


def tokens_text(pieces) -> Text:
    """(text, probability) pairs, each coloured on the scale."""
    text = Text()
    for piece, p in pieces:
        text.append(printable(piece, keep="\n\t"), style=prob_style(p))
    return text


def prompt_text(prompt: str) -> Text:
    return Text(printable(prompt, keep="\n\t"), style="dim")


def printable(text: str, keep: str = "") -> str:
    """`text` with every control character (but those in `keep`) written as an escape
    (\\x1b): a name or token from a file cannot drive the terminal."""
    return "".join(ch if ch in keep or ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def legend() -> Text:
    text = Text("token probability: ", style="dim")
    for _, style, label in SCALE:
        text.append("■ ", style=style)
        text.append(label + "  ", style="dim")
    return text


def t_label(t: float) -> str:
    return f"T = {t:g}"
