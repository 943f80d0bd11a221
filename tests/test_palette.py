"""One palette everywhere: the same band is the same colour in the terminal, the pictures
and the page, and on every ground and in every colour system the likelier band is the
lighter (CIE L*, measured here)."""

import pytest
from rich._palettes import EIGHT_BIT_PALETTE, STANDARD_PALETTE
from rich.color import Color, ColorSystem
from rich.console import Console
from rich.text import Text

from tempgen.views.console import tokens_text
from tempgen.views.palette import BANDS, RARE, Palette, band


def rgb(colour: str, system: ColorSystem) -> tuple[int, int, int]:
    """What a terminal of `system` shows for `colour` (rich's own match, as it prints)."""
    c = Color.parse(colour)
    if system == ColorSystem.TRUECOLOR:
        return tuple(c.get_truecolor())
    c = c.downgrade(system)
    return tuple(EIGHT_BIT_PALETTE[c.number] if system == ColorSystem.EIGHT_BIT
                 else STANDARD_PALETTE[c.number])


def luminance(rgb) -> float:
    def linear(v):
        v /= 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = map(linear, rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def lightness(rgb) -> float:
    """CIE L* (0 black .. 100 white)."""
    y = luminance(rgb)
    return 116 * y ** (1 / 3) - 16 if y > 216 / 24389 else y * 24389 / 27


def contrast(a, b) -> float:
    """WCAG contrast ratio of two colours."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


SYSTEMS = {"truecolour": ColorSystem.TRUECOLOR, "256-colour": ColorSystem.EIGHT_BIT,
           "16-colour": ColorSystem.STANDARD}
GROUNDS = {"dark": ("dark", (0, 0, 0), 3.5, SYSTEMS),
           # (a light 16-colour terminal has no dark yellow to put above its green: rich's
           # match of these is not claimed to keep the order there)
           "light": ("light", (255, 255, 255), 4.5,
                     {k: v for k, v in SYSTEMS.items() if k != "16-colour"})}
CASES = [(g, s) for g, (_, _, _, systems) in GROUNDS.items() for s in systems]


@pytest.mark.parametrize(("ground", "system"), CASES, ids=[f"{g}-{s}" for g, s in CASES])
def test_the_likelier_band_is_the_lighter(ground, system, capsys):
    attr = GROUNDS[ground][0]
    shown = [lightness(rgb(getattr(b, attr), SYSTEMS[system])) for b in BANDS]
    with capsys.disabled():
        print(f"\n  {ground} ground, {system}: L* "
              + " > ".join(f"{b.label} {L:.0f}" for b, L in zip(BANDS, shown, strict=True)))
    assert all(a > b + 2 for a, b in zip(shown, shown[1:], strict=False)), shown


@pytest.mark.parametrize("ground", GROUNDS)
def test_every_band_reads_on_its_ground(ground):
    attr, colour, least, _ = GROUNDS[ground]
    for b in BANDS:
        assert contrast(rgb(getattr(b, attr), ColorSystem.TRUECOLOR), colour) >= least, b


def test_a_band_keeps_its_hue_in_16_colours():
    # the dark ground's colours as a 16-colour terminal shows them: still yellow, green,
    # cyan, blue, magenta (not, say, white)
    names = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]
    shown = [names[Color.parse(b.dark).downgrade(ColorSystem.STANDARD).number % 8]
             for b in BANDS]
    assert shown == ["yellow", "green", "cyan", "blue", "magenta"]


@pytest.mark.parametrize("p", [1.0, 0.8, 0.79, 0.5, 0.2, 0.05, 0.049, 0.0, float("nan"), -1])
def test_a_probability_falls_in_one_band(p):
    b = band(p)
    assert b.floor <= p or b is BANDS[-1]
    assert all(not (p >= o.floor) for o in BANDS[:BANDS.index(b)])


def render(text: Text, colour: bool) -> str:
    console = Console(force_terminal=True, no_color=not colour, color_system="truecolor",
                      width=200)
    with console.capture() as cap:
        console.print(text, end="")
    return cap.get()


UNDERLINE = "\x1b[4m"


def test_without_colour_rare_tokens_are_underlined_but_not_their_spaces():
    pieces = [("Shakes", 0.9), (" the", 0.01), (" ", 0.01), ("\n", 0.01), ("sea", RARE)]
    plain = render(tokens_text(pieces, Palette(colour=False)), colour=False)
    assert plain.count(UNDERLINE) == 1 and "\x1b[4mthe\x1b[0m" in plain, repr(plain)
    assert "\x1b[38" not in plain  # no colour at all
    coloured = render(tokens_text(pieces, Palette()), colour=True)
    assert UNDERLINE not in coloured and "\x1b[38;2" in coloured  # colour carries the band


@pytest.mark.parametrize("light", [False, True])
def test_the_legend_names_every_band_in_its_colour(light):
    palette = Palette(light=light)
    legend = palette.legend(200)
    for b in BANDS:
        assert b.label in legend.plain
        start = legend.plain.index(b.label) - 2
        styles = [str(s.style) for s in legend.spans if s.start <= start < s.end]
        assert (b.light if light else b.dark) in styles
    assert "underlined" in Palette(colour=False).legend(200).plain


@pytest.mark.parametrize(("value", "light"), [("15;0", False), ("0;15", True), ("0;7", True),
                                              ("12;8", False), ("", False), ("junk", False)])
def test_a_terminal_that_says_its_ground_is_light_gets_the_light_colours(value, light,
                                                                          monkeypatch):
    from tempgen.views.console import make_console, palette_for

    monkeypatch.setenv("COLORFGBG", value)
    palette = palette_for(make_console("always"))
    assert palette.light == light and palette.colour
    assert palette.colour_of(0.9) == (BANDS[0].light if light else BANDS[0].dark)
