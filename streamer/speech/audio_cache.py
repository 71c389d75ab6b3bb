"""Recent reply audio, kept so an answer the room asks for again is on air without waiting for the voice.

Live rooms ask the same things over and over (多少钱, "how much", "when does it ship") and the responder answers
them in the same words, so the same sentence is voiced again and again. The speaker keeps the audio of recent
reply and say sentences, keyed by (voice, text), least recently used first out, bounded by seconds of audio
(``REPLY_CACHE_S`` at 48 kHz float32 is about 5.8 MB). The bound is small on purpose: a room's repeated questions
are a handful of answers, and a cache the size of minutes of audio fills over the first hour of a show (one new
answer every minute or so), which reads as memory growing for that long. The text carries every fact it says (a
new price is a new text), so a brief update never replays an old fact. Script sentences are not kept: the planner
varies them, and they are voiced ahead of time anyway. Cached audio is read-only, because several utterances may share it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from ..tts.base import SAMPLE_RATE, Mark

REPLY_CACHE_S = 30.0  # seconds of audio kept: the last half dozen or so answers


@dataclass(frozen=True, slots=True)
class Voiced:
    """One sentence as a voice spoke it: audio, timings, and the pauses a reply may cut in at."""

    pcm: np.ndarray
    marks: tuple[Mark, ...]
    pauses: tuple[tuple[int, int, int], ...]


class AudioCache:
    def __init__(self, max_s: float = REPLY_CACHE_S, sample_rate: int = SAMPLE_RATE) -> None:
        self.max_samples = int(max_s * sample_rate)
        self.samples = 0  # audio held now
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[tuple[str, str], Voiced] = OrderedDict()

    def get(self, voice: str, text: str) -> Voiced | None:
        found = self._entries.get((voice, text))
        if found is None:
            self.misses += 1
            return None
        self._entries.move_to_end((voice, text))
        self.hits += 1
        return found

    def put(self, voice: str, text: str, voiced: Voiced) -> None:
        """Keep ``voiced`` (its audio becomes read-only); the least recently used go until it fits."""
        if voiced.pcm.size > self.max_samples:
            return
        voiced.pcm.setflags(write=False)
        old = self._entries.pop((voice, text), None)
        if old is not None:
            self.samples -= old.pcm.size
        self._entries[(voice, text)] = voiced
        self.samples += voiced.pcm.size
        while self.samples > self.max_samples:
            _, dropped = self._entries.popitem(last=False)
            self.samples -= dropped.pcm.size

    def __len__(self) -> int:
        return len(self._entries)
