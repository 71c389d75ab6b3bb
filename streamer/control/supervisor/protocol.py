"""What travels over the pipe between the supervisor and a worker process.

Parent -> worker (tuples):  ("command", cmd_id, command_dict)  ·  ("stop",)
Worker -> parent (tuples):  ("ready", info)            first frame encoded
                            ("event", event_dict)      speech_start / speech_end / product / comment / decision / reply /
                                                       override (a forced say) / product_update (new facts applied) /
                                                       block_written (a script block the model wrote)
                            ("health", stats_dict)     once a second
                            ("preview", k, jpeg_bytes)  a downscaled frame, a few per second
                            ("ack", cmd_id, error|None) a command was applied (or why not)
                            ("fatal", message)          cannot start (bad brief, unknown voice); do not restart

``WorkerSpec`` is everything a worker needs to build its session; it is plain JSON, so a remote backend (a Ray
actor, say) could take the same spec. Unlike API responses it carries the stream's LLM API key: the worker needs it.
The worker never opens the database: what it must keep goes out as events (``block_written``: a block the model
wrote), the recorder stores it, and the next spec hands it back (``blocks``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, FieldSerializationInfo, field_serializer

from ...planner.writer import WrittenBlock
from ..schemas import StreamSettings

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

    @field_serializer("settings")
    def _settings(self, settings: StreamSettings, info: FieldSerializationInfo) -> dict[str, Any]:
        return settings.model_dump(mode=info.mode, context={"secrets": True})
