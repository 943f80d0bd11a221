"""Commands that generate text: sample and sweep."""

from __future__ import annotations

import json
import sys

import click

from tempgen.cli import (  # noqa: I001
    CONTEXT,
    DEFAULT_TEMPERATURES,
    Temperature,
    _chain,
    _model_and_prompt,
    _seed_and_stops,
    _temperatures,
    _with,
    cli,
    model_option,
    output_options,
    sampler_options,
)

# ===================================================================== sample
run_options = [
    click.option("-p", "--prompt", default="", help="Text to continue; - reads it from stdin."),
    click.option("-n", "--length", type=click.IntRange(min=1), default=300, show_default=True,
                 help="Tokens per sample (at most)."),
    click.option("--num-samples", type=click.IntRange(min=1), default=1, show_default=True,
                 help="Samples (per temperature)."),
    click.option("--seed", type=click.IntRange(min=0), default=None,
                 help="Random seed; printed to stderr when not given, so any run can be "
                      "replayed."),
    click.option("--stop", "stops", multiple=True, metavar="TEXT",
                 help="End a sample at this text (repeatable; \\n is a newline). Per-line "
                      "models stop at the end of the line by default."),
]


@cli.command(context_settings=CONTEXT)
@model_option
@click.option("-t", "--temperature", type=Temperature(), default=1.0, show_default=True,
              help="0 = greedy, 1 = the model itself, inf = uniform.")
@_with(run_options)
@click.option("--format", "fmt", type=click.Choice(["text", "jsonl"]), default="text",
              show_default=True, help="Plain text, or one JSON object per sample.")
@_with(sampler_options + output_options)
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


    chain = _chain(temperature, top_k, top_p, min_p, typical_p, samplers)
    model, prompt = _model_and_prompt(model_spec, prompt, chain if verbose else None)
    seed, stops = _seed_and_stops(model, seed, stops)
    run = dict(model=model, prompt=prompt, chain=chain, length=length, seed=seed, stops=stops)
    if fmt == "jsonl":
        _sample_jsonl(num_samples=num_samples, model_spec=model_spec, **run)
    else:
        _sample_text(num_samples=num_samples, color=color, **run)


def _sample_text(model, prompt, chain, length, seed, stops, num_samples, color):
    """Stream each sample as it is generated (one after another: a sample does not depend
    on the others, so this is the same text as a batch)."""
    from tempgen.generation import stream_sample
    from tempgen.render import colours, legend, make_console, prompt_text, tokens_text

    console = make_console(color)
    coloured = colours(console)
    for i in range(num_samples):
        if i:
            click.echo()
        if coloured:
            console.print(prompt_text(prompt), end="")
        else:
            sys.stdout.write(prompt)
        for pieces in stream_sample(model, prompt, chain, length, seed, i, stops,
                                    pieces=coloured):
            if coloured:
                console.print(tokens_text(pieces), end="", soft_wrap=True)
            else:
                sys.stdout.write("".join(p for p, _ in pieces))
                sys.stdout.flush()
        click.echo()
    if coloured:
        make_console(color, file=sys.stderr).print(legend())


def _sample_jsonl(model, model_spec, prompt, chain, length, seed, stops, num_samples):
    from tempgen.generation import batch_samples

    for i, s in enumerate(batch_samples(model, prompt, [chain], [0] * num_samples,
                                        list(range(num_samples)), length, seed, stops)):
        click.echo(json.dumps({"model": model.name, "seed": seed, "sample": i,
                               "temperature": chain.temperature, "chain": chain.to_list(),
                               "prompt": prompt, **s.to_dict()}))


# ===================================================================== sweep
@cli.command(context_settings=CONTEXT)
@model_option
@click.option("--temperatures", metavar="LIST", default=None,
              help=f"Comma-separated temperatures.  [default: {DEFAULT_TEMPERATURES}]")
@click.option("--range", "span", metavar="START:STOP:COUNT", default=None,
              help="COUNT evenly spaced temperatures from START to STOP, e.g. 0:2:5.")
