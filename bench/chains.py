"""make bench: every sampler chain in the compiled loop, against the naive sampler of the same
run (char model, one stream) and 20 k words/s (word model's first cuts)."""

from __future__ import annotations

T = {"temperature": 0.8}
CHAR = [  # (label, settings): each link at a usual setting, after llama.cpp's defaults
    ("top-k 40", {"top_k": 40}),
    ("top-p 0.9", {"top_p": 0.9}),
    ("min-p 0.05", {"min_p": 0.05}),
    ("typical-p 0.9", {"typical_p": 0.9}),
    ("top-n-sigma 1", {"top_n_sigma": 1.0}),
    ("xtc 0.5 / 0.1", {"xtc_probability": 0.5, "xtc_threshold": 0.1}),
    ("dynatemp 0.5", {"dynatemp_range": 0.5}),
    ("mirostat 2 (tau 5)", {"mirostat": 2}),
    ("repeat-penalty 1.1", {"repeat_penalty": 1.1}),
    ("dry 0.8", {"dry_multiplier": 0.8}),
    ("llama.cpp's chain", {"repeat_penalty": 1.1, "dry_multiplier": 0.8, "top_k": 40,
                           "typical_p": 0.95, "top_p": 0.95, "min_p": 0.05}),
]
WORD = [("top-k 40", {"top_k": 40}), ("top-p 0.9", {"top_p": 0.9}),
        ("min-p 0.05", {"min_p": 0.05})]


def report(child, mark, naive: float) -> None:
    """One fresh process a chain; best of 3 seeds."""
    print("  every chain at T = 0.8 (>= the naive sampler of this run; word model >= 20,000):")
    for model, rows, steps, target in (("shakespeare-char", CHAR, 20000, naive),
                                       ("shakespeare-word", WORD, 5000, 20e3)):
        for label, settings in rows:
            r = child({"kind": "decode", "model": model, "batch": 1, "steps": steps,
                       "settings": {**T, **settings}})[0]
            speed = r["tokens_per_s"]
            print(f"    {model:<17} {label:<19} {speed:10,.0f}  (>= {target:,.0f}) "
                  f"{mark(speed >= target)}  {speed / naive:4.1f} x naive")
