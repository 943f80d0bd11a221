"""Generation: the sampler chain, the decode loop (with an optional compiled loop for
temperature-only chains), randomness and the draw, and samples as text."""
