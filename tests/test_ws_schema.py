"""The /ws contract: a JSON Schema served at /api/ws/schema (and kept in docs/) that the messages of a live stream
satisfy; the server refuses the client messages the schema refuses; subscriptions to streams or event
types that do not exist are refused and the connection stays; a command repeated under its id runs once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
import websockets
from conftest import ROOT
from test_control_support import LiveServer, WsClient

from streamer.control.ws_schema import EVENT_TYPES


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("wsschema")) as s:
        s.idle_id = s.create_stream("idle room")  # type: ignore[attr-defined]
        yield s


def validator(schema: dict[str, Any], which: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": f"#/$defs/{which}"})


async def hello(server: LiveServer) -> tuple[websockets.ClientConnection, WsClient]:
    conn = await websockets.connect(server.ws_url())
    ws = WsClient(conn)
    assert (await ws.recv())["type"] == "hello"
    return conn, ws


def test_the_schema_in_the_docs_is_the_one_served(server: LiveServer) -> None:
    served = server.client.get("/api/ws/schema").json()
    jsonschema.Draft202012Validator.check_schema(served)
    assert json.loads((ROOT / "docs" / "websocket-schema.json").read_text()) == served


async def test_every_message_of_a_live_stream_matches_the_served_schema(server: LiveServer) -> None:
    schema = server.client.get("/api/ws/schema").json()
    server_messages, client_messages = validator(schema, "ServerMessage"), validator(schema, "ClientMessage")
    sid = server.create_stream("schema room")
    heard: list[dict[str, Any]] = []
    conn = await websockets.connect(server.ws_url())
    async with conn:
        ws = WsClient(conn)
        heard.append(await ws.recv())
        sent = [{"type": "subscribe", "id": "sub", "streams": [sid], "events": None},
                {"type": "start", "id": "go", "stream": sid}]
        for msg in sent:
            await ws.send(msg)
        heard.append(await ws.until(lambda m: m["type"] == "state" and m["state"] == "live", 30))
        comment = {"type": "comment", "id": "c1", "stream": sid, "user": "Kim", "text": "how much is the lamp?"}
        await ws.send(comment)
        heard.append(await ws.until(lambda m: m["type"] == "decision", 20))
        heard.append(await ws.until(lambda m: m["type"] == "health", 10))
        await ws.send({"type": "switch_product", "id": "p1", "stream": sid, "product_id": "nope"})  # an error
        heard.append(await ws.until(lambda m: m.get("id") == "p1"))
        await ws.send({"type": "stop", "id": "end", "stream": sid})
        heard.append(await ws.until(lambda m: m["type"] == "state" and m["state"] == "stopped", 30))
        heard += ws.backlog
        sent += [comment, {"type": "stop", "id": "end", "stream": sid}]
    kinds = {m["type"] for m in heard}
    assert {"hello", "result", "error", "state", "health", "speech_start", "comment", "decision"} <= kinds
    for msg in heard:
        server_messages.validate(msg)
    for msg in sent:
        client_messages.validate(msg)


@pytest.mark.parametrize("msg", [  # "stream": "s" does not exist: a message the server takes is answered not_found
    {"type": "say", "id": "a", "stream": "s", "text": "hi"},
    {"type": "say", "id": "b", "stream": "s", "text": "hi", "volume": 11},
    {"type": "say", "id": "c", "text": "hi"},
    {"type": "comment", "id": "d", "stream": "s", "kind": "gift", "gift": "rose", "count": 0},
    {"type": "ping", "id": "e"},
    {"type": "subscribe", "id": "f", "streams": "all"},
    {"type": "update_product", "id": "g", "stream": "s", "product_id": "p"},
])
async def test_the_server_refuses_the_messages_the_schema_refuses(server: LiveServer, msg: dict[str, Any]) -> None:
    schema = server.client.get("/api/ws/schema").json()
    schema_accepts = validator(schema, "ClientMessage").is_valid(msg)
    conn, ws = await hello(server)
    async with conn:
        await ws.send(msg)
        answer = await ws.until(lambda m: m.get("id") == msg["id"])
    assert (answer.get("code") != "bad_message") == schema_accepts, answer


async def test_subscribing_to_a_stream_that_does_not_exist_is_refused_and_the_connection_stays(
        server: LiveServer) -> None:
    conn, ws = await hello(server)
    async with conn:
        await ws.send({"type": "subscribe", "id": 1, "streams": [server.idle_id, "no-such-room"]})  # type: ignore[attr-defined]
        err = await ws.until(lambda m: m.get("id") == 1)
        assert err["type"] == "error" and err["code"] == "not_found" and "'no-such-room'" in err["message"]
        await ws.send({"type": "ping", "id": 2})
        assert (await ws.until(lambda m: m.get("id") == 2))["pong"] is True


async def test_subscribing_to_an_event_type_that_does_not_exist_names_the_known_ones(server: LiveServer) -> None:
    conn, ws = await hello(server)
    async with conn:
        await ws.send({"type": "subscribe", "id": "s", "events": ["health", "speech"]})
        err = await ws.until(lambda m: m.get("id") == "s")
        assert err["code"] == "unknown_event" and "'speech'" in err["message"] and "speech_start" in err["message"]
        await ws.send({"type": "subscribe", "id": "t", "events": list(EVENT_TYPES)})
        assert (await ws.until(lambda m: m.get("id") == "t"))["type"] == "result"


def updates(server: LiveServer, sid: str) -> int:
    return sum(line["source"] == "update" for line in server.client.get(f"/api/streams/{sid}/transcript").json())


async def test_a_command_sent_again_under_its_id_gets_the_first_answer_and_runs_once(server: LiveServer) -> None:
    sid = server.create_stream("repeat room")
    command = {"type": "update_product", "id": "u1", "stream": sid, "product_id": "lamp-2", "price": 22}
    conn, ws = await hello(server)
    async with conn:
        await ws.send(command)
        first = await ws.until(lambda m: m.get("id") == "u1", 20)
        await ws.send(command)
        again = await ws.until(lambda m: m.get("id") == "u1", 20)
        await ws.send({**command, "price": 18})
        reused = await ws.until(lambda m: m.get("id") == "u1", 20)
    assert first["type"] == "result" and again == first
    assert reused["code"] == "id_reused"
    assert updates(server, sid) == 1
    assert server.client.get(f"/api/streams/{sid}").json()["brief"]["products"][0]["price"] == 22
