"""Commands that generate text: sample and sweep."""

from __future__ import annotations

import sys

import click

from tempgen.cli.inputs import (
    chain_of,
    chains_of,
    choices_of,
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
    output_options,
    run_options,
    sampler_options,
    with_options,
)
from tempgen.cli.output import destination, json_line, streamed_json_line

output_option = click.option(
    "-o", "--output", default=None, metavar="FILE",
    help="Write to FILE instead of stdout, atomically (complete, or not at all).")


# ===================================================================== sample
@click.command(context_settings=CONTEXT)
@model_option
@click.option("-t", "--temperature", type=Temperature(), default=1.0, show_default=True,
              help="0 = greedy, 1 = the model itself, inf = uniform.")
@with_options(run_options)
@click.option("--format", "fmt", type=click.Choice(["text", "jsonl"]), default="text",
              show_default=True, help="Plain text, which streams as it is generated, or one "
                                      "JSON object per sample, printed as each is done (a "
                                      "sample must fit in memory).")
@click.option("--force", "forced", multiple=True, metavar="STEP=TOKEN",
              help="Make the token at STEP (0 = the first generated) TOKEN instead of the "
                   "draw, which still uses its random number (repeatable; \\n is a newline). "
                   "The explorer's branches are these.")
@click.option("-0", "--null", "null", is_flag=True,
              help="End each sample with a NUL character instead of a newline (for "
                   "multi-line samples and xargs -0).")
@output_option
@with_options(sampler_options + output_options)
def sample(model_spec, temperature, prompt, length, num_samples, seed, stops, fmt, forced,
           null, output, verbose, color, width, **samplers):
    """Generate text at one temperature.

    On a terminal each generated token is coloured by its probability; in a pipe the output
    is exactly the text: samples apart by a blank line, or one per line for a per-line model
    (names-char), or each ended by NUL with -0. Sample i of a seed is the same whether
    generated alone or with others.

    \b
    Examples:
      tempgen sample --temperature 0.6 --seed 1
      tempgen sample -m names-char --num-samples 5
      tempgen sample -m shakespeare-word -p "KING" -n 50 --top-p 0.9
      tempgen sample -t 0 -p "ROMEO." --dry-multiplier 0.8 --seed 1
      tempgen sample -n 200 --format jsonl --seed 3 -o samples.jsonl
    """
    chain = chain_of(temperature, *sampler_settings(samplers))
    if output:
        check_output(output, model_spec)
    model, prompt = model_and_prompt(model_spec, prompt, [chain], verbose)
    seed, stops = seed_and_stops(model, seed, stops)
    run = dict(model=model, prompt=prompt, chain=chain, length=length, seed=seed, stops=stops,
               chosen=choices_of(forced, model))
    with destination(output) as out:
        if fmt == "jsonl":
            _sample_jsonl(num_samples=num_samples, out=out, **run)
        else:
            end = "\0" if null else "\n" if model.per_line else "\n\n"
            _sample_text(num_samples=num_samples, color=color, width=width, out=out, end=end,
                         **run)


def _sample_text(model, prompt, chain, length, seed, stops, chosen, num_samples, color, width,
                 out, end):
    """Stream each sample as it is generated (one after another: a sample does not depend
    on the others, so this is the same text as a batch); `end` follows each sample but the
    last, which ends with a newline (or NUL)."""
    from tempgen.generate.samples import stream_sample
    from tempgen.views.console import colours, legend, make_console, prompt_text, tokens_text

    console = make_console(color, file=out, width=width)
    styled = console.is_terminal  # (with NO_COLOR, the underline of rare tokens stays)
    for i in range(num_samples):
        if i:
            out.write(end)
        if styled:
            console.print(prompt_text(prompt), end="")
        else:
            out.write(prompt)
        for pieces in stream_sample(model, prompt, chain, length, seed, i, stops,
                                    with_probs=styled, chosen=chosen):
            if styled:
                console.print(tokens_text(pieces), end="", soft_wrap=True)
            else:
                out.write("".join(p for p, _ in pieces))
                out.flush()
    out.write("\0" if end == "\0" else "\n")
    if styled:
        make_console(color, file=sys.stderr, width=width).print(
            legend(console.width, colours(console)))


def _sample_jsonl(model, prompt, chain, length, seed, stops, chosen, num_samples, out):
    """The samples in batches of GROUP, each printed when its batch is done; samples too
    long to hold a batch of (HELD_TOKENS) one by one, each line written as it is decoded."""
    from tempgen.generate.samples import batch_samples, one_sample, sample_chunks

    head = {"model": model.name, "seed": seed}
    if min(num_samples, GROUP) * length > HELD_TOKENS:
        for i in range(num_samples):
            streamed_json_line({**head, "sample": i, "temperature": chain.temperature,
                                "chain": chain.to_list(), "prompt": prompt},
                               sample_chunks(model, prompt, chain, length, seed, i, stops,
                                             chosen), chain.varies_temperature, out)
        return
    for start in range(0, num_samples, GROUP):
        group = range(start, min(num_samples, start + GROUP))
        batch = [one_sample(model, prompt, chain, length, seed, i, stops, chosen)
                 for i in group] if chosen else \
            batch_samples(model, prompt, [chain], [0] * len(group), list(group), length, seed,
                          stops)
        for i, s in zip(group, batch, strict=True):
            json_line({"model": model.name, "seed": seed, "sample": i,
                       "temperature": chain.temperature, "chain": chain.to_list(),
                       "prompt": prompt, **s.to_dict()}, out)


def check_output(output: str, model_spec: str, *others: str) -> None:
    """Refuse an output file that is the model, or another output."""
    from tempgen.io.atomic import check_not_input
    from tempgen.lm.store import resolve

    check_not_input(output, [str(resolve(model_spec)), *[o for o in others if o]])


GROUP = 64  # samples decoded and held at once when they stream out one by one
HELD_TOKENS = 1 << 16  # tokens of JSON lines held at once, at most (about 20 MB)


def _fits(tokens: int, option: str, what: str, instead: str) -> None:
    """Refuse up front a run that would hold more tokens at once than memory allows."""
    from tempgen.generate.samples import held_limit

    if tokens > held_limit():
        raise click.BadParameter(
            f"{what} would hold {tokens:,} tokens at once, more than the {held_limit():,} "
            f"this process has memory for; {instead}", param_hint=option)


# ===================================================================== sweep
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
        _fits(len(chains) * min(num_samples, GROUP) * length, "'--length'",
              "one JSON line per sample", "try a shorter --length")
    elif not plain:
        _fits(len(chains) * num_samples * length, "'--length'", "the sweep's view",
              "--format jsonl streams sample by sample")
    outputs = [o for o in (save_svg, save_html, output) if o]
    for i, out in enumerate(outputs):
        check_output(out, model_spec, *outputs[:i])
    model, prompt = model_and_prompt(model_spec, prompt, chains, verbose)
    seed, stops = seed_and_stops(model, seed, stops)
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
    from tempgen.views.console import colours, make_console, print_view
    from tempgen.views.sweep import plain_text, sweep_view

    console = make_console(color, file=out, width=width)
    if console.is_terminal:
        print_view(sweep_view(result.prompt, result.view_columns(model), console.width,
                              colours(console)), console)
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
