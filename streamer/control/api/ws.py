"""The /ws API: versioned JSON messages over one WebSocket. See docs/websocket-api.md for the protocol.

A connection sees the streams its token sees. Commands run concurrently (a ``stop`` that waits for the encoder
flush does not hold up a ``say`` to another stream) and each gets a ``result`` or an ``error`` with its ``id``.
A command sent again with an ``id`` this connection already used is not run again: the repeat gets the first
one's answer (another message under a used ``id`` is an ``id_reused`` error). A malformed message, or a
subscription to a stream or event type that does not exist, gets an ``error`` and the connection stays open.
Every message is validated and built with the models of control/ws_schema.py, whose JSON Schema is served at
``GET /api/ws/schema``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, WebSocket, WebSocketDisconnect
from pydantic import TypeAdapter, ValidationError

from ... import __version__
from ..auth import Principal, require, websocket_token
from ..backend import CommandError
from ..bus import LINK_KEY
from ..controller import NotFound
from ..product_update import InvalidUpdate, UnknownProduct
from ..schemas import SESSION_COMMANDS, Command
from ..services import Services
from ..ws_schema import (
    CLIENT_MESSAGE,
    CONTROL_TYPES,
    EVENT_TYPES,
    PROTOCOL_VERSION,
    ErrorMessage,
    HelloMessage,
    ResultMessage,
    StreamSummary,
    ws_schema,
)
from .streams import Forbidden, command_for

log = logging.getLogger(__name__)

router = APIRouter()

MAX_MESSAGE_BYTES = 64 * 1024
MAX_IN_FLIGHT = 16
REMEMBERED_IDS = 1000  # per connection: the answers a repeated command id gets back
_COMMAND = TypeAdapter(Command)
STREAM_COMMANDS = (*SESSION_COMMANDS, "start", "stop")


class BadMessage(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.msg_id: str | int | None = None  # the offending message's id, when it had a usable one


def _describe(e: ValidationError, kind: str) -> str:
    parts = []
    for err in e.errors()[:5]:
        loc = err["loc"][1:] if err["loc"][:1] == (kind,) else err["loc"]  # the union's tag is no field
        where = ".".join(str(x) for x in loc if x not in ("function-after",)) or "message"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def _error(msg_id: Any, code: str, message: str, **extra: Any) -> dict[str, Any]:
    return ErrorMessage(type="error", id=msg_id, code=code, message=message,  # type: ignore[arg-type]
                        **extra).model_dump(mode="json", exclude_unset=True)


def _id_key(msg_id: str | int) -> tuple[bool, str | int]:
    return isinstance(msg_id, str), msg_id  # "1" and 1 are two ids


class Connection:
    def __init__(self, ws: WebSocket, svc: Services, principal: Principal) -> None:
        self.ws = ws
        self.svc = svc
        self.principal = principal
        self.sub = svc.bus.subscribe(principal.streams)
        self._send_lock = asyncio.Lock()
        self._inflight: set[asyncio.Task[None]] = set()
        # command id -> (the message as sent, its answer once there)
        self._answers: OrderedDict[tuple[bool, str | int], tuple[str, asyncio.Future[dict[str, Any]]]] = (
            OrderedDict())

    async def send(self, message: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.ws.send_text(json.dumps({"v": PROTOCOL_VERSION, **message}, ensure_ascii=False, default=str))

    async def hello(self) -> None:
        rows = await asyncio.to_thread(self.svc.store.list_streams,
                                       None if self.principal.streams is None else self.principal.streams)
        hello = HelloMessage(type="hello", protocol=PROTOCOL_VERSION, server=f"streamer/{__version__}",
                             role=self.principal.role,  # type: ignore[arg-type]
                             streams=[StreamSummary(id=r.id, name=r.name, state=self.svc.backend.state(r.id))
                                      for r in rows],
                             commands=[*SESSION_COMMANDS, "start", "stop"], control=list(CONTROL_TYPES),
                             events=list(EVENT_TYPES), schema_url="/api/ws/schema")
        await self.send(hello.model_dump(mode="json", exclude={"v"}))

    async def pump_events(self) -> None:
        while True:
            event = await self.sub.get()
            if self.sub.dropped:
                dropped, self.sub.dropped = self.sub.dropped, 0
                await self.send(_error(None, "events_dropped",
                                       f"{dropped} events dropped: this connection reads too slowly"))
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
                msg, fingerprint = self._parse(message["text"])
                msg_id = msg.get("id")
                if len(self._inflight) >= MAX_IN_FLIGHT:
                    raise BadMessage("busy", f"more than {MAX_IN_FLIGHT} commands in flight; wait for results")
                if msg_id is not None and msg["type"] in STREAM_COMMANDS:
                    seen = self._answers.get(_id_key(msg_id))
                    if seen is not None:
                        if seen[0] != fingerprint:
                            raise BadMessage("id_reused", f"id {msg_id!r} was used for another message on this "
                                             "connection; give each command its own id")
                        self._spawn(self._repeat(seen[1]), f"ws:repeat:{msg_id}")
                        continue
                answer: asyncio.Future[dict[str, Any]] | None = None
                if msg_id is not None and msg["type"] in STREAM_COMMANDS:
                    answer = asyncio.get_running_loop().create_future()
                    self._remember(_id_key(msg_id), fingerprint, answer)
                self._spawn(self._handle(msg, answer), f"ws:{msg.get('type')}:{msg_id}")
            except BadMessage as e:
                await self.send(_error(e.msg_id if msg_id is None else msg_id, e.code, str(e)))

    def _spawn(self, work: Any, name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    def _remember(self, key: tuple[bool, str | int], fingerprint: str,
                  answer: asyncio.Future[dict[str, Any]]) -> None:
        self._answers[key] = (fingerprint, answer)
        while len(self._answers) > REMEMBERED_IDS:
            self._answers.popitem(last=False)

    async def _repeat(self, answer: asyncio.Future[dict[str, Any]]) -> None:
        """A command sent again: the first one's answer, once it has one (never run twice)."""
        await self._safe_send(await asyncio.shield(answer))

    def _parse(self, text: str) -> tuple[dict[str, Any], str]:
        """The message, validated, and its fingerprint (to tell a repeat from another message under its id)."""
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
        fingerprint = json.dumps({k: v for k, v in msg.items() if k != "v"}, sort_keys=True, default=str)
        try:
            return self._validate(msg), fingerprint
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
        try:
            CLIENT_MESSAGE.validate_python(msg)
        except ValidationError as e:
            raise BadMessage("bad_message", _describe(e, kind)) from None
        if kind in SESSION_COMMANDS:  # the command as REST takes it (only the fields sent: a null clears a fact)
            msg["command"] = _COMMAND.validate_python({k: v for k, v in msg.items()
                                                       if k not in ("id", "stream", "v")})
        return msg

    async def _handle(self, msg: dict[str, Any], answer: asyncio.Future[dict[str, Any]] | None) -> None:
        kind, msg_id = msg["type"], msg.get("id")
        reply: dict[str, Any] | None = None
        try:
            result = await self._run(kind, msg)
        except BadMessage as e:
            reply = _error(msg_id, e.code, str(e))
        except NotFound as e:
            reply = _error(msg_id, "not_found", str(e))
        except UnknownProduct as e:
            reply = _error(msg_id, "not_found", e.args[0])
        except InvalidUpdate as e:
            reply = _error(msg_id, "bad_message", str(e), problems=e.problems)
        except CommandError as e:
            reply = _error(msg_id, "command_failed", str(e))
        except Exception as e:  # keep the connection: report, log
            log.exception("ws command %s failed", kind)
            reply = _error(msg_id, "internal", str(e))
        else:
            reply = ResultMessage(type="result", id=msg_id, ok=True, **result).model_dump(mode="json",
                                                                                       exclude_unset=True)
        finally:
            if answer is not None and not answer.done():
                if reply is None:  # cancelled: the connection is closing
                    answer.cancel()
                else:
                    answer.set_result(reply)
        await self._safe_send(reply)

    async def _safe_send(self, message: dict[str, Any]) -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await self.send(message)

    async def _run(self, kind: str, msg: dict[str, Any]) -> dict[str, Any]:
        if kind == "ping":
            return {"pong": True}
        if kind == "subscribe":
            return await self._subscribe(msg.get("streams"), msg.get("events"))
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

    async def _subscribe(self, streams: list[str] | None, events: list[str] | None) -> dict[str, Any]:
        """Follow these streams and event types (None: all); an unknown one refuses the whole subscription."""
        if events is not None:
            unknown = sorted(set(events) - set(EVENT_TYPES))
            if unknown:
                raise BadMessage("unknown_event", f"unknown event type(s) {', '.join(map(repr, unknown))}; "
                                 f"events: {', '.join(EVENT_TYPES)}")
        if streams is not None:
            visible = [s for s in streams if self.principal.sees(s)]
            found = {r.id for r in await asyncio.to_thread(self.svc.store.list_streams, visible)} if visible else set()
            unknown = sorted(set(streams) - found)
            if unknown:
                raise NotFound(f"no stream(s) {', '.join(map(repr, unknown))}; the subscription is unchanged")
        elif self.principal.streams is not None:
            streams = sorted(self.principal.streams)
        self.sub.streams = None if streams is None else set(streams)
        self.sub.types = None if events is None else set(events)
        return {"streams": streams, "events": events}

    async def close(self) -> None:
        self.sub.close()
        for task in list(self._inflight):
            task.cancel()


@router.get("/api/ws/schema", tags=["ws"])
def websocket_schema(_: Annotated[Principal, Depends(require("read"))]) -> dict[str, Any]:
    """The JSON Schema of every /ws message, client and server (``$defs/ClientMessage``,
    ``$defs/ServerMessage``), generated from the models the server validates and builds them with."""
    return ws_schema()


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
