"""Fault matrix, flood row: 10,000 comments over /ws at a live stream, as fast as the socket takes them.

The flood is what a busy room sends: chatter, greetings, links and the same few questions again and again, from
thousands of viewers.
The client keeps as many commands in flight as /ws allows (``MAX_IN_FLIGHT``) and sends the next the moment a
result frees a slot. What must hold, on the product path (`streamer serve` app in this process, a worker process):

- the service and the worker stay up, and their RSS stays bounded (``RSS_BOUND_MB`` over the level before, during
  the flood and after it drained; this process is the service, and also holds the client's own bookkeeping);
- the pending-comment queue stays bounded (triage's capacity), and what is not answered is said: a ``busy`` error
  for a command over the in-flight bound, an ``ignore`` decision with its reason (``queue_full``, ``expired``,
  ``duplicate``, ``rate_limited``, ...) for every comment that will not be answered;
- the stream keeps its frame rate: 0 late frames;
- a price question sent right after the flood is answered about as fast as one before it (figures recorded).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from faults import figure
from test_control_support import LiveServer, WsClient, wait_for

from streamer.comments.triage.queue import CommentQueue
from streamer.control.api.ws import MAX_IN_FLIGHT

FLOOD = 10_000  # the row's size, at every scale (a longer run would outlast the per-test timeout)
RSS_BOUND_MB = 60.0  # growth allowed over the level before the flood, per process
QUEUE_BOUND = CommentQueue().capacity + 1  # the questions plus the merged thank-you
ANSWER_WAIT_S = 60.0
CHATTER = ["666", "hello everyone", "lol", "so pretty", "first time here", "love this lamp", "where are you from",
           "buy cheap followers at spam.example.com", "nice", "can you say hi to my mom"]
QUESTIONS = ["how do I buy the lamp", "does the yoga mat slip", "when does the lamp ship", "is the lamp in stock"]


def flood_comment(i: int) -> dict[str, Any]:
    """The i-th comment of the flood: chatter, every one different, and one in ten a question the room keeps asking
    (a room asks the same few things), from viewers who post a few each."""
    text = f"{QUESTIONS[i // 10 % len(QUESTIONS)]}?" if i % 10 == 0 else f"{CHATTER[i % len(CHATTER)]} {i}"
    return {"type": "comment", "id": f"f{i}", "user": f"viewer{i % 3000}", "text": text}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("flood")) as s:
        yield s


class Reader:
    """Reads everything /ws sends back while the flood goes out: results, errors and the stream's events."""

    def __init__(self, ws: WsClient, stream: str) -> None:
        self.ws, self.stream = ws, stream
        self.slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        self.refs: dict[str, str] = {}  # message id -> ref of the accepted comment
        self.errors: Counter[str] = Counter()
        self.decisions: dict[str, list[dict[str, Any]]] = {}
        self.speech: list[tuple[float, dict[str, Any]]] = []  # (arrival, speech_start)
        self.decided_at: dict[str, float] = {}
        self.events_dropped = 0

    async def run(self) -> None:
        while True:
            msg = await self.ws.recv(120)
            if msg["type"] in ("result", "error") and str(msg.get("id") or "").startswith(("f", "q")):
                self.slots.release()
                if msg["type"] == "result":
                    self.refs[msg["id"]] = msg["ref"]
                else:
                    self.errors[msg["code"]] += 1
            elif msg["type"] == "error" and msg.get("code") == "events_dropped":
                self.events_dropped += 1
            elif msg["type"] == "decision" and msg.get("stream") == self.stream:
                self.decisions.setdefault(msg["ref"], []).append(msg)
                self.decided_at[msg["ref"]] = time.monotonic()
            elif msg["type"] == "speech_start" and msg.get("stream") == self.stream:
                self.speech.append((time.monotonic(), msg))

    async def send(self, message: dict[str, Any]) -> None:
        await self.slots.acquire()
        await self.ws.send(message)

    async def answer(self, sid: str, msg_id: str, user: str, text: str) -> tuple[dict[str, Any], float]:
        """Ask one question; its decision and the seconds until its reply was on air."""
        sent = time.monotonic()
        await self.send({"type": "comment", "id": msg_id, "stream": sid, "user": user, "text": text})
        ref = await _until(lambda: self.refs.get(msg_id), 30)
        decision = (await _until(lambda: self.decisions.get(ref), ANSWER_WAIT_S))[0]
        assert decision["action"] == "reply"
        on_air = await _until(lambda: next((t for t, e in self.speech if t >= sent and e["source"] == "reply"
                                            and decision["text"].startswith(e["text"])), None), ANSWER_WAIT_S)
        return decision, on_air - sent


