"""What every command shares: the group with its error boundary, the option types, the
shared options, and the steps that turn options into library arguments."""

from __future__ import annotations

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
        except MemoryError:  # (what is planned is checked beforehand; this is the rest)
            fail("out of memory: this run needs more than the machine gives it (ask for "
                 "less: a shorter text, a smaller model, fewer samples)", 1)
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


class Count(click.ParamType):
    """A whole number from `low` up; past 2^63 - 1 (the arrays' int64) it is refused as too
    large. Help shows the number's name and its low end alone (not 2^63's digits)."""

    name = "integer"

    def __init__(self, low: int = 1):
        self.low = low

    def convert(self, value, param, ctx):
        n = click.INT.convert(value, param, ctx)
        if n < self.low:
            self.fail(f"{n} is below {self.low}", param, ctx)
        if n >= 2**63:
            self.fail(f"{value} is too large (at most {2**63 - 1:,})", param, ctx)
        return n

    def get_metavar(self, param, ctx=None) -> str:
        return "N"


class Temperature(click.ParamType):
    """A temperature: a number >= 0, or inf, as the registry's setting checks it (the one
    check the web API and the library use too). NaN and negatives are usage errors."""

    name = "T"

    def convert(self, value, param, ctx):
        from tempgen.generate.samplers.registry import SETTINGS

        try:
            return SETTINGS["temperature"].check(value)
        except ValueError:
            self.fail(f"{value!r} is not a temperature (a number >= 0: 0 for greedy, inf for "
                      "uniform)", param, ctx)


def given(name: str) -> bool:
    """Whether the current command's parameter `name` was given (command line or
    environment), not left at its default."""
    origin = click.get_current_context().get_parameter_source(name)
    return origin is not None and origin.name in ("COMMANDLINE", "ENVIRONMENT")


def option_name(name: str) -> str:
    """The current command's parameter `name` as the user types it (its long option)."""
    ctx = click.get_current_context()
    return next(p for p in ctx.command.params if p.name == name).opts[-1]


def refuse_together(source: str, others: dict[str, str]) -> None:
    """A one-line error when the option `source` (a parameter name) and any of `others`
    (parameter name -> why it is not used) were both given: an option that would be
    silently ignored is refused instead."""
    if given(source):
        for name, why in others.items():
            if given(name):
                raise click.BadParameter(f"not used with {option_name(source)}: {why}",
                                         param_hint=f"'{option_name(name)}'")


def with_options(options):
    """Apply a list of click options, in order, as one decorator."""
    def deco(f):
        for opt in reversed(options):
            f = opt(f)
        return f
    return deco


def complete_model(ctx, param, incomplete: str) -> list:
    """Shell completion of -m: the bundled models' names, and files."""
    from click.shell_completion import CompletionItem

    from tempgen.io.bundled import bundled_models

    names = [CompletionItem(n) for n in bundled_models() if n.startswith(incomplete)]
    return [*names, CompletionItem(incomplete, type="file")]


model_option = click.option(
    "-m", "--model", "model_spec", default=DEFAULT_MODEL, show_default=True,
    metavar="MODEL", shell_complete=complete_model,
    help="A bundled model's name (see `tempgen models`) or a model file.")
encoding_options = [
    click.option("--encoding", default="utf-8", show_default=True,
                 help="Text encoding of the input."),
    click.option("--errors", "errors", type=click.Choice(["strict", "replace"]),
                 default="strict", show_default=True,
                 help="On undecodable bytes: stop with an error, or replace them with U+FFFD."),
]
class SettingType(click.ParamType):
    """A sampler setting, checked by its own rule (generate/samplers/registry.py)."""

    def __init__(self, setting):
        self.setting = setting
        self.name = ("N" if setting.kind == "int" else
                     "P" if (setting.low, setting.high) == (0.0, 1.0) else "X")

    def convert(self, value, param, ctx):
        try:
            return self.setting.check(value)
        except ValueError as exc:
            self.fail(str(exc).removeprefix(self.setting.name + " "), param, ctx)


