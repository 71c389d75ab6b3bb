"""Bilibili Open Live against a local Open Live API (signed start / heartbeat / end, checked as the platform checks
them) and a long-connection server that speaks the binary packet protocol: AUTH and its reply, heartbeats, plain,
zlib and brotli message bodies, and a restart mid-stream."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import struct
import threading
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import brotli
import pytest
from comment_sources import WAIT_S, intake_around, streaming, until
from ports import port_of
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from streamer.comments import CommentKind
from streamer.comments.sources.base import Backoff
from streamer.comments.sources.bilibili import BilibiliOpenLive, Op, Ver, pack, packets, parse_url
from streamer.errors import ConfigError

ROOM, APP_ID, CODE = 21452505, 1650000000001, "CODE-OF-THE-STREAMER"
KEY_ID, KEY_SECRET = "access-key-id-1", "access-key-secret-1"


def dm(msg_id: str, text: str) -> dict[str, Any]:
    return {"cmd": "LIVE_OPEN_PLATFORM_DM",
            "data": {"room_id": ROOM, "uid": 0, "open_id": "open-ann", "uname": "阿安", "msg": text,
                     "msg_id": msg_id, "fans_medal_level": 0, "fans_medal_name": "",
                     "fans_medal_wearing_status": False, "guard_level": 0, "timestamp": 1717000000,
                     "uface": "https://i0.hdslb.com/bfs/face/a.jpg", "emoji_img_url": "", "dm_type": 0}}


def gift(msg_id: str) -> dict[str, Any]:
    return {"cmd": "LIVE_OPEN_PLATFORM_SEND_GIFT",
            "data": {"room_id": ROOM, "uid": 0, "open_id": "open-bo", "uname": "波波", "uface": "", "gift_id": 31036,
                     "gift_name": "小花花", "gift_num": 5, "price": 100, "paid": True, "fans_medal_level": 3,
                     "guard_level": 0, "timestamp": 1717000001, "msg_id": msg_id,
                     "anchor_info": {"uid": 0, "open_id": "anchor", "uname": "店主", "uface": ""}}}


def message_packet(msg: dict[str, Any]) -> bytes:
    return pack(Op.SEND_SMS_REPLY, json.dumps(msg, ensure_ascii=False).encode(), ver=Ver.JSON)


def compressed(ver: int, msgs: list[dict[str, Any]]) -> bytes:
    inner = b"".join(message_packet(m) for m in msgs)
    body = zlib.compress(inner) if ver == Ver.ZLIB else brotli.compress(inner)
    return pack(Op.SEND_SMS_REPLY, body, ver=ver)


class Api(BaseHTTPRequestHandler):
    """/v2/app/start, /heartbeat and /end, refusing calls whose x-bili signature or body MD5 do not check out."""

    calls: list[tuple[str, dict[str, Any]]] = []
    ws_url = ""
    room = ROOM

    def do_POST(self) -> None:  # noqa: N802 - the http.server hook
        body = self.rfile.read(int(self.headers["Content-Length"]))
        signed = {k.lower(): v for k, v in self.headers.items() if k.lower().startswith("x-bili-")}
        text = "\n".join(f"{k}:{signed[k]}" for k in sorted(signed))
        expected = hmac.new(KEY_SECRET.encode(), text.encode(), hashlib.sha256).hexdigest()
        if (len(signed) != 6 or signed.get("x-bili-accesskeyid") != KEY_ID
                or signed.get("x-bili-content-md5") != hashlib.md5(body).hexdigest()
                or not hmac.compare_digest(expected, self.headers.get("Authorization", ""))):
            self._send({"code": 4102, "message": "signature invalid", "request_id": "r", "data": {}})
            return
        payload = json.loads(body)
        Api.calls.append((self.path, payload))
        data: dict[str, Any] = {}
        if self.path == "/v2/app/start":
            n = sum(1 for p, _ in Api.calls if p == "/v2/app/start")
            data = {"game_info": {"game_id": f"game-{n}"},
                    "websocket_info": {"auth_body": json.dumps({"game": n, "key": "k"}), "wss_link": [Api.ws_url]},
                    "anchor_info": {"room_id": Api.room, "uname": "店主", "uface": "", "uid": 0,
                                    "open_id": "anchor"}}
        self._send({"code": 0, "message": "0", "request_id": "r", "data": data})

    def _send(self, reply: dict[str, Any]) -> None:
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def calls(path: str) -> list[dict[str, Any]]:
    return [p for c, p in Api.calls if c == path]


Script = Callable[[ServerConnection, int], Awaitable[None]]


class LongConnection:
    """The long-connection server: checks AUTH against the latest start's auth body, answers heartbeats (unless
    told to stay silent), then plays ``script(ws, n)`` on its n-th connection. Restartable on the same port."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.connections = 0
        self.auth_bodies: list[dict[str, Any]] = []
        self.heartbeats = 0
        self.answer_heartbeats = True
        self.port = 0
        self._server: Server | None = None

    async def start(self) -> None:
        if self.port:
            self._server = await serve(self._handler, "127.0.0.1", self.port)
        else:
            sock = socket.socket()  # reusable at once: a restart binds the same port while old links linger
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", 0))
            self.port = port_of(sock)
            self._server = await serve(self._handler, sock=sock)
        Api.ws_url = f"ws://127.0.0.1:{self.port}/sub"

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()  # drops every connection, as a crashed server would
        await self._server.wait_closed()

    async def _handler(self, ws: ServerConnection) -> None:
        self.connections += 1
        n = self.connections
        frame = await asyncio.wait_for(ws.recv(), WAIT_S)
        assert isinstance(frame, bytes)
        length, header_len, ver, op, seq = struct.unpack_from(">IHHII", frame)
        assert (length, header_len, op) == (len(frame), 16, Op.AUTH)
        self.auth_bodies.append(json.loads(frame[16:]))
        await ws.send(pack(Op.AUTH_REPLY, b'{"code":0}', ver=Ver.PLAIN))
        beats = asyncio.create_task(self._beats(ws))
        try:
            await self.script(ws, n)
            await asyncio.wait_for(ws.wait_closed(), WAIT_S)
        finally:
            beats.cancel()

    async def _beats(self, ws: ServerConnection) -> None:
        with suppress(ConnectionClosed):
            async for frame in ws:
                assert isinstance(frame, bytes)
                if any(op == Op.HEARTBEAT for op, _, _ in packets(frame)):
                    self.heartbeats += 1
                    if self.answer_heartbeats:
                        await ws.send(pack(Op.HEARTBEAT_REPLY, struct.pack(">I", 1), ver=Ver.PLAIN))


