"""The sampler links, one entry each: its name, its settings (option names, defaults,
checks, help), when it is active, whether it keeps state between steps, its numpy function,
and what it does (the samplers table of docs/samplers.md). Its place here is its place in
the default chain, and its index its kind in the compiled loop (csrc/chain.h, which reports
its names: a test ties the two). Names, defaults and meanings are llama.cpp's, so settings
carry over; a link whose settings leave it doing nothing is left out of the chain.

Everything else derives from this table: the CLI's options, the web page's controls and the
API's checks (each setting's own `check`, the one validation), the spec the compiled loop
reads, the README's table and sweep's --sweep-over names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tempgen.generate.samplers.numpy_links import (
    apply_adaptive_p,
    apply_dry,
    apply_logit_bias,
    apply_mirostat,
    apply_no_repeat,
    apply_penalties,
    apply_smoothing,
    apply_temperature,
    cut_named,
)
from tempgen.generate.samplers.setting import (  # noqa: F401  (names the rest import from here)
    BIG,
    CONTEXT,
    DRY_BREAKERS,
    MAX_NGRAM,
    MAX_WINDOW,
    Setting,
    window,
)


def _s(name, default, **kw) -> Setting:
    return Setting(name, default, **kw)


@dataclass(frozen=True)
class Link:
    """One link of the chain, declared once."""

    name: str
    settings: tuple[Setting, ...]
    active: Callable[[dict], bool]  # whether settings `v` (all of its own) change anything
    apply: Callable | None  # its numpy function (None: the chain runs it itself: XTC)
    stateful: bool = False  # it reads what a sample drew before
    does: str = ""
    at_hand: bool = False  # shown first among the explorer's controls (the usual cuts)


REGISTRY = (
    Link("logit_bias", (
        _s("logit_bias", (), kind="biases",
           help="Add BIAS to TOKEN's log-weight, TOKEN=BIAS (llama.cpp's --logit-bias, the "
                "token as text; repeatable; -inf: never drawn, e.g. '\\n=-inf')."),
    ), active=lambda v: len(v["logit_bias"]) > 0, apply=apply_logit_bias,
        does="adds each named token's bias to its log-weight (−inf: never drawn), first as "
             "llama.cpp applies it"),
    Link("penalties", (
        _s("repeat_penalty", 1.0, low=0.0, high=BIG, open_low=True,
           help="Divide the weight of a token used in the last N by this (1 = off)."),
        _s("repeat_last_n", 64, kind="int", low=-1, high=MAX_WINDOW,
           help=f"Tokens the penalties look back over (0 = off, -1 = {CONTEXT})."),
        _s("presence_penalty", 0.0, low=-BIG, high=BIG,
           help="Subtract this from the log-weight of a token used in the last N (0 = off)."),
        _s("frequency_penalty", 0.0, low=-BIG, high=BIG,
           help="Subtract this times its count from a token's log-weight (0 = off)."),
    ), active=lambda v: v["repeat_last_n"] != 0 and (
        v["repeat_penalty"] != 1.0 or v["presence_penalty"] != 0.0
        or v["frequency_penalty"] != 0.0),
        apply=apply_penalties, stateful=True,
        does="a token used c times in the last N: its log-weight divided by the penalty "
             "(multiplied when negative), minus presence, minus c × frequency"),
    Link("dry", (
        _s("dry_multiplier", 0.0, low=0.0, high=BIG,
           help="DRY: penalise the token that would extend a repeated sequence (0 = off)."),
        _s("dry_base", 1.75, low=1.0, high=BIG,
           help="DRY: the penalty grows as BASE^(length - allowed length)."),
        _s("dry_allowed_length", 2, kind="int", low=0, high=MAX_WINDOW,
           help="DRY: repeats this long go unpenalised."),
        _s("dry_penalty_last_n", -1, kind="int", low=-1, high=MAX_WINDOW,
           help=f"DRY: tokens to look back over (0 = off, -1 = {CONTEXT})."),
        _s("dry_sequence_breakers", DRY_BREAKERS, kind="strings",
           help="DRY: a repeat does not run across these."),
    ), active=lambda v: v["dry_multiplier"] > 0 and v["dry_penalty_last_n"] != 0,
        apply=apply_dry, stateful=True,
        does="a token that would extend a repeat of n ≥ allowed tokens loses multiplier × "
             "base^(n − allowed); repeats do not run across a breaker (`\\n`, `:`, `\"`, "
             "`*` unless given; `none` for no breaker)"),
    Link("no_repeat_ngram", (
        _s("no_repeat_ngram_size", 0, kind="int", low=0, high=MAX_NGRAM,
           help=f"No-repeat-n-gram (transformers' no_repeat_ngram_size): never draw a "
                f"token that would repeat an n-gram of this size from the last {CONTEXT} "
                "tokens (0 = off)."),
    ), active=lambda v: v["no_repeat_ngram_size"] > 0, apply=apply_no_repeat, stateful=True,
        does=f"removes every token that would repeat an n-gram of the last {CONTEXT} tokens "
             "(transformers' no_repeat_ngram_size)"),
    Link("top_n_sigma", (
        _s("top_n_sigma", -1.0, low=-BIG, high=BIG,
           help="Keep tokens whose log-weight is within N standard deviations of the top "
                "one (<= 0 = off)."),
    ), active=lambda v: v["top_n_sigma"] > 0, apply=cut_named("top_n_sigma"),
        does="keeps tokens whose log-weight is within N standard deviations of the top one: "
             "the same tokens at every T"),
    Link("top_k", (
        _s("top_k", 0, kind="int", low=0, high=2**31 - 1,
           help="Keep only the K most likely tokens (0 = off)."),
    ), active=lambda v: v["top_k"] > 0, apply=cut_named("top_k"), does="keeps the K most likely",
        at_hand=True),
    Link("tfs", (
        _s("tfs", 1.0, low=0.0, high=1.0,
           help="Tail-free sampling (llama.cpp's and koboldcpp's --tfs): cut the tail where "
                "the sorted probabilities' curvature has added up to this share, in [0, 1] "
                "(1 = off)."),
    ), active=lambda v: v["tfs"] < 1.0, apply=cut_named("tfs"),
        does="tail-free: with p sorted down, cuts where the normalised absolute second "
             "differences add up past Z"),
    Link("typical_p", (
        _s("typical_p", 1.0, low=0.0, high=1.0, open_low=True,
           help="Locally typical sampling mass, in (0, 1]."),
    ), active=lambda v: v["typical_p"] < 1.0, apply=cut_named("typical_p"),
        does="keeps the tokens whose surprise is nearest the row's entropy, up to mass P",
        at_hand=True),
    Link("top_p", (
        _s("top_p", 1.0, low=0.0, high=1.0, open_low=True,
           help="Nucleus: keep the most likely tokens up to this mass, in (0, 1]."),
    ), active=lambda v: v["top_p"] < 1.0, apply=cut_named("top_p"),
        does="nucleus: the most likely tokens up to mass P", at_hand=True),
    Link("min_p", (
        _s("min_p", 0.0, low=0.0, high=1.0,
           help="Keep tokens at least this fraction as likely as the top one, in [0, 1]."),
    ), active=lambda v: v["min_p"] > 0.0, apply=cut_named("min_p"),
        does="keeps tokens at least P times as likely as the top one", at_hand=True),
    Link("top_a", (
        _s("top_a", 0.0, low=0.0, high=1.0,
           help="Top-a (text-generation-webui's): keep tokens whose probability is at "
                "least P times the top one's squared, in [0, 1] (0 = off)."),
    ), active=lambda v: v["top_a"] > 0.0, apply=cut_named("top_a"),
        does="keeps tokens at least A × the top one's probability squared as likely "
             "(text-generation-webui's top-a)"),
    Link("epsilon_cutoff", (
        _s("epsilon_cutoff", 0.0, low=0.0, high=1.0,
           help="epsilon-cutoff (transformers'): remove tokens less likely than this "
                "probability (text-generation-webui counts it in 1e-4s; here a probability; "
                "0 = off)."),
    ), active=lambda v: v["epsilon_cutoff"] > 0.0, apply=cut_named("epsilon_cutoff"),
        does="removes tokens of probability below ε (transformers' epsilon_cutoff)"),
    Link("eta_cutoff", (
        _s("eta_cutoff", 0.0, low=0.0, high=1.0,
           help="eta-cutoff (transformers'): remove tokens less likely than min(E, "
                "sqrt(E) e^-H), H the row's entropy in nats (0 = off)."),
    ), active=lambda v: v["eta_cutoff"] > 0.0, apply=cut_named("eta_cutoff"),
        does="removes tokens of probability below η = min(ε, √ε e^−H), H the row's entropy "
             "(transformers' eta_cutoff)"),
    Link("p_less", (
        _s("p_less", 0, kind="int", low=0, high=1,
           help="p-less (llama.cpp's --p-less): 1 keeps the tokens at least as likely as "
                "the row's sum of squared probabilities, no setting to tune; with "
                "--samplers temperature,p_less it cuts the tempered row, as its paper does "
                "(0 = off)."),
    ), active=lambda v: v["p_less"] == 1, apply=cut_named("p_less"),
        does="keeps the tokens at least as likely as the row's collision probability Σ p² "
             "(p-less; parameter-free)"),
    Link("top_h", (
        _s("top_h", 0.0, low=0.0, high=1.0,
           help="Top-H (transformers'): of the 100 likeliest tokens, keep the likeliest "
                "while their running entropy is within this share of the 100's, in [0, 1] "
                "(0 = off)."),
    ), active=lambda v: v["top_h"] > 0.0, apply=cut_named("top_h"),
        does="of the 100 likeliest (renormalised), keeps the likeliest while their running "
             "entropy −Σ p ln p stays within H × the 100's (transformers' Top-H)"),
    Link("xtc", (
        _s("xtc_probability", 0.0, low=0.0, high=1.0,
           help="XTC: how often the top choices are excluded (0 = off)."),
        _s("xtc_threshold", 0.1, low=0.0, high=1.0,
           help="XTC: tokens at least this likely are top choices (> 0.5 = off)."),
    ), active=lambda v: v["xtc_probability"] > 0 and v["xtc_threshold"] <= 0.5, apply=None,
        does="with probability P, when two tokens or more are at least as likely as the "
             "threshold, removes all of them but the least likely"),
    Link("temperature", (
        _s("temperature", 1.0, low=0.0, allow_inf=True,
           help="0 = greedy, 1 = the model itself, inf = uniform."),
        _s("dynatemp_range", 0.0, low=0.0, high=BIG,
           help="Dynamic temperature: T +- this, higher where the row's entropy is (0 = off)."),
        _s("dynatemp_exponent", 1.0, low=0.0, high=BIG,
           help="Dynamic temperature: the exponent of the entropy's share."),
    ), active=lambda v: True, apply=apply_temperature,  # (always there)
        does="tempers at T; with a range R, at lo + (hi − lo) (H / H_max)^E, "
             "lo = max(0, T − R), hi = T + R, H the row's entropy and H_max its largest "
             "possible"),
    Link("smoothing", (
        _s("smoothing_factor", 0.0, low=0.0, high=BIG,
           help="Quadratic sampling (text-generation-webui's): bend the tempered row's "
                "log-weights down by this times their distance from the top squared "
                "(0 = off)."),
        _s("smoothing_curve", 1.0, low=1.0, high=BIG,
           help="Quadratic sampling's curve: 1 = the plain quadratic; larger flattens the "
                "top and steepens the tail (a cubic term)."),
    ), active=lambda v: v["smoothing_factor"] > 0.0, apply=apply_smoothing,
        does="quadratic sampling: w ↦ m − k f d² + s f d³, d = w − m, k = (3 − curve)/2, "
             "s = (curve − 1)/2 (text-generation-webui's smoothing factor and curve)"),
    Link("mirostat", (
        _s("mirostat", 0, kind="int", low=0, high=2,
           help="2 = Mirostat 2.0: keep the surprise near TAU (0 = off)."),
        _s("mirostat_tau", 5.0, low=0.0, high=BIG,
           help="Mirostat: the target surprise, in bits."),
        _s("mirostat_eta", 0.1, low=0.0, high=BIG, help="Mirostat: the learning rate."),
    ), active=lambda v: v["mirostat"] == 2, apply=apply_mirostat, stateful=True,
        does="Mirostat 2.0: keeps tokens of surprise at most μ, and moves μ by η (τ − surprise) "
             "after each token"),
    Link("adaptive_p", (
        _s("adaptive_target", -1.0, low=-1.0, high=1.0,
           help="Adaptive-p (llama.cpp's --adaptive-target): favour tokens of about this "
                "probability, so that the drawn tokens' average comes to it, in [0, 1] "
                "(negative = off)."),
        _s("adaptive_decay", 0.9, low=0.0, high=0.99,
           help="Adaptive-p: how slowly the average of the drawn tokens' probabilities "
                "forgets, in [0, 0.99]."),
    ), active=lambda v: v["adaptive_target"] >= 0.0, apply=apply_adaptive_p, stateful=True,
        does="adaptive-p: log-weights 5 − 10 d²/(1 + d), d = |p − target′| / 0.3, the target "
             "moved by the drawn tokens' decaying average of p (llama.cpp's; last, as there)"),
)

SPECS = {link.name: link for link in REGISTRY}
LINKS = tuple(SPECS)  # the default order
STATEFUL = tuple(link.name for link in REGISTRY if link.stateful)
SETTINGS = {s.name: s for link in REGISTRY for s in link.settings}
LINK_OF = {s.name: link.name for link in REGISTRY for s in link.settings}
ALIASES = {"typ_p": "typical_p", "typical": "typical_p", "temp": "temperature",
           "repetition": "penalties", "mirostat_v2": "mirostat", "tail_free": "tfs",
           "tfs_z": "tfs", "quadratic": "smoothing", "quadratic_sampling": "smoothing"}


def link_settings(link: str) -> tuple[Setting, ...]:
    return SPECS[link].settings


def active(link: str, v: dict) -> bool:
    """Whether a link with settings `v` (every one of its own) changes anything."""
    return SPECS[link].active(v)


def link_name(name: str) -> str:
    """A link's name as a user may write it (top-k, typ_p, temp, ...), or ValueError."""
    key = name.strip().lower().replace("-", "_")
    key = ALIASES.get(key, key)
    if key not in LINKS:
        raise ValueError(f"unknown sampler {name.strip()!r} (choose from {', '.join(LINKS)})")
    return key