@_with(run_options)
@click.option("--format", "fmt", type=click.Choice(["text", "jsonl", "json"]), default="text",
              show_default=True, help="The view (plain text in a pipe), JSON lines, or one "
                                      "JSON document.")
@click.option("--save-svg", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Also write the coloured view as an SVG picture.")
@click.option("--save-html", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Also write the coloured view as an HTML page.")
@_with(sampler_options + output_options)
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

    from tempgen.generation import batch_samples
    from tempgen.metrics import merge_stats, sample_stats

    temps = _temperatures(temperatures, span)
    chains = [_chain(t, top_k, top_p, min_p, typical_p, samplers) for t in temps]
    model, prompt = _model_and_prompt(model_spec, prompt, chains[0] if verbose else None)
    seed, stops = _seed_and_stops(model, seed, stops)
    rows = [(c, s) for c in range(len(temps)) for s in range(num_samples)]
    results = batch_samples(model, prompt, chains, [c for c, _ in rows], [s for _, s in rows],
                            length, seed, stops)
    prompt_ids = model.tokenizer.encode(prompt)
    columns = []
    for c, t in enumerate(temps):
        mine = [r for (cc, _), r in zip(rows, results, strict=True) if cc == c]
        stats = [sample_stats(model, prompt_ids, r) for r in mine]
        columns.append({"temperature": t, "chain": chains[c], "results": mine,
                        "sample_stats": stats, "stats": merge_stats(stats)})
    _sweep_output(model, prompt, seed, columns, fmt, color, save_svg, save_html)


def _sweep_output(model, prompt, seed, columns, fmt, color, save_svg, save_html):
    import numpy as np

    from tempgen.render import make_console, print_view, sweep_view

    def view_columns():
        return [{"temperature": c["temperature"], "stats": c["stats"],
                 "samples": [list(zip(_pieces(model, prompt, r),
                                      np.exp(r.sample_logprobs).tolist(), strict=True))
                             for r in c["results"]]} for c in columns]

    if save_svg or save_html:
        _save_view(prompt, view_columns(), save_svg, save_html)
    if fmt in ("jsonl", "json"):
        objects = [{"model": model.name, "seed": seed, "temperature": c["temperature"],
                    "sample": i, "chain": c["chain"].to_list(), "prompt": prompt,
                    **r.to_dict(), "stats": st}
                   for c in columns
                   for i, (r, st) in enumerate(zip(c["results"], c["sample_stats"],
                                                   strict=True))]
        if fmt == "jsonl":
            for obj in objects:
                click.echo(json.dumps(obj))
        else:
            click.echo(json.dumps({"model": model.name, "seed": seed, "prompt": prompt,
                                   "columns": [{"temperature": c["temperature"],
                                                "chain": c["chain"].to_list(),
                                                "stats": c["stats"]} for c in columns],
                                   "samples": objects}))
        return
    console = make_console(color)
    if console.is_terminal:
        print_view(sweep_view(prompt, view_columns(), console.width), console)
        return
    blocks = []
    for c in columns:
        texts = "\n\n".join(prompt + r.text for r in c["results"])
        blocks.append(f"T={c['temperature']:g}\n{texts}")
    sys.stdout.write("\n\n".join(blocks) + "\n")


def _pieces(model, prompt: str, result) -> list[str]:
    """The text each generated token adds (with its spacing) after the prompt."""
    add = model.tokenizer.joiner(model.tokenizer.split(prompt))
    return [add(t) for t in result.tokens]


def _save_view(prompt, columns, svg_path, html_path) -> None:
    """Write the coloured view (as a 120-column terminal would show it) atomically."""
    import io

    from rich.console import Console

    from tempgen.atomic import atomic_write
    from tempgen.render import sweep_view

    console = Console(record=True, width=120, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", highlight=False)
    console.print(sweep_view(prompt, columns, 120))
    if svg_path:
        atomic_write(svg_path, console.export_svg(title="tempgen sweep", clear=False).encode())
    if html_path:
        atomic_write(html_path, console.export_html(clear=False).encode())
