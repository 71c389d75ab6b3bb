"""``Idempotency-Key`` on the REST commands: a POST or PATCH retried with the same key is answered with the first
response and not applied twice (a client whose connection dropped cannot tell whether its ``say`` or ``start``
went through; now it may simply send it again).

    POST /api/streams/s1/commands   Idempotency-Key: 6f1c...   {"type": "say", "text": "hi"}  -> 200 {"ref": "a1"}
    the same again                                                                           -> 200 {"ref": "a1"}
                                                                        (Idempotent-Replayed: true, said once)
    the same key, another body                                                               -> 409 problem

A key belongs to the token that sent it (two tokens never share one) and to one method and path; it is kept
``TTL_S`` seconds in this process (a restart of the service forgets it). A request still running when its key is
sent again gets a 409 too. Responses of 5xx are not kept: a retry runs again. The key is optional; without it a
request is not deduplicated. Built as a plain ASGI middleware so it sees the exact request body.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import problems

HEADER = "idempotency-key"
TTL_S = 24 * 3600.0
MAX_KEYS = 10_000  # the oldest are forgotten first, and when the kept responses pass MAX_KEPT_BYTES
MAX_KEPT_BYTES = 32 << 20
MAX_BODY_BYTES = 1 << 20  # larger requests are not kept (a brief is at most 200 kB)
METHODS = ("POST", "PATCH")
_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII, as the IETF draft's examples (UUIDs, random tokens)
_NOT_COMMANDS = re.compile(r"/(webrtc|whep|preview[^/]*)$")  # SDP offers open a new session each time


@dataclass(slots=True)
class _Entry:
    fingerprint: str
    at: float
    response: list[Message] | None = None  # None: still running
    size: int = 0


def applies(method: str, path: str) -> bool:
    return method in METHODS and path.startswith("/api/") and not _NOT_COMMANDS.search(path)


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, ttl_s: float = TTL_S, max_keys: int = MAX_KEYS,
                 max_bytes: int = MAX_KEPT_BYTES) -> None:
        self.app = app
        self.ttl_s = ttl_s
        self.max_keys = max_keys
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not applies(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        key = request.headers.get(HEADER)
        if key is None:
            await self.app(scope, receive, send)
            return
        if not _KEY.fullmatch(key):
            await self._problem(scope, send, 422, "Idempotency-Key: 1 to 255 visible ASCII characters",
                                errors=[{"loc": ["header", "Idempotency-Key"], "field": "Idempotency-Key",
                                         "type": "idempotency_key", "msg": "1 to 255 visible ASCII characters"}])
            return
        body, more = await _read_body(receive)
        if more:  # too large to keep: run it, uncached
            await self.app(scope, _replay(body, receive), send)
            return
        slot = _slot(request, key)
        fingerprint = hashlib.sha256(body).hexdigest()
        self._expire()
        entry = self._entries.get(slot)
        if entry is not None:
            if entry.fingerprint != fingerprint:
                await self._problem(scope, send, 409, "this Idempotency-Key was used for a request with another "
                                    "body; use a new key for a new request", kind="idempotency-key-reused")
            elif entry.response is None:
                await self._problem(scope, send, 409, "a request with this Idempotency-Key is still running; "
                                    "retry when it has finished", kind="idempotency-key-in-progress")
            else:
                await _send_replayed(entry.response, send)
            return
        entry = self._entries[slot] = _Entry(fingerprint, time.monotonic())
        sent: list[Message] = []

        async def capture(message: Message) -> None:
            sent.append(message)
            await send(message)

        try:
            await self.app(scope, _replay(body, receive), capture)
        finally:
            status = next((m["status"] for m in sent if m["type"] == "http.response.start"), 500)
            if status >= 500 or not sent:
                if self._entries.get(slot) is entry:
                    del self._entries[slot]
            elif self._entries.get(slot) is entry:
                entry.response = sent
                entry.size = sum(len(m.get("body", b"")) for m in sent)
                self._bytes += entry.size

    def _expire(self) -> None:
        now = time.monotonic()
        while self._entries:
            oldest_slot, oldest = next(iter(self._entries.items()))
            if (now - oldest.at < self.ttl_s and len(self._entries) < self.max_keys
                    and self._bytes <= self.max_bytes):
                break
            self._bytes -= self._entries.pop(oldest_slot).size

    async def _problem(self, scope: Scope, send: Send, status: int, detail: str, *, kind: str | None = None,
                       errors: list[dict[str, Any]] | None = None) -> None:
        response = problems.problem_response(Request(scope), status, detail, kind=kind, errors=errors)
        await response(scope, _no_body, send)


def _slot(request: Request, key: str) -> str:
    """Who sent it (a hash of the token: the secret is not kept), how, where, and the key."""
    token = request.headers.get("authorization", "") or request.query_params.get("token", "")
    who = hashlib.sha256(token.strip().encode()).hexdigest()[:32]
    return f"{who} {request.method} {request.url.path} {key}"


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False
        if size > MAX_BODY_BYTES:
            return b"".join(chunks), True


def _replay(body: bytes, receive: Receive) -> Receive:
    """``receive`` with the body already read given back first (the rest, if any, follows from ``receive``)."""
    done = False

    async def again() -> Message:
        nonlocal done
        if not done:
            done = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send_replayed(messages: list[Message], send: Send) -> None:
    for message in messages:
        if message["type"] == "http.response.start":
            headers = [*message.get("headers", []), (b"idempotent-replayed", b"true")]
            message = {**message, "headers": headers}
        await send(message)


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the optional ``Idempotency-Key`` header to every POST and PATCH it applies to (in place; returned)."""
    parameter = {"name": "Idempotency-Key", "in": "header", "required": False,
                 "description": "send the same key again (with the same body) to retry safely: the first "
                                "response comes back and the request is not applied twice; another body with the "
                                "same key is a 409",
                 "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"}}
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            if applies(method.upper(), path):
                op.setdefault("parameters", []).append(parameter)
    return schema
