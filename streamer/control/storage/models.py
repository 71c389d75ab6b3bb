"""The control plane's tables (SQLAlchemy 2 ORM). Alembic migrations in ``migrations/`` create them.

What is kept, and why: streams (brief + output settings + what the operator wants: live or not), schedules (windows
that start and stop a stream unattended), runs (the history of every start and stop, with the reason), transcript
lines (every sentence said on air, with time, for compliance), comments with the decision taken, API tokens (hashes
only), a checkpoint per stream (product and recent lines) so a stream resumes where it was, and the script blocks
a model wrote for a stream (keyed by product and a hash of the product's facts), so a restart says them again
without asking the model, and a block written for other facts (an old price) is never handed back. The recorder's
batches leave their id behind (``recorded_batches``), so a batch retried after an unclear failure (the connection
dropped during COMMIT) is never written twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone; Postgres keeps it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


class Stream(Base):
    __tablename__ = "streams"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    brief: Mapped[dict[str, Any]] = mapped_column(JSON)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)  # voice, avatar, size, fps, outputs ...
    # what should be true when nobody is looking: stopped | manual (keep live) | schedule (live while a window is open)
    desired: Mapped[str] = mapped_column(String(16), default="stopped")
    hold_until: Mapped[datetime | None] = mapped_column(default=None)  # manual stop inside a window
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Schedule(Base):
    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    stream_id: Mapped[str] = mapped_column(ForeignKey("streams.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # once | daily | weekly
    tz: Mapped[str] = mapped_column(String(64), default="UTC")
    start: Mapped[str] = mapped_column(String(32))
    end: Mapped[str] = mapped_column(String(32))
    days: Mapped[list[Any]] = mapped_column(JSON, default=list)
    products: Mapped[list[Any]] = mapped_column(JSON, default=list)
    rotate_every_s: Mapped[int] = mapped_column(Integer, default=600)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    stream_id: Mapped[str] = mapped_column(ForeignKey("streams.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(32))  # manual | schedule | resume | schedule:resume
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_frame_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    end_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    restarts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    schedule_id: Mapped[int | None] = mapped_column(Integer, default=None)


class TranscriptLine(Base):
    __tablename__ = "transcript"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    stream_id: Mapped[str] = mapped_column(ForeignKey("streams.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    said_at: Mapped[datetime] = mapped_column(default=utcnow)  # wall time the sentence ended
    media_t: Mapped[float] = mapped_column(Float, default=0.0)  # stream time at the end, seconds
    played_s: Mapped[float] = mapped_column(Float, default=0.0)
    complete: Mapped[bool] = mapped_column(Boolean, default=True)  # False: interrupted; text is what was planned
    source: Mapped[str] = mapped_column(String(16))  # script | reply | say | override | update
    product_id: Mapped[str | None] = mapped_column(String(100), default=None)
    text: Mapped[str] = mapped_column(Text)


class CommentRecord(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    stream_id: Mapped[str] = mapped_column(ForeignKey("streams.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(Integer, default=None)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    ref: Mapped[str] = mapped_column(String(40), index=True)  # joins the comment event with its decision
    platform: Mapped[str] = mapped_column(String(32), default="api")
    user: Mapped[str] = mapped_column(String(100), default="")
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(32), default=None)
    action: Mapped[str | None] = mapped_column(String(16), default=None)  # reply | ignore | block
    reply: Mapped[str | None] = mapped_column(Text, default=None)
    latency_ms: Mapped[float | None] = mapped_column(Float, default=None)


class ApiToken(Base):
    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))  # admin | operator | developer
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # first characters, so people can tell tokens apart
    streams: Mapped[list[Any] | None] = mapped_column(JSON, default=None)  # None: every stream
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class Checkpoint(Base):
    __tablename__ = "checkpoints"

    stream_id: Mapped[str] = mapped_column(ForeignKey("streams.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[str | None] = mapped_column(String(100), default=None)
    utterances: Mapped[int] = mapped_column(Integer, default=0)
    recent: Mapped[list[Any]] = mapped_column(JSON, default=list)  # the last lines said, newest last
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WrittenBlockRecord(Base):
    __tablename__ = "written_blocks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    stream_id: Mapped[str] = mapped_column(ForeignKey("streams.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[str] = mapped_column(String(100))
    facts: Mapped[str] = mapped_column(String(64))  # planner.writer.facts_key of the product when it was written
    segments: Mapped[list[Any]] = mapped_column(JSON)  # the block's segments, as the planner dumps them
    written_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecordedBatch(Base):
    """One recorder batch that is in the database: its id is written in the batch's own transaction."""

    __tablename__ = "recorded_batches"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    rows: Mapped[int] = mapped_column(Integer)
    written_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
