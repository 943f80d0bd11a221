"""make bench: every sampler chain in the compiled loop, against the naive sampler of the same
run (char model, one stream), 20 k words/s (word model), and the temperature alone on each
model."""

from __future__ import annotations

T = {"temperature": 0.8}
CHAR = [  # (label, settings): each link at a usual setting, after llama.cpp's defaults
    ("top-k 40", {"top_k": 40}),
    ("top-p 0.9", {"top_p": 0.9}),
    ("min-p 0.05", {"min_p": 0.05}),
    ("typical-p 0.9", {"typical_p": 0.9}),
    ("top-n-sigma 1", {"top_n_sigma": 1.0}),
    ("top-a 0.2", {"top_a": 0.2}),
    ("epsilon-cutoff 3e-4", {"epsilon_cutoff": 3e-4}),
    ("eta-cutoff 6e-4", {"eta_cutoff": 6e-4}),
    ("p-less", {"p_less": 1}),
    ("tail-free 0.95", {"tfs": 0.95}),
    ("top-h 0.4", {"top_h": 0.4}),
    ("smoothing 0.3", {"smoothing_factor": 0.3}),
    ("logit-bias (2)", {"logit_bias": ((",", -1.0), (".", 0.5))}),
    ("no-repeat-ngram 4", {"no_repeat_ngram_size": 4}),
    ("adaptive-p 0.5", {"adaptive_target": 0.5, "min_p": 0.05}),
    ("xtc 0.5 / 0.1", {"xtc_probability": 0.5, "xtc_threshold": 0.1}),
    ("dynatemp 0.5", {"dynatemp_range": 0.5}),
    ("mirostat 2 (tau 5)", {"mirostat": 2}),
    ("repeat-penalty 1.1", {"repeat_penalty": 1.1}),
    ("dry 0.8", {"dry_multiplier": 0.8}),
    ("llama.cpp's chain", {"repeat_penalty": 1.1, "dry_multiplier": 0.8, "top_k": 40,
                           "typical_p": 0.95, "top_p": 0.95, "min_p": 0.05}),
]
WORD = CHAR  # (every chain on the word model too: none may take 2.5 times T alone's time)


def report(child, mark) -> None:
    """Each chain in fresh processes, two rounds of 3 seeds each, the best of them (a
    machine shared with others slows some rounds by a third or more); a char chain
    alternates with the naive sampler, so that both are timed in the same moments (the
    ratio is of their bests). Each chain also against the temperature alone on its model
    (a chain may take at most 2.5 times its time)."""
    print("  every chain at T = 0.8: char model against the naive sampler timed beside it "
          "(>= 1 x), word model >= 20,000; each against T alone on its model (<= 2.5 x the "
          "time):")
    for model, rows, steps in (("shakespeare-char", CHAR, 20000),
                               ("shakespeare-word", WORD, 5000)):
        alone = {"kind": "decode", "model": model, "batch": 1, "steps": steps, "settings": T}
        t_alone = max(child(alone)[0]["tokens_per_s"] for _ in range(2))
        print(f"    {model:<17} {'T alone':<19} {t_alone:10,.0f}")
        for label, settings in rows:
            job = {**alone, "settings": {**T, **settings}}
            if model == "shakespeare-word":
                speed = max(child(job)[0]["tokens_per_s"] for _ in range(2))
                print(f"    {model:<17} {label:<19} {speed:10,.0f}  (>= 20,000) "
                      f"{mark(speed >= 20e3)}  {t_alone / speed:4.2f} x T alone's time "
                      f"{mark(t_alone / speed <= 2.5)}")
                continue
            naive = speed = 0.0
            for _ in range(2):
                naive = max(naive, child({"kind": "naive"})[0]["tokens_per_s"])
                speed = max(speed, child(job)[0]["tokens_per_s"])
            print(f"    {model:<17} {label:<19} {speed:10,.0f}  naive {naive:8,.0f}  "
                  f"{speed / naive:4.2f} x (>= 1) {mark(speed >= naive)}  "
                  f"{t_alone / speed:4.2f} x T alone's time {mark(t_alone / speed <= 2.5)}")
