"""Generation: the sampler chain, the decode loop (with an optional compiled loop for
temperature-only chains), randomness and the draw, and samples as text.

A row is one line of a (batch, vocab) array: one sample's next-token distribution at a step;
so the rows of a batch are the samples being decoded side by side."""
