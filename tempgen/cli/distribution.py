"""Commands about the next-token distribution: dist, curve, calibrate."""

from __future__ import annotations

import click

from tempgen.cli.inputs import (
    chain_of,
    load_model,
    model_and_prompt,
    sampler_settings,
    temperatures_of,
    waiting,
    warn_unknown,
)
from tempgen.cli.options import (
    CONTEXT,
    encoding_options,
    given,
    model_option,
    option_name,
    output_options,
    refuse_together,
    sampler_options,
    with_options,
)
from tempgen.cli.output import json_line

recorded_options = [
    click.option("--logprobs", "logprobs_file", metavar="FILE", default=None,
                 help="A recorded LLM completion instead of a model (see `tempgen logprobs`): "
                      "the row at --position, its unlisted rest spread evenly."),
    click.option("--position", type=click.IntRange(min=0), default=0, show_default=True,
                 help="With --logprobs: which generated token's row (0 = the first)."),
    click.option("--vocab-size", type=click.IntRange(2, 10**7), default=128_000,
                 show_default=True,
                 help="With --logprobs: the model's vocabulary, over which the unlisted rest "
                      "is spread."),
]


def _recorded_or_model() -> None:
    """A recorded completion brings its own text and model; a model, no positions."""
    refuse_together("logprobs_file", {
        "model_spec": "the recorded completion is the model's", "prompt": "the recorded "
        "completion's text is the prompt (choose the row with --position)"})
    for name in ("position", "vocab_size"):
        if given(name) and not given("logprobs_file"):
            raise click.BadParameter("only with --logprobs FILE (a recorded completion)",
                                     param_hint=f"'{option_name(name)}'")


def read_recorded_file(path: str, position: int):
    """A recorded completion, read up to `position`."""
    from tempgen.io.logprobs import read_file

    return read_file(path, upto=position)


# ===================================================================== dist, curve
@click.command(context_settings=CONTEXT)
@model_option
@click.option("-p", "--prompt", default="",
              help="The text before the token (empty: the start of a text); - reads stdin.")
@click.option("--temperatures", metavar="LIST", default="0.5,1,2", show_default=True,
              help="Comma-separated temperatures.")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True,
              help="How many of the most likely tokens to show.")
