"""The render window: the host's frames for the audio about to play, prepared ahead of air time in batches.

The session tells the stage, every frame, what it is about to play (``Upcoming``: the utterance on air and the next
ready one). The window spans ``LOOK_AHEAD_S`` from the next frame to be shown. It is prepared again, as one batch in
the render thread, when the utterances it holds change (one begins or is predicted, an interrupt or a cut-in ends
one) or when less than half of it is left prepared: each frame's mouth shape and speech level from the utterance's
lip track, and the host's own work (a neural host submits the faces to paint). A frame is then drawn with what was
prepared for it only if it was prepared for the utterance really on air at that frame; otherwise (an interrupt, a
start other than predicted, a frame drawn without a window) its mouth is computed as it is drawn, as before the
window existed. So an interrupt silences the host at the next frame, and the window never delays a frame: preparing
costs what drawing the same frames would have cost, only earlier.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..avatar import LipTrack
from ..avatar.host import Host, HostFrame
from ..avatar.lipsync import REST
from ..media.clock import MediaClock
from .captions import utterance_key
from .state import FrameState, Speaking, Upcoming

LOOK_AHEAD_S = 0.4  # how far ahead of air time the host is prepared

Key = tuple[float, int]


class RenderWindow:
    """The look-ahead of one scene's host at ``fps`` frames a second on a clock of ``sample_rate`` samples."""

    def __init__(self, host: Host, fps: int, sample_rate: int, look_ahead_s: float = LOOK_AHEAD_S) -> None:
        self.host = host
        self.frames = max(1, round(look_ahead_s * fps))
        self._clock = MediaClock(fps, sample_rate)
        self._keys: tuple[Key, ...] = ()  # the utterances the window was last prepared for
        self._until = 0  # frames before this one are prepared
        self._mouths: dict[int, tuple[Key, np.ndarray, float]] = {}  # frame -> (utterance, mouth, speech level)
        self._tracks: dict[Key, LipTrack] = {}

    def due(self, upcoming: Upcoming) -> list[HostFrame] | None:
        """The window to prepare now, from ``upcoming.frame`` on; None while what is prepared still covers it."""
        first, end = (self._clock.frame_start_sample(upcoming.frame + n) for n in (0, self.frames))
        keys = tuple(utterance_key(sp) for start, sp in upcoming.speaking  # those with a frame in the window
                     if start < end and first < start + np.asarray(sp.pcm).size)
        if keys == self._keys and self._until - upcoming.frame > self.frames // 2:
            return None
        return [HostFrame(j, self._clock.frame_time(j), self._speaking_at(j, upcoming))
                for j in range(upcoming.frame, upcoming.frame + self.frames)]

    def prepare(self, window: Sequence[HostFrame]) -> None:
        """Prepare ``window`` (from ``due``) in one go; what was prepared for anything else is dropped. Runs in the
        render thread, never at the same time as ``mouth``."""
        wanted = {f.index: utterance_key(f.speaking) for f in window if f.speaking is not None}
        self._mouths = {k: v for k, v in self._mouths.items() if wanted.get(k) == v[0]}
        live = set(wanted.values())
        self._tracks = {key: track for key, track in self._tracks.items() if key in live}
        for f in window:
            if f.speaking is not None and f.index not in self._mouths:
                key, track = self._track(f.speaking)
                self._mouths[f.index] = (key, track.at(f.t - f.speaking.start_s),
                                         track.speech_level(f.t - f.speaking.start_s))
        self.host.prepare(window)
        self._keys = tuple(dict.fromkeys(utterance_key(f.speaking) for f in window if f.speaking is not None))
        self._until = window[-1].index + 1 if window else self._until

    def mouth(self, state: FrameState) -> tuple[np.ndarray, float]:
        """Mouth parameters and speech level for ``state``: prepared ahead when the window holds this frame of the
        utterance on air, else computed now."""
        sp = state.speaking
        prepared = self._mouths.pop(state.index, None)
        for old in [k for k in self._mouths if k < state.index]:  # frames that will never be drawn
            del self._mouths[old]
        # utterances that began before this frame and are not on air at it are over (played or cut short)
        self._tracks = {k: v for k, v in self._tracks.items() if k[0] > state.t or (sp and k == utterance_key(sp))}
        if sp is None:
            return REST, 0.0
        if prepared is not None and prepared[0] == utterance_key(sp):
            return prepared[1], prepared[2]
        _, track = self._track(sp)
        return track.at(state.t - sp.start_s), track.speech_level(state.t - sp.start_s)

    def _track(self, sp: Speaking) -> tuple[Key, LipTrack]:
        key = utterance_key(sp)
        track = self._tracks.get(key)
        if track is None:
            track = self._tracks[key] = LipTrack(sp.pcm, sp.marks)
        return key, track

    def _speaking_at(self, j: int, upcoming: Upcoming) -> Speaking | None:
        """The utterance the session will play over frame ``j`` (as ``Playout.take`` will tell): the one that starts
        last, where an urgent reply cuts the one on air short."""
        sample = self._clock.frame_start_sample(j)
        for start, sp in reversed(upcoming.speaking):
            if start <= sample < start + np.asarray(sp.pcm).size:
                return sp
        return None
