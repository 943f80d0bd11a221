"""Commands that make models: train (from a corpus, or from count files) and count."""

from __future__ import annotations

import time

import click

from tempgen.cli.inputs import waiting
from tempgen.cli.options import CONTEXT, encoding_options, memory_options, note, with_options

level_option = click.option(
    "--level", type=click.Choice(["char", "word"]), default=None,
    help="Tokens are characters, or words and punctuation.  [default: char]")
order_option = click.option("--order", type=click.IntRange(1, 10), default=None,
                            help="n-gram order, 1-10.  [default: 7 for char, 3 for word]")
per_line_option = click.option(
    "--per-line", is_flag=True,
    help="Treat each line as its own sequence starting afresh (one name per line, one "
         "sentence per line), as KenLM does.")


# ===================================================================== train
@click.command(context_settings=CONTEXT)
@click.argument("corpus", nargs=-1, metavar="CORPUS")
@click.option("-o", "--output", required=True, metavar="MODEL",
              help="Where to write the model file (.npz).")
@level_option
@order_option
@click.option("--name", default=None, help="Model name.  [default: output file name]")
@per_line_option
@click.option("--from-counts", is_flag=True,
              help="The arguments are count files of one corpus's shards, made by `tempgen "
                   "count`, in corpus order: merge them into the model.")
@with_options(memory_options)
@with_options(encoding_options)
def train(corpus, output, level, order, name, per_line, from_counts, memory, temp_dir,
          encoding, errors):
    """Train an n-gram model (modified Kneser-Ney) on CORPUS, a text file or - for stdin.

    The corpus is read once, as a stream. One larger than --memory is counted in pieces
    spilled to --temp-dir; the model is the same, byte for byte.

    \b
    Examples:
      tempgen train sample_models/corpora/names.txt -o names.npz --order 5 --per-line
      cat sample_models/corpora/*.txt | tempgen train - -o mine.npz --level word
      tempgen train sample_models/corpora/shakespeare.txt -o s.npz --memory 100M
      tempgen train --from-counts part-1.counts part-2.counts -o merged.npz
    """
    from pathlib import Path

    from tempgen.io.atomic import check_not_input
    from tempgen.lm.store import save

    started = time.perf_counter()
    name = name or Path(output).stem
    check_not_input(output, corpus)
    if from_counts:
        model = _from_counts(corpus, name, level, order, per_line, memory)
    else:
        if len(corpus) != 1:
            raise click.UsageError("give one CORPUS (a file, or - for stdin); count files "
                                   "go with --from-counts")
        level = level or "char"
        order = order or (7 if level == "char" else 3)
        model = _from_corpus(corpus[0], level, order, name, per_line, memory, temp_dir,
                             encoding, errors)
    size = save(model, output)
    ngrams = "/".join(f"{n:,}" for n in model.num_ngrams)
    note(f"trained {name}: {model.tokens:,} tokens, vocabulary {len(model.tokenizer):,}, "
         f"n-grams {ngrams}, {time.perf_counter() - started:.1f} s, "
         f"{size / 1e6:.1f} MB -> {output}")


def _from_corpus(source, level, order, name, per_line, memory, temp_dir, encoding, errors):
    from tempgen.cli.progress import reading_bar
    from tempgen.io.corpus import open_corpus
    from tempgen.lm.train_files import train_stream

    stream = open_corpus(source, encoding, errors, waiting)
    with reading_bar(stream.size, "counting") as update:
        return train_stream(stream, level, order, name, per_line, memory, temp_dir,
                            on_piece=lambda stage: update(stream.read, stage),
                            progress=lambda m, n: update(stream.read,
                                                         f"estimating order {m}/{n}"))


def _from_counts(paths, name, level, order, per_line, memory):
    from tempgen.cli.progress import status
    from tempgen.lm.train_files import train_counts

    if not paths:
        raise click.UsageError("--from-counts needs count files (made by `tempgen count`)")
    for option, value in (("--level", level), ("--order", order), ("--per-line", per_line)):
        if value:
            raise click.UsageError(f"{option} comes from the count files; leave it out "
                                   "with --from-counts")
    with status(f"merging {len(paths)} count files"):
        return train_counts(paths, name, memory=memory)


# ===================================================================== count
@click.command(context_settings=CONTEXT)
@click.argument("corpus", metavar="CORPUS")
@click.option("-o", "--output", required=True, metavar="PART",
              help="Where to write the count file.")
@level_option
@order_option
@per_line_option
@with_options(memory_options)
@with_options(encoding_options)
def count(corpus, output, level, order, per_line, memory, temp_dir, encoding, errors):
    """Count one shard of a corpus (a text file, or - for stdin) into a count file, for
    `tempgen train --from-counts`.

    Shards are consecutive pieces of one corpus, cut between lines (a char corpus may be
    cut anywhere); count each with the same --level, --order and --per-line, anywhere, then
    merge them in corpus order. The model equals training on the whole corpus.

    \b
    Examples:
      split -l 20000 -d sample_models/corpora/shakespeare.txt part-
      ls part-* | xargs -P 2 -I{} tempgen count {} -o {}.counts
      tempgen train --from-counts part-*.counts -o shakespeare.npz
    """
    from tempgen.cli.progress import reading_bar
    from tempgen.io.atomic import check_not_input
    from tempgen.io.corpus import open_corpus
    from tempgen.lm.train_files import count_stream

    started = time.perf_counter()
    level = level or "char"
    order = order or (7 if level == "char" else 3)
    check_not_input(output, [corpus])
    stream = open_corpus(corpus, encoding, errors, waiting)
    with reading_bar(stream.size, "counting") as update:
        shard = count_stream(stream, level, order, per_line, output, memory, temp_dir,
                             on_piece=lambda stage: update(stream.read, stage))
    note(f"counted {stream.label}: {shard.tokens:,} tokens, vocabulary {len(shard.vocab):,}, "
         f"{len(shard.counts):,} windows of order {order}, "
         f"{time.perf_counter() - started:.1f} s -> {output}")
