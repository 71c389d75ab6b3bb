"""What the scene needs to draw one video frame: the session fills a FrameState for every frame index."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..brief import Product
from ..tts.base import Mark


@dataclass(frozen=True, slots=True)
class Speaking:
    """The utterance on air. Its first sample plays at ``start_s`` on the session clock."""

    text: str
    start_s: float
    pcm: np.ndarray  # the whole utterance at SAMPLE_RATE, mono float32
    marks: tuple[Mark, ...]
    cue: str | None = None  # a gesture cue from the script, e.g. "present" or "point_cart"


@dataclass(frozen=True, slots=True)
class FrameState:
    """Frame ``index`` shows the host at session time ``t = index / fps``."""

    index: int
    t: float
    speaking: Speaking | None
    product: Product | None


@dataclass(frozen=True, slots=True)
class Upcoming:
    """What the session is about to play, told to the render stage before air time. Frame ``frame`` is the next one
    to be shown; ``speaking`` holds (first sample on the session clock, utterance) for the utterance on air at that
    frame, then the next one ready to play, at the first frame boundary it may start on if nothing cuts in (a
    prediction: an interrupt, a cut-in or a late voice can start it elsewhere, and the stage then drops what it
    prepared for it)."""

    frame: int
    speaking: tuple[tuple[int, Speaking], ...] = ()
