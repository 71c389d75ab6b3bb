"""Comments posted to the service itself, over its HTTP API or its WebSocket: the `CommentPayload` schema.

The API, the CLI (``streamer reply``) and the panel share this one model. A body is one comment object or a list of
them; ``{"user": "...", "text": "..."}`` is the minimum. Kinds have a few aliases (``join`` = enter, ``sub`` = follow)
because collectors name them differently.
"""

from __future__ import annotations

import json
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..model import MAX_NAME_CHARS, Comment, CommentError, CommentKind

__all__ = ["MAX_BATCH", "MAX_PAYLOAD_BYTES", "CommentPayload", "parse_payload", "parse_payloads"]

MAX_PAYLOAD_BYTES = 64 * 1024
MAX_BATCH = 200

_KIND_ALIASES = {
    "chat": "chat", "message": "chat", "comment": "chat", "danmaku": "chat", "barrage": "chat",
    "gift": "gift", "superchat": "gift", "super_chat": "gift", "bits": "gift",
    "like": "like", "likes": "like",
    "enter": "enter", "join": "enter", "member": "enter",
    "follow": "follow", "sub": "follow", "subscribe": "follow", "subscription": "follow",
}


class CommentPayload(BaseModel):
    """A comment as the service's API receives it. Unknown fields are ignored, so collectors can send extras."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    text: str = Field(default="", max_length=2000, description="what the viewer wrote (empty for likes and joins)")
    user: str = Field(default="", max_length=200, description="display name")
    user_id: str = Field(default="", max_length=200, description="the platform's stable id for the viewer")
    platform: str = Field(default="api", max_length=32, description="douyin, kuaishou, twitch, youtube, ...")
    kind: CommentKind = Field(default=CommentKind.CHAT, description="chat, gift, like, enter or follow")
    time: float | None = Field(default=None, description="Unix seconds (milliseconds are recognised)")
    id: str = Field(default="", max_length=200)
    gift: str = Field(default="", max_length=MAX_NAME_CHARS)
    count: int = Field(default=1, ge=1, le=1_000_000)

    @field_validator("kind", mode="before")
    @classmethod
    def _kind_alias(cls, v: Any) -> Any:
        return _KIND_ALIASES.get(v.strip().lower(), v) if isinstance(v, str) else v

    @field_validator("user_id", "id", mode="before")
    @classmethod
    def _id_as_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    def to_comment(self) -> Comment:
        t = self.time if self.time is not None else time.time()
        if t > 1e11:  # milliseconds since the epoch
            t /= 1000.0
        return Comment(text=self.text, user=self.user, platform=self.platform.lower(), kind=self.kind, time=t,
                       user_id=self.user_id, id=self.id, gift=self.gift, count=self.count)


def _decode(data: str | bytes | Any) -> Any:
    if isinstance(data, bytes | bytearray):
        if len(data) > MAX_PAYLOAD_BYTES:
            raise CommentError(f"payload of {len(data)} bytes is over the {MAX_PAYLOAD_BYTES}-byte limit")
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise CommentError("payload is not UTF-8") from None
    if isinstance(data, str):
        if len(data) > MAX_PAYLOAD_BYTES:
            raise CommentError(f"payload of {len(data)} characters is over the {MAX_PAYLOAD_BYTES} limit")
        try:
            return json.loads(data)
        except json.JSONDecodeError as e:
            raise CommentError(f"payload is not JSON: {e.msg} at position {e.pos}") from None
    return data


def _one(obj: Any) -> Comment:
    if not isinstance(obj, dict):
        raise CommentError(f"a comment must be a JSON object, got {type(obj).__name__}")
    try:
        return CommentPayload.model_validate(obj).to_comment()
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(comment)"
        raise CommentError(f"{where}: {err['msg']}") from None


def parse_payload(data: str | bytes | dict[str, Any]) -> Comment:
    """One comment from a JSON text or an already-decoded object; `CommentError` says what is wrong."""
    return _one(_decode(data))


def parse_payloads(data: str | bytes | dict[str, Any] | list[Any]) -> list[Comment]:
    """Comments from a body that is one object or a list of at most `MAX_BATCH` objects."""
    obj = _decode(data)
    if isinstance(obj, list):
        if len(obj) > MAX_BATCH:
            raise CommentError(f"a batch holds at most {MAX_BATCH} comments, got {len(obj)}")
        return [_one(o) for o in obj]
    return [_one(obj)]
