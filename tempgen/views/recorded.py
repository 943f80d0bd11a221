"""A recorded completion's view: its text coloured by each token's probability, and the
figures that bound what the API did not list."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text

from tempgen.views.console import legend, tokens_text


def recorded_view(data: dict, width: int, colour: bool) -> Group:
    text = tokens_text((r["token"], r["probability"]) for r in data["positions"])
    low, high = data["mean_entropy_bits"]
    lines = [f"{data['tokens']} tokens ({data['format']}): mean surprise "
             f"{data['mean_surprise_bits']:.2f} bits/token; the API listed "
             f"{data['mean_listed_mass']:.1%} of the mass on average",
             f"entropy {low:.2f}–{high:.2f} bits/token (the unlisted rest spread as unevenly "
             f"or as evenly as it can be, over a vocabulary of {data['vocab']:,})"]
    if data["chosen_unlisted"]:
        lines.append(f"{data['chosen_unlisted']} chosen tokens were not among those listed")
    return Group(text, Text(""), Text("\n".join(lines), style="dim"),
                 legend(width, colour))
