"""The command line: the only place that reads flags and writes output."""

from __future__ import annotations

import json
import sys
import time

import click

from tempgen import __version__
from tempgen.errors import TempgenError

DEFAULT_MODEL = "shakespeare-char"
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class TempgenGroup(click.Group):
    """Turns every failure into one line on stderr: exit 2 for usage, 1 for bad input,
    130 for Ctrl-C. Anything else is a bug and keeps its traceback."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,
             **extra):
        try:
            rv = super().main(args, prog_name or "tempgen", complete_var,
                              standalone_mode=False, **extra)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else "tempgen"
            _fail(f"{exc.format_message()} (see '{where} --help')", 2)
        except click.ClickException as exc:
            _fail(exc.format_message(), exc.exit_code)
        except TempgenError as exc:
            _fail(str(exc), 1)
        except (click.Abort, KeyboardInterrupt):
            sys.exit(130)
        sys.exit(rv if isinstance(rv, int) else 0)


class Temperature(click.ParamType):
    """A temperature: a number >= 0, or inf. NaN and negatives are usage errors."""

    name = "T"

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            t = value
        else:
            try:
                t = float(value)
            except ValueError:
                self.fail(f"{value!r} is not a number (use 0 for greedy, inf for uniform)",
                          param, ctx)
        if t != t or t < 0:
            self.fail(f"{value} is not a temperature (use a number >= 0, or inf)", param, ctx)
        return t


class Probability(click.ParamType):
    """A number in [0, 1] (or (0, 1] with low_open); NaN is refused."""

    name = "P"

    def __init__(self, low_open: bool = False):
        self.low_open = low_open

    def convert(self, value, param, ctx):
        try:
            p = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        low_ok = p > 0 if self.low_open else p >= 0
        if p != p or not low_ok or p > 1:
            span = "(0, 1]" if self.low_open else "[0, 1]"
            self.fail(f"{value} is not in {span}", param, ctx)
        return p


def _fail(message: str, code: int) -> None:
    click.echo(f"Error: {' '.join(message.split())}", err=True)
    sys.exit(code)


def _note(message: str) -> None:
    click.echo(message, err=True)


model_option = click.option(
    "-m", "--model", "model_spec", default=DEFAULT_MODEL, show_default=True,
    metavar="MODEL", help="A bundled model's name (see `tempgen models`) or a model file.")
encoding_options = [
    click.option("--encoding", default="utf-8", show_default=True,
                 help="Text encoding of the input."),
    click.option("--errors", "errors", type=click.Choice(["strict", "replace"]),
                 default="strict", show_default=True,
                 help="On undecodable bytes: stop with an error, or replace them with U+FFFD."),
]


def _with(options):
    def deco(f):
        for opt in reversed(options):
            f = opt(f)
        return f
    return deco


@click.group(cls=TempgenGroup, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="tempgen")
def cli():
    """tempgen: see and use temperature sampling with n-gram language models.

    \b
    Examples:
      tempgen sample --temperature 0.6
      tempgen train my.txt -o my.npz --order 6
      tempgen eval held-out.txt -m my.npz
      tempgen models
    """


def main() -> None:
    cli()


# ===================================================================== train
@cli.command(context_settings=CONTEXT)
@click.argument("corpus", metavar="CORPUS")
@click.option("-o", "--output", required=True, metavar="MODEL",
              help="Where to write the model file (.npz).")
@click.option("--level", type=click.Choice(["char", "word"]), default="char", show_default=True,
              help="Tokens are characters, or words and punctuation.")
@click.option("--order", type=click.IntRange(1, 10), default=None,
              help="n-gram order, 1-10.  [default: 7 for char, 3 for word]")
@click.option("--name", default=None, help="Model name.  [default: output file name]")
@click.option("--per-line", is_flag=True,
              help="Treat each line as its own sequence starting afresh (one name per line, "
                   "one sentence per line), as KenLM does.")
@_with(encoding_options)
def train(corpus, output, level, order, name, per_line, encoding, errors):
    """Train an n-gram model (modified Kneser-Ney) on CORPUS, a text file or - for stdin.

    \b
    Examples:
      tempgen train sample_models/corpora/names.txt -o names.npz --order 5 --per-line
      cat *.txt | tempgen train - -o mine.npz --level word
    """
    from pathlib import Path

    from tempgen.corpus import read_corpus
    from tempgen.modelfile import save
    from tempgen.progress import progress_bar
    from tempgen.train import train_model

    started = time.perf_counter()
    order = order or (7 if level == "char" else 3)
    name = name or Path(output).stem
    with progress_bar(order + 2) as advance:
        text = read_corpus(corpus, encoding, errors)
        advance("tokenizing")
        model = train_model(text, level, order, name, per_line,
                            progress=lambda m, n: advance(f"counting order {m}/{n}"))
        size = save(model, output)
        advance("saved")
    ngrams = "/".join(f"{n:,}" for n in model.ngram.num_ngrams)
    _note(f"trained {name}: {model.tokens:,} tokens, vocabulary {len(model.tokenizer):,}, "
          f"n-grams {ngrams}, {time.perf_counter() - started:.1f} s, "
          f"{size / 1e6:.1f} MB -> {output}")


# ===================================================================== eval
@cli.command("eval", context_settings=CONTEXT)
@click.argument("text_file", metavar="TEXT")
@model_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@_with(encoding_options)
def eval_cmd(text_file, model_spec, as_json, encoding, errors):
    """Score TEXT (a file, or - for stdin) under a model: bits per token and perplexity.

    The text is scored as one stream from the begin symbol; for a char model every newline
    is a character. Tokens outside the model's vocabulary are counted, not scored.

    \b
    Examples:
      tempgen eval sample_models/corpora/names.txt -m names-char
      tempgen eval play.txt -m shakespeare-char --json
    """
    from tempgen.corpus import read_corpus
    from tempgen.metrics import evaluate
    from tempgen.modelfile import load

    model = load(model_spec)
    text = read_corpus(text_file, encoding, errors).text
    if not text:
        raise TempgenError(f"{text_file}: empty text, nothing to score")
    result = evaluate(model, text)
    if result.tokens == 0:
        raise TempgenError(f"{text_file}: no token of the text is in the model's vocabulary "
                           f"({_shown(result.unknown_tokens)})")
    if result.unknown_tokens:
        _warn_unknown(result.unknown_tokens, model.level)
    if as_json:
        click.echo(json.dumps({"model": model.name, **result.to_dict()}))
    else:
        from tempgen.render import evaluation_table, print_view
        print_view(evaluation_table(model, result))


def _shown(tokens: list[str]) -> str:
    return ", ".join(repr(t) for t in tokens[:10]) + (" ..." if len(tokens) > 10 else "")


def _warn_unknown(tokens: list[str], level: str) -> None:
    kind = "characters" if level == "char" else "words"
    _note(f"warning: {len(tokens)} unknown {kind} (not in the model's vocabulary): "
          f"{_shown(tokens)}")


# ===================================================================== models
@cli.command(context_settings=CONTEXT)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def models(as_json):
    """List the bundled models.

    \b
    Example:
      tempgen models --json
    """
    from tempgen.modelfile import bundled_models, read_meta

    rows = []
    for name, path in bundled_models().items():
        meta = read_meta(path)
        rows.append({"name": name, "level": meta["level"], "order": meta["order"],
                     "vocab": len(meta["vocab"]), "per_line": meta["per_line"],
                     "size": path.stat().st_size,
                     "corpus": meta["corpus"].get("name", ""), "tokens": meta["tokens"]})
    if as_json:
        click.echo(json.dumps(rows))
    else:
        from tempgen.render import models_table, print_view
        print_view(models_table(rows))


# ===================================================================== sample
sampler_options = [
    click.option("--top-k", type=click.IntRange(min=0), default=0, show_default=True,
                 help="Keep only the K most likely tokens (0 = off)."),
    click.option("--top-p", type=Probability(low_open=True), default=1.0, show_default=True,
                 help="Nucleus: keep the most likely tokens up to this mass, in (0, 1]."),
    click.option("--min-p", type=Probability(), default=0.0, show_default=True,
                 help="Keep tokens at least this fraction as likely as the top one, in [0, 1]."),
    click.option("--typical-p", type=Probability(low_open=True), default=1.0,
                 show_default=True, help="Locally typical sampling mass, in (0, 1]."),
    click.option("--samplers", metavar="LIST", default=None,
                 help="Chain order, e.g. top_p,temperature (names: top_k, typical_p, top_p, "
                      "min_p, temperature); unlisted samplers follow in the default order "
                      "top_k, typical_p, top_p, min_p, temperature."),
    click.option("-v", "--verbose", is_flag=True, help="Print the effective chain to stderr."),
]
output_options = [
    click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
                 show_default=True, help="Colour tokens by probability (auto: on a terminal, "
                                         "unless NO_COLOR is set)."),
]


def _chain(temperature, top_k, top_p, min_p, typical_p, samplers):
    from tempgen.samplers import build_chain

    order = tuple(n.strip() for n in samplers.split(",") if n.strip()) if samplers else None
    settings = {"temperature": temperature, "top_k": top_k, "top_p": top_p, "min_p": min_p,
                "typical_p": typical_p}
    try:
        return build_chain(settings, order)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--samplers'") from None


def _model_and_prompt(model_spec: str, prompt: str, chain=None):
    """Load the model and read the prompt; note the chain (when given) and the prompt's
    unknown tokens on stderr."""
    from tempgen.modelfile import load

    model = load(model_spec)
    prompt = _prompt(prompt)
    if chain is not None:
        _note(f"chain: {chain}")
    unknown = model.tokenizer.unknown_tokens(prompt)
    if unknown:
        _warn_unknown(unknown, model.level)
    return model, prompt


def _seed_and_stops(model, seed: int | None, stops: tuple[str, ...]):
    """The seed (chosen and printed when not given) and the stop strings (a per-line model
    stops at the end of the line unless told otherwise)."""
    import numpy as np

    from tempgen.decode import unescape

    if seed is None:
        seed = int(np.random.SeedSequence().entropy % 2**32)
        _note(f"seed: {seed}")
    stops = [unescape(s) for s in stops] or (["\n"] if model.ngram.boundary is not None
                                              else [])
    return seed, stops


def _prompt(prompt: str) -> str:
    if prompt == "-":
        if sys.stdin.isatty():
            raise click.BadParameter("'-' reads the prompt from stdin, but stdin is a terminal",
                                     param_hint="'-p' / '--prompt'")
        return sys.stdin.read()
    return prompt


@cli.command(context_settings=CONTEXT)
@model_option
@click.option("-t", "--temperature", type=Temperature(), default=1.0, show_default=True,
              help="0 = greedy, 1 = the model itself, inf = uniform.")
@click.option("-p", "--prompt", default="", help="Text to continue; - reads it from stdin.")
@click.option("-n", "--length", type=click.IntRange(min=1), default=300, show_default=True,
              help="Tokens to generate (at most).")
@click.option("--num-samples", type=click.IntRange(min=1), default=1, show_default=True,
              help="How many samples.")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Random seed; printed to stderr when not given, so any run can be replayed.")
@click.option("--stop", "stops", multiple=True, metavar="TEXT",
              help="End a sample at this text (repeatable; \\n is a newline). Per-line "
                   "models stop at the end of the line by default.")
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
        for pieces in stream_sample(model, prompt, chain, length, seed, i, stops):
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
def _temperatures(listed: str | None, span: str | None, hint: str | None = None
                  ) -> list[float]:
    """The sweep's temperatures from --temperatures A,B,... or --range START:STOP:COUNT."""
    if listed and span:
        raise click.UsageError("give --temperatures or --range, not both")
    if span:
        parts = span.split(":")
        try:
            start, stop, count = float(parts[0]), float(parts[1]), int(parts[2])
            if len(parts) != 3:
                raise ValueError
        except (ValueError, IndexError):
            raise click.BadParameter(f"{span!r} is not START:STOP:COUNT (e.g. 0:2:5)",
                                     param_hint="'--range'") from None
        if count < 1:
            raise click.BadParameter(f"COUNT must be >= 1, got {count}", param_hint="'--range'")
        values = [start + (stop - start) * i / max(count - 1, 1) for i in range(count)]
        hint = "'--range'"
    else:
        values = [v.strip() for v in (listed or DEFAULT_TEMPERATURES).split(",") if v.strip()]
        hint = hint or "'--temperatures'"
    if not values:
        raise click.BadParameter("no temperature given", param_hint=hint)
    try:
        return [Temperature().convert(v, None, None) for v in values]
    except click.BadParameter as exc:
        raise click.BadParameter(exc.format_message(), param_hint=hint) from None


