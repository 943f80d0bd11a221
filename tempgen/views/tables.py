"""Tables for the other views: evaluation, models, the next-token distribution, the
temperature curve and calibration."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from tempgen.views.console import printable, prob_style, t_label


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


def models_table(rows: list[dict]) -> Table:
    table = Table(title="bundled models")
    table.add_column("name", no_wrap=True)
    for col, just in [("level", "left"), ("order", "right"),
                      ("vocab", "right"), ("size", "right"), ("corpus", "left")]:
        table.add_column(col, justify=just)
    for r in rows:
        level = r["level"] + (", per line" if r["per_line"] else "")
        table.add_row(printable(r["name"]), level, str(r["order"]), f"{r['vocab']:,}",
                      f"{r['size'] / 1e6:.1f} MB", printable(r["corpus"]))
    return table


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
    for i, tok in enumerate(t["token"] for t in data["tokens"]):
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
    hmax = data["limits"]["t_to_inf"]["entropy_bits"]
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
    head = Table(show_header=False, box=None, title=f"calibration of {printable(model_name)}",
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
