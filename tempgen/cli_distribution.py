"""Commands about the next-token distribution: dist, curve, calibrate."""

from __future__ import annotations

import json

import click

from tempgen.cli import (  # noqa: I001
    CONTEXT,
    _chain,
    _model_and_prompt,
    _shown,
    _temperatures,
    _warn_unknown,
    _with,
    cli,
    encoding_options,
    load_model,
    model_option,
    output_options,
    sampler_options,
)
from tempgen.errors import TempgenError


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
    from tempgen.ngram import stream_contexts
    from tempgen.progress import status
    from tempgen.render import calibration_view, make_console, print_view
    from tempgen.tokenizer import UNKNOWN

    model = load_model(model_spec)
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
