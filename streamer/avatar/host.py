"""What every host renderer (sprite, photo, neural) offers the scene: its size, anchor, ``prepare`` and ``draw``.

The scene's render stage (scene/window.py) tells a host, ahead of air time and in batches, which frames it will
draw soon and what is said over them (``prepare``); then it draws each frame as it falls due (``draw``). A host that
paints from the voice (neural) starts its work in ``prepare``; a drawn host needs nothing ahead (the stage computes
its mouth shapes for the window), so its ``prepare`` does nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from .motion import Idle
from .pack import GestureSpec, MotionSpec

if TYPE_CHECKING:
    from ..scene.state import Speaking


@dataclass(frozen=True, slots=True)
class HostPose:
    """Everything that varies from frame to frame: mouth parameters (open, width, round, press, fv), eyes,
    idle motion and the gesture frame; and the frame itself (index, time, utterance on air) for hosts that paint
    the mouth from the voice (neural) rather than from mouth parameters."""

    mouth: np.ndarray
    eyes: str = "open"  # open | half | closed
    idle: Idle = field(default_factory=lambda: Idle(0.0, 0.0, 0.0, 0.0))
    gesture: tuple[str, int] | None = None
    index: int | None = None
    t: float | None = None
    speaking: Speaking | None = None


@dataclass(frozen=True, slots=True)
class HostFrame:
    """A frame the host will draw soon: its index, the session time it shows and the utterance on air then."""

    index: int
    t: float
    speaking: Speaking | None


class Host(Protocol):
    name: str
    size: tuple[int, int]  # (w, h) in output pixels
    anchor: tuple[float, float]  # output pixels inside the host box: the point the scene pins to its host anchor
    motion: MotionSpec
    gestures: dict[str, GestureSpec]
    mouth_rect: tuple[int, int, int, int]  # (x, y, w, h) of the mouth at rest, in pixels of the host box

    def prepare(self, frames: Sequence[HostFrame]) -> None:
        """Get ready, in one batch and ahead of air time, to draw ``frames`` (the render window, from the next frame
        to be shown on). An utterance with no frame in them will not play: whatever was started for it is
        dropped."""
        ...

    def draw(self, frame: np.ndarray, x: int, y: int, pose: HostPose, clip_bottom: int | None = None) -> None:
        """Composite the host onto ``frame`` in place with its box's top-left at (x, y)."""
        ...