@pytest.fixture
def api() -> Iterator[str]:
    Api.calls, Api.room = [], ROOM
    server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def idle(ws: ServerConnection, n: int) -> None:
    pass


@pytest.fixture
async def long_connection() -> AsyncIterator[LongConnection]:
    server = LongConnection(idle)
    await server.start()
    yield server
    await server.stop()


def source(api: str, *, secret: str = KEY_SECRET, heartbeat_s: float = 30.0, room: int | None = ROOM,
           ws_heartbeat_s: float = 30.0) -> BilibiliOpenLive:
    return BilibiliOpenLive(room, code=CODE, app_id=APP_ID, access_key_id=KEY_ID, access_key_secret=secret,
                            api_base=api, backoff=Backoff(initial_s=0.01, max_s=0.05),
                            app_heartbeat_s=heartbeat_s, ws_heartbeat_s=ws_heartbeat_s)


async def test_a_signed_start_authenticates_the_long_connection_and_messages_become_comments(
        api: str, long_connection: LongConnection) -> None:
    async def script(ws: ServerConnection, n: int) -> None:  # several packets in one frame, as the server sends
        await ws.send(message_packet(dm("d1", "这个多少钱？")) + message_packet(gift("g1")) + message_packet(
            {"cmd": "LIVE_OPEN_PLATFORM_SUPER_CHAT",
             "data": {"room_id": ROOM, "uid": 0, "open_id": "open-cy", "uname": "晨阳", "uface": "",
                      "message_id": 7, "message": "有优惠吗", "msg_id": "s1", "rmb": 30, "timestamp": 1717000002,
                      "start_time": 1717000002, "end_time": 1717000062, "guard_level": 0,
                      "fans_medal_level": 0}}) + message_packet(
            {"cmd": "LIVE_OPEN_PLATFORM_GUARD",
             "data": {"user_info": {"uid": 0, "open_id": "open-dd", "uname": "大东", "uface": ""},
                      "guard_level": 3, "guard_num": 1, "guard_unit": "月", "fans_medal_level": 1,
                      "timestamp": 1717000003, "room_id": ROOM, "msg_id": "j1"}}) + message_packet(
            {"cmd": "LIVE_OPEN_PLATFORM_LIKE",
             "data": {"uname": "阿安", "uid": 0, "open_id": "open-ann", "uface": "", "timestamp": 1717000004,
                      "like_text": "为主播点赞了", "like_count": 8, "room_id": ROOM, "msg_id": "l1"}}))

    long_connection.script = script
    bili = source(api)
    async with streaming(bili) as (got, _):
        comments = await got.take(5)
    first = comments[0]
    assert (first.id, first.user, first.user_id, first.text, first.platform, first.kind, first.time) == (
        "d1", "阿安", "open-ann", "这个多少钱？", "bilibili", CommentKind.CHAT, 1717000000.0)
    assert [(c.kind, c.gift, c.count) for c in comments[1:]] == [
        (CommentKind.GIFT, "小花花", 5), (CommentKind.GIFT, "醒目留言 ¥30", 1), (CommentKind.FOLLOW, "舰长", 1),
        (CommentKind.LIKE, "", 8)]
    assert comments[2].text == "有优惠吗"
    assert calls("/v2/app/start") == [{"code": CODE, "app_id": APP_ID}]
    assert long_connection.auth_bodies == [{"game": 1, "key": "k"}]  # the auth body the start gave, as it was


