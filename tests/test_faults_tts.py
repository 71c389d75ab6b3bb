"""Fault matrix, TTS rows: the voice service hangs, crashes or returns garbage while a served stream is live.

The stream speaks through an OpenAI-compatible TTS (``--voice openai:VOICE``, ``STREAMER_TTS_BASE_URL``) with
espeak-ng behind it, as every stream does. The speech server here speaks the real protocol (``POST
/v1/audio/speech``, a streamed WAV body) and the voice name picks how it breaks. What must hold, on the product
path (`streamer serve` app, a worker process, a recording of what went on air):

- the host is never silent longer than the fallback's timeout (plus the breath between sentences);
- the stream keeps its frame rate: 0 late frames;
- what was played is valid audio at broadcast loudness: nothing of the garbage reaches the air;
- health names the engine in use (the fallback while the service is broken).
"""

from __future__ import annotations

import asyncio
import io
import socket
import struct
import threading
import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import av
import numpy as np
import pyloudnorm
import pytest
import websockets
from faults import figure, scale
from test_control_support import LiveServer, WsClient, wait_for

from streamer.speech.playout import PAUSE_S
from streamer.tts.fallback import DEFAULT_TIMEOUT_S

RATE = 24_000
FALLBACK = "espeak:en-us"
HEALTHY_S = 4.0  # on air with a working voice service before it breaks
RUN_S = 15.0  # on air with it broken, in CI (three sentences or more); chaos runs stretch it
SLOW_RUN_S = 20.0  # the same for faults that cost a whole timeout per sentence (three sentences need three)
SLOW_FAULTS = ("hang", "stall")
SYNTH_MARGIN_S = 2.0  # the fallback voicing the sentence after the timeout, on a busy two-core machine


def speech(text: str) -> np.ndarray:
    """Speech-like int16 audio for ``text``: a 180 Hz voice in syllables, 60 ms per character."""
    n = int(RATE * max(0.4, 0.06 * len(text)))
    t = np.arange(n) / RATE
    syllables = 0.5 - 0.5 * np.cos(2 * np.pi * 4 * t)
    voice = np.sin(2 * np.pi * 180 * t) + 0.3 * np.sin(2 * np.pi * 360 * t)
    return (0.3 * 32767 * syllables * voice / 1.3).astype(np.int16)


