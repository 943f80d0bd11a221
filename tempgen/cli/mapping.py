"""The map command: every text one seed gives as T runs, with the temperatures where it
changes."""

from __future__ import annotations

import math

import click

from tempgen.cli.generate import check_output, output_option
from tempgen.cli.inputs import chain_of, model_and_prompt, sampler_settings
from tempgen.cli.options import (
    CONTEXT,
    Count,
    model_option,
    note,
    output_options,
    sampler_options,
    with_options,
)
from tempgen.cli.output import destination, json_line


def parse_range(text: str) -> tuple[float, float]:
    """LO:HI, 0 <= LO < HI < inf."""
    lo, sep, hi = text.partition(":")
    try:
        lo_t, hi_t = float(lo), float(hi)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not LO:HI (e.g. 0:2)",
                                 param_hint="'--range'") from None
    if not sep or not (0 <= lo_t < hi_t < math.inf):
        raise click.BadParameter(f"{text!r}: need 0 <= LO < HI, both finite (e.g. 0:2)",
                                 param_hint="'--range'")
    return lo_t, hi_t


@click.command("map", context_settings=CONTEXT)
@model_option
@click.option("-p", "--prompt", default="", help="Text to continue; - reads it from stdin.")
@click.option("-n", "--length", type=Count(), default=100, show_default=True,
              help="Tokens per text (at most).")
@click.option("--seed", type=click.IntRange(min=0), default=1, show_default=True,
              help="The seed whose texts are mapped.")
@click.option("--range", "span", metavar="LO:HI", default="0:2", show_default=True,
              help="The temperatures mapped, from LO up to (not including) HI.")
@click.option("--max-texts", type=Count(), default=1000, show_default=True,
              help="Stop after this many texts (the map is then whole up to where it got).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl"]), default="text",
              show_default=True, help="A line per text (plain tab-separated lines in a "
                                      "pipe), one JSON document, or a JSON line per text.")
@click.option("--save-svg", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Also write the picture: T against where each text departs.")
@click.option("--save-html", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Also write the picture and every text as an HTML page.")
@output_option
@with_options(sampler_options + output_options)
def map_cmd(model_spec, prompt, length, seed, span, max_texts, fmt, save_svg, save_html,
            output, verbose, color, width, **samplers):
    """Every text one seed gives as the temperature runs over a range, in order of T, with
    the exact temperatures where it changes.

    Under one seed the token at each step is the one whose line z + T·g is highest (z its
    log-probability, g its noise, the same at every T), so the text is a step function of
    T: each text holds on an interval [from, to) whose ends are where two lines cross. The
    map lists each text with its interval and the position where it departs from the text
    before it, and the critical temperature, where the text first leaves greedy decoding.
    Sampling at any T inside an interval (`tempgen sample -t T --seed S`) prints its text.

    Samplers that cut before temperature (top-k, top-p, min-p, typical-p, top-n-sigma,
    penalties, DRY) map exactly; XTC, Mirostat, dynamic temperature and cuts after
    temperature are refused: their texts do not change at crossings of lines.

    \b
    Examples:
      tempgen map -p "ROMEO." -n 100
      tempgen map -n 300 --range 0:1 --seed 3
      tempgen map -m shakespeare-word -n 60 --top-k 40
      tempgen map -p "ROMEO." --format json -o map.json
      tempgen map -p "ROMEO." --save-html map.html
    """
    from tempgen.analysis.lines import Unmappable, check_mappable
    from tempgen.analysis.textmap import map_record, text_map
    from tempgen.cli.progress import status

    lo, hi = parse_range(span)
    settings, order = sampler_settings(samplers)
    chain = chain_of(1.0, settings, order)
    try:
        check_mappable(chain)
    except Unmappable as exc:
        raise click.UsageError(f"cannot map this chain: {exc}") from None
    outputs = [o for o in (save_svg, save_html, output) if o]
    for i, out in enumerate(outputs):
        check_output(out, model_spec, *outputs[:i])
    chains = [chain]
    model, prompt = model_and_prompt(model_spec, prompt, chains, verbose)
    chain = chains[0]
    with status(f"mapping T in [{lo:g}, {hi:g})"):
        found = text_map(model, prompt, chain, length, seed, lo, hi, max_texts)
    data = map_record(model, prompt, chain, seed, length, found)
    if not found.complete:
        note(f"note: stopped at {data['count']:,} texts (--max-texts): the map is whole for T "
             f"in [{lo:g}, {found.reached:.6g})")
    if save_svg or save_html:
        _save(data, save_svg, save_html)
    with destination(output) as out:
        if fmt == "json":
            json_line(data, out)
        elif fmt == "jsonl":
            for x in data["texts"]:
                json_line({k: v for k, v in x.items() if k != "pieces"}, out)
        else:
            _print(data, color, width, out)


def _print(data: dict, color, width, out) -> None:
    from tempgen.views.console import make_console, palette_for, print_view
    from tempgen.views.textmap import map_view, plain_lines

    console = make_console(color, file=out, width=width)
    if console.is_terminal:
        print_view(map_view(data, console.width, palette_for(console)), console)
    else:
        out.write(plain_lines(data))


def _save(data: dict, svg_path, html_path) -> None:
    from tempgen.io.atomic import atomic_write
    from tempgen.views.textmap import picture

    svg, page = picture(data)
    if svg_path:
        atomic_write(svg_path, svg.encode())
    if html_path:
        atomic_write(html_path, page.encode())
