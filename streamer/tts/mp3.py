"""Incremental MP3 decoding with PyAV, for engines that stream MP3 (edge-tts sends 24 kHz mono 48 kbit/s)."""

from __future__ import annotations

import av
import numpy as np


class Mp3Stream:
    """Feed MP3 bytes as they arrive; get mono float32 samples back as soon as whole frames are in."""

    def __init__(self) -> None:
        self._codec = av.CodecContext.create("mp3", "r")
        self.sample_rate = 0
        self._head: bytes | None = b""  # bytes held until we know whether an ID3 tag leads the stream

    def feed(self, data: bytes) -> np.ndarray:
        if self._head is not None:
            data = self._skip_id3(self._head + data)
            if self._head is not None:
                return np.zeros(0, np.float32)
        return self._decode(self._codec.parse(data))

    def _skip_id3(self, data: bytes) -> bytes:
        """Drop a leading ID3v2 tag, which the raw MP3 parser would hand to the decoder as a bad frame."""
        if len(data) < 10:
            self._head = data
            return b""
        if data[:3] != b"ID3":
            self._head = None
            return data
        size = 10 + (data[6] << 21 | data[7] << 14 | data[8] << 7 | data[9])  # syncsafe integer
        if len(data) < size:
            self._head = data
            return b""
        self._head = None
        return data[size:]

    def flush(self) -> np.ndarray:
        """Decode whatever the parser and decoder still hold (call once, at the end)."""
        head, self._head = self._head or b"", None  # a stream shorter than an ID3 header: let the decoder judge
        parts = [self._decode(self._codec.parse(head)) if head else np.zeros(0, np.float32),
                 self._decode(self._codec.parse(None)), self._frames(None)]
        return np.concatenate(parts)

    def _decode(self, packets: list[av.Packet]) -> np.ndarray:
        parts = [self._frames(p) for p in packets]
        parts = [p for p in parts if p.size]
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)

    def _frames(self, packet: av.Packet | None) -> np.ndarray:
        parts = []
        try:
            frames = self._codec.decode(packet)
        except av.error.InvalidDataError:  # one damaged frame: skip it rather than lose the sentence
            return np.zeros(0, np.float32)
        for frame in frames:
            self.sample_rate = frame.sample_rate
            x = frame.to_ndarray()
            if x.ndim == 2 and x.shape[0] > 1 and frame.format.is_planar:  # planar stereo -> mono
                x = x.mean(axis=0)
            elif x.ndim == 2 and not frame.format.is_planar and frame.layout.nb_channels > 1:
                x = x.reshape(-1, frame.layout.nb_channels).mean(axis=1)
            if x.dtype == np.int16:  # a fixed-point decoder build
                x = x.astype(np.float32) / 32768.0
            parts.append(np.asarray(x, dtype=np.float32).reshape(-1))
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)
