"""Rich renderables for tempgen's views. Rendering never computes: it lays out results."""

from __future__ import annotations

import os
import sys

from rich.console import Console
from rich.table import Table


def make_console(color: str = "auto", file=None, width: int | None = None) -> Console:
    """A console for stdout: colour on a terminal only, never with NO_COLOR or --color never."""
    file = file or sys.stdout
    force = {"always": True, "never": False}.get(color)
    no_color = color == "never" or (color == "auto" and "NO_COLOR" in os.environ)
    return Console(file=file, force_terminal=force, no_color=no_color, width=width,
                   highlight=False, soft_wrap=False)


def print_view(renderable, console: Console | None = None) -> None:
    (console or make_console()).print(renderable)


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
    for col, just in [ ("level", "left"), ("order", "right"),
                      ("vocab", "right"), ("size", "right"), ("corpus", "left")]:
        table.add_column(col, justify=just)
    for r in rows:
        level = r["level"] + (", per line" if r["per_line"] else "")
        table.add_row(r["name"], level, str(r["order"]), f"{r['vocab']:,}",
                      f"{r['size'] / 1e6:.1f} MB", r["corpus"])
    return table
