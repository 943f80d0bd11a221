"""A sweep: samples of one prompt and seed at several sampler chains (temperatures), decoded
in one coupled batch, with the statistics shown under each column."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tempgen.generate.samplers.chain import Chain
from tempgen.generate.samples import Sample, batch_samples, pieces


@dataclass
class Column:
    """One chain's samples and their statistics (token-weighted over the samples)."""

    chain: Chain
    samples: list[Sample]
    sample_stats: list[dict]
    stats: dict
    value: float | None = None  # its value of the setting the sweep is over

    @property
    def temperature(self) -> float:
        return self.chain.temperature


@dataclass
class Sweep:
    model_name: str
    prompt: str
    seed: int
    columns: list[Column]
    first: int = 0  # the index of the columns' first sample
    over: str = "temperature"  # the setting the columns differ by

    def label(self, column: Column, short: bool = True) -> str:
        return column_label(self.over, column.chain, column.value, short)

    def view_columns(self, model) -> list[dict]:
        """What the sweep view shows of each column: its label, temperature, statistics,
        and per sample the (text, probability when drawn) of each token."""
        return [{"label": self.label(c), "temperature": c.temperature, "stats": c.stats,
                 "samples": [pieces(model, self.prompt, s) for s in c.samples]}
                for c in self.columns]

    def records(self) -> list[dict]:
        """One JSON object per (column, sample): the sample, its chain and statistics."""
        return [{"model": self.model_name, "seed": self.seed, "temperature": c.temperature,
                 "sample": i, "chain": c.chain.to_list(), "prompt": self.prompt,
                 **s.to_dict(), "stats": st}
                for c in self.columns
                for i, (s, st) in enumerate(zip(c.samples, c.sample_stats, strict=True),
                                            start=self.first)]

    def to_dict(self) -> dict:
        """The whole sweep as one JSON object."""
        over = {} if self.over == "temperature" else {"over": self.over}
        return {"model": self.model_name, "seed": self.seed, "prompt": self.prompt, **over,
                "columns": [{"temperature": c.temperature, **_value(self.over, c),
                             "chain": c.chain.to_list(), "stats": c.stats}
                            for c in self.columns],
                "samples": self.records()}


# Short names of the settings a sweep can be over, for its column headings.
LABELS = {"top_n_sigma": "nσ", "top_k": "top-k", "top_p": "top-p", "min_p": "min-p",
          "typical_p": "typical", "xtc_probability": "XTC P", "xtc_threshold": "XTC ≥",
          "dynatemp_range": "T ±", "dynatemp_exponent": "T exp", "mirostat_tau": "τ",
          "mirostat_eta": "η", "dry_multiplier": "DRY", "repeat_penalty": "rep"}


def column_label(over: str, chain: Chain, value, short: bool = True) -> str:
    """A column's heading: `T = 0.5`, or the setting it differs by and its value (by its
    short name, or as its option is named: `top-n-sigma=0.5`)."""
    if over == "temperature":
        return f"T = {chain.temperature:g}" if short else f"T={chain.temperature:g}"
    if not short:
        return f"{over.replace('_', '-')}={value:g}"
    return f"{LABELS.get(over, over)} = {value:g}"


def _value(over: str, column: Column) -> dict:
    return {} if over == "temperature" else {over: column.value}


def sweep(model, prompt: str, chains: Sequence[Chain], length: int, samples: range,
          seed: int, stops: Sequence[str] = (), over: str = "temperature",
          values: Sequence | None = None) -> Sweep:
    """Samples `samples` (indices) of every chain, all in one batch; sample i of every chain
    shares sample i's noise (so columns differ only because of their chains). `over`: the
    setting the chains differ by, and `values` each one's value of it."""
    n = len(samples)
    rows = [(c, s) for c in range(len(chains)) for s in samples]
    results = batch_samples(model, prompt, chains, [c for c, _ in rows], [s for _, s in rows],
                            length, seed, stops)
    prompt_ids = model.tokenizer.encode(prompt)
    columns = []
    for c, chain in enumerate(chains):
        mine = results[c * n:(c + 1) * n]
        stats = [sample_stats(model, prompt_ids, r) for r in mine]
        value = values[c] if values is not None else None
        columns.append(Column(chain, mine, stats, merge_stats(stats), value))
    return Sweep(model.name, prompt, seed, columns, samples.start, over)


def distinct_n(ids: list[int], n: int) -> float | None:
    """Distinct n-grams over all n-grams of a token sequence (None when there is none)."""
    grams = [tuple(ids[i:i + n]) for i in range(len(ids) - n + 1)]
    return len(set(grams)) / len(grams) if grams else None


def novelty(model, prompt_ids: np.ndarray, ids: list[int]) -> float | None:
    """Share of the sample's top-order n-grams that never occur in training.

    Only positions whose context reaches the full order count (not the first tokens after
    the text start, an unknown token or, per line, a line start). None when there is none.
    """
    if not ids:
        return None
    contexts = model.generated_contexts(prompt_ids, ids)
    counted, seen = model.top_order_seen(contexts, np.asarray(ids))
    if not counted.any():
        return None
    return float(1.0 - seen[counted].mean())


def sample_stats(model, prompt_ids: np.ndarray, sample: Sample) -> dict:
    """What a sweep shows under each column, for one sample."""
    n = len(sample.ids)
    mean_lp = float(np.mean(sample.model_logprobs)) if n else None
    stats = {
        "tokens": n,
        "entropy_bits": float(np.mean(sample.entropies)) if n else None,
        "model_logprob": mean_lp,  # mean ln p per token under the model (T = 1)
        "perplexity": _perplexity(mean_lp) if n else None,
        "distinct_2": distinct_n(sample.ids, 2),
        "novelty": novelty(model, prompt_ids, sample.ids),
    }
    if model.level == "word":
        stats["distinct_1"] = distinct_n(sample.ids, 1)
    if sample.varies:  # the mean temperature it was tempered at
        stats["effective_temperature"] = float(np.mean(sample.temperatures)) if n else None
    return stats


def merge_stats(stats: list[dict]) -> dict:
    """Token-weighted means of several samples' stats (a column with several samples)."""
    total = sum(s["tokens"] for s in stats)
    out: dict = {"tokens": total}
    for key in stats[0]:
        if key == "tokens":
            continue
        pairs = [(s[key], s["tokens"]) for s in stats if s[key] is not None]
        weight = sum(w for _, w in pairs)
        out[key] = sum(v * w for v, w in pairs) / weight if weight else None
    if out.get("model_logprob") is not None:
        out["perplexity"] = _perplexity(out["model_logprob"])
    return out


def _perplexity(mean_logprob: float) -> float:
    """e^(-mean ln p), inf where it overflows."""
    return math.exp(-mean_logprob) if -mean_logprob < 709 else math.inf
