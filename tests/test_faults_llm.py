"""Fault matrix, LLM rows: the reply model hangs or answers 500 while a served stream answers comments.

A stream whose replies come from an OpenAI-compatible model (its own ``llm`` settings: the real test server in
tests/llm_server.py, one failure opens the breaker) is live; comments arrive over /ws. What must hold, on the
product path (`streamer serve` app, a worker process):

- the broken model costs one reply's first-sentence timeout (a 500 is retried within it), then the breaker is open
  and replies are the offline answers, with no model call at all until the cool-down ends;
- every comment is still answered;
- health shows the breaker open, and closed again once the model is back and the probe after the cool-down got
  through.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from faults import figure, scale
from llm_server import ChatServer, Reply, Scripted
from test_control_support import LiveServer, WsClient, wait_for

MODEL_ANSWER = "The lamp is 24 dollars today. Tap link 2 to get it."
COOLDOWN_S = 20.0  # long enough to answer every comment of the outage inside it on a busy machine
QUESTIONS = ["does the lamp need batteries?", "how many yoga mats are left?", "what does the yoga mat cost?",
             "how do I buy the lamp?"]
REPLY_WAIT_S = 60.0


class Model:
    """What the test server's model does now: ``ok``, ``hang`` (headers, then nothing) or an HTTP status.
    Script writing (the planner's calls) is always refused, so only replies reach the model."""

    def __init__(self) -> None:
        self.mode: str | int = "ok"
        self.reply_calls: list[float] = []  # monotonic arrival of each reply request

    def __call__(self, body: dict[str, Any]) -> Reply:
        if "Comment from viewer" not in body["messages"][-1]["content"]:
            return 503
        self.reply_calls.append(time.monotonic())
        if self.mode == "ok":
            return Scripted(MODEL_ANSWER, piece_chars=6)
        if self.mode == "hang":
            return Scripted(hang=True)
        return int(self.mode)


@pytest.fixture(scope="module")
def model() -> Model:
    return Model()


@pytest.fixture(scope="module")
def chat(model: Model) -> Iterator[ChatServer]:
    with ChatServer(model) as server:
        yield server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("llm-faults")) as s:
        yield s


async def ask(ws: WsClient, sid: str, n: int, user: str, text: str) -> dict[str, Any]:
    """Send one comment over /ws; the decision it got."""
    await ws.send({"type": "comment", "id": f"q{n}", "stream": sid, "user": user, "text": text})
    ref = (await ws.until(lambda m: m.get("id") == f"q{n}"))["ref"]
    return await ws.until(lambda m: m["type"] == "decision" and m["ref"] == ref, REPLY_WAIT_S)


def llm_health(server: LiveServer, sid: str) -> dict[str, Any]:
    return (server.health(sid)["health"] or {}).get("llm") or {}


@pytest.mark.parametrize("fault", ["hang", 500])
async def test_a_broken_model_costs_one_timeout_then_offline_replies_answer_until_it_is_back(
        server: LiveServer, chat: ChatServer, model: Model, fault: str | int) -> None:
    model.mode = "ok"
    sid = server.create_stream(f"llm {fault}", llm={"backend": "openai", "base_url": chat.base_url,
                                                    "model": "test-model", "breaker_failures": 1,
                                                    "breaker_cooldown_s": COOLDOWN_S * scale()})
    server.start_live(sid)
    ws = WsClient(await websockets.connect(server.ws_url()))
    async with ws.conn:
        await ws.recv()  # hello
        await ws.send({"type": "subscribe", "streams": [sid], "events": ["decision"]})
        await ws.until(lambda m: m["type"] == "result")
        before = await ask(ws, sid, 0, "ana", "how much is the lamp?")
        assert before["action"] == "reply" and before["text"] == MODEL_ANSWER  # the model words replies

        model.mode = fault
        calls_before = len(model.reply_calls)
        outage = [await ask(ws, sid, 1, "viewer1", QUESTIONS[0])]  # the call that fails (after its retries)
        calls_failing = len(model.reply_calls) - calls_before
        outage += [await ask(ws, sid, i + 2, f"viewer{i + 2}", q) for i, q in enumerate(QUESTIONS[1:])]
        calls_while_open = len(model.reply_calls) - calls_before - calls_failing
        opened = await asyncio.to_thread(
            wait_for, lambda: (h := llm_health(server, sid)).get("breaker") == "open"
            and h.get("fallbacks", 0) >= len(QUESTIONS) and h, 5, "health to show the breaker open")

        model.mode = "ok"
        await asyncio.to_thread(wait_for, lambda: llm_health(server, sid).get("breaker") == "half_open",
                                COOLDOWN_S * scale() + 10, "the cool-down to end")
        after = await ask(ws, sid, 9, "zoe", "how much is the lamp today?")
        recovered = await asyncio.to_thread(wait_for, lambda: llm_health(server, sid).get("breaker") == "closed"
                                            and llm_health(server, sid), 5, "health to show the breaker closed")
    assert server.client.post(f"/api/streams/{sid}/stop").is_success

    assert [d["action"] for d in outage] == ["reply"] * len(QUESTIONS)  # every comment answered
    assert all(d["text"] and d["text"] != MODEL_ANSWER for d in outage)  # by the offline responder
    assert calls_failing >= 1 and calls_while_open == 0  # one failing reply, then no model call while open
    assert opened["breaker_opened"] == 1
    assert after["action"] == "reply" and after["text"] == MODEL_ANSWER  # the probe got through: the model is back
    assert recovered["consecutive_failures"] == 0
    figure(f"llm_{fault}", first_reply_ms=outage[0]["latency_ms"],
           offline_reply_ms=max(d["latency_ms"] for d in outage[1:]), model_calls_failing=calls_failing,
           model_calls_while_open=calls_while_open,
           comments_answered=len(outage), breaker_opened=opened["breaker_opened"],
           last_error=opened["last_error"], recovered_reply_ms=after["latency_ms"])
