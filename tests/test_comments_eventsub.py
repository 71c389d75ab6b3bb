"""Twitch chat over EventSub WebSocket against a local EventSub server and Helix API that send the messages Twitch
documents (session_welcome, session_keepalive, notification for channel.chat.message, session_reconnect,
revocation) and take the subscription request Twitch does."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from comment_sources import WAIT_S, intake_around, streaming, until
from ports import bound_socket, port_of
from websockets.asyncio.server import ServerConnection, serve

from streamer.comments import CommentKind
from streamer.comments.sources.base import Backoff
from streamer.comments.sources.eventsub import SubscriptionRevoked, TwitchEventSub, parse_url
from streamer.errors import ConfigError

BROADCASTER, READER = "1001", "2002"
STAMP = "2023-11-06T18:11:47.492253549Z"


def metadata(kind: str, **extra: str) -> dict[str, str]:
    return {"message_id": str(uuid.uuid4()), "message_type": kind, "message_timestamp": STAMP, **extra}


def welcome(session_id: str, keepalive_s: int = 10) -> dict[str, Any]:
    return {"metadata": metadata("session_welcome"),
            "payload": {"session": {"id": session_id, "status": "connected", "connected_at": STAMP,
                                    "keepalive_timeout_seconds": keepalive_s, "reconnect_url": None,
                                    "recovery_url": None}}}


def subscription(session_id: str, status: str = "enabled") -> dict[str, Any]:
    return {"id": "0b7f3361-672b-4d39-b307-dd5b576c9b27", "status": status, "type": "channel.chat.message",
            "version": "1", "condition": {"broadcaster_user_id": BROADCASTER, "user_id": READER},
            "transport": {"method": "websocket", "session_id": session_id}, "created_at": STAMP, "cost": 0}


def chat(session_id: str, message_id: str, text: str, bits: int | None = None) -> dict[str, Any]:
    event = {"broadcaster_user_id": BROADCASTER, "broadcaster_user_login": "shop", "broadcaster_user_name": "Shop",
             "chatter_user_id": "3003", "chatter_user_login": "ann", "chatter_user_name": "Ann",
             "message_id": message_id,
             "message": {"text": text, "fragments": [{"type": "text", "text": text, "cheermote": None,
                                                      "emote": None, "mention": None}]},
             "color": "#00FF7F", "badges": [], "message_type": "text",
             "cheer": {"bits": bits} if bits else None, "reply": None, "channel_points_custom_reward_id": None}
    return {"metadata": metadata("notification", subscription_type="channel.chat.message",
                                 subscription_version="1"),
            "payload": {"subscription": subscription(session_id), "event": event}}


def keepalive() -> dict[str, Any]:
    return {"metadata": metadata("session_keepalive"), "payload": {}}


class Helix(BaseHTTPRequestHandler):
    """/helix/users and /helix/eventsub/subscriptions as Twitch answers them."""

    subscriptions: list[dict[str, Any]] = []
    headers_seen: list[dict[str, str]] = []
    refuse: int | None = None

    def do_GET(self) -> None:  # noqa: N802 - the http.server hook
        query = parse_qs(urlsplit(self.path).query)
        login = query.get("login", [None])[0]
        user = {"id": BROADCASTER, "login": "shop"} if login == "shop" else {"id": READER, "login": "reader"}
        self._send(200, {"data": [] if login not in (None, "shop") else [user]})

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Helix.headers_seen.append({k: self.headers[k] for k in ("Client-Id", "Authorization")})
        if Helix.refuse:
            self._send(Helix.refuse, {"error": "Forbidden", "status": Helix.refuse,
                                      "message": "subscription missing proper authorization"})
            return
        Helix.subscriptions.append(body)
        sub = subscription(body["transport"]["session_id"])
        self._send(202, {"data": [sub], "total": 1, "total_cost": 0, "max_total_cost": 10})

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def helix() -> Iterator[str]:
    Helix.subscriptions, Helix.headers_seen, Helix.refuse = [], [], None
    server = ThreadingHTTPServer(("127.0.0.1", 0), Helix)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def subscribed(session_id: str) -> bool:
    return any(s["transport"]["session_id"] == session_id for s in Helix.subscriptions)


Script = Callable[[ServerConnection, int], Awaitable[None]]


@asynccontextmanager
async def eventsub(script: Script) -> AsyncIterator[str]:
    """An EventSub WebSocket server on a loopback port; ``script(ws, n)`` plays its n-th connection (from 1)."""
    count = 0

    async def handler(ws: ServerConnection) -> None:
        nonlocal count
        count += 1
        await script(ws, count)

    sock = bound_socket()
    async with serve(handler, sock=sock):
        yield f"ws://127.0.0.1:{port_of(sock)}/ws"


def source(ws_url: str, api: str) -> TwitchEventSub:
    return TwitchEventSub("Shop", client_id="client-123", token="oauth:token-456", ws_url=ws_url, api_base=api,
                          backoff=Backoff(initial_s=0.01, max_s=0.05), keepalive_margin_s=0.5)


async def send(ws: ServerConnection, msg: dict[str, Any]) -> None:
    await ws.send(json.dumps(msg))


async def hold(ws: ServerConnection) -> None:
    """Keep the connection open until the client closes it (bounded)."""
    await asyncio.wait_for(ws.wait_closed(), WAIT_S)


async def open_session(ws: ServerConnection, session_id: str, keepalive_s: int = 10) -> None:
    await send(ws, welcome(session_id, keepalive_s))
    await until(lambda: subscribed(session_id))


async def test_chat_messages_arrive_after_the_welcome_and_the_subscription(helix: str) -> None:
    async def script(ws: ServerConnection, n: int) -> None:
        await open_session(ws, "s1")
        await send(ws, chat("s1", "m1", "how much is the teapot?"))
        await send(ws, chat("s1", "m2", "Cheer100 take my bits", bits=100))
        await hold(ws)

    async with eventsub(script) as url:
        twitch = source(url, helix)
        async with streaming(twitch) as (got, _):
            first, second = await got.take(2)
    assert (first.id, first.user, first.user_id, first.text, first.platform, first.kind) == (
        "m1", "Ann", "3003", "how much is the teapot?", "twitch", CommentKind.CHAT)
    assert first.time == pytest.approx(1699294307.492253)
    assert (second.kind, second.gift, second.count) == (CommentKind.GIFT, "bits", 100)
    assert Helix.subscriptions == [{"type": "channel.chat.message", "version": "1",
                                    "condition": {"broadcaster_user_id": BROADCASTER, "user_id": READER},
                                    "transport": {"method": "websocket", "session_id": "s1"}}]
    assert Helix.headers_seen == [{"Client-Id": "client-123", "Authorization": "Bearer token-456"}]


async def test_keepalives_hold_a_quiet_session_and_silence_past_the_timeout_starts_a_new_one(helix: str) -> None:
    async def script(ws: ServerConnection, n: int) -> None:
        if n == 1:
            await open_session(ws, "s1", keepalive_s=1)  # the client gives up after 1 s + its 0.5 s margin
            for _ in range(4):  # 2 s of keepalives, each inside the timeout
                await asyncio.sleep(0.5)
                await send(ws, keepalive())
            await send(ws, chat("s1", "m1", "still there?"))
            await hold(ws)  # then silence: the client must leave
        else:
            await open_session(ws, "s2")
            await send(ws, chat("s2", "m2", "after the silence"))
            await hold(ws)

    async with eventsub(script) as url:
        twitch = source(url, helix)
        async with streaming(twitch) as (got, _):
            assert [c.id for c in await got.take(2)] == ["m1", "m2"]
    assert [s["transport"]["session_id"] for s in Helix.subscriptions] == ["s1", "s2"]
    assert twitch.status.last_error and "keepalive" in twitch.status.last_error


async def test_session_reconnect_connects_to_the_new_url_before_dropping_the_old_one(helix: str) -> None:
    moved = asyncio.Event()
    proceed = asyncio.Event()
    old_closed = asyncio.Event()
    paths: list[str] = []

    async def script(ws: ServerConnection, n: int) -> None:
        assert ws.request is not None
        paths.append(ws.request.path)
        if n == 1:
            await open_session(ws, "s1")
            await send(ws, chat("s1", "m1", "before the move"))
            reconnect_url = f"ws://127.0.0.1:{ws.local_address[1]}/ws?moved=1"
            await send(ws, {"metadata": metadata("session_reconnect"),
                            "payload": {"session": {"id": "s1", "status": "reconnecting",
                                                    "keepalive_timeout_seconds": None,
                                                    "reconnect_url": reconnect_url, "connected_at": STAMP}}})
            await asyncio.wait_for(moved.wait(), WAIT_S)  # the new link is up and the old one still open:
            await send(ws, chat("s1", "m2", "sent during the move"))  # Twitch still delivers here
            proceed.set()
            await hold(ws)
            old_closed.set()
        else:
            moved.set()
            await asyncio.wait_for(proceed.wait(), WAIT_S)
            await send(ws, welcome("s1"))
            await send(ws, chat("s1", "m3", "after the move"))
            await hold(ws)

    async with eventsub(script) as url:
        twitch = source(url, helix)
        async with streaming(twitch) as (got, _):
            assert [c.id for c in await got.take(3)] == ["m1", "m2", "m3"]
            await asyncio.wait_for(old_closed.wait(), WAIT_S)  # the client closed the old link itself
            assert twitch.moves == 1 and twitch.status.connected
    assert paths == ["/ws", "/ws?moved=1"]
    assert len(Helix.subscriptions) == 1  # subscriptions move with the session


async def test_a_dropped_connection_starts_a_new_session_and_replays_are_offered_once(helix: str) -> None:
    async def script(ws: ServerConnection, n: int) -> None:
        await open_session(ws, f"s{n}")
        if n == 1:
            await send(ws, chat("s1", "m1", "first"))
            await asyncio.sleep(0.2)
            ws.transport.abort()  # the server dies mid-stream
            return
        await send(ws, chat(f"s{n}", "m1", "first"))  # at-least-once: delivered again on the new session
        await send(ws, chat(f"s{n}", "m2", "second"))
        await hold(ws)

    async with eventsub(script) as url:
        twitch = source(url, helix)
        async with intake_around("twitch-eventsub://shop", twitch) as (intake, offered):
            await until(lambda: len(offered) == 2 and intake.health()[0]["duplicates"] == 1)
    assert [ref for ref, _ in offered] == ["twitcheventsub1:m1", "twitcheventsub1:m2"]
    assert [s["transport"]["session_id"] for s in Helix.subscriptions] == ["s1", "s2"]


async def test_a_revocation_stops_the_source_saying_why(helix: str) -> None:
    async def script(ws: ServerConnection, n: int) -> None:
        await open_session(ws, "s1")
        await send(ws, chat("s1", "m1", "hello"))
        await send(ws, {"metadata": metadata("revocation", subscription_type="channel.chat.message",
                                             subscription_version="1"),
                        "payload": {"subscription": subscription("s1", status="authorization_revoked")}})
        await hold(ws)

    async with eventsub(script) as url:
        twitch = source(url, helix)
        async with streaming(twitch) as (got, task):
            assert (await got.next()).id == "m1"
            with pytest.raises(SubscriptionRevoked, match="authorization_revoked"):
                await asyncio.wait_for(task, WAIT_S)
    assert twitch.status.last_error and "revoked" in twitch.status.last_error
    assert not twitch.status.connected


async def test_a_refused_subscription_is_a_config_error_naming_the_scope(helix: str) -> None:
    Helix.refuse = 403

    async def script(ws: ServerConnection, n: int) -> None:
        await send(ws, welcome("s1"))
        await hold(ws)

    async with eventsub(script) as url:
        async with streaming(source(url, helix)) as (_, task):
            with pytest.raises(ConfigError, match="user:read:chat"):
                await asyncio.wait_for(task, WAIT_S)


def test_the_url_names_the_channel_and_the_keys_come_from_the_environment() -> None:
    build = parse_url(urlsplit("twitch-eventsub://Shop_TV"))
    twitch = build({"STREAMER_TWITCH_CLIENT_ID": "cid", "STREAMER_TWITCH_TOKEN": "tok",
                    "STREAMER_TWITCH_EVENTSUB_URL": "ws://127.0.0.1:1/ws"})
    assert isinstance(twitch, TwitchEventSub)
    assert (twitch.channel, twitch.ws_url, twitch.api_base) == ("shop_tv", "ws://127.0.0.1:1/ws",
                                                                 "https://api.twitch.tv")
    with pytest.raises(ConfigError, match="STREAMER_TWITCH_CLIENT_ID"):
        build({"STREAMER_TWITCH_TOKEN": "tok"})
    with pytest.raises(ValueError, match="CHANNEL"):
        parse_url(urlsplit("twitch-eventsub://not a channel"))
