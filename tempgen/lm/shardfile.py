"""Shards to and from count files (io/countfile.py)."""

from __future__ import annotations

import numpy as np

from tempgen.io import countfile
from tempgen.lm.arrays import compact
from tempgen.lm.shards import Shard


def save(shard: Shard, path, level: str, corpus: dict) -> None:
    """Write `shard` (of a `level` corpus described by `corpus`) to a count file."""
    meta = {"level": level, "order": shard.order, "per_line": shard.per_line,
            "vocab": shard.vocab, "tokens": int(shard.tokens), "windows": len(shard.counts),
            "last": int(shard.last), "corpus": corpus}
    arrays = {f"digit_{j}": col for j, col in enumerate(shard.columns)}
    arrays |= {"counts": shard.counts, "head": compact(shard.head),
               "tail": compact(shard.tail)}
    countfile.write(path, meta, arrays)


def load(path: str) -> tuple[Shard, dict]:
    """The shard of a count file (its rows checked as a merge reads them), and the file's
    metadata."""
    f = countfile.read(path)
    m, a = f.meta, f.arrays
    shard = Shard(m["vocab"], m["order"], m["per_line"], m["tokens"],
                  [a[f"digit_{j}"] for j in range(m["order"])], a["counts"],
                  np.asarray(a["head"], dtype=np.int64), np.asarray(a["tail"], dtype=np.int64),
                  m["last"], label=str(path))
    return shard, m
