"""Rich renderables for tempgen's views. Rendering never computes: it lays out results."""

from __future__ import annotations

import os
import sys

from rich.console import Console
from rich.table import Table
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
        text.append(piece, style=prob_style(p))
    return text


def prompt_text(prompt: str) -> Text:
    return Text(prompt, style="dim")


def legend() -> Text:
    text = Text("token probability: ", style="dim")
    for _, style, label in SCALE:
        text.append("■ ", style=style)
        text.append(label + "  ", style="dim")
    return text


def evaluation_table(model, result) -> Table:
    unit = "char" if model.level == "char" else "token"
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("model", f"{model.name} ({model.level}, order {model.ngram.order})")
    table.add_row("tokens scored", f"{result.tokens:,}")
    table.add_row(f"bits per {unit}", f"{result.bits_per_token:.4f}")
    table.add_row("perplexity", f"{result.perplexity:.3f}")
    table.add_row("unknown tokens", f"{result.unknown:,}")
    return table


def models_table(rows: list[dict]) -> Table:
    table = Table(title="bundled models")
    table.add_column("name", no_wrap=True)
    for col, just in [("level", "left"), ("order", "right"),
                      ("vocab", "right"), ("size", "right"), ("corpus", "left")]:
        table.add_column(col, justify=just)
    for r in rows:
        level = r["level"] + (", per line" if r["per_line"] else "")
        table.add_row(r["name"], level, str(r["order"]), f"{r['vocab']:,}",
                      f"{r['size'] / 1e6:.1f} MB", r["corpus"])
    return table


MIN_COLUMN = 24  # narrower than this, the temperatures stack instead of standing side by side


def t_label(t: float) -> str:
    return f"T = {t:g}"


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
    from rich.console import Group
    from rich.rule import Rule

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


VISIBLE = {" ": "␣", "\n": "⏎", "\t": "→"}


def visible(token: str) -> str:
    """A token as it can be seen in a table: space ␣, newline ⏎, tab →."""
    return "".join(VISIBLE.get(ch, ch) for ch in token)


def bar(fraction: float, width: int, style: str = "") -> Text:
    """A horizontal bar of `width` cells filled to `fraction`, in eighths of a cell."""
    eighths = int(round(max(0.0, min(1.0, fraction)) * width * 8))
    full, part = divmod(eighths, 8)
    cells = "█" * full + (" ▏▎▍▌▋▊▉"[part] if part else "")
    return Text(cells.ljust(width), style=style)


def dist_view(data: dict, console_width: int = 80) -> Table:
    """The next token's most likely candidates at each temperature (rows: tokens; columns:
    temperatures), bars on one scale; tokens a truncation sampler removed are struck."""
    n = max(len(data["temperatures"]), 1)
    width = max(4, min(24, (console_width - 16) // n - 12))
    title = f"next token after {data['prompt'][-30:]!r}" if data["prompt"] else \
        "first token (start of text)"
    table = Table(title=title, title_justify="left", show_footer=True)
    table.add_column("token", footer="entropy\n2^H choices", no_wrap=True)
    for col in data["temperatures"]:
        table.add_column(t_label(col["temperature"]), no_wrap=True,
                         footer=f"{col['entropy_bits']:.2f} bits\n{col['effective']:.1f}")
    for i, tok in enumerate(data["tokens"]):
        cells = []
        for col in data["temperatures"]:
            q, removed = col["q"][i], col["removed"][i]
            cell = Text()
            cell.append_text(bar(q, width, "dim" if removed else prob_style(q)))
            cell.append(f" {q:6.1%}" if not removed else " removed",
                        style="dim strike" if removed else "")
            cells.append(cell)
        table.add_row(Text(visible(tok), style="bold"), *cells)
    return table


def curve_view(data: dict, width: int = 24) -> Table:
    """Entropy and the top token's probability against T (log-spaced), T = 1 marked."""
    hmax = data["limit_entropy_bits"]
    table = Table(title="the temperature curve of the next token", title_justify="left",
                  caption=f"T → 0: entropy → 0 bits, top token → 100%   ·   "
                          f"T → ∞: entropy → log2 V = {hmax:.2f} bits", caption_justify="left")
    table.add_column("T", justify="right")
    table.add_column("entropy (bits)", no_wrap=True)
    table.add_column("top token", no_wrap=True)
    for t, h, top in zip(data["temperatures"], data["entropy_bits"], data["top_p"],
                         strict=True):
        style = "bold" if t == 1.0 else ""
        entropy = bar(h / hmax if hmax else 0.0, width, "cyan")
        entropy.append(f" {h:5.2f}")
        top_cell = bar(top, width, prob_style(top))
        top_cell.append(f" {top:6.1%}")
        label = f"{t:.3g}" + (" (model)" if t == 1.0 else "")
        table.add_row(Text(label, style=style), entropy, top_cell)
    return table


def calibration_view(model_name: str, data: dict, width: int = 24):
    from rich.console import Group

    unit = "bits/token"
    head = Table(show_header=False, box=None, title=f"calibration of {model_name}",
                 title_justify="left")
    head.add_column(style="bold")
    head.add_column(justify="right")
    head.add_row("tokens scored", f"{data['tokens']:,}")
    head.add_row("best temperature T*", f"{data['t_star']:.3f}")
    head.add_row(f"{unit} at T = 1", f"{data['bits_at_1']:.4f}")
    head.add_row(f"{unit} at T*", f"{data['bits_at_t_star']:.4f}")
    head.add_row("gain", f"{data['gain_bits']:.4f}")
    curve = Table(title=f"{unit} against T", title_justify="left")
    curve.add_column("T", justify="right")
    curve.add_column(unit, no_wrap=True)
    lo = min(p["bits"] for p in data["curve"])
    hi = max(p["bits"] for p in data["curve"])
    for p in data["curve"]:
        is_star = abs(p["temperature"] - round(data["t_star"], 4)) < 1e-9
        cell = bar((p["bits"] - lo) / (hi - lo) if hi > lo else 0.0, width, "cyan")
        cell.append(f" {p['bits']:.4f}" + ("  ← T*" if is_star else ""))
        curve.add_row(Text(f"{p['temperature']:.3g}", style="bold" if is_star else ""), cell)
    return Group(head, Text(""), curve)