DEFAULT_TEMPERATURES = "0.2,0.5,0.8,1.0,1.5"


@cli.command(context_settings=CONTEXT)
@model_option
@click.option("--temperatures", metavar="LIST", default=None,
              help=f"Comma-separated temperatures.  [default: {DEFAULT_TEMPERATURES}]")
@click.option("--range", "span", metavar="START:STOP:COUNT", default=None,
              help="COUNT evenly spaced temperatures from START to STOP, e.g. 0:2:5.")
@click.option("-p", "--prompt", default="", help="Text to continue; - reads it from stdin.")
@click.option("-n", "--length", type=click.IntRange(min=1), default=300, show_default=True,
              help="Tokens per sample (at most).")
@click.option("--num-samples", type=click.IntRange(min=1), default=1, show_default=True,
              help="Samples per temperature.")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Random seed; printed to stderr when not given.")
@click.option("--stop", "stops", multiple=True, metavar="TEXT",
              help="End a sample at this text (repeatable; \\n is a newline).")
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
    column uses the same Gumbel noise at each step, so columns differ only because of T.
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


# ===================================================================== dist, curve
@cli.command(context_settings=CONTEXT)
@model_option
@click.option("-p", "--prompt", default="",
              help="The text before the token (empty: the start of a text); - reads stdin.")
