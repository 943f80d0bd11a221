"""What several test files share."""

from pathlib import Path

import numpy as np

from tempgen.generate.decode import Block, generate_blocks

SAMPLES = Path(__file__).resolve().parent.parent / "sample_models"  # models and corpora


def decoded(model, contexts, chains, row_chain, streams, row_stream, steps,
            compiled_loop=True) -> Block:
    """Every step of a decode, each field (steps, batch)."""
    blocks = list(generate_blocks(model, contexts, chains, row_chain, streams, row_stream,
                                  steps, compiled_loop))
    return Block(*(np.concatenate(field) for field in zip(*blocks, strict=True)))
