"""A served stream whose settings name a comment source: a question typed in a real IRC room (ngircd) is answered on
air, the source's health is in the stream's health, and its password never reads back."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from irc_server import IrcServer, Viewer
from test_control_support import LiveServer, WsClient, wait_for

from streamer.comments.sources.irc import IrcMessage

ROOM = "#room"
PASSWORD = "hunter22"  # the room's server asks for one: it travels to the worker, never back to an API client


@pytest.fixture
def ircd(tmp_path: Path) -> Iterator[IrcServer]:
    root = tmp_path / "ircd"
    root.mkdir()
    server = IrcServer(root, password=PASSWORD)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    root = tmp_path / "service"
    root.mkdir()
    with LiveServer(root) as s:
        yield s


def _host_joined(msg: IrcMessage) -> bool:
    return msg.command == "JOIN" and msg.nick == "host"


@pytest.mark.slow
def test_a_question_in_the_streams_irc_room_is_answered_and_its_source_is_in_the_health(
        server: LiveServer, ircd: IrcServer) -> None:
    url = f"irc://host:{PASSWORD}@127.0.0.1:{ircd.port}/{ROOM}"
    sid = server.create_stream("irc room", comments=[url])
    shown = server.client.get(f"/api/streams/{sid}").json()["settings"]["comments"]

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        viewer = await Viewer.join(ircd.port, "ann", ROOM, password=PASSWORD)
        try:
            async with websockets.connect(server.ws_url()) as conn:
                ws = WsClient(conn)
                await ws.recv()  # hello
                await ws.send({"type": "subscribe", "streams": [sid], "events": ["comment", "decision"]})
                await ws.until(lambda m: m["type"] == "result")
                starting = asyncio.create_task(asyncio.to_thread(server.start_live, sid))
                await viewer.wait_for(_host_joined, within_s=30)  # reading: the viewer answers the server's PINGs
                await starting
                viewer.say("how much is the lamp?", ROOM)
                comment = await ws.until(lambda m: m["type"] == "comment" and m["text"] == "how much is the lamp?",
                                         30)
                decision = await ws.until(lambda m: m["type"] == "decision" and m["ref"] == comment["ref"], 30)
                return comment, decision
        finally:
            viewer.close()

    comment, decision = asyncio.run(scenario())
    health = wait_for(lambda: (server.health(sid).get("health") or {}).get("comment_sources"), 10,
                      "the sources in the health")
    server.client.post(f"/api/streams/{sid}/stop")
    assert shown == [f"irc://host:***@127.0.0.1:{ircd.port}/{ROOM}"]
    assert (comment["platform"], comment["user"], comment["ref"]) == ("irc", "ann", "irc1#1")  # IRC has no ids
    assert decision["action"] == "reply" and "$24" in decision["text"]  # the brief's price
    (source,) = health
    assert (source["url"], source["connected"], source["total"]) == (shown[0], True, 1)
