"""Each link's numpy function, as the registry names it: (log-weights (batch, vocab), its
settings by name, each row's RowState or None) -> (log-weights, each row's temperature or
None). Their modules are imported when first used: the command line builds its options from
the registry, and starts without numpy."""

from __future__ import annotations

from tempgen.generate.samplers.setting import CONTEXT, window


def apply_logit_bias(logw, s, states):
    from tempgen.generate.samplers.bias import logit_bias

    return logit_bias(logw, s["logit_bias"]), None


def apply_penalties(logw, s, states):
    from tempgen.generate.samplers import penalties

    return penalties.repetition(logw, [st.history for st in states], window(s["repeat_last_n"]),
                                s["repeat_penalty"], s["frequency_penalty"],
                                s["presence_penalty"]), None


def apply_dry(logw, s, states):
    from tempgen.generate.samplers import penalties

    return penalties.dry(logw, [st.history for st in states], s["dry_multiplier"],
                         s["dry_base"], s["dry_allowed_length"], window(s["dry_penalty_last_n"]),
                         states[0].breakers), None


def apply_no_repeat(logw, s, states):
    from tempgen.generate.samplers import penalties

    return penalties.no_repeat(logw, [st.history for st in states], s["no_repeat_ngram_size"],
                               CONTEXT), None


def cut_named(name: str):
    """A cut of one setting, its link's namesake: truncation.<name>(logw, value)."""
    def apply(logw, s, states):
        from tempgen.generate.samplers import truncation

        return getattr(truncation, name)(logw, s[name]), None

    return apply


def apply_temperature(logw, s, states):
    import numpy as np

    from tempgen.generate.samplers.temperature import dynamic_temperature
    from tempgen.generate.tempering import temperature as temper

    if s.get("dynatemp_range", 0.0) > 0:
        t = dynamic_temperature(logw, s["temperature"], s["dynatemp_range"],
                                s["dynatemp_exponent"])
    else:
        t = np.full(len(logw), s["temperature"])
    one = len(t) > 0 and bool((t == t[0]).all())
    return temper(logw, t[0] if one else t), t


def apply_smoothing(logw, s, states):
    from tempgen.generate.samplers.temperature import smoothing

    return smoothing(logw, s["smoothing_factor"], s["smoothing_curve"]), None


def apply_adaptive_p(logw, s, states):
    from tempgen.generate.samplers.adaptive import adaptive_p

    return adaptive_p(logw, s["adaptive_target"], states), None


def apply_mirostat(logw, s, states):
    import numpy as np

    from tempgen.generate.samplers import truncation

    return truncation.surprise_cut(logw, np.array([st.mu for st in states])), None
