"""edge-tts needs the internet; here we check it fails fast and retryably without it, and that the Chinese default
chain then still speaks through espeak-ng."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import pytest
from tts_helpers import assert_marks_sane, collect, rms

from streamer.errors import ConfigError, EngineError
from streamer.tts import create_tts, edge, espeak
from streamer.tts.base import SAMPLE_RATE

EDGE_HOST = "speech.platform.bing.com"
WITHIN_S = 10.0  # every wait is bounded by a 0.5-2.5 s timeout and a hang is forever: loose enough for a busy CI


def _online() -> bool:
    try:
        socket.getaddrinfo(EDGE_HOST, 443)
        return True
    except OSError:
        return False


ONLINE = _online()


@pytest.mark.skipif(ONLINE, reason="the edge service is reachable from here")
async def test_offline_edge_fails_fast_and_retryably() -> None:
    t0 = time.perf_counter()
    with pytest.raises(EngineError) as err:
        await collect(edge.TTS("zh-CN-XiaoxiaoNeural"), "你好")
    assert time.perf_counter() - t0 < WITHIN_S
    assert err.value.retryable


@pytest.fixture
async def silent_server() -> AsyncIterator[int]:
    """A TCP server that accepts connections and never answers: a network that hangs instead of refusing."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    for w in held:
        w.close()
    server.close()


async def test_hanging_connection_is_cut_by_the_first_audio_timeout(
    silent_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import edge_tts.communicate

    monkeypatch.setattr(edge_tts.communicate, "WSS_URL", f"ws://127.0.0.1:{silent_server}/edge/v1?TrustedClientToken=x")
    t0 = time.perf_counter()
    with pytest.raises(EngineError, match="no audio within") as err:
        await collect(edge.TTS("zh-CN-XiaoxiaoNeural", first_audio_timeout_s=0.5), "你好")
    assert time.perf_counter() - t0 < WITHIN_S and err.value.retryable


@pytest.mark.skipif(ONLINE, reason="the edge service is reachable from here")
async def test_chinese_default_chain_speaks_through_espeak_when_offline() -> None:
    tts = create_tts(None, "zh")
    t0 = time.perf_counter()
    pcm, marks, _ = await collect(tts, "欢迎来到直播间。")
    assert time.perf_counter() - t0 < WITHIN_S
    assert isinstance(tts.last_engine, espeak.TTS)  # type: ignore[attr-defined]
    assert rms(pcm) > 0.02
    assert_marks_sane(marks, pcm.size / SAMPLE_RATE)
    for _ in range(2):
        await collect(tts, "谢谢。")
    assert tts.breakers[0].state(time.monotonic()) == "open"  # type: ignore[attr-defined]  # edge now costs nothing


def test_voice_names_are_checked_for_shape() -> None:
    with pytest.raises(ConfigError, match="zh-CN-XiaoxiaoNeural"):
        edge.TTS("Xiaoxiao")


@pytest.mark.network
@pytest.mark.skipif(not ONLINE, reason="needs the internet")
async def test_speaks_with_word_marks_when_online() -> None:
    pcm, marks, _ = await collect(edge.TTS("en-US-AriaNeural"), "Hello and welcome.")
    assert rms(pcm) > 0.02 and [m.kind for m in marks] == ["word"] * len(marks) and marks
    assert_marks_sane(marks, pcm.size / SAMPLE_RATE)
