"""What counts as text: a string UTF-8 can hold. JSON can escape a lone surrogate
(\\ud800), which Python decodes into a str that no file, terminal or pipe can take; every
reader of JSON checks its strings here."""

from __future__ import annotations

import re

SURROGATES = re.compile("[\ud800-\udfff]")


def is_text(s: str) -> bool:
    """Whether `s` holds no lone surrogate."""
    return s.isascii() or SURROGATES.search(s) is None


def as_text(s: str) -> str:
    """`s` with each lone surrogate made U+FFFD, as undecodable bytes are."""
    return s if is_text(s) else SURROGATES.sub("\ufffd", s)
