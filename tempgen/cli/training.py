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
        from tempgen.lm.parts import default_order

        level = level or "char"
        order = order or default_order(level)
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
@click.argument("corpus", nargs=-1, metavar="PART...")
@click.option("-o", "--output", required=True, metavar="PATH",
              help="Where to write the count file; with --scheduler, the folder for every "
                   "part's PART.counts (made if missing).")
@level_option
@order_option
@per_line_option
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Count the parts as tasks of the Dask scheduler at ADDRESS "
                   "(tcp://host:8786), or of worker processes started here with `local`; needs "
                   "pip install 'tempgen[dask]'.")
@click.option("--workers", type=click.IntRange(1, 1024), default=None,
              help="With --scheduler local: worker processes.  [default: the cores, at most "
                   "the parts]")
@with_options(memory_options)
@with_options(encoding_options)
def count(corpus, output, level, order, per_line, scheduler, workers, memory, temp_dir,
          encoding, errors):
    """Count one shard of a corpus (a text file, or - for stdin) into a count file, for
    `tempgen train --from-counts`; with --scheduler, count many shards as tasks of a Dask
    cluster.

    Shards are consecutive pieces of one corpus, cut between lines (a char corpus may be
    cut anywhere); count each with the same --level, --order and --per-line, anywhere, then
    merge them in corpus order. The model equals training on the whole corpus. --memory
    bounds each count (on a cluster: each worker's task).

    \b
    Examples:
      split -l 20000 -d sample_models/corpora/shakespeare.txt part-
      ls part-* | xargs -P 2 -I{} tempgen count {} -o {}.counts
      tempgen train --from-counts part-*.counts -o shakespeare.npz

    \b
    On a Dask cluster (tcp://HOST:8786), or on local worker processes:
      split -l 20000 -d sample_models/corpora/shakespeare.txt part-
      tempgen count --scheduler local part-?? -o counts/
      tempgen train --from-counts counts/*.counts -o shakespeare.npz
    """
    level = level or "char"
    if scheduler is not None:
        _count_on_cluster(scheduler, corpus, output, level, order, per_line, workers, memory,
                          temp_dir, encoding, errors)
        return
    if workers is not None:
        raise click.UsageError("--workers goes with --scheduler local")
    if len(corpus) != 1:
        raise click.UsageError("give one PART (a file, or - for stdin), or many with "
                               "--scheduler")
    from tempgen.cli.progress import reading_bar
    from tempgen.io.atomic import check_not_input
    from tempgen.lm.parts import count_part, text_stream

    started = time.perf_counter()
    check_not_input(output, corpus)
    stream = text_stream(corpus[0], encoding, errors, waiting)
    with reading_bar(stream.size, "counting") as update:
        part = count_part(stream, output, level=level, order=order, per_line=per_line,
                          memory=memory, temp_dir=temp_dir,
                          on_piece=lambda stage: update(stream.read, stage))
    note(f"counted {stream.label}: {part.tokens:,} tokens, vocabulary {part.vocab:,}, "
         f"{part.windows:,} windows of order {part.order}, "
         f"{time.perf_counter() - started:.1f} s -> {output}")


def _count_on_cluster(scheduler, parts, folder, level, order, per_line, workers, memory,
                      temp_dir, encoding, errors):
    import os

    from tempgen.cli.progress import parts_bar
    from tempgen.io.atomic import check_not_input
    from tempgen.lm.cluster import count_on_dask

    if not parts:
        raise click.UsageError("give the PARTs to count")
    if workers is not None and scheduler != "local":
        raise click.UsageError("--workers goes with --scheduler local (a cluster has its "
                               "own workers)")
    check_not_input(folder, parts)
    started = time.perf_counter()
    workers = workers or max(1, min(len(parts), os.cpu_count() or 1))

    def connected(dashboard):
        where = "local workers" if scheduler == "local" else scheduler
        note(f"counting {len(parts)} parts on {where}"
             + (f"; Dask's dashboard: {dashboard}" if dashboard else ""))

    with parts_bar(len(parts), "counting parts") as update:
        counted = count_on_dask(scheduler, parts, folder, level=level, order=order,
                                per_line=per_line, memory=memory, temp_dir=temp_dir,
                                encoding=encoding, errors=errors, workers=workers,
                                on_start=connected,
                                on_done=lambda done, total, part: update(done))
    tokens = sum(p.tokens for p in counted)
    note(f"counted {len(counted)} parts: {tokens:,} tokens, "
         f"{time.perf_counter() - started:.1f} s -> {folder}")
