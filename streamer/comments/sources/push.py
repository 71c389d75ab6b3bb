"""Comments a platform pushes to us over HTTP (webhooks): `PushSource`, the listener that Douyin's live data push
(douyin.py) and the generic signed webhook (webhook.py) share.

A pushing platform calls our URL for every batch of messages and retries when we do not answer 200 in time (Douyin
allows 2 seconds). So a delivery is checked (its signature) and read (a few JSON fields) while the platform waits,
the comments are put on a bounded queue and the answer goes out at once; what the comments cause downstream never
holds up the answer. A full queue answers 503 (the platform tries again later) rather than growing without bound.
A forged or stale delivery answers 401 or 403 and is counted in ``rejected``; its last reason is the source's
``status.last_error``. Retried deliveries carry the platform's message ids again: the intake drops the repeats.

The HTTP/1.1 side is h11 (a dependency of uvicorn) on asyncio streams: keep-alive, chunked bodies and
``Expect: 100-continue`` work as clients expect, with a body limit and a read timeout per request so a slow or
oversized sender cannot hold the listener. TLS is optional (an ``ssl.SSLContext``); behind a TLS-terminating proxy
it is not needed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult

import h11

from ...errors import ConfigError
from ..model import Comment
from .base import SourceStatus

__all__ = ["MAX_BODY_BYTES", "QUEUE_COMMENTS", "PushRejected", "PushSource", "listen_address", "tls_context"]

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024     # far above a platform's batch (Douyin pushes at most a few hundred messages)
MAX_HEADER_BYTES = 16 * 1024
READ_TIMEOUT_S = 10.0            # per request, idle keep-alive included
QUEUE_COMMENTS = 2000            # comments waiting for the consumer before deliveries are refused with 503
_READ_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class PushRejected(Exception):
    """A delivery we refuse: the HTTP status to answer and a short reason (shown in health; never a secret)."""

    status: int
    reason: str

    def __str__(self) -> str:
        return f"{self.status} {self.reason}"


def tls_context(cert: str | None, key: str | None) -> ssl.SSLContext | None:
    """A server TLS context from a certificate chain and key file, or None when neither is given."""
    if not cert and not key:
        return None
    if not cert or not key:
        raise ConfigError("TLS needs both a certificate file and a key file")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        ctx.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as e:
        raise ConfigError(f"cannot load the TLS certificate {cert}: {e}") from None
    return ctx


def _json(status: int, **fields: object) -> tuple[int, bytes]:
    return status, json.dumps(fields).encode()


class PushSource:
    """Listens on ``host:port`` for POSTs to ``path`` (any path when None) and yields the comments in them.

    Subclasses say what a genuine delivery is and what is in it: `accept`. ``port`` is the port bound once
    ``ready`` is set (useful with port 0)."""

    platform = "push"
    ok_body: dict[str, object] = {"ok": True}

    def __init__(self, host: str, port: int, path: str | None = None, *, tls: ssl.SSLContext | None = None,
                 max_body_bytes: int = MAX_BODY_BYTES, queue_comments: int = QUEUE_COMMENTS) -> None:
        self.host, self.port, self.path = host, port, path
        self.tls = tls
        self.max_body_bytes = max_body_bytes
        self.status = SourceStatus()
        self.ready = asyncio.Event()
        self.delivered = 0   # deliveries accepted
        self.rejected = 0    # deliveries refused (forged, stale, malformed, too large, queue full)
        self._queue: asyncio.Queue[Comment] = asyncio.Queue(queue_comments)

    def accept(self, headers: Mapping[str, str], body: bytes) -> list[Comment]:
        """The comments in one delivery (``headers`` with lower-case names). Raise `PushRejected` to refuse it."""
        raise NotImplementedError

    async def stream(self) -> AsyncIterator[Comment]:
        server = await asyncio.start_server(self._connection, self.host, self.port, ssl=self.tls,
                                            limit=MAX_HEADER_BYTES)
        try:
            self.port = server.sockets[0].getsockname()[1]
            self.status.up()
            self.ready.set()
            log.info("%s: listening on %s:%d%s", self.platform, self.host, self.port, self.path or "")
            while True:
                yield await self._queue.get()
        finally:
            self.ready.clear()
            self.status.connected = False
            server.close()
            await server.wait_closed()

    # --- HTTP ---------------------------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEADER_BYTES)
        try:
            while True:
                try:
                    got = await asyncio.wait_for(self._request(conn, reader, writer), READ_TIMEOUT_S)
                except PushRejected as e:  # too large: answered, then the connection closes
                    self._reject(e)
                    await self._respond(conn, writer, *_json(e.status, error=e.reason))
                    return
                if got is None:
                    return
                await self._respond(conn, writer, *self._answer(*got))
                if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                    return
                conn.start_next_cycle()
        except h11.RemoteProtocolError as e:
            if conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                try:
                    await self._respond(conn, writer, *_json(e.error_status_hint, error="bad HTTP request"))
                except (OSError, h11.LocalProtocolError):
                    pass  # the client is gone already
        except (TimeoutError, OSError, h11.LocalProtocolError):
            pass  # a client that went quiet or away: nothing to answer
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except (OSError, ssl.SSLError):
                pass

    async def _request(self, conn: h11.Connection, reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter) -> tuple[h11.Request, bytes] | None:
        request: h11.Request | None = None
        body = bytearray()
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await reader.read(_READ_CHUNK))
            elif isinstance(event, h11.Request):
                request = event
                length = dict(event.headers).get(b"content-length", b"0")
                if length.isdigit() and int(length) > self.max_body_bytes:
                    raise PushRejected(413, "body over the size limit")
                if conn.they_are_waiting_for_100_continue:
                    writer.write(conn.send(h11.InformationalResponse(status_code=100, headers=[])) or b"")
            elif isinstance(event, h11.Data):
                body += event.data
                if len(body) > self.max_body_bytes:
                    raise PushRejected(413, "body over the size limit")
            elif isinstance(event, h11.EndOfMessage) and request is not None:
                return request, bytes(body)
            elif isinstance(event, h11.ConnectionClosed):
                return None

    def _answer(self, request: h11.Request, body: bytes) -> tuple[int, bytes]:
        if request.method != b"POST":
            return _json(405, error="POST only")
        path = request.target.decode("latin-1").split("?", 1)[0]
        if self.path is not None and path != self.path:
            return _json(404, error="no such path")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in request.headers}
        try:
            comments = self.accept(headers, body)
            if self._queue.qsize() + len(comments) > self._queue.maxsize:
                raise PushRejected(503, "busy: too many comments waiting")
        except PushRejected as e:
            self._reject(e)
            return _json(e.status, error=e.reason)
        for comment in comments:
            self._queue.put_nowait(comment)
        self.delivered += 1
        return 200, json.dumps(self.ok_body).encode()

    def _reject(self, e: PushRejected) -> None:
        self.rejected += 1
        self.status.last_error = f"refused a delivery: {e}"
        log.warning("%s: refused a delivery: %s", self.platform, e)

    @staticmethod
    async def _respond(conn: h11.Connection, writer: asyncio.StreamWriter, status: int, body: bytes) -> None:
        headers = [("content-type", "application/json"), ("content-length", str(len(body)))]
        if status >= 400:
            headers.append(("connection", "close"))
        writer.write(conn.send(h11.Response(status_code=status, headers=headers)) or b"")
        writer.write(conn.send(h11.Data(data=body)) or b"")
        writer.write(conn.send(h11.EndOfMessage()) or b"")
        await writer.drain()


def listen_address(parts: SplitResult, scheme_help: str) -> tuple[str, int, str | None]:
    """(host, port, path) from a push source URL ``SCHEME://[host]:port[/path]``; no host is every interface, no
    path (or ``/``) any path. Port 0 picks a free port (tests). Raises ValueError naming the expected form."""
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"the port is not a number from 0 to 65535 ({scheme_help})") from None
    if port is None:
        raise ValueError(f"no port ({scheme_help})")
    path = parts.path if parts.path not in ("", "/") else None
    return parts.hostname or "0.0.0.0", port, path
