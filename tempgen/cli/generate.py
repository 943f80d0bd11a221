"""Commands that generate text: sample and sweep."""

from __future__ import annotations

import sys

import click

from tempgen.cli.inputs import (
    chain_of,
    choices_of,
    model_and_prompt,
    sampler_settings,
    seed_and_stops,
)
from tempgen.cli.options import (
    CONTEXT,
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
    chains = [chain]
    model, prompt = model_and_prompt(model_spec, prompt, chains, verbose)
    chain = chains[0]
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
    from tempgen.views.console import make_console, palette_for, prompt_text, tokens_text

    console = make_console(color, file=out, width=width)
    styled = console.is_terminal  # (with NO_COLOR, the underline of rare tokens stays)
    palette = palette_for(console)
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
                console.print(tokens_text(pieces, palette), end="", soft_wrap=True)
            else:
                out.write("".join(p for p, _ in pieces))
                out.flush()
    out.write("\0" if end == "\0" else "\n")
    if styled:
        make_console(color, file=sys.stderr, width=width).print(
            palette.legend(console.width))


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


def fits(tokens: int, option: str, what: str, instead: str) -> None:
    """Refuse up front a run that would hold more tokens at once than memory allows."""
    from tempgen.generate.samples import held_limit

    if tokens > held_limit():
        raise click.BadParameter(
            f"{what} would hold {tokens:,} tokens at once, more than the {held_limit():,} "
            f"this process has memory for; {instead}", param_hint=option)
