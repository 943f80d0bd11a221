"""The sweep view: one column per temperature side by side (stacked only when a column would
be narrower than MIN_COLUMN), several samples in bands that line up across the columns, and
its exports as SVG and HTML pictures that need nothing from the network."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator

from rich import box
from rich._export_format import CONSOLE_SVG_FORMAT
from rich.console import Console, Group
from rich.rule import Rule
from rich.table import Table
from rich.terminal_theme import TerminalTheme
from rich.text import Text

from tempgen.views.console import prompt_text, t_label, tokens_text
from tempgen.views.palette import DARK, Palette

MIN_COLUMN = 12  # narrower than this, the temperatures stack instead of standing side by side
LONG_LABELS = 24  # from this column width on, the figures have their long labels
MARKER = 4  # the width of the band markers' column (#1, #2, ...)
# (label, key, format) of the figures under a column: long label, short label
FIGURES = (("entropy", "H", "entropy_bits", "{:.2f} bits"),
           ("log₂ p", "log₂p", "log2_p", "{:.2f} bits"),
           ("perplexity", "ppl", "perplexity", "{:.2f}"),
           ("distinct-2", "d2", "distinct_2", "{:.2f}"),
           ("distinct-1", "d1", "distinct_1", "{:.2f}"),
           ("novel", "new", "novelty", "{:.0%}"),
           ("mean T", "meanT", "effective_temperature", "{:.2f}"))
KEY = ("H: entropy of the sampling distribution, bits/token · log₂p: mean log₂ p under the "
       "model, bits/token · ppl: perplexity · d2 (d1): distinct token pairs (tokens) · new: "
       "top-order n-grams not in the training text")
MEAN_T_KEY = " · meanT: mean temperature used (dynamic temperature)"


def _key(columns: list[dict]) -> Text:
    """The key to the short labels (and to meanT where a column has it)."""
    varies = any("effective_temperature" in c["stats"] for c in columns)
    return Text(KEY + (MEAN_T_KEY if varies else ""), style="dim")


def _figures(stats: dict, short: bool) -> list[tuple[str, str]]:
    """(label, value) of each figure the stats have."""
    shown = dict(stats)
    if stats.get("model_logprob") is not None:  # (the stats hold ln p; the view shows bits)
        shown["log2_p"] = stats["model_logprob"] / 0.6931471805599453
    out = []
    for long, abbrev, key, spec in FIGURES:
        if key not in shown and key != "log2_p":
            continue
        value = shown.get(key)
        text = "–" if value is None else spec.format(value)
        if short:
            text = text.replace(" bits", "")
        out.append((abbrev if short else long, text))
    return out


def stats_text(stats: dict, short: bool = False) -> Text:
    """The figures under a sweep column, one per line (short labels for narrow columns)."""
    lines = [f"{label:<6}{value:>7}" if short else f"{label:<11}{value}"
             for label, value in _figures(stats, short)]
    return Text("\n".join(lines), style="dim")


def _label(col: dict) -> str:
    """A column's heading: its label, or its temperature's."""
    return col.get("label") or t_label(col["temperature"])


def _sample_text(prompt: str, pieces, palette: Palette) -> Text:
    text = Text()
    text.append_text(prompt_text(prompt))  # (as a span: its dimness stays its own)
    text.append_text(tokens_text(pieces, palette))
    return text


def sweep_view(prompt: str, columns: list[dict], width: int, palette: Palette = DARK):
    """The sweep, `width` characters wide. columns: [{"label" (or "temperature"),
    "samples": [[(piece, q), ...], ...], "stats": {...}}], every column with as many
    samples."""
    n = max(len(columns), 1)
    bands = len(columns[0]["samples"]) if columns else 0
    marker = MARKER if bands > 1 else 0
    column = (width - marker) // n - 2  # (a space on each side of a column)
    if column < MIN_COLUMN:
        return _stacked(prompt, columns, width, palette)
    short = column < LONG_LABELS
    # (each column's label again under it: a tall sweep scrolls its head away)
    table = Table(box=box.HORIZONTALS, expand=True, pad_edge=False, show_edge=False,
                  padding=(0, 1), show_footer=True, footer_style="bold")
    if marker:
        table.add_column("", width=marker - 2, no_wrap=True, style="dim")
    for col in columns:
        table.add_column(_label(col), ratio=1, overflow="fold", header_style="bold",
                         footer=_label(col))
    for i in range(bands):
        if i:
            table.add_section()
        cells = [_sample_text(prompt, c["samples"][i], palette) for c in columns]
        table.add_row(*([f"#{i + 1}"] if marker else []), *cells)
    table.add_section()
    table.add_row(*([""] if marker else []), *[stats_text(c["stats"], short) for c in columns])
    parts = [table]
    if short:
        parts.append(_key(columns))
    return Group(*parts, palette.legend(width))


def _stacked(prompt: str, columns: list[dict], width: int, palette: Palette):
    """One temperature after another: a rule with its label, its samples, then its figures
    on lines of their own."""
    parts = []
    for col in columns:
        parts.append(Rule(_label(col), align="left", style="bold"))
        for i, pieces in enumerate(col["samples"]):
            if len(col["samples"]) > 1:
                parts.append(Text(f"#{i + 1}", style="dim"))
            parts.append(_sample_text(prompt, pieces, palette))
        figures = "  ".join(f"{label} {value}" for label, value in _figures(col["stats"], True))
        parts += [Text(figures, style="dim"), Text("")]
    return Group(*parts, _key(columns), palette.legend(width))


def plain_text(prompt: str, columns: list[tuple[str, list[str]]], apart: str = "\n\n"
               ) -> str:
    """The sweep for a pipe: per (column label, its samples' texts) a `T=0.5` line, then
    each sample (prompt and text), samples `apart` (a blank line, or a newline for one-line
    samples), blocks apart by a blank line."""
    blocks = [label + "\n" + apart.join(prompt + text for text in texts)
              for label, texts in columns]
    return "\n\n".join(blocks) + "\n"


def plain_stream(prompt: str, columns: Iterable[tuple[str, Iterable[Iterable[str]]]],
                 apart: str = "\n\n") -> Iterator[str]:
    """`plain_text` as it comes: per (column label, its samples, each its text in pieces)
    the same text, a piece at a time (nothing is held: a column's samples are made as they
    are read)."""
    for c, (label, samples) in enumerate(columns):
        yield ("\n\n" if c else "") + label + "\n"
        for i, texts in enumerate(samples):
            yield (apart if i else "") + prompt
            yield from texts
    yield "\n"


def export_width(columns: list[dict]) -> int:
    """The width a picture of the sweep takes: room for every column side by side."""
    return max(80, 30 * len(columns) + (MARKER if len(columns[0]["samples"]) > 1 else 0))


# The exports load nothing: no web fonts (the SVG falls back to the reader's monospace), and
# no comment with an address.
_SVG = re.sub(r"@font-face\s*\{\{.*?\}\}\s*", "", CONSOLE_SVG_FORMAT, flags=re.S)
_SVG = re.sub(r"<!--.*?-->\s*", "", _SVG, flags=re.S)
_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<title>tempgen sweep</title>
<style>
{stylesheet}
body {{
    color: {foreground};
    background-color: {background};
}}
pre {{ font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }}
</style>
</head>
<body>
    <pre><code>{code}</code></pre>
</body>
</html>
"""
LIGHT_PAGE = TerminalTheme((255, 255, 255), (26, 26, 26),
                           [(0, 0, 0), (128, 0, 0), (0, 100, 0), (110, 90, 0), (0, 0, 128),
                            (128, 0, 128), (0, 110, 110), (90, 90, 90)])


def export(prompt: str, columns: list[dict], width: int | None = None) -> tuple[str, str]:
    """The coloured view as pictures: (SVG on a dark ground, as a terminal shows it; HTML,
    a light page in colours chosen for it), each `width` characters wide (by default, wide
    enough for every column side by side)."""
    width = width or export_width(columns)
    pictures = []
    for light in (False, True):
        console = Console(record=True, width=width, file=io.StringIO(), force_terminal=True,
                          color_system="truecolor", highlight=False)
        console.print(sweep_view(prompt, columns, width, Palette(light=light)))
        pictures.append(console.export_html(theme=LIGHT_PAGE, code_format=_HTML) if light
                        else console.export_svg(title="tempgen sweep", code_format=_SVG))
    return pictures[0], pictures[1]
