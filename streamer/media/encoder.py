"""One H.264 + AAC encode per session, shared by every output.

Frames arrive as RGB arrays with their frame index; audio as mono float32 at the session rate. pts are the frame
index (time base 1/fps) and the sample count (time base 1/sample_rate). The encoder contexts live in a template
container so outputs can copy codec parameters (SPS/PPS, AudioSpecificConfig) with ``add_stream_from_template``.
Not thread-safe: one thread (the session's encode thread) calls it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import av
import cv2
import numpy as np

KEYFRAME_INTERVAL_S = 2
AUDIO_BITRATE = 128_000


@dataclass(frozen=True, slots=True)
class VideoSettings:
    width: int = 1280
    height: int = 720
    fps: int = 30
    bitrate: int = 2_500_000
    preset: str = "veryfast"
    threads: int = 1  # one x264 thread: sessions run side by side (4 at 720p30 veryfast on 2 cores); 0 = auto


@dataclass(frozen=True, slots=True)
class EncodedPacket:
    kind: Literal["video", "audio"]
    data: bytes
    pts: int | None
    dts: int | None
    duration: int | None
    time_base: Fraction
    keyframe: bool


class Encoder:
    def __init__(self, video: VideoSettings, sample_rate: int = 48_000) -> None:
        if video.width % 2 or video.height % 2:
            raise ValueError(f"frame size {video.width}x{video.height} must be even in both dimensions")
        self.settings = video
        self.sample_rate = sample_rate
        self._template = av.open(io.BytesIO(), "w", format="mp4")
        vs = self._template.add_stream("libx264", rate=video.fps, options={
            "preset": video.preset, "tune": "zerolatency", "profile": "high",
            # CBR-like rate control so ingest servers see a steady bitrate.
            "x264-params": f"nal-hrd=cbr:force-cfr=1:keyint={video.fps * KEYFRAME_INTERVAL_S}"
                           f":min-keyint={video.fps * KEYFRAME_INTERVAL_S}:scenecut=0",
        })
        vs.width, vs.height, vs.pix_fmt = video.width, video.height, "yuv420p"
        cc = vs.codec_context
        cc.bit_rate = video.bitrate
        cc.options = {**cc.options, "maxrate": str(video.bitrate), "bufsize": str(video.bitrate)}
        cc.gop_size = video.fps * KEYFRAME_INTERVAL_S
        cc.time_base = Fraction(1, video.fps)
        cc.framerate = Fraction(video.fps)
        cc.thread_count = video.threads
        # the "fast" coder costs a third of the default two-loop search per frame; speech does not need more
        as_ = self._template.add_stream("aac", rate=sample_rate, layout="stereo", options={"aac_coder": "fast"})
        as_.bit_rate = AUDIO_BITRATE
        as_.codec_context.time_base = Fraction(1, sample_rate)
        self._template.start_encoding()  # opens both codecs and fills the streams' codec parameters
        self.video_stream = vs
        self.audio_stream = as_
        self._video = vs.codec_context
        self._audio = as_.codec_context
        self._samples = 0

    def encode(self, index: int, rgb: np.ndarray, pcm: np.ndarray) -> list[EncodedPacket]:
        """Encode video frame ``index`` and the audio that plays during it."""
        # BT.601 limited range, 7x faster than swscale here; asarray only narrows the type (already uint8)
        yuv = np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420), dtype=np.uint8)
        vf = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        vf.pts = index
        vf.time_base = self._video.time_base
        out = self._packets("video", self._video.encode(vf))
        if pcm.size:
            stereo = np.ascontiguousarray(np.broadcast_to(pcm.astype(np.float32, copy=False), (2, pcm.size)))
            af = av.AudioFrame.from_ndarray(stereo, format="fltp", layout="stereo")
            af.sample_rate = self.sample_rate
            af.pts = self._samples
            af.time_base = Fraction(1, self.sample_rate)
            self._samples += pcm.size
            out += self._packets("audio", self._audio.encode(af))
        return out

    def flush(self) -> list[EncodedPacket]:
        return self._packets("video", self._video.encode(None)) + self._packets("audio", self._audio.encode(None))

    def close(self) -> None:
        self._template.close()

    @staticmethod
    def _packets(kind: Literal["video", "audio"], packets: list[av.Packet]) -> list[EncodedPacket]:
        return [EncodedPacket(kind, bytes(p), p.pts, p.dts, p.duration, p.time_base, p.is_keyframe)
                for p in packets if p.size]
