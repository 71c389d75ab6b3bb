"""edge-tts: Microsoft Edge's online neural voices (zh-CN-XiaoxiaoNeural, en-US-AriaNeural, ...), free, no key.

The service streams MP3 (24 kHz mono) over a websocket, plus WordBoundary events that time each word; we decode the
MP3 as it arrives (PyAV) and pass the words on as ``kind="word"`` marks. Needs the internet: without it the engine
must fail fast, so connecting is bounded by ``connect_timeout_s`` and the whole wait for the first audio by
``first_audio_timeout_s``; both failures are retryable ``EngineError``s, which the fallback chain turns into a switch
to the next engine (and, after a few, an open circuit breaker).

Voice names cannot be checked offline; they are checked for shape (``xx-YY-NameNeural``) at construction and the
service rejects unknown ones (a non-retryable error).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

from streamer.errors import ConfigError, EngineError
from streamer.tts import base
from streamer.tts.base import Mark, SpeechChunk
from streamer.tts.mp3 import Mp3Stream

DEFAULT_VOICES = {"zh": "zh-CN-XiaoxiaoNeural", "en": "en-US-AriaNeural"}
TICKS_PER_S = 10_000_000  # edge reports offsets in 100 ns ticks
_VOICE_SHAPE = re.compile(r"^[a-z]{2,}-[A-Z]{2,}-.+Neural$")  # what edge-tts accepts as a short name


def check_voice(voice: str) -> str:
    if not _VOICE_SHAPE.match(voice):
        raise ConfigError(
            f"unknown edge-tts voice {voice!r}: use a neural voice name such as "
            f"{', '.join(DEFAULT_VOICES.values())} (list them online: edge-tts --list-voices)"
        )
    return voice


class TTS(base.TTS):
    """edge-tts voice. ``rate``/``pitch``/``volume`` use edge's syntax: '+10%', '-5Hz', '+0%'."""

    def __init__(
        self,
        voice: str | None = None,
        *,
        rate: str = "+0%",
        pitch: str = "+0Hz",
        volume: str = "+0%",
        connect_timeout_s: int = 2,
        first_audio_timeout_s: float = 2.5,  # normal first audio takes 0.3-1.5 s; offline must fail fast
        receive_timeout_s: int = 20,
    ) -> None:
        try:
            import edge_tts  # noqa: F401 - fail at construction, not mid-show
        except ImportError as exc:
            raise ConfigError("the edge engine needs the package edge-tts (pip install edge-tts)") from exc
        self.voice = check_voice(voice or DEFAULT_VOICES["zh"])
        try:  # edge-tts's own checks of rate/pitch/volume syntax, now rather than at the first sentence
            from edge_tts.data_classes import TTSConfig

            TTSConfig(self.voice, rate, volume, pitch, "WordBoundary")
        except ValueError as exc:
            raise ConfigError(f"edge-tts: {exc} (rate/volume like '+10%', pitch like '-5Hz')") from exc
        self.name = f"edge:{self.voice}"
        self.rate, self.pitch, self.volume = rate, pitch, volume
        self.connect_timeout_s = connect_timeout_s
        self.first_audio_timeout_s = first_audio_timeout_s
        self.receive_timeout_s = receive_timeout_s

    async def _synthesize(self, text: str) -> AsyncIterator[SpeechChunk]:
        import aiohttp
        import edge_tts
        from edge_tts import exceptions as edge_errors

        communicate = edge_tts.Communicate(
            text, self.voice, rate=self.rate, pitch=self.pitch, volume=self.volume, boundary="WordBoundary",
            connect_timeout=self.connect_timeout_s, receive_timeout=self.receive_timeout_s,
        )
        stream = communicate.stream()
        decoder = Mp3Stream()
        marks: list[Mark] = []
        # DNS lookups and the websocket handshake are not covered by edge's socket timeouts: bound the whole wait
        deadline: float | None = asyncio.get_running_loop().time() + self.first_audio_timeout_s
        try:
            while True:
                try:
                    async with asyncio.timeout_at(deadline):
                        msg = await anext(stream)
                except StopAsyncIteration:
                    break
                except TimeoutError as exc:
                    raise EngineError(f"{self.name}: no audio within {self.first_audio_timeout_s:.1f} s") from exc
                except (aiohttp.ClientError, OSError) as exc:  # offline, DNS, refused, reset
                    raise EngineError(f"{self.name}: cannot reach the service: {exc}") from exc
                except edge_errors.NoAudioReceived as exc:  # the service rejects unknown voices this way
                    raise EngineError(f"{self.name}: no audio (unknown voice?): {exc}", retryable=False) from exc
                except edge_errors.EdgeTTSException as exc:
                    raise EngineError(f"{self.name}: {type(exc).__name__}: {exc}") from exc
                if msg["type"] == "WordBoundary":
                    start = msg["offset"] / TICKS_PER_S
                    marks.append(Mark(start, start + msg["duration"] / TICKS_PER_S, msg["text"], "word"))
                elif msg["type"] == "audio":
                    pcm = decoder.feed(msg["data"])
                    if pcm.size:
                        deadline = None  # audio is flowing: from now on edge's receive timeout applies
                        yield SpeechChunk(pcm, decoder.sample_rate, marks)
                        marks = []
            tail = decoder.flush()
            if tail.size or marks:
                yield SpeechChunk(tail, decoder.sample_rate or 24_000, marks)
        finally:
            await stream.aclose()