async def test_zlib_and_brotli_bodies_inflate_into_the_packets_inside(api: str,
                                                                      long_connection: LongConnection) -> None:
    async def script(ws: ServerConnection, n: int) -> None:
        await ws.send(compressed(Ver.ZLIB, [dm("z1", "one"), dm("z2", "two")]))
        await ws.send(compressed(Ver.BROTLI, [dm("b1", "three"), gift("b2")]))

    long_connection.script = script
    async with streaming(source(api)) as (got, _):
        assert [(c.id, c.kind) for c in await got.take(4)] == [
            ("z1", CommentKind.CHAT), ("z2", CommentKind.CHAT), ("b1", CommentKind.CHAT), ("b2", CommentKind.GIFT)]


async def test_the_session_and_the_long_connection_are_kept_alive_by_their_heartbeats(
        api: str, long_connection: LongConnection) -> None:
    bili = source(api, heartbeat_s=0.2, ws_heartbeat_s=0.5)  # slack for a loaded machine: silence is 0.75 s
    async with streaming(bili):
        await until(lambda: bili.heartbeats >= 3 and long_connection.heartbeats >= 3)
        assert bili.status.connected and bili.games == 1  # answered heartbeats: the first session goes on
    assert {p["game_id"] for p in calls("/v2/app/heartbeat")} == {"game-1"}


async def test_a_restarted_long_connection_server_gets_a_new_session_and_replays_are_offered_once(
        api: str, long_connection: LongConnection) -> None:
    async def script(ws: ServerConnection, n: int) -> None:
        await ws.send(message_packet(dm("m1", "first")))
        if n > 1:  # at-least-once: the new session delivers the last message again
            await ws.send(compressed(Ver.BROTLI, [dm("m1", "first"), dm("m2", "second")]))

    long_connection.script = script
    bili = source(api)
    async with intake_around(f"bilibili://{ROOM}", bili) as (intake, offered):
        await until(lambda: len(offered) == 1)
        await long_connection.stop()
        await long_connection.start()
        await until(lambda: len(offered) == 2 and intake.health()[0]["duplicates"] == 2)  # m1 twice more
    assert [ref for ref, _ in offered] == ["bilibili1:m1", "bilibili1:m2"]
    assert [p["game_id"] for p in calls("/v2/app/end")][:1] == ["game-1"]  # the broken session was closed
    assert long_connection.auth_bodies[:2] == [{"game": 1, "key": "k"}, {"game": 2, "key": "k"}]


async def test_a_long_connection_that_stops_answering_heartbeats_is_replaced(
        api: str, long_connection: LongConnection) -> None:
    long_connection.answer_heartbeats = False
    bili = source(api, ws_heartbeat_s=0.1)
    async with streaming(bili):
        await until(lambda: bili.games >= 2)
    assert bili.status.last_error and "silent" in bili.status.last_error


async def test_a_start_with_a_bad_signature_is_refused_and_retried_without_showing_the_secret(
        api: str, long_connection: LongConnection) -> None:
    bili = source(api, secret="not-the-secret")
    async with streaming(bili):
        await until(lambda: bili.status.last_error is not None)
    assert "/v2/app/start refused: code 4102" in bili.status.last_error
    assert "not-the-secret" not in bili.status.last_error
    assert long_connection.connections == 0


async def test_an_identity_code_of_another_room_is_a_config_error(api: str, long_connection: LongConnection) -> None:
    Api.room = 999
    async with streaming(source(api)) as (_, task):
        with pytest.raises(ConfigError, match="room 999"):
            await asyncio.wait_for(task, WAIT_S)
    assert calls("/v2/app/end") == [{"app_id": APP_ID, "game_id": "game-1"}]


def test_frames_that_are_not_packets_or_inflate_too_far_are_refused() -> None:
    with pytest.raises(ValueError, match="header"):
        list(packets(pack(Op.SEND_SMS_REPLY, b"{}")[:-1]))
    bomb = pack(Op.SEND_SMS_REPLY, brotli.compress(b"\0" * (16 * 1024 * 1024)), ver=Ver.BROTLI)
    with pytest.raises(ValueError, match="size limit"):
        list(packets(bomb))


def test_the_url_names_the_room_and_the_keys_come_from_the_environment() -> None:
    build = parse_url(urlsplit(f"bilibili://{ROOM}"))
    env = {"STREAMER_BILIBILI_APP_ID": str(APP_ID), "STREAMER_BILIBILI_ACCESS_KEY_ID": KEY_ID,
           "STREAMER_BILIBILI_ACCESS_KEY_SECRET": KEY_SECRET, "STREAMER_BILIBILI_AUTH_CODE": CODE}
    bili = build(env)
    assert isinstance(bili, BilibiliOpenLive) and bili.room == ROOM
    with pytest.raises(ConfigError, match="STREAMER_BILIBILI_AUTH_CODE"):
        build({k: v for k, v in env.items() if k != "STREAMER_BILIBILI_AUTH_CODE"})
    with pytest.raises(ValueError, match="ROOM_ID"):
        parse_url(urlsplit("bilibili://shop"))
