"""The map's views: a line per text on a terminal (where it departs from the text before it,
its shared part dimmed, its new part coloured by probability), plain lines for a pipe, and a
picture (SVG, HTML) of where in T and where in the text the changes fall."""

from __future__ import annotations

import html
import math

from rich.console import Group
from rich.text import Text

from tempgen.views.console import printable
from tempgen.views.palette import DARK, Palette, band

SHARED = 10  # characters of the shared part shown before a departure


def span(lo: float, hi: float) -> str:
    return "T = 0" if lo == hi == 0 else f"[{lo:.4g}, {hi:.4g})"


def summary(data: dict) -> list[str]:
    """The head of every view: what was mapped, how many texts, the critical T."""
    lo, hi = data["range"]
    head = [f"{data['count']:,} texts of {data['model']} for T in [{lo:g}, {hi:g}): prompt "
            f"{data['prompt']!r}, {data['length']} tokens, seed {data['seed']}"]
    if data["critical_temperature"] is not None:
        head.append(f"the text leaves greedy decoding at T = {data['critical_temperature']:.6g}")
    elif lo == 0:
        head.append("the text is the greedy one throughout")
    if not data["complete"]:
        head.append(f"(stopped at {data['count']:,} texts: whole for T below "
                    f"{data['reached']:.6g})")
    return head


def map_view(data: dict, width: int, palette: Palette = DARK) -> Group:
    """A line per text: its interval, where it departs, and the text from a little before
    that point, cut at the line's end."""
    lines = [Text(line, style="dim") for line in summary(data)]
    lines.append(Text(f"{'T from, to':<22}{'at':>5}  text (newlines as ⏎)", style="bold"))
    room = max(10, width - 29)
    for x in data["texts"]:
        line = Text(f"{span(x['from'], x['to']):<22}{x['departs_at']:>5}  ")
        pieces = [(printable(p.replace("\n", "⏎")), q) for p, q in x["pieces"]]
        cut = x["departs_at"]
        shared = "".join(p for p, _ in pieces[:cut])[-SHARED:]
        line.append(("…" if len(shared) == SHARED else "") + shared, style="dim")
        used = len(shared) + 1
        for piece, q in pieces[cut:]:
            if used + len(piece) > room:
                break
            palette.add_token(line, piece, q)
            used += len(piece)
        lines.append(line)
    lines.append(palette.legend(width))
    return Group(*lines)


def plain_lines(data: dict) -> str:
    """For a pipe: the head as # lines, then a line per text: from, to (exact), where it
    departs, and its text with \\n, \\t and \\\\ escaped, tab-separated."""
    out = [f"# {line}" for line in summary(data)]
    for x in data["texts"]:
        text = x["text"].replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
        out.append(f"{x['from']!r}\t{x['to']!r}\t{x['departs_at']}\t{text}")
    return "\n".join(out) + "\n"


def picture(data: dict) -> tuple[str, str]:
    """(SVG, HTML): T on a log axis against the position where each text departs from the
    one before it, each text a bar over its interval coloured by its departing token's
    probability; the HTML adds the texts. Both load nothing."""
    w, h, left, right, top, bottom = 800, 420, 60, 20, 30, 46
    lo, hi = data["range"]
    texts = data["texts"]
    positive = [x["from"] for x in texts if x["from"] > 0] + [hi]
    t_min = max(min(positive + [lo if lo > 0 else hi]) / 2, 1e-12)
    log_lo, log_hi = math.log10(t_min), math.log10(hi)
    n = max(1, data["length"])

    def x_of(t: float) -> float:
        t = max(t, t_min)
        return left + (math.log10(t) - log_lo) / max(log_hi - log_lo, 1e-12) * (w - left - right)

    def y_of(pos: float) -> float:
        return top + pos / n * (h - top - bottom)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" '
             f'font-family="sans-serif" font-size="11">',
             f'<rect width="{w}" height="{h}" fill="#ffffff"/>',
             f'<text x="{left}" y="18" fill="#1a1a1a">{html.escape(summary(data)[0])}</text>']
    for decade in range(math.floor(log_lo), math.ceil(log_hi) + 1):
        t = 10.0 ** decade
        if t_min <= t <= hi:
            x = x_of(t)
            parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{h - bottom}" '
                         f'stroke="#d8d8d8"/><text x="{x:.1f}" y="{h - bottom + 14}" '
                         f'text-anchor="middle" fill="#5f5f5f">{t:g}</text>')
    parts.append(f'<text x="{(w + left) / 2}" y="{h - 8}" text-anchor="middle" '
                 f'fill="#5f5f5f">T (log scale)</text>')
    parts.append(f'<text x="14" y="{(h - bottom + top) / 2}" fill="#5f5f5f" '
                 f'transform="rotate(-90 14 {(h - bottom + top) / 2})" text-anchor="middle">'
                 f'position where the text departs</text>')
    for pos in range(0, n + 1, max(1, n // 5)):
        parts.append(f'<text x="{left - 6}" y="{y_of(pos) + 4:.1f}" text-anchor="end" '
                     f'fill="#5f5f5f">{pos}</text>')
    for x in texts[1:]:
        pieces = x["pieces"]
        q = pieces[x["departs_at"]][1] if x["departs_at"] < len(pieces) else 1.0
        colour = band(q).light
        x0, x1 = x_of(x["from"]), x_of(x["to"])
        y = y_of(x["departs_at"])
        parts.append(f'<rect x="{x0:.2f}" y="{y - 2:.2f}" width="{max(x1 - x0, 1.0):.2f}" '
                     f'height="4" fill="{colour}"><title>{html.escape(span(x["from"], x["to"]))}'
                     f' departs at {x["departs_at"]}</title></rect>')
    parts.append("</svg>")
    svg = "\n".join(parts)
    rows = "\n".join(
        f"<tr><td>{html.escape(span(x['from'], x['to']))}</td><td>{x['departs_at']}</td>"
        f"<td><pre><span class=shared>{html.escape(x['text'][:_chars(x)])}</span>"
        f"{html.escape(x['text'][_chars(x):])}</pre></td></tr>" for x in texts)
    page = (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"UTF-8\">\n"
            f"<title>tempgen map</title>\n<style>body {{ font-family: sans-serif; color: "
            f"#1a1a1a; background: #fff; }} pre {{ margin: 0; white-space: pre-wrap; }} "
            f".shared {{ color: #5f5f5f; }} td {{ vertical-align: top; padding: 2px 8px; "
            f"border-top: 1px solid #d8d8d8; }}</style>\n</head>\n<body>\n"
            f"{''.join(f'<p>{html.escape(line)}</p>' for line in summary(data))}\n{svg}\n"
            f"<table>\n<tr><th>T</th><th>departs at</th><th>text (its shared part grey)"
            f"</th></tr>\n{rows}\n</table>\n</body>\n</html>\n")
    return svg + "\n", page


def _chars(x: dict) -> int:
    """The characters of a text before its departing token."""
    return sum(len(p) for p, _ in x["pieces"][:x["departs_at"]])