@click.option("--stages", is_flag=True,
              help="A column per stage of the chain at one temperature (the model's row, then "
                   "the row after each link): what each link does.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_options(recorded_options + sampler_options + output_options)
def dist(model_spec, prompt, temperatures, top, stages, as_json, logprobs_file, position,
         vocab_size, verbose, color, width, **samplers):
    """The next token's distribution after PROMPT, reshaped by each temperature.

    Bars show each candidate's probability at each T (sharper below 1, flatter above),
    with each T's entropy and effective number of choices 2^H. Tokens a sampler removes
    (--top-k, --top-p, --min-p, --top-n-sigma, ...) are struck through; a token the
    penalties or DRY weigh down (the prompt being what came before) shows by how much.

    \b
    Examples:
      tempgen dist -p "ROMEO. O"
      tempgen dist -p "To be or not to b" --temperatures 0.3,1,3 --top 5
      tempgen dist -m shakespeare-word -p "my good" --top-p 0.9 --json
      tempgen dist -p "ROMEO. O" --repeat-penalty 1.5 --top 5
      tempgen dist -p "ROMEO. O" --stages --top-k 5 --min-p 0.2 --temperatures 0.7
      tempgen dist --logprobs docs/logprobs/llama-cpp.json --position 1
    """
    _recorded_or_model()
    if stages:
        refuse_together("stages", {"logprobs_file": "a model's row"})
        if given("temperatures") and "," in temperatures:
            raise click.BadParameter("--stages shows the chain at one temperature: give one "
                                     "(e.g. --temperatures 0.8)", param_hint="'--temperatures'")
        temperatures = temperatures if given("temperatures") else "1"
    temps = temperatures_of(temperatures, None, hint="'--temperatures'")
    settings, order = sampler_settings(samplers)
    chains = [chain_of(t, settings, order) for t in temps]
    if logprobs_file is not None:
        from tempgen.analysis.recorded_rows import position_table

        if any(chain.stateful for chain in chains):
            raise click.BadParameter("penalties, DRY and Mirostat need the text before, "
                                     "which a recorded completion does not give",
                                     param_hint="'--logprobs'")
        if any(lk.name == "logit_bias" for chain in chains for lk in chain.links):
            raise click.BadParameter("logit biases name a model's tokens, which a recorded "
                                     "completion does not have", param_hint="'--logprobs'")
        data = position_table(read_recorded_file(logprobs_file, position), position, chains, top,
                              vocab_size)
    elif stages:
        from tempgen.analysis.stages import stage_table

        model, prompt = model_and_prompt(model_spec, prompt, chains, verbose)
        data = stage_table(model, prompt, chains[0], top)
    else:
        from tempgen.analysis.distribution import next_token_table

        model, prompt = model_and_prompt(model_spec, prompt, chains, verbose)
        data = next_token_table(model, prompt, chains, top)
    if as_json:
        json_line(data)
    else:
        from tempgen.views.console import make_console, palette_for, print_view
        from tempgen.views.tables import dist_view

        console = make_console(color, width=width)
        print_view(dist_view(data, console.width, palette_for(console)), console)


@click.command(context_settings=CONTEXT)
@model_option
@click.option("-p", "--prompt", default="",
              help="The text before the token (empty: the start of a text); - reads stdin.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_options(recorded_options + output_options)
def curve(model_spec, prompt, as_json, logprobs_file, position, vocab_size, color, width):
    """Entropy and the top token's probability as functions of T, from 0.05 to 20.

    The next token's distribution after PROMPT, at log-spaced temperatures; T = 1 (the
    model itself) is marked, and the limits are stated: as T -> 0 the entropy goes to 0 and
    the top token's probability to 1; as T -> inf the entropy goes to log2 V.

    \b
    Examples:
      tempgen curve -p "ROMEO. O"
      tempgen curve -m names-char --json
      tempgen curve --logprobs docs/logprobs/openai-chat.json --position 2
    """
    _recorded_or_model()
    if logprobs_file is not None:
        from tempgen.analysis.recorded_rows import position_curve

        data = position_curve(read_recorded_file(logprobs_file, position), position, vocab_size)
    else:
        from tempgen.analysis.distribution import curve_after

        model, prompt = model_and_prompt(model_spec, prompt)
        data = curve_after(model, prompt)
    if as_json:
        json_line(data)
    else:
        from tempgen.views.console import make_console, palette_for, print_view
        from tempgen.views.tables import curve_view

        console = make_console(color, width=width)
        print_view(curve_view(data, console.width, palette_for(console)), console)


# ===================================================================== calibrate
@click.command(context_settings=CONTEXT)
@click.argument("text_file", metavar="TEXT")
@model_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_options(encoding_options + output_options)
def calibrate(text_file, model_spec, as_json, encoding, errors, color, width):
    """The temperature T* that best fits TEXT (a file, or - for stdin).

    T* minimises the cross-entropy of TEXT under the tempered model softmax(log p / T),
    over T in [0.05, 20] (Newton's method on 1/T; the text is read as a stream, in bounded
    memory, so it may be of any size). It prints bits per token at
    T = 1 and at T*, and bits per token against T. T* < 1 means the model is too unsure for
    this text, T* > 1 too sure; pass T* on to `sample` or `sweep` if you like.

    \b
    Examples:
      tempgen calibrate sample_models/corpora/shakespeare-held-out.txt
      tempgen calibrate sample_models/corpora/names-held-out.txt -m names-char --json
    """
    from tempgen.analysis.calibration import calibrate
    from tempgen.cli.progress import status
    from tempgen.io.corpus import text_chunks

    model = load_model(model_spec)
    label, chunks = text_chunks(text_file, encoding, errors, waiting)
    with status("calibrating"):
        result = calibrate(model, chunks, label)
    if result.unknown_tokens:
        warn_unknown(result.unknown_tokens, model.level)
    if as_json:
        json_line({"model": model.name, **result.to_dict()})
    else:
        from tempgen.views.console import make_console, print_view
        from tempgen.views.tables import calibration_view

        console = make_console(color, width=width)
        print_view(calibration_view(model.name, result.to_dict(), console.width), console)
