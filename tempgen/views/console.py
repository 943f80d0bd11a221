"""The console and the colour scale every view shares. Rendering never computes: it lays
out results."""

from __future__ import annotations

import os
import sys

from rich.console import Console
from rich.text import Text

# One scale for every view: how likely each token was when it was drawn. The colours step
# through viridis, a ramp ordered in lightness that colour-blind eyes read in order too;
# `dark` is for terminals (light text on a dark ground), `light` for a page (each >= 4.5:1
# on white, WCAG AA). Tokens under 5% are also underlined: a cue that needs no colour.
SCALE = ((0.8, "#fde725", "#440154", "≥ 80%"), (0.5, "#90d743", "#2e4170", "50–80%"),
         (0.2, "#35b779", "#13615e", "20–50%"), (0.05, "#21918c", "#337436", "5–20%"),
         (0.0, "#4f7cc0", "#7f740d", "< 5%"))
RARE = 0.05  # below this, a token is underlined


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


def print_view(renderable, console: Console | None = None) -> None:
    (console or make_console()).print(renderable)


def prob_style(p: float, light: bool = False) -> str:
    """The style of a token drawn with probability p (on a light page with `light`)."""
    floor, dark, pale, _ = next(s for s in SCALE if p >= s[0])
    return (pale if light else dark) + (" underline" if p < RARE else "")


def tokens_text(pieces, light: bool = False) -> Text:
    """(text, probability) pairs, each coloured on the scale."""
    text = Text()
    for piece, p in pieces:
        text.append(printable(piece, keep="\n\t"), style=prob_style(p, light))
    return text


def prompt_text(prompt: str) -> Text:
    return Text(printable(prompt, keep="\n\t"), style="dim")


def printable(text: str, keep: str = "") -> str:
    """`text` with every control character (but those in `keep`) written as an escape
    (\\x1b): a name or token from a file cannot drive the terminal."""
    return "".join(ch if ch in keep or ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def legend(width: int = 80, colour: bool = True, light: bool = False) -> Text:
    """What the token colours mean, wrapped between its items, never inside one; without
    colour, only the cue that survives it."""
    if colour:
        items = [(f"■ {label}", prob_style(floor + 1e-9, light).split()[0])
                 for floor, _, _, label in SCALE]
        items.append(("underlined: < 5%", "dim underline"))
        head = "token probability:"
    else:
        items, head = [("underlined tokens had a probability under 5% when drawn", "dim")], ""
    text, line = Text(), len(head)
    text.append(head, style="dim")  # (as a span: the items keep their own colours)
    for item, style in items:
        if line and line + 2 + len(item) > width:
            text.append("\n")
            line = 0
        elif line:
            text.append("  ")
            line += 2
        text.append(item, style=style)
        line += len(item)
    return text


def t_label(t: float) -> str:
    return f"T = {t:g}"
