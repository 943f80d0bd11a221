"""A recorded completion's view: its text coloured by each token's probability, and the
figures that bound what the API did not list."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text

from tempgen.views.console import printable, tokens_text
from tempgen.views.palette import Palette


def recorded_view(data: dict, width: int, palette: Palette) -> Group:
    text = tokens_text(((r["token"], r["probability"]) for r in data["positions"]), palette)
    low, high = data["mean_entropy_bits"]
    lines = [f"{data['tokens']} tokens ({data['format']}): mean surprise "
             f"{data['mean_surprise_bits']:.2f} bits/token; the API listed "
             f"{data['mean_listed_mass']:.1%} of the mass on average",
             f"entropy {low:.2f}–{high:.2f} bits/token (the unlisted rest spread as unevenly "
             f"or as evenly as it can be, over a vocabulary of {data['vocab']:,})"]
    if data["chosen_unlisted"]:
        n = data["chosen_unlisted"]
        lines.append(f"{n} chosen token{'s were' if n > 1 else ' was'} not among those listed")
    lines += findings(data)
    return Group(text, Text(""), Text("\n".join(lines), style="dim"),
                 palette.legend(width))


def _range(lo: float, hi: float, fmt: str = ".1%") -> str:
    a, b = format(lo, fmt), format(hi, fmt)
    return a if a == b else f"{a}–{b}"


def findings(data: dict) -> list[str]:
    """What --temperatures and --estimate-temperature found, a line each."""
    lines = []
    for t in data.get("temperatures", []):
        lines.append(f"T = {t['temperature']:g}: the chosen tokens would have been drawn with "
                     f"probability {_range(*t['mean_probability'])} on average")
    if "temperatures" in data:
        first = data["first_not_greedy"]
        if first is None:
            lines.append("every chosen token was the most likely: greedy decoding gives "
                         "this text")
        else:
            n = data["not_greedy"]
            lines.append(f"{n} chosen token{'s were' if n > 1 else ' was'} not the most likely; "
                         f"greedy decoding would first part at position {first['position']}: "
                         f"{printable(first['text'][-60:])!r}")
    est = data.get("estimate")
    if est is not None:
        if est["temperature"] is None and not est["positions"]:
            lines.append("no temperature can be estimated: no position lists its chosen "
                         "token among others")
        elif est["temperature"] is None:
            lines.append(f"no finite temperature fits the {est['positions']} positions: "
                         "their chosen tokens are the likeliest (as greedy decoding picks), "
                         "or all their listed tokens are equally likely")
        else:
            lo, hi = est["interval"]
            lines.append(f"estimated temperature {est['temperature']:.2f} (95%: {lo:.2f}–"
                         f"{hi:.2f}, {est['positions']} positions), if these are the model's "
                         "raw log-probabilities")
    return lines
