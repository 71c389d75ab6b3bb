"""Bilibili Open Live (直播开放平台, open-live.bilibili.com): a room's danmaku, gifts, super chats, guards and likes
through the platform's official interactive-app API.

Why this route: it is Bilibili's supported one for apps (the web danmaku socket needs a logged-in browser cookie and
changes without notice). It needs an open platform developer account (access key id and secret), an app id, and the
streamer's identity code (身份码, shown to the streamer in the live centre), which binds the app to their room.

The protocol as the platform documents it:

* HTTP calls to ``live-open.biliapi.com`` are signed: headers ``x-bili-accesskeyid``, ``x-bili-content-md5`` (hex
  MD5 of the body), ``x-bili-signature-method`` (HMAC-SHA256), ``x-bili-signature-nonce``,
  ``x-bili-signature-version`` (1.0) and ``x-bili-timestamp`` (Unix seconds), written ``name:value`` sorted by name
  and joined with newlines, are signed with HMAC-SHA256 under the access key secret; the hex digest is the
  ``Authorization`` header (`signed_headers`);
* ``POST /v2/app/start`` ``{"code", "app_id"}`` opens a session ("game"): its ``game_id``, the room
  (``anchor_info``) and the long connection's ``wss_link`` list and ``auth_body``. ``/v2/app/heartbeat``
  ``{"game_id"}`` every 20 s keeps it (it expires after 60 s without one); ``/v2/app/end`` closes it;
* the long connection is a WebSocket of binary packets, each a 16-byte big-endian header (packet length, header
  length 16, protocol version, operation, sequence) and a body. Operations: AUTH 7 (body: the ``auth_body``),
  AUTH_REPLY 8 (``{"code": 0}``), HEARTBEAT 2 (every 30 s), HEARTBEAT_REPLY 3, SEND_SMS_REPLY 5 (a message). A
  message body of version 0 is JSON; version 2 (zlib) and 3 (brotli) bodies inflate to more packets (`packets`);
* messages are ``{"cmd", "data"}``: ``LIVE_OPEN_PLATFORM_DM`` (chat), ``_SEND_GIFT``, ``_SUPER_CHAT``, ``_GUARD``
  (membership), ``_LIKE``, and ``_INTERACTION_END`` (the platform closed the session). Each carries ``msg_id``,
  which becomes the comment id: the intake drops repeats after a reconnect.

When the long connection drops, goes silent past two heartbeats, or the session ends, the source closes the
session (``/v2/app/end``) and opens a new one with backoff.

URL: ``bilibili://ROOM_ID`` (the room the identity code must belong to; checked on start). Keys:
``STREAMER_BILIBILI_ACCESS_KEY_ID``, ``STREAMER_BILIBILI_ACCESS_KEY_SECRET``, ``STREAMER_BILIBILI_APP_ID``,
``STREAMER_BILIBILI_AUTH_CODE`` (the identity code); ``STREAMER_BILIBILI_API_BASE`` points it elsewhere (tests).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
import struct
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any
from urllib.parse import SplitResult

import brotli
import httpx
import websockets
from websockets.asyncio.client import ClientConnection, connect

from ...errors import ConfigError
from ..model import Comment, CommentKind
from .base import Backoff, CommentSource, SourceStatus

__all__ = ["API_BASE", "BilibiliOpenLive", "Op", "Ver", "comment_from_message", "pack", "packets", "parse_url",
           "signed_headers"]

log = logging.getLogger(__name__)

API_BASE = "https://live-open.biliapi.com"
APP_HEARTBEAT_S = 20.0     # the session expires 60 s after the last app heartbeat
WS_HEARTBEAT_S = 30.0
SILENCE_HEARTBEATS = 1.5   # a link that answered nothing for this many heartbeat periods is dead
REQUEST_TIMEOUT_S = 10.0
AUTH_TIMEOUT_S = 10.0
END_TIMEOUT_S = 5.0
MAX_FRAME_BYTES = 1024 * 1024
MAX_INFLATED_BYTES = 8 * 1024 * 1024   # a compressed frame may not inflate past this (a decompression bomb)
HEADER = struct.Struct(">IHHII")       # packet length, header length, protocol version, operation, sequence


class Op(IntEnum):
    HEARTBEAT = 2
    HEARTBEAT_REPLY = 3
    SEND_SMS_REPLY = 5
    AUTH = 7
    AUTH_REPLY = 8


class Ver(IntEnum):
    JSON = 0
    PLAIN = 1      # heartbeats and auth
    ZLIB = 2
    BROTLI = 3


class _Lost(Exception):
    """The session or its long connection is gone: end it and start a new one."""


@dataclass(frozen=True, slots=True)
class _Game:
    game_id: str
    auth_body: str
    links: tuple[str, ...]
    room_id: int


def pack(op: int, body: bytes = b"", ver: int = Ver.PLAIN, seq: int = 1) -> bytes:
    """One packet: the 16-byte header and ``body``."""
    return HEADER.pack(HEADER.size + len(body), HEADER.size, ver, op, seq) + body


def _inflate(ver: int, body: bytes) -> bytes:
    try:
        if ver == Ver.ZLIB:
            z = zlib.decompressobj()
            out = z.decompress(body, MAX_INFLATED_BYTES)
            if z.unconsumed_tail:
                raise ValueError("bilibili: a zlib body inflates past the size limit")
            return out
        b = brotli.Decompressor()
        out = b.process(body, output_buffer_limit=MAX_INFLATED_BYTES)
        if len(out) >= MAX_INFLATED_BYTES or not b.is_finished():
            raise ValueError("bilibili: a brotli body inflates past the size limit (or is cut short)")
        return bytes(out)
    except (zlib.error, brotli.error) as e:
        raise ValueError(f"bilibili: a compressed body does not inflate ({e})") from None


def packets(data: bytes, *, nested: bool = True) -> Iterator[tuple[int, int, bytes]]:
    """(operation, version, body) of every packet in ``data``, compressed bodies inflated into the packets in
    them (one level, as the server sends). ValueError for bytes that are not packets."""
    at = 0
    while at < len(data):
        if len(data) - at < HEADER.size:
            raise ValueError("bilibili: a packet shorter than its header")
        length, header_len, ver, op, _ = HEADER.unpack_from(data, at)
        if header_len < HEADER.size or length < header_len or at + length > len(data):
            raise ValueError(f"bilibili: a packet header that does not fit (length {length}, header {header_len})")
        body = data[at + header_len:at + length]
        at += length
        if ver in (Ver.ZLIB, Ver.BROTLI) and op == Op.SEND_SMS_REPLY:
            if not nested:
                raise ValueError("bilibili: a compressed packet inside a compressed packet")
            yield from packets(_inflate(ver, body), nested=False)
        else:
            yield op, ver, body


def signed_headers(body: bytes, access_key_id: str, access_key_secret: str, *, nonce: str | None = None,
                   timestamp: int | None = None) -> dict[str, str]:
    """The headers of a signed Open Live API call with ``body`` (see the module docstring)."""
    signed = {"x-bili-accesskeyid": access_key_id, "x-bili-content-md5": hashlib.md5(body).hexdigest(),
              "x-bili-signature-method": "HMAC-SHA256",
              "x-bili-signature-nonce": nonce or secrets.token_hex(16),
              "x-bili-signature-version": "1.0",
              "x-bili-timestamp": str(int(time.time()) if timestamp is None else timestamp)}
    text = "\n".join(f"{k}:{signed[k]}" for k in sorted(signed))
    mac = hmac.new(access_key_secret.encode(), text.encode(), hashlib.sha256).hexdigest()
    return {**signed, "Authorization": mac, "Accept": "application/json", "Content-Type": "application/json"}


_GUARDS = {1: "总督", 2: "提督", 3: "舰长"}


def _user(data: Mapping[str, Any]) -> tuple[str, str]:
    info = data.get("user_info")
    if not isinstance(info, Mapping):
        info = data
    uid = info.get("open_id") or info.get("uid") or ""  # open_id since 2024; uid is 0 for new apps
    return str(info.get("uname") or ""), str(uid) if uid else ""


def comment_from_message(msg: Mapping[str, Any]) -> Comment | None:
    """The comment in one ``{"cmd", "data"}`` message; None for commands that are not comments."""
    cmd, data = msg.get("cmd"), msg.get("data")
    if not isinstance(data, dict):
        return None
    user, user_id = _user(data)
    common: dict[str, Any] = {"user": user, "user_id": user_id, "platform": "bilibili",
                              "id": str(data.get("msg_id") or ""),
                              "time": float(data.get("timestamp") or time.time())}
    if cmd == "LIVE_OPEN_PLATFORM_DM":
        return Comment(text=str(data.get("msg") or ""), **common)
    if cmd == "LIVE_OPEN_PLATFORM_SEND_GIFT":
        return Comment(text="", kind=CommentKind.GIFT, gift=str(data.get("gift_name") or "gift"),
                       count=int(data.get("gift_num") or 1), **common)
    if cmd == "LIVE_OPEN_PLATFORM_SUPER_CHAT":
        return Comment(text=str(data.get("message") or ""), kind=CommentKind.GIFT,
                       gift=f"醒目留言 ¥{data.get('rmb', '')}", **common)
    if cmd == "LIVE_OPEN_PLATFORM_GUARD":
        level = int(data.get("guard_level") or 3)
        return Comment(text="", kind=CommentKind.FOLLOW, gift=_GUARDS.get(level, "guard"),
                       count=int(data.get("guard_num") or 1), **common)
    if cmd == "LIVE_OPEN_PLATFORM_LIKE":
        return Comment(text=str(data.get("like_text") or ""), kind=CommentKind.LIKE,
                       count=int(data.get("like_count") or 1), **common)
    return None


class BilibiliOpenLive:
    """Reads one room through Bilibili Open Live. ``room``: the room the identity code must belong to (None: any)."""

    def __init__(self, room: int | None, *, code: str, app_id: int, access_key_id: str, access_key_secret: str,
                 api_base: str = API_BASE, backoff: Backoff | None = None, app_heartbeat_s: float = APP_HEARTBEAT_S,
                 ws_heartbeat_s: float = WS_HEARTBEAT_S, max_reconnects: int | None = None) -> None:
        if not (code and app_id and access_key_id and access_key_secret):
            raise ConfigError("Bilibili Open Live needs STREAMER_BILIBILI_ACCESS_KEY_ID, "
                              "STREAMER_BILIBILI_ACCESS_KEY_SECRET, STREAMER_BILIBILI_APP_ID and the streamer's "
                              "identity code in STREAMER_BILIBILI_AUTH_CODE")
        self.room = room
        self._code, self._app_id = code, app_id
        self._key_id, self._secret = access_key_id, access_key_secret
        self.api_base = api_base
        self.backoff = backoff or Backoff()
        self.app_heartbeat_s, self.ws_heartbeat_s = app_heartbeat_s, ws_heartbeat_s
        self.max_reconnects = max_reconnects
        self.status = SourceStatus()
        self.games = 0             # sessions started
        self.heartbeats = 0        # app heartbeats the platform accepted
        self.dropped = 0           # frames that were not packets we could read

    async def stream(self) -> AsyncIterator[Comment]:
        failures = 0
        async with httpx.AsyncClient(base_url=self.api_base, timeout=REQUEST_TIMEOUT_S) as http:
            while True:
                game: _Game | None = None
                try:
                    game = await self._start(http)
                    async for comment in self._live(http, game):
                        self.backoff.reset()
                        yield comment
                except (_Lost, OSError, TimeoutError, websockets.WebSocketException, httpx.TransportError) as e:
                    log.warning("bilibili room %s: %s", self.room or "?", e)
                    self.status.down(str(e) or type(e).__name__)
                finally:
                    self.status.connected = False
                    if game is not None:
                        await self._end(http, game)
                failures += 1
                if self.max_reconnects is not None and failures > self.max_reconnects:
                    return
                await self.backoff.wait()

    # --- the HTTP session ---------------------------------------------------------------------------------

    async def _call(self, http: httpx.AsyncClient, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(payload, separators=(",", ":")).encode()
        answer = await http.post(path, content=body, headers=signed_headers(body, self._key_id, self._secret))
        try:
            reply = answer.json()
        except ValueError:
            raise _Lost(f"{path}: HTTP {answer.status_code}, not JSON") from None
        if not isinstance(reply, dict) or reply.get("code") != 0:
            code = reply.get("code") if isinstance(reply, dict) else None
            message = reply.get("message") if isinstance(reply, dict) else None
            raise _Lost(f"{path} refused: code {code}: {message or answer.reason_phrase}")
        data = reply.get("data")
        return data if isinstance(data, dict) else {}

    async def _start(self, http: httpx.AsyncClient) -> _Game:
        data = await self._call(http, "/v2/app/start", {"code": self._code, "app_id": self._app_id})
        info, ws = data.get("game_info") or {}, data.get("websocket_info") or {}
        links = tuple(str(u) for u in ws.get("wss_link") or [])
        if not info.get("game_id") or not ws.get("auth_body") or not links:
            raise _Lost("/v2/app/start: no game_id, auth_body or wss_link in the answer")
        room_id = int((data.get("anchor_info") or {}).get("room_id") or 0)
        game = _Game(str(info["game_id"]), str(ws["auth_body"]), links, room_id)
        self.games += 1
        if self.room is not None and room_id != self.room:
            await self._end(http, game)
            raise ConfigError(f"bilibili: the identity code belongs to room {room_id}, not {self.room}")
        return game

    async def _heartbeat(self, http: httpx.AsyncClient, game: _Game) -> None:
        try:
            await self._call(http, "/v2/app/heartbeat", {"game_id": game.game_id})
        except httpx.TransportError as e:  # one missed beat is allowed: the session lives 60 s without one
            log.warning("bilibili room %s: heartbeat failed (%s)", game.room_id, e)
            return
        self.heartbeats += 1

    async def _end(self, http: httpx.AsyncClient, game: _Game) -> None:
        try:
            await asyncio.wait_for(self._call(http, "/v2/app/end", {"app_id": self._app_id,
                                                                    "game_id": game.game_id}), END_TIMEOUT_S)
        except (_Lost, TimeoutError, httpx.HTTPError) as e:  # the platform ends it by itself 60 s later
            log.info("bilibili room %s: could not end the session (%s)", game.room_id, e)

    # --- the long connection ------------------------------------------------------------------------------

    async def _connect(self, game: _Game) -> ClientConnection:
        error: Exception | None = None
        for url in game.links:
            try:
                return await connect(url, max_size=MAX_FRAME_BYTES, open_timeout=AUTH_TIMEOUT_S)
            except (OSError, TimeoutError, websockets.WebSocketException) as e:
                error = e
        raise _Lost(f"no long-connection link answered ({error})")

    async def _live(self, http: httpx.AsyncClient, game: _Game) -> AsyncIterator[Comment]:
        ws = await self._connect(game)
        try:
            await ws.send(pack(Op.AUTH, game.auth_body.encode()))
            await asyncio.wait_for(self._authenticated(ws), AUTH_TIMEOUT_S)
            self.status.up()
            log.info("bilibili room %s: connected", game.room_id)
            await ws.send(pack(Op.HEARTBEAT))
            now = time.monotonic()
            heard, next_beat, next_app_beat = now, now + self.ws_heartbeat_s, now + self.app_heartbeat_s
            while True:
                try:
                    frame = await asyncio.wait_for(ws.recv(), max(0.0, min(next_beat, next_app_beat) - now))
                except TimeoutError:
                    frame = None
                now = time.monotonic()
                if frame is not None:
                    heard = now
                    for comment in self._read(frame):
                        yield comment
                if now >= next_beat:
                    if now - heard > SILENCE_HEARTBEATS * self.ws_heartbeat_s:
                        raise _Lost(f"the long connection went silent for {now - heard:.0f} s")
                    await ws.send(pack(Op.HEARTBEAT))
                    next_beat = now + self.ws_heartbeat_s
                if now >= next_app_beat:
                    await self._heartbeat(http, game)
                    next_app_beat = now + self.app_heartbeat_s
        finally:
            await ws.close()

    async def _authenticated(self, ws: ClientConnection) -> None:
        while True:
            frame = await ws.recv()
            if not isinstance(frame, bytes):
                continue
            for op, _, body in packets(frame):
                if op == Op.AUTH_REPLY:
                    try:
                        code = json.loads(body).get("code")
                    except (ValueError, AttributeError):
                        code = None
                    if code != 0:
                        raise _Lost(f"the long connection refused the auth body (code {code})")
                    return

    def _read(self, frame: str | bytes) -> Iterator[Comment]:
        if not isinstance(frame, bytes):
            return
        try:
            found = list(packets(frame))
        except ValueError as e:
            self.dropped += 1
            log.debug("%s", e)
            return
        for op, _, body in found:
            if op != Op.SEND_SMS_REPLY:
                continue  # heartbeat replies: hearing them was the point
            try:
                msg = json.loads(body)
            except (ValueError, UnicodeDecodeError):
                self.dropped += 1
                continue
            if not isinstance(msg, dict):
                continue
            if msg.get("cmd") == "LIVE_OPEN_PLATFORM_INTERACTION_END":
                raise _Lost("Bilibili ended the session (interaction end)")
            try:
                comment = comment_from_message(msg)
            except (TypeError, ValueError):
                self.dropped += 1
                continue
            if comment is not None:
                yield comment


def parse_url(parts: SplitResult) -> Callable[[Mapping[str, str]], CommentSource]:
    """The intake's parser for ``bilibili://ROOM_ID``: checks the URL now, reads the keys when the source opens."""
    room = parts.netloc
    if not room.isdigit() or parts.path.strip("/"):
        raise ValueError("expected bilibili://ROOM_ID (the number in live.bilibili.com/ROOM_ID)")

    def build(env: Mapping[str, str]) -> CommentSource:
        app_id = env.get("STREAMER_BILIBILI_APP_ID", "")
        if app_id and not app_id.isdigit():
            raise ConfigError("STREAMER_BILIBILI_APP_ID must be the app's number")
        return BilibiliOpenLive(int(room), code=env.get("STREAMER_BILIBILI_AUTH_CODE", ""),
                                app_id=int(app_id or 0),
                                access_key_id=env.get("STREAMER_BILIBILI_ACCESS_KEY_ID", ""),
                                access_key_secret=env.get("STREAMER_BILIBILI_ACCESS_KEY_SECRET", ""),
                                api_base=env.get("STREAMER_BILIBILI_API_BASE") or API_BASE)
    return build
