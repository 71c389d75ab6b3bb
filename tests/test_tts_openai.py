"""The OpenAI-compatible engine against a real HTTP server on 127.0.0.1 speaking the /v1/audio/speech protocol."""

from __future__ import annotations

import asyncio
import io
import time
import wave
from collections.abc import AsyncIterator

import numpy as np
import pytest
from aiohttp import web
from tts_helpers import ScriptedTTS, collect, rms

from streamer.errors import ConfigError, EngineError
from streamer.tts import openai
from streamer.tts.base import SAMPLE_RATE
from streamer.tts.fallback import FallbackTTS

RATE = 24000
WITHIN_S = 10.0  # the tests' timeouts are 0.3 s and the slow voice takes a minute: loose enough for a busy CI
TONE = (0.4 * 32767 * np.sin(2 * np.pi * 200 * np.arange(RATE // 2) / RATE)).astype(np.int16)  # 0.5 s


def _wav(pcm: np.ndarray) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


class SpeechServer:
    """A minimal speech server; the voice name picks the behaviour."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict, str | None]] = []

    async def speech(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append((body, request.headers.get("Authorization")))
        voice = body["voice"]
        if voice == "broken":
            return web.json_response({"error": {"message": "model crashed"}}, status=500)
        if voice == "nope":
            return web.json_response({"error": {"message": "voice nope not found"}}, status=400)
        if voice == "slow":
            await asyncio.sleep(60)  # far beyond every timeout the tests set
        data = _wav(TONE) if body["response_format"] == "wav" else TONE.tobytes()
        resp = web.StreamResponse(headers={"Content-Type": "audio/wav"})
        await resp.prepare(request)
        for i in range(0, len(data), 1001):  # odd-sized pieces: samples split across network reads
            await resp.write(data[i : i + 1001])
        await resp.write_eof()
        return resp


@pytest.fixture
async def server() -> AsyncIterator[tuple[SpeechServer, str]]:
    srv = SpeechServer()
    app = web.Application()
    app.router.add_post("/v1/audio/speech", srv.speech)
    runner = web.AppRunner(app, shutdown_timeout=0.1)  # do not wait out the slow handler
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield srv, f"http://127.0.0.1:{port}/v1"
    await runner.cleanup()


@pytest.mark.parametrize("fmt", ["wav", "pcm"])
async def test_streams_the_servers_audio_without_marks(server: tuple[SpeechServer, str], fmt: str) -> None:
    srv, url = server
    tts = openai.TTS("alloy", base_url=url, model="kokoro", api_key="sk-test", response_format=fmt)
    pcm, marks, chunks = await collect(tts, "你好")
    await tts.aclose()
    assert abs(pcm.size - SAMPLE_RATE // 2) <= 2
    assert rms(pcm) > 0.1 and marks == [] and len(chunks) > 1  # the tone, levelled to -16 LUFS
    assert srv.requests == [({"model": "kokoro", "input": "你好", "voice": "alloy", "response_format": fmt},
                             "Bearer sk-test")]


async def test_configuration_comes_from_the_environment(server: tuple[SpeechServer, str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    srv, url = server
    monkeypatch.setenv("STREAMER_TTS_BASE_URL", url)
    monkeypatch.setenv("STREAMER_TTS_MODEL", "cosyvoice")
    monkeypatch.delenv("STREAMER_TTS_API_KEY", raising=False)
    tts = openai.TTS("zhitian")
    await collect(tts, "hi")
    await tts.aclose()
    assert srv.requests[0][0]["model"] == "cosyvoice" and srv.requests[0][1] is None


def test_missing_server_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STREAMER_TTS_BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="STREAMER_TTS_BASE_URL"):
        openai.TTS("alloy")


@pytest.mark.parametrize(("voice", "retryable"), [("broken", True), ("nope", False)])
async def test_error_status_becomes_an_engine_error(server: tuple[SpeechServer, str], voice: str,
                                                    retryable: bool) -> None:
    tts = openai.TTS(voice, base_url=server[1])
    with pytest.raises(EngineError, match=r"HTTP \d+") as err:
        await collect(tts, "hi")
    await tts.aclose()
    assert err.value.retryable is retryable


async def test_slow_server_times_out_as_a_retryable_error(server: tuple[SpeechServer, str]) -> None:
    tts = openai.TTS("slow", base_url=server[1], read_timeout_s=0.3)
    t0 = time.perf_counter()
    with pytest.raises(EngineError, match="timed out") as err:
        await collect(tts, "hi")
    await tts.aclose()
    assert err.value.retryable and time.perf_counter() - t0 < WITHIN_S


async def test_slow_server_in_a_chain_hands_the_sentence_to_the_next_engine(server: tuple[SpeechServer, str]) -> None:
    backup = ScriptedTTS("backup")
    chain = FallbackTTS([openai.TTS("slow", base_url=server[1]), backup], timeout_s=0.3)
    t0 = time.perf_counter()
    pcm, _, _ = await collect(chain, "hello")
    await chain.aclose()
    assert time.perf_counter() - t0 < WITHIN_S and backup.calls == ["hello"] and pcm.size


async def test_unreachable_server_is_retryable(refused_port_number: int) -> None:
    tts = openai.TTS("alloy", base_url=f"http://127.0.0.1:{refused_port_number}/v1")
    with pytest.raises(EngineError, match="cannot reach") as err:
        await collect(tts, "hi")
    await tts.aclose()
    assert err.value.retryable
