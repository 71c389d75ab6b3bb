"""The session's AAC as Opus, for WebRTC: decoded and encoded once per stream, 20 ms packets at 48 kHz whose pts
stay the session's sample counts (the audio-master clock), so a packet's RTP timestamp is its media time."""

from __future__ import annotations

from fractions import Fraction

import av

from .feed import FeedPacket

AUDIO_RATE = 48_000  # Opus's RTP clock
OPUS_FRAME = 960  # 20 ms
OPUS_BITRATE = 64_000


class OpusTranscoder:
    def __init__(self, aac_extradata: bytes) -> None:
        self._decoder = av.CodecContext.create("aac", "r")
        assert isinstance(self._decoder, av.AudioCodecContext)
        self._decoder.extradata = aac_extradata or None
        self._resampler = av.AudioResampler(format="s16", layout="stereo", rate=AUDIO_RATE, frame_size=OPUS_FRAME)
        encoder = av.CodecContext.create("libopus", "w")
        assert isinstance(encoder, av.AudioCodecContext)
        encoder.sample_rate, encoder.format, encoder.layout = AUDIO_RATE, "s16", "stereo"
        encoder.bit_rate = OPUS_BITRATE
        encoder.time_base = Fraction(1, AUDIO_RATE)
        encoder.options = {"application": "audio"}
        self._encoder = encoder
        self._next: int | None = None  # the sample count of the next resampled frame

    def transcode(self, packet: FeedPacket) -> list[tuple[int, bytes]]:
        """(pts at 48 kHz, Opus packet) for what one AAC packet completes."""
        aac = av.Packet(packet.data)
        aac.pts = aac.dts = packet.pts
        aac.time_base = packet.time_base
        out: list[tuple[int, bytes]] = []
        for frame in self._decoder.decode(aac):
            if self._next is None:
                start = frame.pts if frame.pts is not None else packet.pts
                self._next = round(start * (frame.time_base or packet.time_base) * AUDIO_RATE)
            for chunk in self._resampler.resample(frame):
                chunk.pts, chunk.time_base = self._next, Fraction(1, AUDIO_RATE)
                self._next += chunk.samples
                out += [(p.pts, bytes(p)) for p in self._encoder.encode(chunk) if p.pts is not None]
        return out
