"""Avatar: the host on screen. Packs (pack.py), lip sync from timings or audio (visemes.py, lipsync.py), idle
motion and gestures (motion.py), and the renderers: layered sprites (sprite.py) and a warped portrait (photo.py).

``load_host(avatar, height)`` turns a pack name or path into a ``Host`` whose box is ``height`` pixels tall.
"""

from __future__ import annotations

from pathlib import Path

from .host import Host, HostPose
from .lipsync import LipTrack
from .motion import Blinker, GesturePlayer, Idle, idle
from .pack import Manifest, available, read_manifest, resolve

__all__ = ["Host", "HostPose", "LipTrack", "Blinker", "GesturePlayer", "Idle", "idle", "Manifest", "available",
           "read_manifest", "resolve", "load_host", "describe"]


def load_host(avatar: str | None, height: int) -> Host:
    """Load and validate a pack (ConfigError names any problem) and scale it to ``height`` pixels."""
    pack_dir = resolve(avatar)
    m = read_manifest(pack_dir)
    if m.kind == "photo":
        from .photo import PhotoHost

        return PhotoHost(pack_dir, m, height)
    from .sprite import SpriteHost

    return SpriteHost(pack_dir, m, height)


def describe(pack_dir: Path) -> str:
    """One line for `streamer avatars list`."""
    m = read_manifest(pack_dir)
    extras = []
    if m.kind == "sprite" and m.mouth is not None:
        extras.append(f"{len(m.mouth.visemes)} visemes")
    if m.gestures:
        extras.append("gestures: " + ", ".join(m.gestures))
    return f"{m.name:<12} {m.kind:<7} {m.title}" + (f" ({'; '.join(extras)})" if extras else "")
