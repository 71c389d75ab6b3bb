"""`update_product` on a served stream (`streamer serve`'s app, real worker processes, espeak): new prices and stock
change what the host says from the next sentence, what replies say, the stored brief and the transcript; invalid
changes and roles that may not edit are refused.

The lamp of the test brief sells at 24 dollars (list price 32, stock 40, link 2); no other fact of the brief
contains 24, so a sentence with 24 in it after an update states the old price.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import websockets
from llm_server import ChatServer
from test_control_support import LiveServer, WsClient, wait_for

LAMP = "lamp-2"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("update")) as s:
        yield s


@pytest.fixture
def live(server: LiveServer) -> Iterator[str]:
    """A stream of its own, on air."""
    sid = server.create_stream("update room")
    server.start_live(sid)
    yield sid
    server.client.post(f"/api/streams/{sid}/stop")


async def connect(server: LiveServer, token: str | None = None) -> WsClient:
    ws = WsClient(await websockets.connect(server.ws_url(token) if token else server.ws_url()))
    await ws.recv()  # hello
    return ws


async def events_after_update(ws: WsClient, sid: str, update: dict[str, Any],
                              enough: Callable[[list[dict[str, Any]]], bool], timeout_s: float = 90
                              ) -> list[dict[str, Any]]:
    """Send ``update`` over /ws and return, in order, the stream's events after its ``product_update`` event
    until ``enough`` of them have come."""
    await ws.send({**update, "type": "update_product", "id": "u", "stream": sid})
    seen: list[dict[str, Any]] = []
    after: list[dict[str, Any]] | None = None
    deadline = time.monotonic() + timeout_s
    while after is None or not enough(after):
        assert time.monotonic() < deadline, "not enough events after the update in time"
        msg = await ws.recv(deadline - time.monotonic())
        if msg.get("id") == "u":
            assert msg["type"] == "result", msg
        if msg.get("stream") != sid:
            continue
        if after is not None:
            after.append(msg)
        elif msg["type"] == "product_update":
            after = []
        seen.append(msg)
    return after


def script_said(events: list[dict[str, Any]]) -> list[str]:
    return [e["text"] for e in events if e["type"] == "speech_start" and e["source"] == "script"]


def transcript(server: LiveServer, sid: str) -> list[dict[str, Any]]:
    return server.client.get(f"/api/streams/{sid}/transcript", params={"limit": 1000}).json()


async def test_after_a_price_update_the_script_states_the_new_price_and_never_the_old_one(
        server: LiveServer, live: str) -> None:
    ws = await connect(server)
    async with ws.conn:
        after = await events_after_update(ws, live, {"product_id": LAMP, "price": 19},
                                          lambda ev: any("19" in t for t in script_said(ev)))
    said = [e["text"] for e in after if e["type"] == "speech_start"]
    assert [t for t in said if re.search(r"\b24\b", t)] == []
    assert any(re.search(r"\b19 dollars\b", t) for t in script_said(after))


async def test_a_price_question_after_an_update_is_answered_with_the_new_price(server: LiveServer, live: str) -> None:
    r = server.client.post(f"/api/streams/{live}/commands", json={"type": "update_product", "product_id": LAMP,
                                                                   "price": 21, "list_price": 30})
    assert r.status_code == 200, r.text
    ws = await connect(server)
    async with ws.conn:
        await ws.send({"type": "comment", "id": "c", "stream": live, "user": "kim", "text": "how much is the lamp?"})
        ref = (await ws.until(lambda m: m.get("id") == "c"))["ref"]
        decision = await ws.until(lambda m: m["type"] == "decision" and m["ref"] == ref, 20)
    assert decision["action"] == "reply"
    assert "21" in decision["text"] and "24" not in decision["text"]


async def test_the_stored_brief_keeps_the_new_facts_and_the_transcript_says_who_changed_what(
        server: LiveServer, live: str) -> None:
    ops = server.client.post("/api/tokens", json={"name": "ops desk", "role": "operator"}).json()["token"]
    r = server.client.post(f"/api/streams/{live}/commands", headers={"Authorization": f"Bearer {ops}"},
                           json={"type": "update_product", "product_id": LAMP, "price": 22, "stock": 7,
                                 "promotions": ["free carry pouch with every lamp"]})
    assert r.status_code == 200, r.text
    lamp = server.client.get(f"/api/streams/{live}").json()["brief"]["products"][0]
    assert (lamp["price"], lamp["stock"], lamp["promotions"]) == (22, 7, ["free carry pouch with every lamp"])
    assert lamp["list_price"] == 32  # left out: kept
    notes = wait_for(lambda: [x for x in transcript(server, live) if x["source"] == "update"], 10, "the note")
    assert "by ops desk" in notes[-1]["text"] and "price 24 -> 22" in notes[-1]["text"]
    assert "stock 40 -> 7" in notes[-1]["text"] and notes[-1]["product_id"] == LAMP


async def test_a_product_sold_out_live_is_never_pushed_again(server: LiveServer, live: str) -> None:
    ws = await connect(server)
    async with ws.conn:
        after = await events_after_update(ws, live, {"product_id": LAMP, "stock": 0},
                                          lambda ev: len(script_said(ev)) >= 20 or (
                                              len(script_said(ev)) >= 8 and any("link 5" in t for t in
                                                                                script_said(ev))))
        await ws.send({"type": "comment", "id": "c", "stream": live, "user": "kim",
                       "text": "how do I buy the lamp?"})
        ref = (await ws.until(lambda m: m.get("id") == "c"))["ref"]
        decision = await ws.until(lambda m: m["type"] == "decision" and m["ref"] == ref, 20)
    said = [e["text"] for e in after if e["type"] == "speech_start"]
    assert [t for t in said if re.search(r"\blink 2\b|\b24\b", t, re.I)] == []
    assert any("link 5" in t for t in said)  # the script goes on pushing the mat, which is in stock
    assert "sold out" in decision["text"] and "link 2" not in decision["text"]


async def test_a_list_price_below_the_price_is_refused_naming_the_field(server: LiveServer, live: str) -> None:
    r = server.client.post(f"/api/streams/{live}/commands",
                           json={"type": "update_product", "product_id": LAMP, "list_price": 20})
    assert r.status_code == 422
    problem = r.json()["errors"][0]
    assert problem["field"] == "list_price" and problem["loc"] == ["body", "list_price"]
    assert "below price 24" in problem["msg"]
    assert server.client.get(f"/api/streams/{live}").json()["brief"]["products"][0].get("list_price") == 32
    ws = await connect(server)
    async with ws.conn:
        await ws.send({"type": "update_product", "id": "n", "stream": live, "product_id": LAMP, "stock": -3})
        err = await ws.until(lambda m: m.get("id") == "n")
    assert err["type"] == "error" and err["code"] == "bad_message" and err["message"].startswith("stock:")


def test_a_promotion_the_claim_check_refuses_is_refused_naming_it(server: LiveServer) -> None:
    sid = server.create_stream("promo room")
    r = server.client.post(f"/api/streams/{sid}/commands", json={
        "type": "update_product", "product_id": LAMP,
        "promotions": ["free carry pouch", "the cheapest lamp anywhere, was 99 dollars"]})
    assert r.status_code == 422
    assert {p["field"] for p in r.json()["errors"]} == {"promotions[1]"}


def test_an_unknown_product_is_not_found(server: LiveServer) -> None:
    sid = server.create_stream("unknown room")
    r = server.client.post(f"/api/streams/{sid}/commands",
                           json={"type": "update_product", "product_id": "no-such", "price": 5})
    assert r.status_code == 404 and "no-such" in r.json()["detail"]


async def test_a_developer_token_may_not_change_facts(server: LiveServer) -> None:
    sid = server.create_stream("dev room")
    dev = server.client.post("/api/tokens", json={"name": "integration", "role": "developer"}).json()["token"]
    r = server.client.post(f"/api/streams/{sid}/commands", headers={"Authorization": f"Bearer {dev}"},
                           json={"type": "update_product", "product_id": LAMP, "price": 1})
    assert r.status_code == 403
    ws = await connect(server, dev)
    async with ws.conn:
        await ws.send({"type": "update_product", "id": "d", "stream": sid, "product_id": LAMP, "price": 1})
        assert (await ws.until(lambda m: m.get("id") == "d"))["code"] == "forbidden"
    assert server.client.get(f"/api/streams/{sid}").json()["brief"]["products"][0]["price"] == 24


def test_a_stream_off_air_gets_the_new_facts_when_it_starts(server: LiveServer) -> None:
    sid = server.create_stream("later room")
    r = server.client.post(f"/api/streams/{sid}/commands",
                           json={"type": "update_product", "product_id": LAMP, "price": 18, "list_price": None})
    assert r.status_code == 200, r.text
    lamp = server.client.get(f"/api/streams/{sid}").json()["brief"]["products"][0]
    assert lamp["price"] == 18 and "list_price" not in lamp
    note = [x for x in transcript(server, sid) if x["source"] == "update"][-1]
    assert note["run_id"] is None and "list_price 32 -> none" in note["text"]


async def test_a_worker_that_crashes_after_an_update_restarts_with_the_new_facts(
        server: LiveServer, live: str) -> None:
    r = server.client.post(f"/api/streams/{live}/commands",
                           json={"type": "update_product", "product_id": LAMP, "price": 17})
    assert r.status_code == 200, r.text
    pid = server.health(live)["pid"]
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: server.health(live)["pid"] not in (pid, None), 20, "the restart")
    server.wait_state(live, "live", 20)
    ws = await connect(server)
    async with ws.conn:
        await ws.send({"type": "comment", "id": "c", "stream": live, "user": "kim", "text": "how much is the lamp?"})
        ref = (await ws.until(lambda m: m.get("id") == "c"))["ref"]
        decision = await ws.until(lambda m: m["type"] == "decision" and m["ref"] == ref, 20)
    assert "17" in decision["text"] and "24" not in decision["text"]


async def test_with_a_reply_model_the_prompt_has_the_new_price_and_the_old_one_is_never_said(
        server: LiveServer) -> None:
    with ChatServer(lambda body: "The lamp is 24 dollars today.") as chat:
        sid = server.create_stream("model room", llm={"backend": "openai", "base_url": chat.base_url,
                                                      "model": "test-model"})
        server.start_live(sid)
        try:
            r = server.client.post(f"/api/streams/{sid}/commands",
                                   json={"type": "update_product", "product_id": LAMP, "price": 19})
            assert r.status_code == 200, r.text
            ws = await connect(server)
            async with ws.conn:
                await ws.send({"type": "comment", "id": "c", "stream": sid, "user": "kim",
                               "text": "how much is the lamp?"})
                ref = (await ws.until(lambda m: m.get("id") == "c"))["ref"]
                decision = await ws.until(lambda m: m["type"] == "decision" and m["ref"] == ref, 20)
        finally:
            server.client.post(f"/api/streams/{sid}/stop")
        # the stream's block writer uses the same model: take the reply's request, the one quoting the comment
        replies = [r for r in chat.requests if "how much is the lamp" in json.dumps(r["messages"])]
        prompt = replies[-1]["messages"][0]["content"]
    assert '"price": 19' in prompt and '"price": 24' not in prompt
    assert "19" in decision["text"] and "24" not in decision["text"]
