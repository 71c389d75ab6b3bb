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
