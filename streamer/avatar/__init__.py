"""Avatar: the host on screen. Packs (pack.py), lip sync from timings or audio (visemes.py, lipsync.py), idle
motion and gestures (motion.py), and the renderers: layered sprites (sprite.py) and a warped portrait (photo.py).

``load_host(avatar, height, fps)`` turns a pack name or path into a ``Host`` whose box is ``height`` pixels tall;
a ``kind: neural`` pack (``neural/``) gives a ``NeuralHost`` painted by the machine's inference service.
"""

from __future__ import annotations

from pathlib import Path

from .host import Host, HostPose
from .lipsync import LipTrack
from .motion import Blinker, GesturePlayer, Idle, idle
from .pack import Manifest, NeuralManifest, available, read_manifest, resolve

__all__ = ["Host", "HostPose", "LipTrack", "Blinker", "GesturePlayer", "Idle", "idle", "Manifest", "available",
           "read_manifest", "resolve", "load_host", "describe"]


def load_host(avatar: str | None, height: int, fps: float = 30.0, live: bool = True) -> Host:
    """Load and validate a pack (ConfigError names any problem) and scale it to ``height`` pixels; a neural host
    also needs the stream's ``fps`` (its faces are painted per video frame) and whether frames go out on the clock
    (``live``: a face that is late is skipped) or to a file (each face is waited for)."""
    pack_dir = resolve(avatar)
    m = read_manifest(pack_dir)
    if m.kind == "neural":
        from .neural.host import NeuralHost

        return NeuralHost(pack_dir, height, fps, live=live)
    if m.kind == "photo":
        from .photo import PhotoHost

        return PhotoHost(pack_dir, m, height)
    from .sprite import SpriteHost

    return SpriteHost(pack_dir, m, height)


def describe(pack_dir: Path) -> str:
    """One line for `streamer avatars list`."""
    m = read_manifest(pack_dir)
    extras: list[str] = [m.presents] if m.presents else []
    if m.kind == "sprite" and m.mouth is not None:
        extras.append(f"{len(m.mouth.visemes)} visemes")
    if isinstance(m, NeuralManifest):
        extras.append(f"{m.model}, {m.frames} frames {m.size[0]}x{m.size[1]} at {m.fps:g} fps")
    if m.gestures:
        extras.append("gestures: " + ", ".join(m.gestures))
    return f"{m.name:<12} {m.kind:<7} {m.title}" + (f" ({'; '.join(extras)})" if extras else "")
