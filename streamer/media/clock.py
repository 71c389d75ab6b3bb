"""The session clock. Audio is the master: time is samples written / sample rate, and video frame k shows the
host at time k / fps. Both pts come from these counters, never from the wall clock."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MediaClock:
    fps: int
    sample_rate: int

    def frame_time(self, k: int) -> float:
        """Session time (seconds) that video frame ``k`` shows."""
        return k / self.fps

    def frame_start_sample(self, k: int) -> int:
        """Index of the first audio sample that plays during frame ``k`` (exact integer arithmetic, no drift)."""
        return k * self.sample_rate // self.fps

    def samples_in_frame(self, k: int) -> int:
        return self.frame_start_sample(k + 1) - self.frame_start_sample(k)

    def frames_for(self, seconds: float) -> int:
        return round(seconds * self.fps)