def _sampler_options() -> list:
    from tempgen.generate.samplers.registry import DRY_BREAKERS, LINKS, REGISTRY, SETTINGS

    shown = lambda v: "inf" if v == float("inf") else f"{v:g}"  # noqa: E731
    # (the stateless links' settings first, in the chain's order; the stateful ones last)
    first = [st.name for link in REGISTRY if not link.stateful for st in link.settings]
    first += [st.name for link in REGISTRY if link.name == "mirostat" for st in link.settings]
    names = first + [n for n in SETTINGS if n not in first]
    options = [click.option(s.option, s.name, type=SettingType(s), default=s.default,
                            help=f"{s.help}  [default: {shown(s.default)}]")
               for s in map(SETTINGS.get, names)
               if s.name not in ("temperature", "dry_sequence_breakers", "logit_bias")]
    breakers = " ".join(b.replace("\n", "\\n") for b in DRY_BREAKERS)
    return [click.option("--logit-bias", "logit_bias", multiple=True, metavar="TOKEN=BIAS",
                         help=SETTINGS["logit_bias"].help)] + options + [
        click.option("--dry-sequence-breaker", "dry_sequence_breakers", multiple=True,
                     metavar="TEXT", help="DRY: a repeat does not run across TEXT "
                     f"(repeatable; replaces the defaults {breakers}; none = no breaker)."),
        click.option("--samplers", metavar="LIST", default=None,
                     help=f"Chain order, e.g. top_p,temperature; unlisted samplers follow in "
                          f"the default order {','.join(LINKS)}."),
        click.option("-v", "--verbose", is_flag=True, help="Print the effective chain to "
                                                           "stderr."),
    ]


sampler_options = _sampler_options()
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
    click.option("-n", "--length", type=Count(), default=300,
                 show_default=True, help="Tokens per sample (at most)."),
    click.option("--num-samples", type=Count(), default=1,
                 show_default=True, help="Samples (per temperature)."),
    click.option("--seed", type=click.IntRange(min=0), default=None,
                 help="Random seed; printed to stderr when not given, so any run can be "
                      "replayed."),
    click.option("--stop", "stops", multiple=True, metavar="TEXT",
                 help="End a sample at this text (repeatable; \\n is a newline). Per-line "
                      "models stop at the end of the line by default."),
]


class MemorySize(click.ParamType):
    """A size in bytes: a number with an optional K, M, G or T (powers of 1024)."""

    name = "SIZE"
    UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    LEAST = 1 << 10  # (a piece of so few bytes holds a few words: smaller means nothing)

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        text = str(value).strip().upper().removesuffix("B").removesuffix("I")
        unit = text[-1:] if text[-1:] in "KMGT" and text else ""
        try:
            size = float(text[: len(text) - len(unit)])
        except ValueError:
            self.fail(f"{value!r} is not a size (e.g. 2G, 500M)", param, ctx)
        if size != size or size <= 0 or size * self.UNITS[unit] > 1 << 50:
            self.fail(f"{value!r} is not a size (e.g. 2G, 500M)", param, ctx)
        if size * self.UNITS[unit] < self.LEAST:
            self.fail(f"{value!r} is less than the least tempgen counts in (1K)", param, ctx)
        return int(size * self.UNITS[unit])


memory_options = [
    click.option("--memory", type=MemorySize(), default=None,
                 help="Memory for counting, e.g. 2G or 500M: a corpus larger than it is "
                      "counted in pieces spilled to --temp-dir.  [default: 80% of what this "
                      "process may use]"),
    click.option("--temp-dir", type=click.Path(file_okay=False), default=None,
                 help="Where the pieces' counts go meanwhile (removed at the end).  "
                      "[default: $TMPDIR, else /tmp]"),
]
