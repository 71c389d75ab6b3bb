"""The first clause of a reply, voiced on its own so the answer is on air sooner.

A neural voice takes time in proportion to the audio it makes (piper: about 0.1 s per second of speech on a shared
CPU, and it cannot stream within a sentence), so a reply whose first sentence is long keeps the viewer waiting for
all of it. A long sentence (``LONG_CHARS``, about 2.5 s of speech) is cut at its first clause mark (comma, colon, dash; ，、：) the first piece is short, and the rest of the
sentence is voiced while that piece plays. The clause keeps its mark, so the voice gives it the same unfinished tone
it has inside the sentence, and the piece after it follows without the breath that separates sentences
(``Utterance.breath``). Semicolons and sentence ends are already cut by ``streamer.sentences``.
"""

from __future__ import annotations

import re

# a Latin mark counts only before a space, so 1,000 and 10:30 stay whole; a CJK mark always counts
_CLAUSE_END = re.compile(r"(?<=[，、：])|(?<=[,:—])(?=\s)")
_CJK = re.compile(r"[\u3400-\u9fff]")
LONG_CHARS = {"cjk": 16, "latin": 40}  # shorter sentences are voiced whole: splitting them would gain little
MIN_CHARS = {"cjk": 4, "latin": 10}  # a shorter first clause ("Yes,", "对，") would not cover the rest's synthesis


def lead_clause(sentence: str) -> tuple[str, str] | None:
    """(first clause, rest) when ``sentence`` is long and has a clause mark with at least MIN_CHARS on both sides,
    else None (the sentence is voiced whole)."""
    script = "cjk" if _CJK.search(sentence) else "latin"
    least = MIN_CHARS[script]
    if len(sentence) < LONG_CHARS[script]:
        return None
    for m in _CLAUSE_END.finditer(sentence):
        head, rest = sentence[: m.start()].strip(), sentence[m.start():].strip()
        if len(head) >= least:
            return (head, rest) if len(rest) >= least else None
    return None
