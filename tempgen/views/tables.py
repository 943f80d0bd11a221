"""Tables for the other views: evaluation, models, the next-token distribution, the
temperature curve and calibration."""

from __future__ import annotations

import math

from rich import box
from rich.table import Table
from rich.text import Text

from tempgen.views.console import printable, t_label
from tempgen.views.palette import DARK, Palette


def evaluation_table(model, result) -> Table:
    unit = "char" if model.level == "char" else "token"
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("model", f"{printable(model.name)} ({model.level}, order {model.order})")
    table.add_row("tokens scored", f"{result.tokens:,}")
    table.add_row(f"bits per {unit}", f"{result.bits_per_token:.4f}")
    table.add_row("perplexity", f"{result.perplexity:.3f}")
    table.add_row("unknown tokens", f"{result.unknown:,}")
    return table


def models_table(rows: list[dict], console_width: int = 80) -> Table:
    """The bundled models; names are never cut: the columns on the right are left out
    when they would not fit."""
    cells = [[printable(r["name"]) + (" (default)" if r.get("default") else ""),
              r["level"] + (", per line" if r["per_line"] else ""),
              str(r["order"]), f"{r['vocab']:,}", f"{r['size'] / 1e6:.1f} MB",
              printable(r["corpus"])] for r in rows]
    heads = ["name", "level", "order", "vocab", "size", "corpus"]
    used, shown = 1, 0
    for j, head in enumerate(heads):
        width = max([len(head)] + [len(c[j]) for c in cells]) + 3
        if j and used + width > console_width:
            break
        used += width
        shown = j + 1
    table = Table(title="bundled models", title_justify="left", box=box.SIMPLE_HEAD)
    for j, head in enumerate(heads[:shown]):
        table.add_column(head, no_wrap=True, justify="right" if 2 <= j <= 4 else "left")
    for row in cells:
        table.add_row(*row[:shown])
    return table


PENALTY = 7  # " ×0.012": the factor of a penalised token's weight
VISIBLE = {" ": "␣", "\n": "⏎", "\t": "→"}


def visible(token: str) -> str:
    """A token as it can be seen in a table: space ␣, newline ⏎, tab →, other control
    characters as escapes."""
    return printable("".join(VISIBLE.get(ch, ch) for ch in token))


def bar(fraction: float, width: int, style: str = "") -> Text:
    """A horizontal bar of `width` cells filled to `fraction`, in eighths of a cell."""
    eighths = int(round(max(0.0, min(1.0, fraction)) * width * 8))
    full, part = divmod(eighths, 8)
    cells = "█" * full + (" ▏▎▍▌▋▊▉"[part] if part else "")
    return Text(cells.ljust(width), style=style)


def _bar_width(room: int) -> int:
    """Cells for a bar in `room` spare characters: none below 4 (the numbers come first)."""
    return min(24, room) if room >= 4 else 0


def _fit(text: str, width: int) -> str:
    """`text` cut from the left to at most `width` characters, '…' marking the cut."""
    return text if len(text) <= width else "…" + text[len(text) - width + 1:]


def dist_view(data: dict, console_width: int = 80, palette: Palette = DARK) -> Table:
    """The next token's most likely candidates at each temperature (rows: tokens; columns:
    temperatures, or stages of one chain): a percentage and a bar each; when narrow, bars go
    first, then decimals and the "T =" of the headers, never the numbers. A token a sampler
    removed shows what it had before, struck through and in parentheses;
    a token the penalties weighed down shows the factor its weight was multiplied by."""
    columns = data.get("stages") or data["temperatures"]  # (stages: a column per link)
    n = max(len(columns), 1)
    tokens = [visible(t["token"]) for t in data["tokens"]]
    token_width = max([len(t) for t in tokens] + [6])
    # a table of n + 1 columns takes 3 characters a column and 1 more besides its cells
    column = (console_width - 1 - (token_width + 3)) // n - 3
    compact = column < 7  # "100.0%"
    penalised = any("penalty" in col for col in columns)
    width = _bar_width(column - 7 - (PENALTY if penalised else 0))
    if data["prompt"]:
        title = "next token after " + _fit(repr(data["prompt"]), console_width - 18)
    else:
        title = "first token (start of text)"
    table = Table(title=title, title_justify="left", show_footer=True,
                  box=None if compact else box.SIMPLE_HEAD, padding=(0, 1))
    table.add_column("token", footer="H bits\n2^H", no_wrap=True)
    for col in columns:
        t = col["temperature"]
        head = col.get("label") or (f"{t:g}" if compact else t_label(t))
        table.add_column(head, no_wrap=True, overflow="crop",
                         footer=f"{col['entropy_bits']:.2f}\n{col['effective']:.1f}")
    for i, tok in enumerate(tokens):
        cells = []
        had = data["tokens"][i]["p_model"]  # (what a removed token had: struck through)
        for col in columns:
            q, removed = col["q"][i], col["removed"][i]
            if removed:
                cells.append(Text(f"({had:.0%})" if compact else f"({had:.1%})".rjust(8),
                                  style="dim strike"))  # (in a pipe: the parentheses)
                continue
            if "stages" in data:
                had = q  # (a stage's row: what the next stage removes)
            cell = Text(f"{q:.0%}" if compact else f"{q:6.1%}")
            cut = col.get("penalty", [0.0] * len(tokens))[i]
            if cut:  # (narrow: an arrow alone)
                wide = column - 7 >= PENALTY
                cell.append(f" ×{math.exp(-cut):.2g}" if wide else "↓", style="bold")
            if width:
                cell.append(" ")
                cell.append_text(bar(q, width, palette.style(q)))
            cells.append(cell)
        table.add_row(Text(tok, style="bold"), *cells)
    return table


