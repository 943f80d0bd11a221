"""tempgen logprobs: what a real LLM's completion log-probabilities say."""

from __future__ import annotations

import click

from tempgen.cli.options import CONTEXT, output_options, with_options
from tempgen.cli.output import emit, json_line


@click.command("logprobs", context_settings=CONTEXT)
@click.argument("file", metavar="FILE")
@click.option("--input-format", type=click.Choice(["auto", "openai-chat",
                                                   "openai-completions", "llama.cpp",
                                                   "ollama"]),
              default="auto", show_default=True,
              help="The API's shape (vLLM writes OpenAI's); auto: detected.")
@click.option("--vocab-size", type=click.IntRange(2, 10**8), default=128_000,
              show_default=True,
              help="The model's vocabulary, over which the unlisted rest may spread.")
@click.option("--temperatures", metavar="LIST", default=None,
              help="Also the chosen tokens' probabilities had each row been drawn at these "
                   "temperatures, e.g. 0.5,1,2.")
@click.option("--estimate-temperature", "estimate", is_flag=True,
              help="The temperature under which the chosen tokens are most likely (valid "
                   "only for the model's raw log-probabilities).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl"]), default="text",
              show_default=True,
              help="Coloured text and a summary, one JSON document, or a JSON line a token.")
@with_options(output_options)
def logprobs(file, input_format, vocab_size, temperatures, estimate, fmt, color, width):
    """A completion's tokens coloured by the probability the model gave them, read from the
    log-probabilities an API returned (FILE, or - for stdin).

    Reads OpenAI's Chat Completions and Completions, llama.cpp's /completion, vLLM and
    Ollama: a whole response, a list of streamed chunks, or JSON lines (or `data:` lines)
    of either. An API lists only its most likely tokens, so each position's entropy is
    given as bounds: the unlisted rest spread as unevenly, or as evenly, as it can be.

    \b
    Examples:
      tempgen logprobs docs/logprobs/openai-chat.json
      tempgen logprobs docs/logprobs/llama-cpp.json --format jsonl
      tempgen logprobs docs/logprobs/openai-chat.json --temperatures 0.5,1,2
      curl -s localhost:8080/completion -d '{"prompt":"Hi","n_probs":5}' | tempgen logprobs -
    """
    from tempgen.analysis.recorded import summary
    from tempgen.cli.inputs import temperatures_of
    from tempgen.io.logprobs import stream_file

    temps = temperatures_of(temperatures, None, hint="'--temperatures'") if temperatures \
        else []
    found: list[str] = []
    read = stream_file(file, None if input_format == "auto" else input_format, found)
    if fmt == "jsonl":  # (a line a position, as they are read)
        summary(read, "", vocab_size, temps, each=lambda i, row: json_line(
            {"position": i, **row}), keep=False)
        return
    from tempgen.views.console import make_console, palette_for, print_view
    from tempgen.views.recorded import findings, recorded_view

    console = make_console(color, width=width)
    # (every position is kept for a JSON document and a terminal's colours only)
    data = summary(read, "", vocab_size, temps, estimate,
                   keep=fmt == "json" or console.is_terminal)
    data["format"] = found[0] if found else ""
    if fmt == "json":
        json_line(data)
    elif console.is_terminal:
        print_view(recorded_view(data, console.width, palette_for(console)), console)
    else:  # (in a pipe: the text, and what was asked of it)
        emit(data["text"])
        if temps or estimate:
            emit("\n".join(findings(data)))
