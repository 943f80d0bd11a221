"""What every command shares: the group with its error boundary, the option types, the
shared options, and the steps that turn options into library arguments."""

from __future__ import annotations

import math
import sys
import warnings

import click

from tempgen.cli import output
from tempgen.errors import TempgenError

DEFAULT_MODEL = "shakespeare-char"
DEFAULT_TEMPERATURES = "0.2,0.5,0.8,1.0,1.5"
MAX_TEMPERATURES = 1000  # columns of one sweep or dist
PROMPT_LIMIT = 1 << 20  # bytes of a prompt read from stdin
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class TempgenGroup(click.Group):
    """The error boundary. Every failure a user can cause is one line on stderr: exit 2 for
    usage, 1 for bad input (or output that cannot be written), 130 for Ctrl-C and 128 + N
    for SIGTERM or SIGHUP; a closed pipe ends quietly with 0. Anything else is a bug and
    keeps its traceback."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,
             **extra):
        output.install()
        # numeric edge cases are handled where they arise; numpy's warnings about them are
        # not for the user
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        try:
            rv = super().main(args, prog_name or "tempgen", complete_var,
                              standalone_mode=False, **extra)
            sys.stdout.flush()  # here, where a failure can still be reported
        except output.OutputGone:
            output.silence()
            sys.exit(0)
        except output.OutputFailed as exc:
            output.silence()
            fail(str(exc), 1)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else "tempgen"
            fail(f"{exc.format_message()} (see '{where} --help')", 2)
        except click.ClickException as exc:
            fail(exc.format_message(), exc.exit_code)
        except TempgenError as exc:
            fail(str(exc), 1)
        except (click.Abort, KeyboardInterrupt):
            output.silence()
            sys.exit(130)
        except output.Terminated as exc:
            output.silence()
            sys.exit(128 + exc.signum)
        sys.exit(rv if isinstance(rv, int) else 0)


def fail(message: str, code: int) -> None:
    note(f"Error: {' '.join(message.split())}")
    sys.exit(code)


def note(message: str) -> None:
    """A note for the user, on stderr, with control characters shown, not obeyed."""
    from tempgen.views.console import printable

    click.echo(printable(message, keep="\n"), err=True)


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


def with_options(options):
    """Apply a list of click options, in order, as one decorator."""
    def deco(f):
        for opt in reversed(options):
            f = opt(f)
        return f
    return deco


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
sampler_options = [
    click.option("--top-k", type=click.IntRange(0, 2**31 - 1), default=0, show_default=True,
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
width_option = click.option(
    "--width", type=click.IntRange(20, 10_000), default=None, metavar="N",
    help="Render N characters wide (default: the terminal's width).")
output_options = [
    click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
                 show_default=True, help="Colour tokens by probability (auto: on a terminal, "
                                         "unless NO_COLOR is set to a value)."),
    width_option,
]
run_options = [
    click.option("-p", "--prompt", default="", help="Text to continue; - reads it from stdin."),
    click.option("-n", "--length", type=click.IntRange(1, 2**63 - 1), default=300,
                 show_default=True, help="Tokens per sample (at most)."),
    click.option("--num-samples", type=click.IntRange(1, 2**63 - 1), default=1,
                 show_default=True, help="Samples (per temperature)."),
    click.option("--seed", type=click.IntRange(min=0), default=None,
                 help="Random seed; printed to stderr when not given, so any run can be "
                      "replayed."),
    click.option("--stop", "stops", multiple=True, metavar="TEXT",
                 help="End a sample at this text (repeatable; \\n is a newline). Per-line "
                      "models stop at the end of the line by default."),
]


def chain_of(temperature, top_k, top_p, min_p, typical_p, samplers):
    """The sampler chain of the sampler options."""
    from tempgen.generate.samplers import build_chain

    order = tuple(n.strip() for n in samplers.split(",") if n.strip()) if samplers else None
    settings = {"temperature": temperature, "top_k": top_k, "top_p": top_p, "min_p": min_p,
                "typical_p": typical_p}
    try:
        return build_chain(settings, order)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--samplers'") from None


def load_model(spec: str):
    """A model by name or path, with a spinner on stderr while a large ARPA file parses."""
    from tempgen.cli.progress import status
    from tempgen.lm.store import is_arpa, load

    if is_arpa(spec):
        with status(f"reading {spec}"):
            return load(spec, waiting)
    return load(spec, waiting)


def waiting(fifo: str) -> None:
    """Said before reading a FIFO, whose opening waits for a writer."""
    note(f"waiting for a writer on the FIFO {fifo} (Ctrl-C stops)")


def warn_unknown(tokens: list[str], level: str) -> None:
    from tempgen.lm.tokenizer import shown

    kind = "characters" if level == "char" else "words"
    note(f"warning: {len(tokens)} unknown {kind} (not in the model's vocabulary): "
         f"{shown(tokens)}")


def model_and_prompt(model_spec: str, prompt: str, chains=(), verbose: bool = False):
    """Load the model and read the prompt; note the chains (with -v), the compiled loop's
    absence (with -v) and the prompt's unknown tokens on stderr."""
    model = load_model(model_spec)
    prompt = read_prompt(prompt)
    if verbose:
        from tempgen.generate import compiled

        for chain in chains:
            note(f"chain: {chain}")
        if not compiled.AVAILABLE:
            why = "turned off by TEMPGEN_COMPILED=0" if compiled.BUILT else "not built"
            note(f"note: the compiled loop is {why}; numpy decodes (the same text, slower)")
    unknown = model.tokenizer.unknown_tokens(prompt)
    if unknown:
        warn_unknown(unknown, model.level)
    return model, prompt


