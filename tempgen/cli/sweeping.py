"""The sweep command: samples at several temperatures (or settings) side by side."""

from __future__ import annotations

import sys

import click

from tempgen.cli.generate import GROUP, check_output, fits, output_option
from tempgen.cli.inputs import (
    chains_of,
    columns_of,
    model_and_prompt,
    sampler_settings,
    seed_and_stops,
)
from tempgen.cli.options import (
    CONTEXT,
    DEFAULT_TEMPERATURES,
    Temperature,
    model_option,
    note,
    output_options,
    run_options,
    sampler_options,
    with_options,
)
from tempgen.cli.output import destination, json_line


@click.command(context_settings=CONTEXT)
@model_option
@click.option("--temperatures", metavar="LIST", default=None,
              help=f"Comma-separated temperatures.  [default: {DEFAULT_TEMPERATURES}]")
@click.option("--range", "span", metavar="START:STOP:COUNT", default=None,
              help="COUNT evenly spaced temperatures from START to STOP, e.g. 0:2:5.")
@click.option("--sweep-over", "over", metavar="NAME=V1,V2,...", default=None,
              help="Columns that differ by another sampler setting instead, e.g. "
                   "top-n-sigma=0.5,1,2 (at temperature -t).")
@click.option("-t", "--temperature", type=Temperature(), default=1.0, show_default=True,
              help="The temperature of every column, with --sweep-over.")
@with_options(run_options)
@click.option("--format", "fmt", type=click.Choice(["text", "jsonl", "json"]), default="text",
              show_default=True, help="The view (plain text in a pipe) or one JSON document, "
                                      "which hold every sample at once (refused when that "
                                      "would not fit in memory), or JSON lines, which stream "
                                      "sample by sample.")