async def _until(check: Any, timeout_s: float) -> Any:
    async with asyncio.timeout(timeout_s):
        while not (value := check()):  # noqa: ASYNC110 - the reader fills these as messages arrive
            await asyncio.sleep(0.02)
        return value


async def test_a_comment_flood_keeps_memory_and_queues_bounded_and_replies_fast(server: LiveServer) -> None:
    sid = server.create_stream("flood room")
    server.start_live(sid)
    worker = int(server.client.get(f"/api/streams/{sid}").json()["pid"])
    ws = WsClient(await websockets.connect(server.ws_url(), max_queue=None))
    async with ws.conn:
        await ws.recv()  # hello
        await ws.send({"type": "subscribe", "streams": [sid], "events": ["decision", "speech_start"]})
        await ws.until(lambda m: m["type"] == "result")
        reader = Reader(ws, sid)
        reading = asyncio.create_task(reader.run(), name="flood:reader")
        try:
            before, before_s = await reader.answer(sid, "q0", "kim", "how much is the lamp?")
            rss_before = (rss_mb(os.getpid()), rss_mb(worker))

            t0 = time.monotonic()
            pending_seen = []
            for i in range(FLOOD):
                await reader.send({**flood_comment(i), "stream": sid})
                if i % 500 == 0:
                    pending_seen.append((server.health(sid)["health"] or {}).get("comments_pending", 0))
            flood_s = time.monotonic() - t0
            await _until(lambda: len(reader.refs) + sum(reader.errors.values()) >= FLOOD, 60)
            rss_flood = (rss_mb(os.getpid()), rss_mb(worker))

            after, after_s = await reader.answer(sid, "q1", "lee", "how much is the yoga mat?")
            await asyncio.to_thread(wait_for, lambda: (server.health(sid)["health"] or {}).get(
                "comments_pending", 1) == 0, 120, "the flood to drain")
            accepted = set(reader.refs.values())
            await _until(lambda: accepted <= reader.decisions.keys(), 30)
            health = server.health(sid)["health"]
            rss_drained = (rss_mb(os.getpid()), rss_mb(worker))
        finally:
            reading.cancel()
    assert server.state(sid) == "live"  # the service answers, and the worker is up:
    assert server.client.get(f"/api/streams/{sid}").json()["pid"] == worker  # the same one, never restarted
    assert server.client.post(f"/api/streams/{sid}/stop").is_success

    reasons = Counter(d[0].get("reason", d[0]["action"]) for ref, d in reader.decisions.items() if ref in accepted)
    assert all(len(reader.decisions[ref]) == 1 for ref in accepted)  # exactly one decision per accepted comment
    assert max(pending_seen) <= QUEUE_BOUND
    assert health["late_frames"] == 0
    for start, flood, drained in zip(rss_before, rss_flood, rss_drained, strict=True):
        assert max(flood, drained) - start < RSS_BOUND_MB
    figure("ws_flood", comments=FLOOD, flood_s=round(flood_s, 1), accepted=len(accepted),
           busy=reader.errors["busy"], errors=dict(reader.errors), events_dropped=reader.events_dropped,
           outcomes=dict(reasons), max_pending=max(pending_seen),
           service_rss_mb=[round(x, 1) for x in (rss_before[0], rss_flood[0], rss_drained[0])],
           worker_rss_mb=[round(x, 1) for x in (rss_before[1], rss_flood[1], rss_drained[1])],
           price_reply_before_ms=before["latency_ms"], price_reply_after_ms=after["latency_ms"],
           price_on_air_before_s=round(before_s, 2), price_on_air_after_s=round(after_s, 2),
           late_frames=health["late_frames"])
