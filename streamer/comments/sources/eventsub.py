"""Twitch chat through EventSub over WebSocket (``channel.chat.message`` v1), Twitch's current chat API.

The protocol as Twitch documents it (dev.twitch.tv/docs/eventsub/handling-websocket-events):

1. connect to ``wss://eventsub.wss.twitch.tv/ws``; the server sends ``session_welcome`` with the session id and
   ``keepalive_timeout_seconds``;
2. within 10 seconds, subscribe through Helix: ``POST /helix/eventsub/subscriptions`` with
   ``{"type": "channel.chat.message", "version": "1", "condition": {"broadcaster_user_id", "user_id"},
   "transport": {"method": "websocket", "session_id"}}`` (a user access token with ``user:read:chat`` and its
   Client-Id; 202 on success). Subscriptions live and die with their session;
3. ``notification`` messages carry the events; ``session_keepalive`` comes when nothing else did within the
   keepalive timeout, so silence longer than that (plus a margin for the network) means a dead link: reconnect
   with a new session and subscribe again;
4. ``session_reconnect`` (Twitch moving the session) gives a ``reconnect_url``: connect there *before* dropping the
   old link, keep reading both until the new one's welcome, then close the old one. The subscriptions move with
   the session, so nothing is subscribed again;
5. ``revocation``: Twitch ended the subscription (``authorization_revoked``, ``user_removed``,
   ``version_removed``). The source stops with `SubscriptionRevoked`, which says why (health shows it).

Delivery is at least once: each comment's id is the chat message's ``message_id`` (the same id Twitch IRC's ``id``
tag has), so the intake drops repeats. Chat messages with ``cheer`` become gifts of bits.

URL: ``twitch-eventsub://CHANNEL``; ``STREAMER_TWITCH_CLIENT_ID`` and ``STREAMER_TWITCH_TOKEN`` (a user access token
with ``user:read:chat``; the reading account is the token's user). ``STREAMER_TWITCH_EVENTSUB_URL`` and
``STREAMER_TWITCH_API_BASE`` point it elsewhere (Twitch's CLI mock server, tests).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import SplitResult, unquote

import httpx
import websockets
from websockets.asyncio.client import ClientConnection, connect

from ...errors import ConfigError
from ..model import Comment, CommentKind
from .base import Backoff, CommentSource, SourceStatus

__all__ = ["API_BASE", "EVENTSUB_URL", "SubscriptionRevoked", "TwitchEventSub", "comment_from_event", "parse_url"]

log = logging.getLogger(__name__)

EVENTSUB_URL = "wss://eventsub.wss.twitch.tv/ws"
API_BASE = "https://api.twitch.tv"
WELCOME_TIMEOUT_S = 10.0        # Twitch closes a connection with no subscription 10 s after the welcome (4003)
KEEPALIVE_MARGIN_S = 5.0        # network delay allowed on top of the session's keepalive timeout
REQUEST_TIMEOUT_S = 15.0
MAX_MESSAGE_BYTES = 1024 * 1024
_CHANNEL = re.compile(r"[a-z0-9_]{1,25}")


class SubscriptionRevoked(ConfigError):
    """Twitch revoked the chat subscription (the token lost its authorisation, the user was removed...)."""


class _Lost(Exception):
    """The session is gone (closed, silent past its keepalive, or not subscribed): start a new one."""


@dataclass(eq=False)
class _Link:
    ws: ClientConnection
    reader: asyncio.Task[None] = field(init=False)


def _time(stamp: str) -> float:
    # Twitch stamps carry nanoseconds (2023-07-19T14:56:51.634234626Z); fromisoformat takes at most microseconds
    try:
        head, dot, frac = stamp.rstrip("Z").partition(".")
        return datetime.fromisoformat(f"{head}{dot}{frac[:6]}+00:00").timestamp()
    except ValueError:
        return time.time()


def comment_from_event(event: Mapping[str, Any], sent_at: str = "") -> Comment:
    """The comment in a ``channel.chat.message`` event (``sent_at``: the notification's ``message_timestamp``)."""
    message = event.get("message") or {}
    cheer = event.get("cheer") or {}
    bits = cheer.get("bits") if isinstance(cheer, dict) else None
    return Comment(text=str(message.get("text") or ""), user=str(event.get("chatter_user_name") or ""),
                   user_id=str(event.get("chatter_user_id") or ""), platform="twitch",
                   id=str(event.get("message_id") or ""), time=_time(sent_at) if sent_at else time.time(),
                   kind=CommentKind.GIFT if bits else CommentKind.CHAT, gift="bits" if bits else "",
                   count=int(bits) if bits else 1)


class TwitchEventSub:
    """Reads one channel's chat over EventSub. ``async for c in TwitchEventSub("shop", ...).stream(): ...``"""

    def __init__(self, channel: str, *, client_id: str, token: str, ws_url: str = EVENTSUB_URL,
                 api_base: str = API_BASE, backoff: Backoff | None = None,
                 keepalive_margin_s: float = KEEPALIVE_MARGIN_S, max_reconnects: int | None = None) -> None:
        if not client_id or not token:
            raise ConfigError("Twitch EventSub needs STREAMER_TWITCH_CLIENT_ID and STREAMER_TWITCH_TOKEN "
                              "(a user access token with the user:read:chat scope)")
        self.channel = channel.lstrip("#").lower()
        self.ws_url, self.api_base = ws_url, api_base
        self._headers = {"Client-Id": client_id, "Authorization": f"Bearer {token.removeprefix('oauth:')}"}
        self.backoff = backoff or Backoff()
        self.keepalive_margin_s = keepalive_margin_s
        self.max_reconnects = max_reconnects
        self.status = SourceStatus()
        self.subscriptions = 0       # subscriptions made (one per new session)
        self.moves = 0               # session_reconnect handovers completed
        self._ids: tuple[str, str] | None = None  # (broadcaster_user_id, user_id), looked up once

    async def stream(self) -> AsyncIterator[Comment]:
        failures = 0
        async with httpx.AsyncClient(base_url=self.api_base, headers=self._headers,
                                     timeout=REQUEST_TIMEOUT_S) as http:
            while True:
                try:
                    async for comment in self._session(http):
                        self.backoff.reset()
                        yield comment
                except SubscriptionRevoked as e:
                    self.status.down(str(e))
                    raise
                except (_Lost, OSError, TimeoutError, websockets.WebSocketException, httpx.TransportError,
                        ValueError) as e:
                    log.warning("twitch eventsub %s: %s", self.channel, e)
                    self.status.down(str(e) or type(e).__name__)
                finally:
                    self.status.connected = False
                failures += 1
                if self.max_reconnects is not None and failures > self.max_reconnects:
                    return
                await self.backoff.wait()

    async def _session(self, http: httpx.AsyncClient) -> AsyncIterator[Comment]:
        inbox: asyncio.Queue[tuple[_Link, dict[str, Any] | Exception]] = asyncio.Queue()
        links: list[_Link] = []
        try:
            current = await self._open(self.ws_url, inbox, links)
            link, welcome = await asyncio.wait_for(inbox.get(), WELCOME_TIMEOUT_S)
            session = self._welcome(welcome)
            await self._subscribe(http, str(session["id"]))
            self.status.up()
            log.info("twitch eventsub %s: subscribed (session %s)", self.channel, session["id"])
            silence_s = float(session.get("keepalive_timeout_seconds") or 10) + self.keepalive_margin_s
            moving: _Link | None = None
            while True:
                try:
                    link, msg = await asyncio.wait_for(inbox.get(), silence_s)
                except TimeoutError:
                    raise _Lost(f"no message for {silence_s:.0f} s (keepalive timeout)") from None
                if isinstance(msg, Exception):
                    if link is current:
                        raise _Lost(str(msg) or "connection closed") from msg
                    continue  # the old link of a finished handover, or a failed new one: the current goes on
                kind = msg.get("metadata", {}).get("message_type")
                if kind == "notification":
                    comment = self._notification(msg)
                    if comment is not None:
                        yield comment
                elif kind == "session_reconnect":
                    url = ((msg.get("payload") or {}).get("session") or {}).get("reconnect_url")
                    if not url:
                        raise _Lost("session_reconnect without a reconnect_url")
                    log.info("twitch eventsub %s: Twitch moves the session", self.channel)
                    moving = await self._open(str(url), inbox, links)
                elif kind == "session_welcome" and link is moving:
                    old, current, moving = current, link, None
                    await self._close(old, links)
                    self.moves += 1
                elif kind == "revocation":
                    sub = (msg.get("payload") or {}).get("subscription") or {}
                    raise SubscriptionRevoked(f"twitch: the {sub.get('type', 'chat')} subscription for "
                                              f"{self.channel} was revoked ({sub.get('status', 'no reason given')})")
                # session_keepalive: its arrival was the point
        finally:
            for each in list(links):
                await self._close(each, links)

    async def _open(self, url: str, inbox: asyncio.Queue[tuple[_Link, dict[str, Any] | Exception]],
                    links: list[_Link]) -> _Link:
        # no client pings: Twitch closes a link that sends anything but pongs (4001); keepalives tell us it lives
        ws = await connect(url, max_size=MAX_MESSAGE_BYTES, open_timeout=WELCOME_TIMEOUT_S, ping_interval=None)
        link = _Link(ws)
        link.reader = asyncio.create_task(self._read(link, inbox), name=f"eventsub-read:{self.channel}")
        links.append(link)
        return link

    @staticmethod
    async def _read(link: _Link, inbox: asyncio.Queue[tuple[_Link, dict[str, Any] | Exception]]) -> None:
        try:
            async for raw in link.ws:
                msg = json.loads(raw)
                if isinstance(msg, dict):
                    inbox.put_nowait((link, msg))
            code = link.ws.close_code
            inbox.put_nowait((link, ConnectionError(f"closed by Twitch (code {code})")))
        except (websockets.WebSocketException, OSError, ValueError) as e:
            inbox.put_nowait((link, e))

    @staticmethod
    async def _close(link: _Link, links: list[_Link]) -> None:
        links.remove(link)
        link.reader.cancel()
        await link.ws.close()
        await asyncio.gather(link.reader, return_exceptions=True)

    @staticmethod
    def _welcome(msg: dict[str, Any] | Exception) -> dict[str, Any]:
        if isinstance(msg, Exception):
            raise _Lost(f"closed before the welcome: {msg}") from msg
        if msg.get("metadata", {}).get("message_type") != "session_welcome":
            raise _Lost("the first message was not session_welcome")
        session = (msg.get("payload") or {}).get("session") or {}
        if not session.get("id"):
            raise _Lost("session_welcome without a session id")
        return dict(session)

    def _notification(self, msg: dict[str, Any]) -> Comment | None:
        metadata = msg.get("metadata") or {}
        if metadata.get("subscription_type") != "channel.chat.message":
            return None
        event = (msg.get("payload") or {}).get("event")
        if not isinstance(event, dict):
            return None
        return comment_from_event(event, str(metadata.get("message_timestamp") or ""))

    async def _subscribe(self, http: httpx.AsyncClient, session_id: str) -> None:
        broadcaster, user = await self._user_ids(http)
        answer = await http.post("/helix/eventsub/subscriptions", json={
            "type": "channel.chat.message", "version": "1",
            "condition": {"broadcaster_user_id": broadcaster, "user_id": user},
            "transport": {"method": "websocket", "session_id": session_id}})
        if answer.status_code in (401, 403, 400):
            raise ConfigError(f"twitch: subscribing to {self.channel}'s chat was refused "
                              f"({answer.status_code}: {self._reason(answer)}); the token needs user:read:chat")
        if answer.status_code not in (202, 409):  # 409: this session already has it
            raise _Lost(f"subscribing failed ({answer.status_code}: {self._reason(answer)})")
        self.subscriptions += 1

    async def _user_ids(self, http: httpx.AsyncClient) -> tuple[str, str]:
        if self._ids is None:
            channel = await self._users(http, {"login": self.channel})
            if not channel:
                raise ConfigError(f"twitch: no channel named {self.channel}")
            me = await self._users(http, {})  # a user token's own user: the account that reads
            if not me:
                raise ConfigError("twitch: STREAMER_TWITCH_TOKEN is not a user access token")
            self._ids = (str(channel[0]["id"]), str(me[0]["id"]))
        return self._ids

    async def _users(self, http: httpx.AsyncClient, params: dict[str, str]) -> list[dict[str, Any]]:
        answer = await http.get("/helix/users", params=params)
        if answer.status_code == 401:
            raise ConfigError(f"twitch: the token or client id was refused ({self._reason(answer)})")
        if answer.status_code != 200:
            raise _Lost(f"looking up users failed ({answer.status_code})")
        data = answer.json().get("data")
        return data if isinstance(data, list) else []

    @staticmethod
    def _reason(answer: httpx.Response) -> str:
        try:
            return str(answer.json().get("message") or answer.reason_phrase)
        except ValueError:
            return answer.reason_phrase


def parse_url(parts: SplitResult) -> Callable[[Mapping[str, str]], CommentSource]:
    """The intake's parser for ``twitch-eventsub://CHANNEL``: checks the URL now, reads the keys when it opens."""
    channel = unquote(parts.netloc).lstrip("#").lower()
    if not _CHANNEL.fullmatch(channel) or parts.path.strip("/"):
        raise ValueError("expected twitch-eventsub://CHANNEL (letters, digits and _)")

    def build(env: Mapping[str, str]) -> CommentSource:
        return TwitchEventSub(channel, client_id=env.get("STREAMER_TWITCH_CLIENT_ID", ""),
                              token=env.get("STREAMER_TWITCH_TOKEN", ""),
                              ws_url=env.get("STREAMER_TWITCH_EVENTSUB_URL") or EVENTSUB_URL,
                              api_base=env.get("STREAMER_TWITCH_API_BASE") or API_BASE)
    return build
