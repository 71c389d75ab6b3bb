"""API payloads (pydantic): the one source of truth shared by REST, the /ws protocol, the panel and the workers.

Commands are a tagged union on ``type``: the same ``Command`` is posted to ``/api/streams/{id}/commands``, sent as a
/ws message and passed over the link (a Unix socket) to the worker process that runs the session.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    FieldSerializationInfo,
    SecretStr,
    field_serializer,
    field_validator,
    model_validator,
)

from ..comments.intake import check_source_url
from ..comments.model import CommentKind
from ..comments.sources.base import redact_url
from ..errors import ConfigError
from ..llm import LLMConfig
from ..llm.config import ENV_PREFIX
from ..media.outputs import redact_stream_key
from .alert_webhook import check_webhook_url, redact_webhook

Role = Literal["admin", "operator", "developer"]
StreamState = Literal["stopped", "starting", "live", "restarting", "stopping", "failed"]

_URL = re.compile(r"(rtmps?|whip\+https?)://[^\s/]+(/\S*)?")  # RTMP ingests and WHIP (RFC 9725) ones
_HTTP_URL = re.compile(r"https?://[^\s/]+(/\S*)?")
_SIZE = re.compile(r"(\d{2,4})x(\d{2,4})")
SECRET_MASK = "**********"  # how a stored API key reads back; sending it back unchanged keeps the key


class StreamLLM(BaseModel):
    """The reply model of one stream. Every field left out (None) comes from ``STREAMER_LLM_*`` on the server.

    ``api_key`` is write-only: responses show ``"**********"`` when one is stored, never the key, and it is never
    logged. A stream that names its own ``base_url`` never gets the server's ``STREAMER_LLM_API_KEY``: that key is
    only ever sent to the server's own endpoint. Only OpenAI-compatible endpoints can be chosen here (a local
    transformers model is a server setting: ``STREAMER_LLM_BACKEND=transformers``)."""

    model_config = ConfigDict(extra="forbid")
    backend: Literal["openai", "none"] | None = Field(default=None, description="none: offline replies only")
    base_url: str | None = Field(default=None, max_length=500, description="e.g. http://127.0.0.1:8000/v1")
    model: str | None = Field(default=None, max_length=200)
    api_key: SecretStr | None = Field(default=None, max_length=500)
    timeout_s: float | None = Field(default=None, gt=0, le=300, description="HTTP timeout of one model call")
    first_sentence_timeout_s: float | None = Field(default=None, gt=0, le=30,
                                                   description="past this a reply is the offline answer")
    breaker_failures: int | None = Field(default=None, ge=1, le=100)
    breaker_cooldown_s: float | None = Field(default=None, gt=0, le=3600)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, v: str | None) -> str | None:
        if v is not None and not _HTTP_URL.fullmatch(v):
            raise ValueError(f"{v!r} is not an http:// or https:// URL")
        return v

    @field_serializer("api_key")
    def _api_key(self, v: SecretStr | None, info: FieldSerializationInfo) -> str | None:
        if v is None:
            return None
        return v.get_secret_value() if (info.context or {}).get("secrets") else SECRET_MASK

    def config(self, env: Mapping[str, str] | None = None) -> LLMConfig:
        """The resolved model settings: these fields over ``STREAMER_LLM_*`` (``env``, default os.environ)."""
        env = dict(os.environ if env is None else env)
        if self.base_url is not None:  # the server's key is for the server's endpoint only
            env.pop(ENV_PREFIX + "API_KEY", None)
            env.pop("OPENAI_API_KEY", None)
        fields = self.model_dump(exclude={"api_key"})
        return LLMConfig.from_env(env, **fields,
                                  api_key=self.api_key.get_secret_value() if self.api_key else None)


def _unmasked(sent: list[str], stored: list[str]) -> list[str]:
    """Outputs as sent, each masked one (``rtmp://host/live/****``, as responses show it) replaced by the stored
    URL it stands for, in order, so two keys on one ingest stay apart."""
    left = list(stored)
    out = []
    for url in sent:
        match = next((s for s in left if url != s and redact_stream_key(s) == url), None)
        if match is not None:
            left.remove(match)
        out.append(match or url)
    return out


class StreamSettings(BaseModel):
    """How a stream looks and where it goes."""

    model_config = ConfigDict(extra="forbid")
    voice: str | None = Field(default=None, max_length=200, description="ENGINE:VOICE, e.g. espeak:en-us; "
                              "None: the brief language's default")
    avatar: str | None = Field(default=None, max_length=200, examples=["default", "leo"],
                               description="the host: a bundled pack by name (default: Xiaoya, a woman; leo: Leo, "
                                           "a man; `streamer avatars list`) or a pack directory (a neural pack built "
                                           "by streamer avatars build); None: default. A voice that does not fit "
                                           "the host is warned about in the stream's health (host.warnings)")
    size: str = Field(default="1280x720", description="frame size WxH, even numbers")
    fps: int = Field(default=30, ge=5, le=60)
    bitrate: int | None = Field(default=None, ge=100_000, le=20_000_000, description="video bits per second")
    preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium"] = "veryfast"
    outputs: list[str] = Field(default_factory=list, max_length=8,
                               description="ingests to push to: RTMP (rtmp://, rtmps://) or WHIP "
                                           "(whip+https://TOKEN@host/path, whip+http://)")
    record: bool = Field(default=False, description="also record each run to a .mkv file in the data directory")
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="script variation seed")
    llm: StreamLLM = Field(default_factory=StreamLLM, description="the reply model; unset fields: STREAMER_LLM_*")
    comments: list[str] = Field(default_factory=list, max_length=8, description="comment sources: irc://, "
                                "twitch://, youtube://, bridge+ws://... URLs; passwords and keys in them read back "
                                "masked, and sending a masked URL back keeps the stored one")
    alert_webhook: str | None = Field(default=None, max_length=500, description="this stream's alerts are also "
                                      "POSTed here, signed (docs/websocket-api.md, Alerts); reads back masked, and "
                                      "sending the mask back keeps the stored URL")

    @field_validator("alert_webhook")
    @classmethod
    def _alert_webhook(cls, v: str | None) -> str | None:
        return check_webhook_url(v) if v else None

    @field_serializer("alert_webhook")
    def _alert_webhook_out(self, v: str | None, info: FieldSerializationInfo) -> str | None:
        return v if v is None or (info.context or {}).get("secrets") else redact_webhook(v)

    @field_validator("comments")
    @classmethod
    def _comments(cls, v: list[str]) -> list[str]:
        for url in v:
            if len(url) > 500:
                raise ValueError("a comment source URL is at most 500 characters")
            if url.strip().lower().startswith("file:"):  # an API client must not pick files the server reads
                raise ValueError("file:// comment sources are for `streamer run` only")
            try:
                check_source_url(url)
            except ConfigError as e:
                raise ValueError(str(e)) from None
        return v

    @field_serializer("outputs")
    def _outputs_out(self, v: list[str], info: FieldSerializationInfo) -> list[str]:
        return list(v) if (info.context or {}).get("secrets") else [redact_stream_key(url) for url in v]

    @field_serializer("comments")
    def _comments_out(self, v: list[str], info: FieldSerializationInfo) -> list[str]:
        return list(v) if (info.context or {}).get("secrets") else [redact_url(url) for url in v]

    @field_validator("size")
    @classmethod
    def _size(cls, v: str) -> str:
        m = _SIZE.fullmatch(v.strip())
        if not m:
            raise ValueError("expected WxH, e.g. 1280x720")
        w, h = int(m[1]), int(m[2])
        if not (64 <= w <= 3840 and 64 <= h <= 2160) or w % 2 or h % 2:
            raise ValueError("width and height must be even, 64..3840 x 64..2160")
        return f"{w}x{h}"

    @field_validator("outputs")
    @classmethod
    def _outputs(cls, v: list[str]) -> list[str]:
        # file paths are not accepted here: an API client must not pick where the server writes (use ``record``)
        for url in v:
            if not _URL.fullmatch(url):
                raise ValueError(f"{redact_stream_key(url)!r} is not an rtmp://, rtmps:// or whip+http(s):// "
                                 "URL")  # keys masked
        return v

    def llm_config(self, env: Mapping[str, str] | None = None) -> LLMConfig:
        return self.llm.config(env)

    def stored(self) -> dict[str, Any]:
        """The settings as the database keeps them (the API key included, unlike responses)."""
        return self.model_dump(mode="json", context={"secrets": True})

    def keep_secrets_of(self, old: StreamSettings) -> StreamSettings:
        """These settings, with the stored API key kept where the update left it out or sent the mask back, and
        each output and comment source URL sent back masked replaced by the stored URL it stands for."""
        stored = {redact_url(url): url for url in old.comments}
        hook = self.alert_webhook
        if hook is not None and old.alert_webhook is not None and hook == redact_webhook(old.alert_webhook):
            hook = old.alert_webhook
        kept = self.model_copy(update={"comments": [stored.get(url, url) for url in self.comments],
                                       "outputs": _unmasked(self.outputs, old.outputs), "alert_webhook": hook})
        key = self.llm.api_key
        if key is None or key.get_secret_value() == SECRET_MASK:
            return kept.model_copy(update={"llm": self.llm.model_copy(update={"api_key": old.llm.api_key})})
        return kept

    @property
    def width(self) -> int:
        return int(self.size.split("x")[0])

    @property
    def height(self) -> int:
        return int(self.size.split("x")[1])


class StreamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    brief: dict[str, Any] | None = Field(default=None, description="the brief as an object (see /api/brief-schema)")
    brief_yaml: str | None = Field(default=None, max_length=200_000, description="or the brief as YAML text")
    settings: StreamSettings = Field(default_factory=StreamSettings)

    @model_validator(mode="after")
    def _one_brief(self) -> StreamCreate:
        if (self.brief is None) == (self.brief_yaml is None):
            raise ValueError("give exactly one of brief or brief_yaml")
        return self


class StreamUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    brief: dict[str, Any] | None = None
    brief_yaml: str | None = Field(default=None, max_length=200_000)
    settings: StreamSettings | None = None


class ProductInfo(BaseModel):
    id: str
    name: str


class StreamOut(BaseModel):
    id: str
    name: str
    state: StreamState
    desired: str
    language: str
    products: list[ProductInfo]
    settings: StreamSettings
    pid: int | None = None
    created_at: datetime


class StreamDetail(StreamOut):
    brief: dict[str, Any]


class StreamSecrets(BaseModel):
    """What every other response masks: the stream keys and source credentials as stored (admin only)."""

    outputs: list[str] = Field(description="RTMP URLs with their stream keys")
    comments: list[str] = Field(description="comment source URLs with their passwords and keys")
    llm_api_key: str | None = Field(description="the stream's own LLM API key, if it has one")


# --- commands --------------------------------------------------------------------------------------------------

class Say(BaseModel):
    """An operator line. It passes the reply guard like any reply; a refused line is said only with ``force``
    (operator and admin roles), and the override is recorded in the transcript."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["say"]
    text: str = Field(min_length=1, max_length=500)
    urgent: bool = False
    force: bool = Field(default=False, description="say it even if the guard refuses it (operator, admin)")


class Interrupt(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["interrupt"]


class SwitchProduct(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["switch_product"]
    product_id: str = Field(min_length=1, max_length=100)


class PauseScript(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["pause_script"]


class ResumeScript(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["resume_script"]


class InjectComment(BaseModel):
    """A viewer comment (or gift, like, join, follow) as if it came from the platform: triaged, answered, and maybe
    replied to on air."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["comment"]
    text: str = Field(default="", max_length=300)
    user: str = Field(default="viewer", max_length=64)
    platform: str = Field(default="api", max_length=32)
    kind: CommentKind = CommentKind.CHAT
    gift: str = Field(default="", max_length=64, description="gift name, for kind=gift")
    count: int = Field(default=1, ge=1, le=1_000_000, description="how many gifts or likes")

    @model_validator(mode="after")
    def _chat_has_text(self) -> InjectComment:
        if self.kind == CommentKind.CHAT and not self.text.strip():
            raise ValueError("a chat comment needs text")
        return self


PRODUCT_FACTS = ("price", "list_price", "stock", "promotions")  # what `update_product` may change


class UpdateProduct(BaseModel):
    """New selling facts for one product of a stream: from the next sentence the card, the script and the replies
    use them; the stored brief is updated (a restart or a resumed run keeps them) and the transcript records who
    changed what. Fields left out stay as they are; ``list_price`` or ``stock`` sent as null are cleared. The
    result must still be a valid brief (a ``list_price`` below the ``price`` is refused, naming the field), and
    new promotions pass the same claim check as the brief's. Operator and admin only: it edits the brief."""

    model_config = ConfigDict(extra="forbid",  # at least one fact, as the validator below says
                              json_schema_extra={"anyOf": [{"required": [f]} for f in PRODUCT_FACTS]})
    type: Literal["update_product"]
    product_id: str = Field(min_length=1, max_length=100)
    price: float | None = Field(default=None, description="today's selling price")
    list_price: float | None = Field(default=None, description="the crossed-out regular price; null: none")
    stock: int | None = Field(default=None, description="units available; 0: sold out; null: not said")
    promotions: list[Annotated[str, Field(max_length=200)]] | None = Field(
        default=None, max_length=20, description="the offers, replacing the old list; [] removes them all")

    @model_validator(mode="after")
    def _changes_something(self) -> UpdateProduct:
        if not self.changes():
            raise ValueError(f"give at least one of {', '.join(PRODUCT_FACTS)}")
        return self

    def changes(self) -> dict[str, Any]:
        """The facts this update sets (a field sent as null included: it clears the fact)."""
        return {k: getattr(self, k) for k in PRODUCT_FACTS if k in self.model_fields_set}

    def patched(self, brief: Mapping[str, Any]) -> dict[str, Any]:
        """``brief`` (plain data, as stored) with the changes applied, not yet validated. KeyError: no such
        product."""
        products = list(brief.get("products") or [])
        for i, product in enumerate(products):
            if isinstance(product, Mapping) and product.get("id") == self.product_id:
                updated = {**product, **self.changes()}
                products[i] = {k: v for k, v in updated.items() if not (k in PRODUCT_FACTS and v is None)}
                return {**brief, "products": products}
        raise KeyError(self.product_id)

    def wire(self) -> dict[str, Any]:
        """The command as it travels (to the worker, over the link): only the fields that were sent, so a null
        that clears a fact stays apart from a field left out."""
        return self.model_dump(exclude_unset=True) | {"type": self.type}


Command = Annotated[Say | Interrupt | SwitchProduct | PauseScript | ResumeScript | InjectComment | UpdateProduct,
                    Field(discriminator="type")]
SESSION_COMMANDS = ("say", "interrupt", "switch_product", "pause_script", "resume_script", "comment",
                    "update_product")


class CommandResult(BaseModel):
    ok: bool = True
    ref: str | None = Field(default=None, description="for comments: the id their decision event carries; for "
                            "say: the speech_id its speech_start and speech_end events carry")


# --- schedules -------------------------------------------------------------------------------------------------

_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?")


class ScheduleIn(BaseModel):
    """A window in which the stream is live. Times are wall-clock times in ``tz``.

    once: ``start``/``end`` are local date-times (2025-06-01T20:00). daily/weekly: ``start``/``end`` are times of
    day (20:00, 20:00:30); an ``end`` at or before ``start`` runs past midnight. weekly: ``days`` 0=Monday..6=Sunday.
    ``products``: product ids to rotate through while the window is open, one every ``rotate_every_s``.
    """

    model_config = ConfigDict(extra="forbid")
    kind: Literal["once", "daily", "weekly"]
    tz: str = Field(default="UTC", max_length=64, description="IANA time zone, e.g. Asia/Shanghai")
    start: str = Field(max_length=32)
    end: str = Field(max_length=32)
    days: list[Annotated[int, Field(ge=0, le=6)]] = Field(default_factory=list, max_length=7)
    products: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(default_factory=list,
                                                                                 max_length=50)
    rotate_every_s: int = Field(default=600, ge=5, le=86_400)
    enabled: bool = True

    @field_validator("tz")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}; use an IANA name such as Asia/Shanghai") from None
        return v

    @model_validator(mode="after")
    def _times(self) -> ScheduleIn:
        if self.kind == "once":
            try:
                start, end = datetime.fromisoformat(self.start), datetime.fromisoformat(self.end)
            except ValueError:
                raise ValueError("once: start and end must be local date-times such as 2025-06-01T20:00") from None
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("once: give local date-times without an offset; the zone is tz")
            if end <= start:
                raise ValueError("once: end must be after start")
        else:
            for name in ("start", "end"):
                if not _TIME.fullmatch(getattr(self, name)):
                    raise ValueError(f"{self.kind}: {name} must be a time of day such as 20:00 or 20:00:30")
            if self.start == self.end:
                raise ValueError(f"{self.kind}: start and end are the same time")
            if self.kind == "weekly" and not self.days:
                raise ValueError("weekly: days must name at least one weekday (0=Monday..6=Sunday)")
        return self


class ScheduleOut(ScheduleIn):
    id: int
    stream_id: str
    next_open: datetime | None = Field(default=None, description="UTC")
    next_close: datetime | None = None
    open_now: bool = False


# --- runs, transcript, comments, tokens ------------------------------------------------------------------------

class RunOut(BaseModel):
    id: int
    stream_id: str
    reason: str
    started_at: datetime
    first_frame_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    restarts: int
    last_error: str | None
    schedule_id: int | None


class TranscriptOut(BaseModel):
    id: int
    run_id: int | None
    said_at: datetime
    media_t: float
    played_s: float
    complete: bool
    source: str
    product_id: str | None
    text: str


class CommentOut(BaseModel):
    id: int
    run_id: int | None
    received_at: datetime
    ref: str
    platform: str
    user: str
    text: str
    intent: str | None
    action: str | None
    reply: str | None
    latency_ms: float | None


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    role: Role
    streams: list[Annotated[str, Field(min_length=1, max_length=40)]] | None = Field(
        default=None, max_length=100, description="stream ids this token may see; None: all")


class TokenOut(BaseModel):
    id: int
    name: str
    role: Role
    prefix: str
    streams: list[str] | None
    created_at: datetime
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="shown once; only its hash is stored")


class Me(BaseModel):
    name: str
    role: Role
    streams: list[str] | None
