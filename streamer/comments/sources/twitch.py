"""Twitch chat over IRC (irc.chat.twitch.tv): tags, PING/PONG, RECONNECT and reconnect backoff.

Anonymous read-only login (nick ``justinfan<digits>``, no token) is enough to read a channel's chat; an OAuth token
(``oauth:...``) is only needed to talk. The adapter asks for the ``twitch.tv/tags`` and ``twitch.tv/commands``
capabilities and carries on without them on a plain IRC server (which answers CAP NAK), so any RFC 1459 server works.

What becomes a `Comment`: PRIVMSG (chat; with a ``bits`` tag a gift of bits), USERNOTICE sub/resub (follow),
subgift/submysterygift (gift), raid (enter, count = raiders), and JOINs of other users (enter). Comments carry
``platform`` (twitch; a plain IRC room is named as the caller says, e.g. irc).
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import time
from collections.abc import AsyncIterator

from ...errors import ConfigError
from ..model import Comment, CommentKind
from .base import Backoff, SourceStatus
from .irc import IrcMessage, irc_line

__all__ = ["TwitchChat"]

log = logging.getLogger(__name__)

TWITCH_HOST = "irc.chat.twitch.tv"
TWITCH_TLS_PORT = 6697
IDLE_PING_S = 300.0       # Twitch pings about every 5 minutes; silence longer than this means a dead link
PONG_WAIT_S = 10.0
REGISTER_TIMEOUT_S = 15.0
MAX_LINE_BYTES = 16 * 1024


_USERNOTICE_KINDS = {"sub": CommentKind.FOLLOW, "resub": CommentKind.FOLLOW, "subgift": CommentKind.GIFT,
                     "submysterygift": CommentKind.GIFT, "raid": CommentKind.ENTER}
_USERNOTICE_COUNTS = {"raid": "msg-param-viewerCount", "submysterygift": "msg-param-mass-gift-count"}


class _Reconnect(Exception):
    """The server asked us to reconnect (Twitch RECONNECT: ``requested``) or the link went quiet or closed."""

    def __init__(self, reason: str, requested: bool = False) -> None:
        super().__init__(reason)
        self.requested = requested


class TwitchChat:
    """Reads one channel's chat. ``async for c in TwitchChat("#shop").stream(): ...``"""

    def __init__(self, channel: str, *, host: str = TWITCH_HOST, port: int = TWITCH_TLS_PORT, tls: bool = True,
                 nick: str | None = None, token: str | None = None, backoff: Backoff | None = None,
                 idle_ping_s: float = IDLE_PING_S, max_reconnects: int | None = None,
                 platform: str = "twitch") -> None:
        self.channel = "#" + channel.lstrip("#").lower()
        self.host, self.port, self.tls = host, port, tls
        self.nick = nick or f"justinfan{random.randint(10_000, 99_999)}"
        if token and host.endswith("twitch.tv") and not token.startswith("oauth:"):
            token = "oauth:" + token  # Twitch's form of PASS; a plain IRC server takes its password as it is
        self.token = token
        self.platform = platform
        self.backoff = backoff or Backoff()
        self.idle_ping_s = idle_ping_s
        self.max_reconnects = max_reconnects
        self.status = SourceStatus()
        self.pongs = 0        # PONGs we sent to server PINGs
        self.pings = 0        # keepalive PINGs we sent on an idle link

    @property
    def connections(self) -> int:
        """Successful registrations, for health and tests."""
        return self.status.connections

    async def stream(self) -> AsyncIterator[Comment]:
        failures = 0
        while True:
            try:
                async for comment in self._session():
                    yield comment
            except _Reconnect as e:
                log.info("%s %s: reconnecting (%s)", self.platform, self.channel, e)
                self.status.down(str(e))
                if e.requested:
                    self.backoff.reset()  # Twitch asked (maintenance): come back after the shortest wait
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as e:
                log.warning("%s %s: %s", self.platform, self.channel, e)
                self.status.down(str(e) or type(e).__name__)
            finally:
                self.status.connected = False
            failures += 1
            if self.max_reconnects is not None and failures > self.max_reconnects:
                return
            await self.backoff.wait()

    async def _session(self) -> AsyncIterator[Comment]:
        ctx = ssl.create_default_context() if self.tls else None
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port, ssl=ctx, limit=MAX_LINE_BYTES), REGISTER_TIMEOUT_S)
        try:
            writer.write(irc_line("CAP", "REQ", "twitch.tv/tags twitch.tv/commands"))
            if self.token:
                writer.write(irc_line("PASS", self.token))
            writer.write(irc_line("NICK", self.nick))
            writer.write(irc_line("USER", self.nick, "0", "*", self.nick))  # RFC servers need it; Twitch ignores it
            await writer.drain()
            registered = False
            awaiting_pong = False
            while True:
                timeout = REGISTER_TIMEOUT_S if not registered else (PONG_WAIT_S if awaiting_pong
                                                                     else self.idle_ping_s)
                try:
                    raw = await asyncio.wait_for(reader.readline(), timeout)
                except TimeoutError:
                    if not registered or awaiting_pong:
                        raise _Reconnect("no answer from the server") from None
                    writer.write(irc_line("PING", "keepalive"))
                    await writer.drain()
                    self.pings += 1
                    awaiting_pong = True
                    continue
                if not raw:
                    raise _Reconnect("connection closed")
                awaiting_pong = False
                msg = IrcMessage.parse(raw.decode("utf-8", errors="replace"))
                if msg.command == "PING":
                    writer.write(irc_line("PONG", msg.trailing, trailing=True))  # Twitch: "PONG :tmi.twitch.tv"
                    await writer.drain()
                    self.pongs += 1
                elif msg.command == "RECONNECT":
                    raise _Reconnect("server asked to reconnect", requested=True)
                elif msg.command == "CAP" and len(msg.params) >= 2 and msg.params[1] in ("ACK", "NAK"):
                    writer.write(irc_line("CAP", "END"))
                    await writer.drain()
                elif msg.command == "001":
                    registered = True
                    self.status.up()
                    writer.write(irc_line("JOIN", self.channel))
                    await writer.drain()
                elif msg.command == "NOTICE" and "authentication failed" in msg.trailing.lower():
                    raise ConfigError(f"twitch: login failed for {self.nick}: {msg.trailing}")
                elif msg.command == "433":  # nickname in use (plain IRC servers): pick another one
                    self.nick = f"justinfan{random.randint(10_000, 99_999)}"
                    writer.write(irc_line("NICK", self.nick))
                    await writer.drain()
                elif msg.command == "ERROR":
                    raise _Reconnect(msg.trailing or "server error")
                else:
                    comment = self._comment(msg)
                    if comment is not None:
                        self.backoff.reset()
                        yield comment
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except (OSError, ssl.SSLError):
                pass

    def _comment(self, msg: IrcMessage) -> Comment | None:
        if not msg.params or msg.params[0].lower() != self.channel:
            return None
        tags = msg.tags
        sent_ms = tags.get("tmi-sent-ts", "")

        def make(text: str = "", kind: CommentKind = CommentKind.CHAT, gift: str = "", count: str = "1") -> Comment:
            return Comment(text=text, user=tags.get("display-name") or tags.get("login") or msg.nick,
                           user_id=tags.get("user-id", ""), platform=self.platform, id=tags.get("id", ""), kind=kind,
                           time=int(sent_ms) / 1000.0 if sent_ms.isdigit() else time.time(), gift=gift,
                           count=int(count) if count.isdigit() else 1)

        if msg.command == "PRIVMSG":
            text = msg.trailing
            if text.startswith("\x01ACTION ") and text.endswith("\x01"):
                text = text[8:-1]  # /me
            if tags.get("bits", "").isdigit():
                return make(text, CommentKind.GIFT, "bits", tags["bits"])
            return make(text)
        if msg.command == "USERNOTICE":
            msg_id = tags.get("msg-id", "")
            kind = _USERNOTICE_KINDS.get(msg_id)
            if kind is None:
                return None
            count = tags.get(_USERNOTICE_COUNTS.get(msg_id, ""), "1")
            text = msg.trailing if len(msg.params) > 1 else ""
            return make(text, kind, "sub" if kind is CommentKind.GIFT else "", count)
        if msg.command == "JOIN" and msg.nick.lower() != self.nick.lower():
            return make(kind=CommentKind.ENTER)
        return None
