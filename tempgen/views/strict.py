"""JSON as tempgen writes it: strict (RFC 8259), so non-finite numbers become values that
every reader takes."""

from __future__ import annotations

import json
import math


def strict(value):
    """`value` with every non-finite float made strict JSON: inf -> "inf", -inf -> "-inf",
    NaN -> null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None if value != value else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict(v) for v in value]
    return value


def dumps(obj) -> str:
    """One strict JSON document (no NaN or Infinity: see `strict`)."""
    try:
        return json.dumps(obj, allow_nan=False)
    except ValueError:  # a non-finite number somewhere: the slower, careful way
        return json.dumps(strict(obj), allow_nan=False)
