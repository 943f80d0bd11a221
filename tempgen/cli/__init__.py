"""The command line: the only place that reads flags and prints. Commands parse their
options, call library functions, and print what they return."""

from __future__ import annotations

import click

from tempgen import __version__
from tempgen.cli.distribution import calibrate, curve, dist
from tempgen.cli.generate import sample
from tempgen.cli.mapping import map_cmd
from tempgen.cli.model import convert, eval_cmd, export, models
from tempgen.cli.options import CONTEXT, TempgenGroup
from tempgen.cli.recorded import logprobs
from tempgen.cli.serve import serve
from tempgen.cli.sweeping import sweep
from tempgen.cli.training import count, train


@click.group(cls=TempgenGroup, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="tempgen")
def cli():
    """tempgen: see and use temperature sampling with n-gram language models.

    \b
    Examples:
      tempgen sweep                          samples across temperatures
      tempgen sample --temperature 0.6       one temperature
      tempgen dist -p "ROMEO. O"             the next token's bars at several T
      tempgen map -p "ROMEO." -n 100         every text of a seed, as T runs
      tempgen train my.txt -o my.npz         a model of your own text
      tempgen count part.txt -o part.counts  one shard's counts, to merge
      tempgen calibrate text.txt             the T that best fits a text
      tempgen models                         the bundled models
      tempgen serve --open                   the explorer page, in a browser
      tempgen logprobs response.json         an LLM API's token log-probabilities
    """


for command in (sample, sweep, map_cmd, dist, curve, calibrate, train, count, eval_cmd, models,
                export, convert, serve, logprobs):
    cli.add_command(command)


def main() -> None:
    cli()
