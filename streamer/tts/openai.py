"""OpenAI-compatible speech servers: ``POST {base_url}/audio/speech``, for self-hosted CosyVoice, fish-speech,
Kokoro-FastAPI and the like (or OpenAI itself).

Request: ``{"model", "input", "voice", "response_format": "wav" | "pcm"}``. The response body is streamed and played
as it arrives: ``wav`` is self-describing; ``pcm`` is raw 16-bit little-endian mono at ``pcm_sample_rate`` (24 kHz in
OpenAI's API). The protocol carries no timings, so no marks are yielded; the avatar derives the mouth from the audio.

Configuration: arguments, else ``STREAMER_TTS_BASE_URL`` (e.g. http://127.0.0.1:8880/v1), ``STREAMER_TTS_MODEL``
(default ``tts-1``), ``STREAMER_TTS_API_KEY`` (optional; sent as a bearer token).
Errors: connection failures, timeouts, 408/429 and 5xx are retryable; other 4xx (bad voice, bad key) are not.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Literal

import httpx
import numpy as np

from streamer.errors import ConfigError, EngineError
from streamer.tts import base
from streamer.tts.base import SpeechChunk
from streamer.tts.wav import WavStream

DEFAULT_MODEL = "tts-1"
_RETRYABLE_STATUS = {408, 425, 429}


class TTS(base.TTS):
    """An OpenAI-compatible ``/audio/speech`` endpoint; ``voice`` is whatever the server calls its voices."""

    def __init__(
        self,
        voice: str,
        *,
        base_url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        response_format: Literal["wav", "pcm"] = "wav",
        pcm_sample_rate: int = 24_000,
        connect_timeout_s: float = 3.0,
        read_timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        base_url = base_url or os.environ.get("STREAMER_TTS_BASE_URL")
        if not base_url:
            raise ConfigError("the openai TTS engine needs a server: set STREAMER_TTS_BASE_URL (e.g. http://host:8880/v1)")
        if not voice:
            raise ConfigError("the openai TTS engine needs a voice name: --voice openai:VOICE")
        if response_format not in ("wav", "pcm"):
            raise ConfigError(f"openai TTS response_format must be wav or pcm, not {response_format!r}")
        self.voice = voice
        self.name = f"openai:{voice}"
        self.url = base_url.rstrip("/") + "/audio/speech"
        self.model = model or os.environ.get("STREAMER_TTS_MODEL") or DEFAULT_MODEL
        self.response_format = response_format
        self.pcm_sample_rate = pcm_sample_rate
        key = api_key or os.environ.get("STREAMER_TTS_API_KEY")
        self._client = httpx.AsyncClient(
            headers={"Authorization": f"Bearer {key}"} if key else {},
            # read: the longest silence between two pieces of the body, including the wait for the first byte
            timeout=httpx.Timeout(read_timeout_s, connect=connect_timeout_s),
            transport=transport,
        )

    async def _synthesize(self, text: str) -> AsyncIterator[SpeechChunk]:
        body = {"model": self.model, "input": text, "voice": self.voice, "response_format": self.response_format}
        try:
            async with self._client.stream("POST", self.url, json=body) as resp:
                if resp.status_code >= 400:
                    detail = (await resp.aread()).decode(errors="replace").strip().replace("\n", " ")[:200]
                    retryable = resp.status_code >= 500 or resp.status_code in _RETRYABLE_STATUS
                    raise EngineError(f"{self.name}: HTTP {resp.status_code}: {detail}", retryable=retryable)
                if self.response_format == "wav":
                    wav = WavStream()
                    async for data in resp.aiter_bytes():
                        pcm = wav.feed(data)
                        if pcm.size:
                            yield SpeechChunk(pcm, wav.sample_rate)
                else:
                    rest = b""
                    async for data in resp.aiter_bytes():
                        data, rest = rest + data, b""
                        if len(data) % 2:  # a sample split across two network reads
                            data, rest = data[:-1], data[-1:]
                        if data:
                            yield SpeechChunk(np.frombuffer(data, "<i2").astype(np.int16), self.pcm_sample_rate)
        except httpx.TimeoutException as exc:
            raise EngineError(f"{self.name}: timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:  # refused, reset, DNS
            raise EngineError(f"{self.name}: cannot reach {self.url}: {exc}") from exc

    async def aclose(self) -> None:
        await self._client.aclose()
