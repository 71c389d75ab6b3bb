"""What travels on the link between the service and a worker process: one discriminated union each way.

Service -> worker (``ToWorker``): ``hello`` first on every connection (the last event sequence the service recorded
from this worker), then the session commands (``say``, ``interrupt``, ``switch_product``, ``pause_script``,
``resume_script``, ``comment``, ``update_product``; each with an ``id`` that its ``ack`` repeats) and ``stop``.

Worker -> service (``FromWorker``): ``welcome`` (the answer to hello: run, spec, state, what nobody heard), ``ready``
(first frame encoded), the events (``WorkerEvent``, numbered with ``seq`` so those produced while no service
listened are replayed after the next hello), ``health`` once a second, ``ack``, ``fatal`` (cannot start: bad brief,
unknown voice; do not restart), ``preview`` (a downscaled frame: its JPEG is the frame's binary payload, link.py).

The session commands are the API's command models (schemas.py) plus what the link adds: the ack ``id``, who signed
a forced line or a facts change (``by``), a comment's ``ref``, a say's ``speech_id`` (its speech_start and
speech_end events repeat it). The events are what the bus, /ws and the recorder carry: ``event_dict`` gives them the
dicts they always had (only the fields the worker set; ``seq`` stays on the link).

``WorkerSpec`` is everything a worker needs to build its session; it is plain JSON, so a remote backend (a Ray
actor, say) could take the same spec. Unlike API responses it carries the stream's LLM API key: the worker needs it,
so it travels only on stdin and on the worker's 0600 socket, and is never logged. The worker never opens the
database: what it must keep goes out as events (``block_written``: a block the model wrote), the recorder stores it,
and the next spec hands it back (``blocks``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, FieldSerializationInfo, TypeAdapter, field_serializer

from ...planner.writer import WrittenBlock
from ..schemas import (
    InjectComment,
    Interrupt,
    PauseScript,
    ResumeScript,
    Say,
    StreamSettings,
    SwitchProduct,
    UpdateProduct,
)

EXIT_FATAL = 2  # the worker's exit status for "restarting will not help"


class WorkerSpec(BaseModel):
    stream_id: str
    brief: dict[str, Any]
    settings: StreamSettings
    start_product: str | None = Field(default=None, description="resume on this product (the checkpoint)")
    record_path: str | None = None
    tz: str | None = Field(default=None, description="IANA zone of the stream's schedule, for the show's clock; "
                           "None: the machine's local time")
    blocks: list[WrittenBlock] = Field(default_factory=list, description="blocks the model wrote for this stream "
                                       "before (the worker keeps those that fit today's facts)")
    preview_fps: float = Field(default=8.0, gt=0, le=30)
    preview_width: int = Field(default=480, ge=64, le=1920)
    log_level: int = 20
    on_air_at: float | None = Field(default=None, description="a scheduled start: the first frame goes out at this "
                                    "wall-clock time (epoch seconds), the worker ready and holding before; None: "
                                    "on air as soon as it is ready")

    @field_serializer("settings")
    def _settings(self, settings: StreamSettings, info: FieldSerializationInfo) -> dict[str, Any]:
        return settings.model_dump(mode=info.mode, context={"secrets": True})


class WorkerBoot(BaseModel):
    """What a worker process reads on stdin at start (it holds the spec's secrets: never on a command line)."""

    spec: WorkerSpec
    run_id: int | None = None
    socket: str = Field(description="the Unix socket to listen on (the service connects to it)")
    orphan_s: float = Field(ge=0, description="how long to stream on unsupervised when the service goes away")
    events_kept: int = Field(ge=1, description="events kept for the next service while none listens")


# --- service -> worker ----------------------------------------------------------------------------------------

class Hello(BaseModel):
    """First on every connection. ``instance`` and ``last_seq``: the last event the service recorded from this
    worker (None, 0: none); the worker replays the events after it."""

    type: Literal["hello"] = "hello"
    instance: str | None = None
    last_seq: int = Field(default=0, ge=0)


class Stop(BaseModel):
    type: Literal["stop"] = "stop"


class SayCommand(Say):
    id: int
    speech_id: str = Field(min_length=1, max_length=64)
    by: str | None = None


class InterruptCommand(Interrupt):
    id: int


class SwitchProductCommand(SwitchProduct):
    id: int


class PauseScriptCommand(PauseScript):
    id: int


class ResumeScriptCommand(ResumeScript):
    id: int


class CommentCommand(InjectComment):
    id: int
    ref: str


class UpdateProductCommand(UpdateProduct):
    """Travels with only the fields that were sent (``exclude_unset``), so a null that clears a fact stays apart
    from a field left out."""

    id: int
    by: str | None = None


SessionCommand = Annotated[SayCommand | InterruptCommand | SwitchProductCommand | PauseScriptCommand
                           | ResumeScriptCommand | CommentCommand | UpdateProductCommand, Field(discriminator="type")]
ToWorker = Annotated[Hello | Stop | SayCommand | InterruptCommand | SwitchProductCommand | PauseScriptCommand
                     | ResumeScriptCommand | CommentCommand | UpdateProductCommand, Field(discriminator="type")]


# --- worker -> service: events --------------------------------------------------------------------------------

class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seq: int = Field(default=0, ge=0, description="numbered by the worker's outbox, from 1")
    at: float = Field(description="Unix seconds, when the worker produced it")


class SpeechStart(_Event):
    type: Literal["speech_start"]
    text: str
    source: str
    t: float = Field(description="media time, seconds")
    product_id: str | None = None
    speech_id: str | None = Field(default=None, description="the say or reply it belongs to; None: the script")


class SpeechEnd(_Event):
    type: Literal["speech_end"]
    text: str
    source: str
    t: float
    played_s: float
    complete: bool
    product_id: str | None = None
    speech_id: str | None = None


class SpeechDropped(_Event):
    type: Literal["speech_dropped"]
    text: str


class ProductShown(_Event):
    type: Literal["product"]
    product_id: str | None


class CommentSeen(_Event):
    type: Literal["comment"]
    ref: str
    user: str
    text: str
    platform: str
    kind: str
    gift: str | None = None
    count: int | None = None


class Decided(_Event):
    type: Literal["decision"]
    ref: str
    intent: str | None
    action: str | None
    text: str
    latency_ms: float | None
    reason: str | None = None


class Replied(_Event):
    type: Literal["reply"]
    ref: str | None
    text: str


class Overridden(_Event):
    type: Literal["override"]
    command: str
    text: str
    problems: list[str]
    by: str | None


class ProductUpdated(_Event):
    type: Literal["product_update"]
    product_id: str
    changes: dict[str, Any]
    by: str | None
    t: float


class Alerted(_Event):
    """An output stopped for good (a recording whose disk filled); the stream goes on."""

    type: Literal["alert"]
    kind: str
    path: str
    error: str


class BlockWritten(_Event):
    type: Literal["block_written"]
    product_id: str
    facts: str
    segments: list[dict[str, Any]]


WorkerEvent = Annotated[SpeechStart | SpeechEnd | SpeechDropped | ProductShown | CommentSeen | Decided | Replied
                        | Overridden | ProductUpdated | Alerted | BlockWritten, Field(discriminator="type")]
EVENT_TYPES = (SpeechStart, SpeechEnd, SpeechDropped, ProductShown, CommentSeen, Decided, Replied, Overridden,
               ProductUpdated, Alerted, BlockWritten)


# --- worker -> service: the rest ------------------------------------------------------------------------------

class Welcome(BaseModel):
    """The answer to ``hello``: who this worker is, and what happened while nobody listened."""

    type: Literal["welcome"] = "welcome"
    instance: str = Field(description="this process's random id: sequence numbers count within it")
    pid: int
    run_id: int | None
    spec: WorkerSpec = Field(description="as the session has it now (product updates applied)")
    live: bool = Field(description="the first frame is out")
    startup_ms: float | None = None
    unsupervised_s: float = Field(default=0.0, description="how long no service listened before this hello")
    lost: int = Field(default=0, description="events after last_seq that the worker no longer had")


class Ready(BaseModel):
    type: Literal["ready"] = "ready"
    startup_ms: float
    first_frame_late_ms: float | None = Field(default=None, description="a scheduled start: how late frame 0 went "
                                              "out against its on-air time (positive: late)")


class Health(BaseModel):
    type: Literal["health"] = "health"
    stats: dict[str, Any]


class Ack(BaseModel):
    type: Literal["ack"] = "ack"
    id: int
    error: str | None = None


class Fatal(BaseModel):
    type: Literal["fatal"] = "fatal"
    message: str


class Preview(BaseModel):
    """A downscaled frame; the JPEG is the frame's binary payload."""

    type: Literal["preview"] = "preview"
    k: int


FromWorker = Annotated[Welcome | Ready | Health | Ack | Fatal | Preview | SpeechStart | SpeechEnd | SpeechDropped
                       | ProductShown | CommentSeen | Decided | Replied | Overridden | ProductUpdated | Alerted
                       | BlockWritten, Field(discriminator="type")]

TO_WORKER: TypeAdapter[ToWorker] = TypeAdapter(ToWorker)
FROM_WORKER: TypeAdapter[FromWorker] = TypeAdapter(FromWorker)
SESSION_COMMAND: TypeAdapter[SessionCommand] = TypeAdapter(SessionCommand)
EVENT: TypeAdapter[WorkerEvent] = TypeAdapter(WorkerEvent)


def event_dict(event: _Event) -> dict[str, Any]:
    """The event as the bus, /ws and the recorder take it: the fields the session set, without the link's ``seq``."""
    return event.model_dump(mode="json", exclude_unset=True, exclude={"seq"})
