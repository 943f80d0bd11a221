"""The sweep view: one column per temperature, side by side (or stacked when narrow), and
its exports as SVG and HTML."""

from __future__ import annotations

import io

from rich.console import Console, Group
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from tempgen.views.console import legend, prompt_text, t_label, tokens_text

MIN_COLUMN = 24  # narrower than this, the temperatures stack instead of standing side by side


def stats_text(stats: dict) -> Text:
    """The figures under a sweep column, one per line."""

    def fmt(key, spec, suffix=""):
        v = stats.get(key)
        return "–" if v is None else format(v, spec) + suffix

    lines = [("entropy", fmt("entropy_bits", ".2f", " bits")),
             ("log p", fmt("model_logprob", ".2f")),
             ("perplexity", fmt("perplexity", ".2f")),
             ("distinct-2", fmt("distinct_2", ".2f"))]
    if "distinct_1" in stats:
        lines.append(("distinct-1", fmt("distinct_1", ".2f")))
    novelty = stats.get("novelty")
    lines.append(("novel", "–" if novelty is None else f"{novelty:.0%}"))
    text = Text(style="dim")
    for i, (label, value) in enumerate(lines):
        text.append(("\n" if i else "") + f"{label:<11}{value}")
    return text


def column_text(prompt: str, samples: list[list[tuple[str, float]]]) -> Text:
    """The samples of one column: each the dimmed prompt and its coloured tokens."""
    text = Text()
    for i, pieces in enumerate(samples):
        if i:
            text.append("\n\n")
        text.append_text(prompt_text(prompt))
        text.append_text(tokens_text(pieces))
    return text


def sweep_view(prompt: str, columns: list[dict], width: int):
    """One column per temperature (header, samples, figures), side by side when each gets
    at least MIN_COLUMN characters, else stacked. columns: [{"temperature", "samples":
    [[(piece, q), ...], ...], "stats": {...}}]."""
    from rich import box

    if width // max(len(columns), 1) - 3 >= MIN_COLUMN:
        table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False, show_footer=False)
        for col in columns:
            table.add_column(t_label(col["temperature"]), ratio=1, overflow="fold",
                             header_style="bold")
        table.add_row(*[column_text(prompt, c["samples"]) for c in columns])
        table.add_section()
        table.add_row(*[stats_text(c["stats"]) for c in columns])
        return Group(table, legend())
    parts = []
    for col in columns:
        parts += [Rule(t_label(col["temperature"]), align="left", style="bold"),
                  column_text(prompt, col["samples"]), stats_text(col["stats"]), Text("")]
    return Group(*parts, legend())


def plain_text(prompt: str, columns: list[tuple[float, list[str]]]) -> str:
    """The sweep for a pipe: per (temperature, its samples' texts) a `T=0.5` line, then
    each sample (prompt and text), samples and blocks apart by a blank line."""
    blocks = [f"T={t:g}\n" + "\n\n".join(prompt + text for text in texts)
              for t, texts in columns]
    return "\n\n".join(blocks) + "\n"


def export(prompt: str, columns: list[dict], width: int = 120) -> tuple[str, str]:
    """The coloured view as a `width`-column terminal would show it: (SVG, HTML) text."""
    console = Console(record=True, width=width, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", highlight=False)
    console.print(sweep_view(prompt, columns, width))
    return (console.export_svg(title="tempgen sweep", clear=False),
            console.export_html(clear=False))
