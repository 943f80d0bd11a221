"""Commands about models: eval, models, export, convert."""

from __future__ import annotations

import time

import click

from tempgen.cli.inputs import (
    load_model,
    waiting,
    warn_unknown,
)
from tempgen.cli.options import (
    CONTEXT,
    DEFAULT_MODEL,
    encoding_options,
    model_option,
    note,
    width_option,
    with_options,
)
from tempgen.cli.output import json_line


# ===================================================================== eval
@click.command("eval", context_settings=CONTEXT)
@click.argument("text_file", metavar="TEXT")
@model_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_options(encoding_options)
@width_option
def eval_cmd(text_file, model_spec, as_json, encoding, errors, width):
    """Score TEXT (a file, or - for stdin) under a model: bits per token and perplexity.

    The text is scored as one stream from the begin symbol; for a char model every newline
    is a character. Tokens outside the model's vocabulary are counted, not scored.

    \b
    Examples:
      tempgen eval sample_models/corpora/names-held-out.txt -m names-char
      tempgen eval play.txt -m shakespeare-char --json
    """
    from tempgen.analysis.scoring import evaluate_chunks
    from tempgen.io.corpus import text_chunks

    model = load_model(model_spec)
    label, chunks = text_chunks(text_file, encoding, errors, waiting)
    result = evaluate_chunks(model, chunks, label)
    if result.unknown_tokens:
        warn_unknown(result.unknown_tokens, model.level)
    if as_json:
        json_line({"model": model.name, **result.to_dict()})
    else:
        from tempgen.views.console import make_console, print_view
        from tempgen.views.tables import evaluation_table

        print_view(evaluation_table(model, result), make_console(width=width))


# ===================================================================== models
@click.command(context_settings=CONTEXT)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@width_option
def models(as_json, width):
    """List the bundled models.

    \b
    Example:
      tempgen models --json
    """
    from tempgen.lm.store import bundled_info

    rows = [{**r, "default": r["name"] == DEFAULT_MODEL} for r in bundled_info()]
    if as_json:
        json_line(rows)
    else:
        from tempgen.views.console import make_console, print_view
        from tempgen.views.tables import models_table

        console = make_console(width=width)
        print_view(models_table(rows, console.width), console)


# ===================================================================== export
@click.command(context_settings=CONTEXT)
@click.argument("model_spec", metavar="MODEL")
@click.argument("output", metavar="OUT.arpa")
def export(model_spec, output):
    """Write MODEL (a bundled name or a file) as an ARPA back-off file, gzipped when OUT
    ends in .gz.

    The interpolated model is written exactly in back-off form, as KenLM writes its
    models, so KenLM, SRILM and other ARPA readers score text as tempgen does. <s> is the
    begin symbol; in per-line models the newline is </s>, in stream models <newline>; a
    character model's space is <space> and tab <tab>.

    \b
    Examples:
      tempgen export names-char names.arpa
      tempgen export shakespeare-char shakespeare.arpa.gz
    """
    from tempgen.cli.progress import status
    from tempgen.io.atomic import check_not_input
    from tempgen.lm.arpa import save_arpa
    from tempgen.lm.store import resolve

    started = time.perf_counter()
    check_not_input(output, [str(resolve(model_spec))])
    model = load_model(model_spec)
    with status(f"writing {output}"):
        size = save_arpa(model, output)
    note(f"exported {model.name}: {sum(model.num_ngrams):,} n-grams, "
         f"{size / 1e6:.1f} MB, {time.perf_counter() - started:.1f} s -> {output}")


# ===================================================================== convert
@click.command(context_settings=CONTEXT)
@click.argument("source", metavar="IN.arpa")
@click.argument("output", metavar="OUT")
def convert(source, output):
    """Read an ARPA file (plain or .gz) and write it in tempgen's own format, which loads
    much faster; the probabilities are kept exactly.

    \b
    Example:
      tempgen convert big.arpa.gz big.npz
      tempgen sample -m big.npz
    """
    from tempgen.lm.store import is_arpa, save

    if not is_arpa(source):
        raise click.BadParameter(f"{source!r} does not end in .arpa or .arpa.gz",
                                 param_hint="'IN.arpa'")
    from tempgen.io.atomic import check_not_input

    started = time.perf_counter()
    check_not_input(output, [source])
    model = load_model(source)
    size = save(model, output)
    note(f"converted {source}: {model.level} model, order {model.order}, vocabulary "
          f"{len(model.tokenizer):,}, {sum(model.num_ngrams):,} n-grams, "
          f"{time.perf_counter() - started:.1f} s, {size / 1e6:.1f} MB -> {output}")