@click.option("--temperatures", metavar="LIST", default="0.5,1,2", show_default=True,
              help="Comma-separated temperatures.")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True,
              help="How many of the most likely tokens to show.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@_with(sampler_options + output_options)
def dist(model_spec, prompt, temperatures, top, as_json, top_k, top_p, min_p, typical_p,
         samplers, verbose, color):
    """The next token's distribution after PROMPT, reshaped by each temperature.

    Bars show each candidate's probability at each T (sharper below 1, flatter above),
    with each T's entropy and effective number of choices 2^H. Tokens the truncation
    samplers (--top-k, --top-p, --min-p, --typical-p) remove are struck through.

    \b
    Examples:
      tempgen dist -p "ROMEO. O"
      tempgen dist -p "To be or not to b" --temperatures 0.3,1,3 --top 5
      tempgen dist -m shakespeare-word -p "my good" --top-p 0.9 --json
    """
    import numpy as np

    from tempgen.distribution import next_token_logprobs, tempered
    from tempgen.render import dist_view, make_console, print_view

    temps = _temperatures(temperatures, None, hint="'--temperatures'")
    chains = [_chain(t, top_k, top_p, min_p, typical_p, samplers) for t in temps]
    model, prompt = _model_and_prompt(model_spec, prompt, chains[0] if verbose else None)
    logp = next_token_logprobs(model, prompt)
    result = tempered(logp, chains)
    best = np.argsort(-logp, kind="stable")[:top]
    vocab = model.tokenizer.vocab
    data = {"model": model.name, "prompt": prompt, "tokens": [vocab[i] for i in best],
            "temperatures": [
                {"temperature": t, "chain": chains[c].to_list(),
                 "entropy_bits": float(result["entropy_bits"][c]),
                 "effective": float(result["effective"][c]),
                 "q": result["q"][c][best].tolist(),
                 "removed": result["removed"][c][best].tolist()}
                for c, t in enumerate(temps)]}
    if as_json:
        out = {**data, "tokens": [{"token": vocab[i], "id": int(i), "p_model":
                                   float(np.exp(logp[i]))} for i in best]}
        click.echo(json.dumps(out))
    else:
        console = make_console(color)
        print_view(dist_view(data, console.width), console)


