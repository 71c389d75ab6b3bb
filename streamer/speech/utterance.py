"""An utterance: one synthesized sentence waiting for, or on, air."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..planner.script import ScriptLine
from ..tts.base import Mark


@dataclass(frozen=True, slots=True)
class Utterance:
    text: str
    pcm: np.ndarray  # SAMPLE_RATE mono float32
    marks: tuple[Mark, ...]
    product_id: str | None = None
    cue: str | None = None
    source: str = "script"  # script | reply | say
    urgent: bool = False
    line: ScriptLine | None = None  # the script line it came from, so a flushed sentence can be said later
    requested: float = 0.0  # monotonic time the request was made (reply latency)
    pauses: tuple[tuple[int, int, int], ...] = ()  # (start, end, gap) where a reply may cut in (speech/pauses.py)
    lead: bool = True  # the first piece of what was asked: when it is ready, the answer can go on air
    breath: bool = True  # False: the next piece goes on with the same sentence (speech/clauses.py), no breath between
    speech_id: str | None = None  # the say or reply it is part of (None: the script)