@click.option("--save-svg", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Also write the coloured view as an SVG picture.")
@click.option("--save-html", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Also write the coloured view as an HTML page.")
@output_option
@with_options(sampler_options + output_options)
def sweep(model_spec, temperatures, span, over, temperature, prompt, length, num_samples, seed,
          stops, fmt, save_svg, save_html, output, verbose, color, width, **samplers):
    """Samples at several temperatures side by side, each token coloured by its probability.

    All temperatures are decoded in one batch with coupled randomness: under one seed every
    column gives each token the same noise at each step (a Gumbel-max draw), so columns
    differ only because of T.
    The T = 0 column is greedy decoding, neighbouring temperatures agree for long stretches,
    and column T (sample i) is exactly what `tempgen sample --temperature T` prints with the
    same seed and sampler options.

    Under each column: the mean entropy of its sampling distributions (H, bits per token),
    the sample's mean log2 p under the model (T = 1, bits per token) and perplexity,
    distinct-2 (the share of distinct token pairs) and novelty (the share of its top-order
    n-grams that never occur in the training text). With several samples, sample i of every
    temperature stands in band #i.

    \b
    Examples:
      tempgen sweep
      tempgen sweep --range 0:2:5 -p "ROMEO." -n 200 --seed 3
      tempgen sweep -m names-char --num-samples 4 --temperatures 0.3,1,3
      tempgen sweep -t 3 --sweep-over top-n-sigma=-1,1 --seed 2
      tempgen sweep --format jsonl -o sweep.jsonl
      tempgen sweep --save-svg sweep.svg
    """
    from tempgen.analysis.sweep import sweep as run_sweep

    over, values = columns_of(temperatures, span, over, temperature)
    chains = chains_of(over, values, temperature, *sampler_settings(samplers))
    streaming = fmt == "jsonl" and not (save_svg or save_html)
    # (plain text, to a file or a pipe, streams column after column: it holds nothing)
    plain = fmt == "text" and not (save_svg or save_html) and (
        output is not None or not _on_terminal(color, width, sys.stdout))
    if streaming:
        fits(len(chains) * min(num_samples, GROUP) * length, "'--length'",
              "one JSON line per sample", "try a shorter --length")
    elif not plain:
        fits(len(chains) * num_samples * length, "'--length'", "the sweep's view",
              "--format jsonl streams sample by sample")
    outputs = [o for o in (save_svg, save_html, output) if o]
    for i, out in enumerate(outputs):
        check_output(out, model_spec, *outputs[:i])
    model, prompt = model_and_prompt(model_spec, prompt, chains, verbose)
    seed, stops = seed_and_stops(model, seed, stops)
    if verbose:
        _note_intervals(model, prompt, chains, length, seed, stops)
    with destination(output) as out:
        if plain:
            _stream_plain(model, prompt, chains, over, values, length, num_samples, seed,
                          stops, out)
            return
        if streaming:
            for start in range(0, num_samples, GROUP):
                group = range(start, min(num_samples, start + GROUP))
                for record in run_sweep(model, prompt, chains, length, group, seed,
                                        stops, over, values).records():
                    json_line(record, out)
            return
        result = run_sweep(model, prompt, chains, length, range(num_samples), seed, stops,
                           over, values)
        if save_svg or save_html:
            _save_view(result, model, save_svg, save_html, width)
        if fmt == "jsonl":
            for record in result.records():
                json_line(record, out)
        elif fmt == "json":
            json_line(result.to_dict(), out)
        else:
            _print_view(result, model, color, width, out)


def _note_intervals(model, prompt, chains, length, seed, stops) -> None:
    """With -v: the interval of T over which each column's first sample is the same text
    (`tempgen map`'s, for that column alone), where its chain's texts are lines in T."""
    import math

    from tempgen.analysis.lines import Unmappable
    from tempgen.analysis.textmap import interval_at

    if [s for s in stops if s != "\n" or not model.per_line]:
        return  # (a stop string is not a token: the map does not follow it)
    for chain in chains:
        t = chain.temperature
        if math.isinf(t):
            continue
        try:
            lo, hi = interval_at(model, prompt, chain, length, seed, t)
        except Unmappable:
            continue
        span = "T = 0 alone" if lo == hi else f"T in [{lo:.6g}, {hi:.6g})"
        note(f"T = {t:g}: the same text for {span}")


def _on_terminal(color, width, out) -> bool:
    from tempgen.views.console import make_console

    return make_console(color, file=out, width=width).is_terminal


def _stream_plain(model, prompt, chains, over, values, length, num_samples, seed, stops,
                  out) -> None:
    """The sweep's plain text as it is decoded, column after column: column T (sample i) is
    what `sample --temperature T` prints of sample i, so each is decoded alone, in turn, and
    nothing is held."""
    from tempgen.analysis.sweep import column_label
    from tempgen.generate.samples import stream_sample
    from tempgen.views.sweep import plain_stream

    def texts(chain, i):
        for pieces in stream_sample(model, prompt, chain, length, seed, i, stops,
                                    with_probs=False):
            yield "".join(p for p, _ in pieces)

    columns = ((column_label(over, chain, values[c] if values is not None else None, False),
                (texts(chain, i) for i in range(num_samples)))
               for c, chain in enumerate(chains))
    for piece in plain_stream(prompt, columns, "\n" if model.per_line else "\n\n"):
        out.write(piece)


def _print_view(result, model, color, width, out) -> None:
    from tempgen.views.console import make_console, palette_for, print_view
    from tempgen.views.sweep import plain_text, sweep_view

    console = make_console(color, file=out, width=width)
    if console.is_terminal:
        print_view(sweep_view(result.prompt, result.view_columns(model), console.width,
                              palette_for(console)), console)
    else:
        out.write(plain_text(result.prompt, [(result.label(c, False), [s.text for s in c.samples])
                                             for c in result.columns],
                             "\n" if model.per_line else "\n\n"))


def _save_view(result, model, svg_path, html_path, width) -> None:
    """Write the coloured view atomically, as wide as --width, or as the columns need."""
    from tempgen.io.atomic import atomic_write
    from tempgen.views.sweep import export

    svg, html = export(result.prompt, result.view_columns(model), width)
    if svg_path:
        atomic_write(svg_path, svg.encode())
    if html_path:
        atomic_write(html_path, html.encode())
