"""The /ws API: versioned JSON messages over one WebSocket. See docs/websocket-api.md for the protocol.

A connection sees the streams its token sees. Commands run concurrently (a ``stop`` that waits for the encoder
flush does not hold up a ``say`` to another stream) and each gets a ``result`` or an ``error`` with its ``id``.
A malformed message gets an ``error`` and the connection stays open.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import TypeAdapter, ValidationError

from ... import __version__
from ..auth import Principal, websocket_token
from ..backend import CommandError
from ..bus import LINK_KEY
from ..controller import NotFound
from ..product_update import InvalidUpdate, UnknownProduct
from ..schemas import SESSION_COMMANDS, Command
from ..services import Services
from .streams import Forbidden, command_for

log = logging.getLogger(__name__)

router = APIRouter()

PROTOCOL_VERSION = 1
MAX_MESSAGE_BYTES = 64 * 1024
MAX_IN_FLIGHT = 16
CONTROL_TYPES = ("start", "stop", "subscribe", "ping")
EVENT_TYPES = ("state", "speech_start", "speech_end", "speech_dropped", "comment", "decision", "reply", "product",
               "override", "product_update", "health", "alert")
_COMMAND = TypeAdapter(Command)


class BadMessage(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.msg_id: str | int | None = None  # the offending message's id, when it had a usable one


def _describe(e: ValidationError) -> str:
    parts = []
    for err in e.errors()[:5]:
        loc = ".".join(str(x) for x in err["loc"] if x not in ("function-after",)) or "message"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


class Connection:
    def __init__(self, ws: WebSocket, svc: Services, principal: Principal) -> None:
        self.ws = ws
        self.svc = svc
        self.principal = principal
        self.sub = svc.bus.subscribe(principal.streams)
        self._send_lock = asyncio.Lock()
        self._inflight: set[asyncio.Task[None]] = set()

    async def send(self, message: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.ws.send_text(json.dumps({"v": PROTOCOL_VERSION, **message}, ensure_ascii=False, default=str))

    async def hello(self) -> None:
        rows = await asyncio.to_thread(self.svc.store.list_streams,
                                       None if self.principal.streams is None else self.principal.streams)
        await self.send({"type": "hello", "protocol": PROTOCOL_VERSION, "server": f"streamer/{__version__}",
                         "role": self.principal.role,
                         "streams": [{"id": r.id, "name": r.name, "state": self.svc.backend.state(r.id)}
                                     for r in rows],
                         "commands": [*SESSION_COMMANDS, "start", "stop"], "control": list(CONTROL_TYPES),
                         "events": list(EVENT_TYPES)})

    async def pump_events(self) -> None:
        while True:
            event = await self.sub.get()
            if self.sub.dropped:
                dropped, self.sub.dropped = self.sub.dropped, 0
                await self.send({"type": "error", "id": None, "code": "events_dropped",
                                 "message": f"{dropped} events dropped: this connection reads too slowly"})
            await self.send({k: v for k, v in event.items() if k != LINK_KEY})

    async def receive_loop(self) -> None:
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(message.get("code", 1000))
            msg_id: Any = None
            try:
                if message.get("text") is None:
                    raise BadMessage("bad_message", "send JSON text frames, not binary")
                msg = self._parse(message["text"])
                msg_id = msg.get("id")
                if len(self._inflight) >= MAX_IN_FLIGHT:
                    raise BadMessage("busy", f"more than {MAX_IN_FLIGHT} commands in flight; wait for results")
                task = asyncio.create_task(self._handle(msg), name=f"ws:{msg.get('type')}:{msg_id}")
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)
            except BadMessage as e:
                await self.send({"type": "error", "id": e.msg_id if msg_id is None else msg_id, "code": e.code,
                                 "message": str(e)})

    def _parse(self, text: str) -> dict[str, Any]:
        if len(text) > MAX_MESSAGE_BYTES:
            raise BadMessage("too_large", f"messages are limited to {MAX_MESSAGE_BYTES} bytes")
        try:
            msg = json.loads(text)
        except json.JSONDecodeError as e:
            raise BadMessage("bad_json", f"not JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
        if not isinstance(msg, dict):
            raise BadMessage("bad_message", "a message is a JSON object with a \"type\"")
        msg_id = msg.get("id")
        if not isinstance(msg_id, str | int | type(None)) or isinstance(msg_id, bool):
            raise BadMessage("bad_message", "id: must be a string or a number")
        try:
            return self._validate(msg)
        except BadMessage as e:
            e.msg_id = msg_id
            raise

    def _validate(self, msg: dict[str, Any]) -> dict[str, Any]:
        kind = msg.get("type")
        if not isinstance(kind, str):
            raise BadMessage("bad_message", "type: required, a string")
        if kind not in SESSION_COMMANDS and kind not in CONTROL_TYPES:
            raise BadMessage("unknown_type", f"unknown type {kind!r}; commands: "
                             f"{', '.join([*SESSION_COMMANDS, *CONTROL_TYPES])}")
        if kind in SESSION_COMMANDS or kind in ("start", "stop"):
            if not isinstance(msg.get("stream"), str) or not msg["stream"]:
                raise BadMessage("bad_message", "stream: required, the stream id")
        if kind in SESSION_COMMANDS:
            body = {k: v for k, v in msg.items() if k not in ("id", "stream", "v")}
            try:
                msg["command"] = _COMMAND.validate_python(body)
            except ValidationError as e:
                raise BadMessage("bad_message", _describe(e)) from None
        if kind == "subscribe":
            streams = msg.get("streams")
            if streams is not None and not (isinstance(streams, list) and all(isinstance(s, str) for s in streams)):
                raise BadMessage("bad_message", "streams: a list of stream ids, or null for all")
            types = msg.get("events")
            if types is not None and not (isinstance(types, list) and all(isinstance(t, str) for t in types)):
                raise BadMessage("bad_message", "events: a list of event types, or null for all")
        return msg

    async def _handle(self, msg: dict[str, Any]) -> None:
        kind, msg_id = msg["type"], msg.get("id")
        try:
            result = await self._run(kind, msg)
        except BadMessage as e:
            await self._safe_send({"type": "error", "id": msg_id, "code": e.code, "message": str(e)})
        except NotFound as e:
            await self._safe_send({"type": "error", "id": msg_id, "code": "not_found", "message": str(e)})
        except UnknownProduct as e:
            await self._safe_send({"type": "error", "id": msg_id, "code": "not_found", "message": e.args[0]})
        except InvalidUpdate as e:
            await self._safe_send({"type": "error", "id": msg_id, "code": "bad_message", "message": str(e),
                                   "problems": e.problems})
        except CommandError as e:
            await self._safe_send({"type": "error", "id": msg_id, "code": "command_failed", "message": str(e)})
        except Exception as e:  # keep the connection: report, log
            log.exception("ws command %s failed", kind)
            await self._safe_send({"type": "error", "id": msg_id, "code": "internal", "message": str(e)})
        else:
            await self._safe_send({"type": "result", "id": msg_id, "ok": True, **result})

    async def _safe_send(self, message: dict[str, Any]) -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await self.send(message)

    async def _run(self, kind: str, msg: dict[str, Any]) -> dict[str, Any]:
        if kind == "ping":
            return {"pong": True}
        if kind == "subscribe":
            streams = msg.get("streams")
            if streams is not None and self.principal.streams is not None:
                streams = [s for s in streams if s in self.principal.streams]
            elif streams is None:
                streams = None if self.principal.streams is None else sorted(self.principal.streams)
            self.sub.streams = None if streams is None else set(streams)
            self.sub.types = None if msg.get("events") is None else set(msg["events"])
            return {"streams": streams, "events": msg.get("events")}
        stream_id = msg["stream"]
        if not self.principal.can("command"):
            raise BadMessage("forbidden", f"the {self.principal.role} role may not send commands")
        if not self.principal.sees(stream_id) or await asyncio.to_thread(self.svc.store.get_stream, stream_id) is None:
            raise NotFound(f"no stream {stream_id!r}")
        if kind == "start":
            started = await self.svc.controller.start(stream_id, "manual", desired="manual")
            return {"started": started}
        if kind == "stop":
            await self.svc.controller.stop(stream_id, "manual")
            return {}
        try:
            command = command_for(self.principal, msg["command"])
        except Forbidden as e:
            raise BadMessage("forbidden", str(e)) from None
        ref = await self.svc.controller.command(stream_id, command)
        return {"ref": ref} if ref else {}

    async def close(self) -> None:
        self.sub.close()
        for task in list(self._inflight):
            task.cancel()


@router.websocket("/ws")
async def websocket_api(ws: WebSocket) -> None:
    svc: Services = ws.app.state.services
    principal = await asyncio.to_thread(svc.auth.lookup, websocket_token(ws))
    if principal is None:
        await ws.close(code=4401, reason="missing or invalid token")  # before accept: the handshake is refused
        return
    await ws.accept()
    conn = Connection(ws, svc, principal)
    pump: asyncio.Task[None] | None = None
    try:
        await conn.hello()  # first, always: events start after it
        pump = asyncio.create_task(conn.pump_events(), name="ws:events")
        await conn.receive_loop()
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        await conn.close()
        if pump is not None:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await pump
