"""Incremental WAV reading, for engines that stream a WAV file (espeak-ng ``--stdout``, OpenAI-compatible servers).

Streaming writers cannot know the length up front and put 0 or 0xFFFFFFFF in the RIFF and data sizes, so the sizes
are ignored: everything after the ``data`` chunk header is audio.
"""

from __future__ import annotations

import struct

import numpy as np

from streamer.errors import EngineError

_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE
_MAX_HEADER = 1 << 16  # a header larger than this is not a WAV we understand


class WavStream:
    """Feed bytes as they arrive; get mono float32 samples back once the header has been read."""

    def __init__(self) -> None:
        self.sample_rate = 0
        self.channels = 0
        self._fmt: tuple[int, int] | None = None  # (format tag, bits per sample)
        self._head = b""
        self._in_data = False
        self._rest = b""  # bytes of an incomplete sample frame

    def feed(self, data: bytes) -> np.ndarray:
        if not self._in_data:
            self._head += data
            data = self._parse_header()
            if not self._in_data:
                return np.zeros(0, np.float32)
        data = self._rest + data
        frame = self.channels * self._fmt[1] // 8  # type: ignore[index]
        usable = len(data) - len(data) % frame
        self._rest = data[usable:]
        return self._decode(data[:usable])

    def _parse_header(self) -> bytes:
        """Consume chunks up to ``data``; returns bytes after the data header (empty while incomplete)."""
        h = self._head
        if len(h) >= 12 and (h[:4] != b"RIFF" or h[8:12] != b"WAVE"):
            raise EngineError("the engine returned something that is not a WAV file", retryable=False)
        pos = 12
        while len(h) >= pos + 8:
            cid, size = h[pos : pos + 4], struct.unpack("<I", h[pos + 4 : pos + 8])[0]
            if cid == b"data":
                if self._fmt is None:
                    raise EngineError("WAV data chunk before its fmt chunk", retryable=False)
                self._in_data = True
                self._head = b""
                return h[pos + 8 :]
            if len(h) < pos + 8 + size:
                break
            if cid == b"fmt ":
                tag, channels, rate = struct.unpack("<HHI", h[pos + 8 : pos + 16])
                bits = struct.unpack("<H", h[pos + 22 : pos + 24])[0]
                if tag == _EXTENSIBLE:
                    tag = struct.unpack("<H", h[pos + 32 : pos + 34])[0]  # first two bytes of the sub-format GUID
                if (tag, bits) not in {(_PCM, 16), (_PCM, 32), (_FLOAT, 32)} or channels < 1:
                    raise EngineError(f"unsupported WAV format (tag {tag}, {bits} bit)", retryable=False)
                self._fmt, self.channels, self.sample_rate = (tag, bits), channels, rate
            pos += 8 + size + (size & 1)  # chunks are padded to even sizes
        if len(h) > _MAX_HEADER:
            raise EngineError("WAV header too large or no data chunk", retryable=False)
        return b""

    def _decode(self, data: bytes) -> np.ndarray:
        tag, bits = self._fmt  # type: ignore[misc]
        if tag == _FLOAT:
            x = np.frombuffer(data, "<f4").astype(np.float32)
        elif bits == 16:
            x = np.frombuffer(data, "<i2").astype(np.float32) / 32768.0
        else:
            x = (np.frombuffer(data, "<i4").astype(np.float64) / 2**31).astype(np.float32)
        if self.channels > 1:
            x = x.reshape(-1, self.channels).mean(axis=1)
        return x


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    """A whole WAV file in memory -> (mono float32, sample rate)."""
    w = WavStream()
    pcm = w.feed(data)
    if not w.sample_rate:
        raise EngineError("incomplete WAV file", retryable=True)
    return pcm, w.sample_rate
