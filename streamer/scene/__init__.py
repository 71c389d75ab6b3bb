"""Scene: turns a FrameState into a full video frame (background, host, product card, captions, AI label).

``SceneRenderer(brief, size, fps, avatar)`` is the entry point; see compositor.py for how a frame is put together,
window.py for how the host is prepared ahead for the audio about to play (``Upcoming``), and layout.py for the scene
files (assets/scenes/) that place everything.
"""

from __future__ import annotations

from .compositor import SceneRenderer
from .state import FrameState, Speaking, Upcoming

__all__ = ["SceneRenderer", "FrameState", "Speaking", "Upcoming"]