def seed_and_stops(model, seed: int | None, stops: tuple[str, ...]):
    """The seed (chosen and printed when not given) and the stop strings (a per-line model
    stops at the end of the line unless told otherwise)."""
    from tempgen.generate.draw import fresh_seed
    from tempgen.generate.textstream import unescape

    if seed is None:
        seed = fresh_seed()
        note(f"seed: {seed}")
    stops = [unescape(s) for s in stops] or (["\n"] if model.per_line else [])
    return seed, stops


def read_prompt(prompt: str) -> str:
    """The prompt: the option's text, or stdin's for "-" (at most PROMPT_LIMIT bytes of
    UTF-8)."""
    from tempgen.io.corpus import read_corpus

    hint = "'-p' / '--prompt'"
    if prompt == "-":
        if sys.stdin is not None and not sys.stdin.closed and sys.stdin.isatty():
            raise click.BadParameter("'-' reads the prompt from stdin, but stdin is a terminal",
                                     param_hint=hint)
        return read_corpus("-", limit=PROMPT_LIMIT, purpose="a prompt", advice="").text
    bad = next((ch for ch in prompt if "\udc80" <= ch <= "\udcff"), None)
    if bad is not None:  # an undecodable byte of the command line
        raise click.BadParameter(f"not valid UTF-8 (byte 0x{ord(bad) - 0xdc00:02x})",
                                 param_hint=hint)
    return prompt


def temperatures_of(listed: str | None, span: str | None, hint: str | None = None
                    ) -> list[float]:
    """The temperatures of --temperatures A,B,... or --range START:STOP:COUNT."""
    if listed is not None and span:
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
        if count < 1 or count > MAX_TEMPERATURES:
            raise click.BadParameter(f"COUNT must be from 1 to {MAX_TEMPERATURES}, got {count}",
                                     param_hint="'--range'")
        if not (math.isfinite(start) and math.isfinite(stop)):
            raise click.BadParameter(f"{span!r}: START and STOP must be finite numbers (inf "
                                     "can be listed with --temperatures, not spanned)",
                                     param_hint="'--range'")
        values = [start + (stop - start) * i / max(count - 1, 1) for i in range(count)]
        hint = "'--range'"
    else:
        values = [v.strip() for v in (DEFAULT_TEMPERATURES if listed is None else listed
                                      ).split(",") if v.strip()]
        hint = hint or "'--temperatures'"
    if not values:
        raise click.BadParameter("no temperature given", param_hint=hint)
    if len(values) > MAX_TEMPERATURES:
        raise click.BadParameter(f"{len(values):,} temperatures; at most {MAX_TEMPERATURES}",
                                 param_hint=hint)
    try:
        return [Temperature().convert(v, None, None) for v in values]
    except click.BadParameter as exc:
        raise click.BadParameter(exc.message, param_hint=hint) from None
