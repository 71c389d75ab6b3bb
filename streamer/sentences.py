"""Cutting text into spoken sentences (zh and en): the unit TTS engines synthesize and the speaker queues.

A dot ends a sentence only when a space follows it, so prices such as 12.5 stay whole.
"""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[。！？!?…；;])|(?<=[.])(?=\s)|\n")


def split_sentences(buffer: str) -> tuple[list[str], str]:
    """Complete sentences in ``buffer`` and the unfinished rest (for text that is still streaming in)."""
    parts = _SENTENCE_END.split(buffer)
    done = [" ".join(p.split()) for p in parts[:-1] if p.strip()]
    return done, parts[-1]


def sentences(text: str) -> list[str]:
    """All sentences of a finished text, whitespace collapsed."""
    done, rest = split_sentences(text)
    return done + ([" ".join(rest.split())] if rest.strip() else [])
