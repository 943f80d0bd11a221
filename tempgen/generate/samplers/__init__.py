"""The sampler chain (chain.py) and its links, each declared once in registry.py (which
imports nothing heavy, so the command line can build its options from it): truncations
(truncation.py), penalties and DRY (penalties.py), dynamic temperature (temperature.py),
and what a stateful chain remembers of a sample (state.py)."""
