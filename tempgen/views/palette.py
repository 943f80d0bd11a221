"""The probability bands and their colours: one definition for the terminal, the SVG and
HTML pictures and the explorer page.

A token is coloured by how likely it was when drawn, in five bands. Each band keeps one hue
everywhere (yellow, green, teal, blue, purple: the path of viridis), and on every ground
the likelier band is the lighter one, so the order reads without telling hues apart:
- `dark`, for a dark ground (terminals, the SVG): from bright yellow down to a purple still
  3.8:1 on black. Each is a colour of the 256-colour cube, so a 256-colour terminal shows it
  exactly, and rich's 16-colour match of it (bright yellow, bright green, cyan, bright blue,
  magenta) keeps the order too.
- `light`, for a light ground (the page, the HTML, a light terminal): from dark gold down to
  a deep purple, each at least 4.5:1 on white (WCAG AA), in order in truecolour and in its
  256-colour match.
tests/test_palette.py measures both orders and every contrast.

Without colour (NO_COLOR, --color never) a terminal still shows underlines: then, and only
then, tokens under 5% are underlined (their spaces left plain), the one cue that survives.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text


@dataclass(frozen=True)
class Band:
    floor: float  # the least probability in the band
    label: str
    dark: str  # its colour on a dark ground
    light: str  # on a light ground


BANDS = (Band(0.8, "≥ 80%", "#ffff5f", "#877236"),
         Band(0.5, "50–80%", "#87d75f", "#326e2c"),
         Band(0.2, "20–50%", "#00afaf", "#26545e"),
         Band(0.05, "5–20%", "#5f87ff", "#000ec9"),
         Band(0.0, "< 5%", "#af00d7", "#3b0b6e"))
RARE = BANDS[-2].floor  # a token under the second band's floor (5%) is rare


def band(p: float) -> Band:
    """The band of probability p (NaN and negatives fall in the lowest)."""
    return next((b for b in BANDS if p >= b.floor), BANDS[-1])


@dataclass(frozen=True)
class Palette:
    """How a view colours probabilities: with colour or without (then rare tokens are
    underlined), on a dark ground or a light one."""

    colour: bool = True
    light: bool = False

    def colour_of(self, p: float) -> str:
        b = band(p)
        return b.light if self.light else b.dark

    def style(self, p: float) -> str:
        """A bar's or a figure's style: its band's colour alone."""
        return self.colour_of(p)

    def add_token(self, text: Text, piece: str, p: float) -> None:
        style = self.colour_of(p)
        if self.colour or not p < RARE:
            text.append(piece, style=style)
            return
        core = piece.strip()
        if not core:
            text.append(piece, style=style)
            return
        lead = piece[: len(piece) - len(piece.lstrip())]
        tail = piece[len(lead) + len(core):]
        text.append(lead, style=style)
        text.append(core, style=style + " underline")
        text.append(tail, style=style)

    def legend(self, width: int = 80) -> Text:
        """What the token colours mean, wrapped between its items, never inside one; without
        colour, the cue that survives it."""
        if self.colour:
            items = [(f"■ {b.label}", b.light if self.light else b.dark) for b in BANDS]
            head = "token probability (lighter = likelier):"
        else:
            items = [(f"underlined tokens had a probability under {RARE:.0%} when drawn",
                      "dim")]
            head = ""
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


DARK = Palette()  # colour on a dark ground: a terminal's, and the SVG's
