"""The /ws messages as pydantic models, and their JSON Schema (``GET /api/ws/schema``, docs/websocket-schema.json).

One source of truth: the server validates every client message with `CLIENT_MESSAGE` (the commands are the REST
command models with an ``id`` and a ``stream``), builds ``hello``, ``result`` and ``error`` from the models here,
and relays the worker's events, which are the typed link messages of supervisor/protocol.py, with the stream and
run added. ``state``, ``health``, the database ``alert`` and the rules' ``alert`` (raised, resolved) are published
by the supervisor, the recorder and the alert evaluator in the shapes `StateEvent`, `HealthEvent`,
`DatabaseAlertEvent` and `AlertEvent` describe.

Server messages may gain fields within protocol 1 (clients ignore what they do not know), so their schemas allow
more properties; client messages may not carry unknown fields.

    python -c "from streamer.control.ws_schema import write; write('docs/websocket-schema.json')"
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from .alerts import AlertKind
from .problems import ProblemError
from .schemas import (
    InjectComment,
    Interrupt,
    PauseScript,
    ResumeScript,
    Role,
    Say,
    StreamState,
    SwitchProduct,
    UpdateProduct,
)
from .supervisor.protocol import (
    Alerted,
    CommentSeen,
    Decided,
    Overridden,
    ProductShown,
    ProductUpdated,
    Replied,
    SpeechDropped,
    SpeechEnd,
    SpeechStart,
)

PROTOCOL_VERSION: Literal[1] = 1
MessageId = Annotated[str | int | None, Field(default=None, description="echoed in the result or error")]
ErrorCode = Literal["bad_json", "bad_message", "unknown_type", "unknown_event", "too_large", "not_found",
                    "forbidden", "command_failed", "busy", "id_reused", "events_dropped", "internal"]


# --- client -> server -------------------------------------------------------------------------------------------

class _Client(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: MessageId
    v: Literal[1] | None = Field(default=None, description="the protocol version; may be left out")


class _ToStream(_Client):
    stream: str = Field(min_length=1, max_length=40, description="the stream id")


class SayMessage(Say, _ToStream):
    pass


class InterruptMessage(Interrupt, _ToStream):
    pass


class SwitchProductMessage(SwitchProduct, _ToStream):
    pass


class PauseScriptMessage(PauseScript, _ToStream):
    pass


class ResumeScriptMessage(ResumeScript, _ToStream):
    pass


class CommentMessage(InjectComment, _ToStream):
    pass


class UpdateProductMessage(UpdateProduct, _ToStream):
    pass


class StartMessage(_ToStream):
    """Start the stream (a manual start: it stays live until stopped)."""

    type: Literal["start"]


class StopMessage(_ToStream):
    """Stop and flush the outputs."""

    type: Literal["stop"]


class SubscribeMessage(_Client):
    """Narrow the events this connection gets; null: all. Unknown streams or event types are refused."""

    type: Literal["subscribe"]
    streams: list[Annotated[str, Field(min_length=1, max_length=40)]] | None = Field(default=None, max_length=1000)
    events: list[Annotated[str, Field(min_length=1, max_length=40)]] | None = Field(default=None, max_length=100)


class PingMessage(_Client):
    type: Literal["ping"]


CommandMessage = (SayMessage | InterruptMessage | SwitchProductMessage | PauseScriptMessage | ResumeScriptMessage
                  | CommentMessage | UpdateProductMessage)
ClientMessage = Annotated[CommandMessage | StartMessage | StopMessage | SubscribeMessage | PingMessage,
                          Field(discriminator="type")]
CLIENT_MESSAGE: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)
CONTROL_TYPES = ("start", "stop", "subscribe", "ping")


# --- server -> client -------------------------------------------------------------------------------------------

class _Server(BaseModel):
    v: Literal[1] = PROTOCOL_VERSION


class StreamSummary(BaseModel):
    id: str
    name: str
    state: StreamState


class HelloMessage(_Server):
    """The first message on every connection."""

    type: Literal["hello"] = "hello"
    protocol: int = PROTOCOL_VERSION
    server: str
    role: Role
    streams: list[StreamSummary]
    commands: list[str]
    control: list[str]
    events: list[str]
    schema_url: str = Field(default="/api/ws/schema", description="this protocol's JSON Schema")


class ResultMessage(_Server):
    """A command or control message was taken; fields beyond ``ok`` depend on the message."""

    type: Literal["result"] = "result"
    id: str | int | None
    ok: Literal[True] = True
    ref: str | None = Field(default=None, description="say: the speech_id of its speech events; comment: the ref "
                            "of its decision")
    started: bool | None = Field(default=None, description="start: false if it was already running")
    pong: bool | None = Field(default=None, description="ping")
    streams: list[str] | None = Field(default=None, description="subscribe: the streams now followed; null: all")
    events: list[str] | None = Field(default=None, description="subscribe: the event types now sent; null: all")


class ErrorMessage(_Server):
    """A message the server could not use; the connection stays open."""

    type: Literal["error"] = "error"
    id: str | int | None
    code: ErrorCode
    message: str
    problems: list[ProblemError] | None = Field(default=None, description="update_product: each field refused")


class _Routed(BaseModel):
    v: Literal[1] = PROTOCOL_VERSION
    stream: str
    run: int | None = Field(description="the run id in the run history")


class SpeechStartEvent(SpeechStart, _Routed):
    pass


class SpeechEndEvent(SpeechEnd, _Routed):
    pass


class SpeechDroppedEvent(SpeechDropped, _Routed):
    pass


class ProductEvent(ProductShown, _Routed):
    pass


class CommentEvent(CommentSeen, _Routed):
    pass


class DecisionEvent(Decided, _Routed):
    pass


class ReplyEvent(Replied, _Routed):
    pass


class OverrideEvent(Overridden, _Routed):
    pass


class ProductUpdateEvent(ProductUpdated, _Routed):
    pass


class OutputAlertEvent(Alerted, _Routed):
    pass


class StateEvent(_Routed):
    type: Literal["state"]
    at: float
    state: StreamState
    reason: str | None = None
    error: str | None = None
    pid: int | None = None
    first_frame_ms: float | None = Field(default=None, description="start -> first encoded frame")
    first_frame_late_ms: float | None = Field(default=None, description="a scheduled start: frame 0 against the "
                                              "window's opening (positive: late)")
    restarts: int | None = None
    retry_in_s: float | None = None
    adopted: bool | None = Field(default=None, description="taken back after a service restart")
    unsupervised_s: float | None = None
    events_lost: int | None = None


class OutputHealth(BaseModel):
    model_config = ConfigDict(extra="allow")
    state: str = Field(description="starting, live, reconnecting, closed, failed")
    sent: int
    dropped: int
    connects: int
    last_error: str


class HealthEvent(_Routed):
    """Once a second per live stream (see docs/websocket-api.md for each figure)."""

    model_config = ConfigDict(extra="allow")
    type: Literal["health"]
    at: float
    fps_now: float
    fps: float
    frames: int
    media_s: float
    late_frames: int
    lag_s: float
    max_lag_s: float
    av_offset_ms: float
    comments_pending: int
    product_id: str | None = None
    outputs: dict[str, OutputHealth] = Field(description="by output, its stream key masked")
    llm: dict[str, Any] = Field(description="the reply model: backend, breaker, fallbacks, ...")
    comment_sources: list[dict[str, Any]] = Field(default_factory=list, description="each chat source, its URL "
                                                  "masked")


class DatabaseAlertEvent(_Server):
    """The database failed or recovered (rows wait in memory meanwhile); the streams go on."""

    model_config = ConfigDict(extra="allow")
    type: Literal["alert"]
    kind: Literal["database"]
    state: Literal["failing", "recovered"]
    at: float
    rows_waiting: int


class AlertEvent(_Routed):
    """One of the service's alert rules (control/alerts.py) raised or resolved an alert on a stream; the same body
    is POSTed, signed, to the alert webhooks."""

    model_config = ConfigDict(extra="allow")
    type: Literal["alert"]
    id: str = Field(description="this occurrence: its raised and resolved events repeat it")
    key: str = Field(description="the condition (stream/kind[/subject]): the same for every occurrence")
    kind: AlertKind
    state: Literal["raised", "resolved"]
    subject: str | None = Field(description="output_down: the output, its stream key masked")
    message: str
    since: float = Field(description="Unix seconds: when it was raised")
    resolved_at: float | None
    at: float


EventMessage = (StateEvent | HealthEvent | SpeechStartEvent | SpeechEndEvent | SpeechDroppedEvent | ProductEvent
                | CommentEvent | DecisionEvent | ReplyEvent | OverrideEvent | ProductUpdateEvent | OutputAlertEvent
                | DatabaseAlertEvent | AlertEvent)
ServerMessage = HelloMessage | ResultMessage | ErrorMessage | EventMessage
EVENT_TYPES = ("state", "speech_start", "speech_end", "speech_dropped", "comment", "decision", "reply", "product",
               "override", "product_update", "health", "alert")


def _open(schema: Any) -> Any:
    """Drop ``additionalProperties: false`` everywhere (server messages may gain fields) and the link's ``seq``."""
    if isinstance(schema, dict):
        if schema.get("additionalProperties") is False:
            schema = {k: v for k, v in schema.items() if k != "additionalProperties"}
        props = schema.get("properties")
        if isinstance(props, dict) and "seq" in props and "stream" in props:
            schema = {**schema, "properties": {k: v for k, v in props.items() if k != "seq"}}
        return {k: _open(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_open(v) for v in schema]
    return schema


def ws_schema() -> dict[str, Any]:
    """One JSON Schema (draft 2020-12) document: ``$defs/ClientMessage`` and ``$defs/ServerMessage``."""
    ref = "#/$defs/{model}"
    client = CLIENT_MESSAGE.json_schema(ref_template=ref)
    server = _open(TypeAdapter(ServerMessage).json_schema(ref_template=ref, mode="serialization"))
    defs = {**client.pop("$defs"), **server.pop("$defs")}
    defs["ClientMessage"] = {"description": "what a client sends (a JSON text frame)", **client}
    defs["ServerMessage"] = {"description": "what the server sends; every message has v=1", **server}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"streamer /ws, protocol {PROTOCOL_VERSION}",
            "description": "Validate a message against #/$defs/ClientMessage or #/$defs/ServerMessage. Prose: "
                           "docs/websocket-api.md.",
            "anyOf": [{"$ref": "#/$defs/ClientMessage"}, {"$ref": "#/$defs/ServerMessage"}], "$defs": defs}


def write(path: str | Path) -> None:
    """Write the schema where the docs keep it (a test checks the copy there is current)."""
    Path(path).write_text(json.dumps(ws_schema(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
