"""Commands that generate text: sample and sweep."""

from __future__ import annotations

import sys

import click

from tempgen.cli.options import (
    CONTEXT,
    DEFAULT_TEMPERATURES,
    Temperature,
    chain_of,
    model_and_prompt,
    model_option,
    output_options,
    run_options,
    sampler_options,
    seed_and_stops,
    temperatures_of,
    with_options,
)
from tempgen.cli.output import emit, json_line


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
@with_options(sampler_options + output_options)
def sample(model_spec, temperature, prompt, length, num_samples, seed, stops, fmt, top_k,
           top_p, min_p, typical_p, samplers, verbose, color):
    """Generate text at one temperature.

    On a terminal each generated token is coloured by its probability; in a pipe the output
    is exactly the text, samples separated by a blank line. Sample i of a seed is the same
    whether generated alone or with others.

    \b
    Examples:
      tempgen sample --temperature 0.6 --seed 1
      tempgen sample -m names-char --num-samples 5
      tempgen sample -m shakespeare-word -p "KING" -n 50 --top-p 0.9
      tempgen sample -n 200 --format jsonl --seed 3 > samples.jsonl
    """
    chain = chain_of(temperature, top_k, top_p, min_p, typical_p, samplers)
    if fmt == "jsonl":
        _fits(min(num_samples, GROUP) * length, "'--length'", "one JSON line per sample",
              "--format text streams any length")
    model, prompt = model_and_prompt(model_spec, prompt, chain, verbose)
    seed, stops = seed_and_stops(model, seed, stops)
    run = dict(model=model, prompt=prompt, chain=chain, length=length, seed=seed, stops=stops)
    if fmt == "jsonl":
        _sample_jsonl(num_samples=num_samples, **run)
    else:
        _sample_text(num_samples=num_samples, color=color, **run)


def _sample_text(model, prompt, chain, length, seed, stops, num_samples, color):
    """Stream each sample as it is generated (one after another: a sample does not depend
    on the others, so this is the same text as a batch)."""
    from tempgen.generate.samples import stream_sample
    from tempgen.views.console import colours, legend, make_console, prompt_text, tokens_text

    console = make_console(color)
    coloured = colours(console)
    for i in range(num_samples):
        if i:
            emit()
        if coloured:
            console.print(prompt_text(prompt), end="")
        else:
            sys.stdout.write(prompt)
        for pieces in stream_sample(model, prompt, chain, length, seed, i, stops,
                                    with_probs=coloured):
            if coloured:
                console.print(tokens_text(pieces), end="", soft_wrap=True)
            else:
                sys.stdout.write("".join(p for p, _ in pieces))
                sys.stdout.flush()
        emit()
    if coloured:
        make_console(color, file=sys.stderr).print(legend())


def _sample_jsonl(model, prompt, chain, length, seed, stops, num_samples):
    """The samples in batches of GROUP, each printed when its batch is done."""
    from tempgen.generate.samples import batch_samples

    for start in range(0, num_samples, GROUP):
        group = range(start, min(num_samples, start + GROUP))
        for i, s in zip(group, batch_samples(model, prompt, [chain], [0] * len(group),
                                             list(group), length, seed, stops), strict=True):
            json_line({"model": model.name, "seed": seed, "sample": i,
                       "temperature": chain.temperature, "chain": chain.to_list(),
                       "prompt": prompt, **s.to_dict()})


GROUP = 64  # samples decoded and held at once when they stream out one by one


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
@with_options(sampler_options + output_options)
def sweep(model_spec, temperatures, span, prompt, length, num_samples, seed, stops, fmt,
          save_svg, save_html, top_k, top_p, min_p, typical_p, samplers, verbose, color):
    """Samples at several temperatures side by side, each token coloured by its probability.

    All temperatures are decoded in one batch with coupled randomness: under one seed every
    column uses the same uniform number at each step (an inverse-CDF draw), so columns
    differ only because of T.
    The T = 0 column is greedy decoding, neighbouring temperatures agree for long stretches,
    and column T (sample i) is exactly what `tempgen sample --temperature T` prints with the
    same seed and sampler options.

    Under each column: the mean entropy of its sampling distributions (bits per token), the
    sample's mean log-probability under the model (T = 1) and perplexity, distinct-2 (the
    share of distinct token pairs) and novelty (the share of its top-order n-grams that never
    occur in the training text).

    \b
    Examples:
      tempgen sweep
      tempgen sweep --range 0:2:5 -p "ROMEO." -n 200 --seed 3
      tempgen sweep -m names-char --num-samples 8 --temperatures 0.3,1,3
      tempgen sweep --format jsonl | jq .stats
      tempgen sweep --save-svg sweep.svg
    """
    from tempgen.analysis.sweep import sweep as run_sweep

    temps = temperatures_of(temperatures, span)
    chains = [chain_of(t, top_k, top_p, min_p, typical_p, samplers) for t in temps]
    streaming = fmt == "jsonl" and not (save_svg or save_html)
    if streaming:
        _fits(len(chains) * min(num_samples, GROUP) * length, "'--length'",
              "one JSON line per sample", "try a shorter --length")
    else:
        _fits(len(chains) * num_samples * length, "'--length'", "the sweep's view",
              "--format jsonl streams sample by sample")
    if save_svg or save_html:
        from tempgen.io.atomic import check_not_input
        from tempgen.lm.store import resolve

        inputs = [str(resolve(model_spec))]
        for out in (save_svg, save_html):
            if out:
                check_not_input(out, inputs)
                inputs.append(out)  # (and not both into one file)
    model, prompt = model_and_prompt(model_spec, prompt, chains[0], verbose)
    seed, stops = seed_and_stops(model, seed, stops)
    if streaming:
        for start in range(0, num_samples, GROUP):
            group = range(start, min(num_samples, start + GROUP))
            for record in run_sweep(model, prompt, chains, length, group, seed,
                                    stops).records():
                json_line(record)
        return
    result = run_sweep(model, prompt, chains, length, range(num_samples), seed, stops)
    if save_svg or save_html:
        _save_view(result, model, save_svg, save_html)
    if fmt == "jsonl":
        for record in result.records():
            json_line(record)
    elif fmt == "json":
        json_line(result.to_dict())
    else:
        _print_view(result, model, color)


def _print_view(result, model, color) -> None:
    from tempgen.views.console import make_console, print_view
    from tempgen.views.sweep import plain_text, sweep_view

    console = make_console(color)
    if console.is_terminal:
        print_view(sweep_view(result.prompt, result.view_columns(model), console.width),
                   console)
    else:
        sys.stdout.write(plain_text(result.prompt, [(c.temperature, [s.text for s in c.samples])
                                                    for c in result.columns]))


def _save_view(result, model, svg_path, html_path) -> None:
    """Write the coloured view (as a 120-column terminal would show it) atomically."""
    from tempgen.io.atomic import atomic_write
    from tempgen.views.sweep import export

    svg, html = export(result.prompt, result.view_columns(model))
    if svg_path:
        atomic_write(svg_path, svg.encode())
    if html_path:
        atomic_write(html_path, html.encode())