@cli.command(context_settings=CONTEXT)
@model_option
@click.option("-p", "--prompt", default="",
              help="The text before the token (empty: the start of a text); - reads stdin.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@_with(output_options)
def curve(model_spec, prompt, as_json, color):
    """Entropy and the top token's probability as functions of T, from 0.05 to 20.

    The next token's distribution after PROMPT, at log-spaced temperatures; T = 1 (the
    model itself) is marked, and the limits are stated: as T -> 0 the entropy goes to 0 and
    the top token's probability to 1; as T -> inf the entropy goes to log2 V.

    \b
    Examples:
      tempgen curve -p "ROMEO. O"
      tempgen curve -m names-char --json
    """
    from tempgen.distribution import curve as curve_of
    from tempgen.distribution import log_spaced, next_token_logprobs
    from tempgen.render import curve_view, make_console, print_view

    model, prompt = _model_and_prompt(model_spec, prompt)
    data = curve_of(next_token_logprobs(model, prompt), log_spaced())
    if as_json:
        click.echo(json.dumps({
            "model": model.name, "prompt": prompt,
            "temperatures": data["temperatures"].tolist(),
            "entropy_bits": data["entropy_bits"].tolist(), "top_p": data["top_p"].tolist(),
            "limits": {"t_to_0": {"entropy_bits": 0.0, "top_p": 1.0},
                       "t_to_inf": {"entropy_bits": data["limit_entropy_bits"]}}}))
    else:
        print_view(curve_view(data), make_console(color))


# ===================================================================== calibrate
@cli.command(context_settings=CONTEXT)
@click.argument("text_file", metavar="TEXT")
@model_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@_with(encoding_options + output_options)
def calibrate(text_file, model_spec, as_json, encoding, errors, color):
    """The temperature T* that best fits TEXT (a file, or - for stdin).

    T* minimises the cross-entropy of TEXT under the tempered model softmax(log p / T),
    found by golden-section search over log T in [0.05, 20]. It prints bits per token at
    T = 1 and at T*, and bits per token against T. T* < 1 means the model is too unsure for
    this text, T* > 1 too sure; pass T* on to `sample` or `sweep` if you like.

    \b
    Examples:
      tempgen calibrate held-out.txt -m my.npz
      tempgen calibrate sample_models/corpora/names.txt -m names-char --json
    """
    from tempgen.calibrate import calibrate as fit
    from tempgen.corpus import read_corpus
    from tempgen.modelfile import load
    from tempgen.ngram import stream_contexts
    from tempgen.progress import status
    from tempgen.render import calibration_view, make_console, print_view
    from tempgen.tokenizer import UNKNOWN

    model = load(model_spec)
    text = read_corpus(text_file, encoding, errors).text
    ids = model.tokenizer.encode(text)
    known = ids != UNKNOWN
    if not known.any():
        raise TempgenError(f"{text_file}: no token of the text is in the model's vocabulary "
                           f"({_shown(model.tokenizer.unknown_tokens(text))})")
    if not known.all():
        _warn_unknown(model.tokenizer.unknown_tokens(text), model.level)
    contexts = stream_contexts(ids, model.ngram.order, model.ngram.bos)
    with status("calibrating"):
        result = fit(model.ngram, contexts[known], ids[known]).to_dict()
    if as_json:
        click.echo(json.dumps({"model": model.name, **result}))
    else:
        print_view(calibration_view(model.name, result), make_console(color))