def wav_header(rate: int, *, float32: bool = False) -> bytes:
    """A streaming WAV header (sizes unknown: 0xFFFFFFFF), as streaming TTS servers send."""
    tag, bits = (3, 32) if float32 else (1, 16)
    fmt = struct.pack("<HHIIHH", tag, 1, rate, rate * bits // 8, bits // 8, bits)
    return b"RIFF" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt \
        + b"data" + struct.pack("<I", 0xFFFFFFFF)


def wav_file(pcm: np.ndarray) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


class SpeechServer:
    """A local OpenAI-compatible speech server on 127.0.0.1. Every voice answers well until ``break_voice`` names
    it; from then on the voice's name says how it fails: ``hang`` reads the request and never answers; ``stall`` sends a tenth of the audio, then
    nothing; ``error`` answers 500; ``die`` sends part of the audio, resets the connection and the server is gone
    (its process died: later connections are refused); ``nan``, ``rate``, ``empty``, ``loud`` and ``endless`` answer
    200 with garbage: NaN samples, a sample rate of 1 Hz, no body, samples a thousand times full scale, and audio
    that never ends."""

    def __init__(self) -> None:
        self.requests: list[str] = []  # voice of each request
        self.broken: set[str] = set()
        self._closing = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                import json

                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                voice, text = body.get("voice", ""), body.get("input", "")
                server.requests.append(voice)
                try:
                    self._answer(voice if voice in server.broken else "ok", text)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up: what a real server sees too

            def _start(self, length: int | None = None) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "audio/wav")
                if length is None:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                else:
                    self.send_header("Content-Length", str(length))
                self.end_headers()

            def _answer(self, voice: str, text: str) -> None:
                pcm = speech(text)
                if voice == "ok":
                    data = wav_file(pcm)
                    self._start(len(data))
                    self.wfile.write(data)
                elif voice == "hang":
                    server._closing.wait()
                elif voice == "stall":
                    self._start()
                    self.wfile.write(wav_header(RATE) + pcm[: pcm.size // 10].tobytes())
                    self.wfile.flush()
                    server._closing.wait()
                elif voice == "error":
                    data = b'{"error": {"message": "CUDA error: device-side assert triggered"}}'
                    self.send_response(500)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                elif voice == "die":
                    self._start()
                    self.wfile.write(wav_header(RATE) + pcm[: pcm.size // 4].tobytes())
                    self.wfile.flush()
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()  # a reset, as when the process is killed
                    threading.Thread(target=server.kill, name="speech-server-kill", daemon=True).start()
                elif voice == "nan":
                    x = pcm.astype(np.float32) / 32768
                    x[::7] = np.nan
                    self._start()
                    self.wfile.write(wav_header(RATE, float32=True) + x.astype("<f4").tobytes())
                elif voice == "rate":
                    self._start()
                    self.wfile.write(wav_header(1) + pcm.tobytes())
                elif voice == "empty":
                    self._start(0)
                elif voice == "loud":
                    x = np.random.default_rng(1).uniform(-1000, 1000, pcm.size).astype("<f4")
                    self._start()
                    self.wfile.write(wav_header(RATE, float32=True) + x.tobytes())
                elif voice == "endless":
                    self._start()
                    self.wfile.write(wav_header(RATE))
                    while not server._closing.is_set():
                        self.wfile.write(pcm.tobytes())
                        self.wfile.flush()
                else:
                    self.send_error(400, f"voice {voice} not found")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="speech-server", daemon=True)
        self.killed = False

    def break_voice(self, voice: str) -> None:
        self.broken.add(voice)

    def kill(self) -> None:
        """The server is gone: its port refuses connections from now on."""
        if not self.killed:
            self.killed = True
            self.httpd.shutdown()
            self.httpd.server_close()

    def __enter__(self) -> SpeechServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        self.kill()
        self._thread.join(timeout=5)


@pytest.fixture(scope="module")
def voices() -> Iterator[SpeechServer]:
    with SpeechServer() as s:
        yield s


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, voices: SpeechServer) -> Iterator[LiveServer]:
    with pytest.MonkeyPatch.context() as env:  # worker processes inherit the service's environment
        env.setenv("STREAMER_TTS_BASE_URL", voices.base_url)
        with LiveServer(tmp_path_factory.mktemp("tts-faults")) as s:
            yield s


@dataclass
class OnAir:
    """What one scenario's stream did after the fault: its speech events, health before and after, and the audio
    recorded over the whole run."""

    speech: list[dict[str, Any]]
    healthy: dict[str, Any]  # health while the voice service still worked
    health: dict[str, Any]  # the last health report, with the service broken
    audio: np.ndarray  # mono float32 as a player decodes it
    rate: int

    @property
    def said(self) -> list[str]:
        return [e["text"] for e in self.speech if e["type"] == "speech_start"]

    @property
    def longest_silence_s(self) -> float:
        """The longest time on air between the end of one sentence and the start of the next, or the end of the
        run (media seconds)."""
        gaps, last_end = [0.0], None
        for e in self.speech:
            if e["type"] == "speech_start":
                if last_end is not None:
                    gaps.append(e["t"] - last_end)
                last_end = None
            elif e["type"] == "speech_end":
                last_end = e["t"]
        if last_end is not None:
            gaps.append(float(self.health["media_s"]) - last_end)
        return max(gaps)

    @property
    def loudness_lufs(self) -> float:
        return float(pyloudnorm.Meter(self.rate).integrated_loudness(self.audio.astype(np.float64)))

    @property
    def peak(self) -> float:
        return float(np.max(np.abs(self.audio)))


def recorded_audio(path: Path) -> tuple[np.ndarray, int]:
    with av.open(str(path)) as c:
        stream = c.streams.audio[0]
        pieces = [f.to_ndarray().astype(np.float32).mean(axis=0) for f in c.decode(stream)]
        return np.concatenate(pieces), stream.codec_context.sample_rate


async def listen(ws: WsClient, seconds: float) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            events.append(await ws.recv(left))
        except TimeoutError:
            break
    return events


async def run_stream(server: LiveServer, voices: SpeechServer, fault: str) -> OnAir:
    """A recorded stream speaking ``openai:FAULT``: healthy for a while, then the voice breaks as ``fault`` says."""
    sid = server.create_stream(f"tts {fault}", voice=f"openai:{fault}", record=True)
    ws = WsClient(await websockets.connect(server.ws_url()))
    async with ws.conn:
        await ws.recv()  # hello
        await ws.send({"type": "subscribe", "streams": [sid], "events": ["speech_start", "speech_end"]})
        await ws.until(lambda m: m["type"] == "result")
        await asyncio.to_thread(server.start_live, sid)
        await listen(ws, HEALTHY_S)
        healthy = server.health(sid)["health"]
        voices.break_voice(fault)
        events = await listen(ws, (SLOW_RUN_S if fault in SLOW_FAULTS else RUN_S) * scale())
    health = server.health(sid)["health"]
    assert server.client.post(f"/api/streams/{sid}/stop").is_success
    server.wait_state(sid, "stopped", 30)
    recording = wait_for(lambda: next((server.settings.data_dir / "recordings").glob(f"{sid}-run*.mkv"), None),
                         10, "the recording")
    audio, rate = await asyncio.to_thread(recorded_audio, recording)
    return OnAir([e for e in events if e.get("stream") == sid], healthy, health, audio, rate)


def assert_the_host_went_on_cleanly(on_air: OnAir, fault: str) -> None:
    figure(f"tts_{fault}", silence_s=round(on_air.longest_silence_s, 3), late_frames=on_air.health["late_frames"],
           late_frames_before=on_air.healthy["late_frames"], max_lag_s=round(on_air.health["max_lag_s"], 3),
           loudness_lufs=round(on_air.loudness_lufs, 1), peak=round(on_air.peak, 3), sentences=len(on_air.said),
           engine=on_air.health["tts"]["engine"], breakers=on_air.health["tts"]["breakers"])
    assert on_air.healthy["tts"]["engine"] == f"openai:{fault}"  # the service spoke until it broke
    assert on_air.health["tts"]["engine"] == FALLBACK
    assert on_air.longest_silence_s < DEFAULT_TIMEOUT_S + PAUSE_S + SYNTH_MARGIN_S
    assert on_air.health["late_frames"] - on_air.healthy["late_frames"] == 0  # none while the voice was broken
    assert len(on_air.said) >= 3  # the host kept talking
    assert bool(np.isfinite(on_air.audio).all())
    assert on_air.peak < 1.0  # nothing clipped
    assert -20 < on_air.loudness_lufs < -12  # the session's -16 LUFS: neither noise at full scale nor near-silence


# one per matrix row in every run (hang; garbage: NaN, no audio); the rest of the ways a voice breaks in chaos runs
CHAOS = pytest.mark.chaos


@pytest.mark.parametrize("fault", ["hang", pytest.param("stall", marks=CHAOS), pytest.param("error", marks=CHAOS),
                                   "nan", pytest.param("rate", marks=CHAOS), "empty",
                                   pytest.param("loud", marks=CHAOS), pytest.param("endless", marks=CHAOS)])
async def test_a_voice_service_that_breaks_on_air_never_silences_the_host_nor_reaches_the_air(
        server: LiveServer, voices: SpeechServer, fault: str) -> None:
    on_air = await run_stream(server, voices, fault)
    assert fault in voices.requests  # the broken voice was asked
    assert_the_host_went_on_cleanly(on_air, fault)


async def test_a_voice_service_that_dies_mid_sentence_hands_over_to_the_fallback(server: LiveServer) -> None:
    with pytest.MonkeyPatch.context() as env, SpeechServer() as dying:
        env.setenv("STREAMER_TTS_BASE_URL", dying.base_url)  # this stream's worker is spawned with it
        on_air = await run_stream(server, dying, "die")
        assert dying.killed
    assert_the_host_went_on_cleanly(on_air, "die")