def curve_view(data: dict, console_width: int = 80, palette: Palette = DARK) -> Table:
    """Entropy and the top token's probability against T (log-spaced), T = 1 marked; bars
    dropped before numbers when narrow."""
    hmax = data["limits"]["t_to_inf"]["entropy_bits"]
    width = _bar_width((console_width - 1 - 3 * 3 - 9 - 6 - 7) // 2)
    title = "the temperature curve of the " + ("next token" if data.get("prompt") else
                                                "first token")
    room = console_width - len(title) - len(" after ") - 1
    if data.get("prompt") and room >= len(repr(data["prompt"])):  # (a title stays one line)
        title += " after " + repr(data["prompt"])
    table = Table(title=title, title_justify="left",
                  caption=f"T → 0: entropy 0, top token 100%\n"
                          f"T → ∞: entropy log2 V = {hmax:.2f} bits", caption_justify="left",
                  box=box.SIMPLE_HEAD)
    table.add_column("T", justify="right", no_wrap=True)
    table.add_column("H (bits)", no_wrap=True, justify="right" if not width else "left")
    table.add_column("top token", no_wrap=True, justify="right" if not width else "left")
    for t, h, top in zip(data["temperatures"], data["entropy_bits"], data["top_p"],
                         strict=True):
        style = "bold" if t == 1.0 else ""
        entropy = bar(h / hmax if hmax else 0.0, width, "cyan") if width else Text()
        entropy.append(f"{' ' if width else ''}{h:5.2f}")
        top_cell = bar(top, width, palette.style(top)) if width else Text()
        top_cell.append(f"{' ' if width else ''}{top:6.1%}", style="" if width else
                        palette.style(top))
        label = f"{t:.3g}" + (" (model)" if t == 1.0 else "")
        table.add_row(Text(label, style=style), entropy, top_cell)
    return table


def calibration_view(model_name: str, data: dict, console_width: int = 80):
    from rich.console import Group

    unit = "bits/token"
    name = _fit(printable(model_name), console_width - 16)
    head = Table(show_header=False, box=None)  # (titles as lines: a table's would wrap)
    head.add_column(style="bold")
    head.add_column(justify="right")
    head.add_row("tokens scored", f"{data['tokens']:,}")
    head.add_row("best temperature T*", f"{data['t_star']:.3f}")
    head.add_row(f"{unit} at T = 1", f"{data['bits_at_1']:.4f}")
    head.add_row(f"{unit} at T*", f"{data['bits_at_t_star']:.4f}")
    head.add_row("gain", f"{data['gain_bits']:.4f}")
    width = _bar_width(console_width - 1 - 2 * 3 - 5 - 14)
    curve = Table(box=box.SIMPLE_HEAD)
    curve.add_column("T", justify="right")
    curve.add_column(unit, no_wrap=True)
    lo = min(p["bits"] for p in data["curve"])
    hi = max(p["bits"] for p in data["curve"])
    for p in data["curve"]:
        is_star = abs(p["temperature"] - round(data["t_star"], 4)) < 1e-9
        cell = bar((p["bits"] - lo) / (hi - lo) if hi > lo else 0.0, width, "cyan") if width \
            else Text()
        cell.append(f"{' ' if width else ''}{p['bits']:.4f}" + ("  ← T*" if is_star else ""))
        curve.add_row(Text(f"{p['temperature']:.3g}", style="bold" if is_star else ""), cell)
    return Group(Text(f"calibration of {name}", style="italic"), head, Text(""),
                 Text(f"{unit} against T", style="italic"), curve)
