"""The repository: every read and write the control plane makes, as plain blocking methods.

Callers on the event loop go through ``asyncio.to_thread`` (FastAPI runs sync endpoints in its thread pool), so
the database never blocks the loop. Rows come back detached (``expire_on_commit=False``) and can be read freely.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, Engine, delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from .models import (
    ApiToken,
    Checkpoint,
    CommentRecord,
    RecordedBatch,
    Run,
    Schedule,
    Stream,
    TranscriptLine,
    WrittenBlockRecord,
    utcnow,
)

TOKEN_PREFIX = "st_"
RECENT_LINES = 20  # lines kept in a checkpoint: enough for an LLM planner to pick up the thread
BLOCKS_KEPT = 8  # written blocks kept per stream, product and facts: the newest, enough for hours of variety
BATCH_IDS_KEPT_S = 86_400  # a recorder batch is retried while the database is down; a day covers any outage it rides


def _dml(s: Session, statement: Any) -> CursorResult[Any]:
    """Run an UPDATE or DELETE; its result has ``rowcount``."""
    return s.execute(statement)  # type: ignore[return-value]


def hash_token(token: str) -> str:
    # tokens are 256 random bits, so a fast hash is enough: nothing to brute-force, no dictionary to try
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as s:
            yield s

    # --- tokens ------------------------------------------------------------------------------------------------
    def create_token(self, name: str, role: str, streams: list[str] | None = None,
                     token: str | None = None) -> tuple[ApiToken, str]:
        token = token or new_token()
        row = ApiToken(name=name, role=role, token_hash=hash_token(token), prefix=token[:10], streams=streams)
        with self.session() as s:
            s.add(row)
        return row, token

    def find_token(self, token: str) -> ApiToken | None:
        with self.session() as s:
            return s.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token),
                                                   ApiToken.revoked_at.is_(None)))

    def list_tokens(self) -> list[ApiToken]:
        with self.session() as s:
            return list(s.scalars(select(ApiToken).order_by(ApiToken.id)))

    def revoke_token(self, token_id: int) -> bool:
        with self.session() as s:
            n = _dml(s, update(ApiToken).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
                          .values(revoked_at=utcnow())).rowcount
        return bool(n)

    def has_admin(self) -> bool:
        with self.session() as s:
            return s.scalar(select(ApiToken.id).where(ApiToken.role == "admin", ApiToken.revoked_at.is_(None))
                            .limit(1)) is not None

    # --- streams -----------------------------------------------------------------------------------------------
    def create_stream(self, stream_id: str, name: str, brief: dict[str, Any], settings: dict[str, Any]) -> Stream:
        row = Stream(id=stream_id, name=name, brief=brief, settings=settings, desired="stopped")
        with self.session() as s:
            s.add(row)
        return row

    def get_stream(self, stream_id: str) -> Stream | None:
        with self.session() as s:
            return s.get(Stream, stream_id)

    def list_streams(self, ids: Iterable[str] | None = None) -> list[Stream]:
        q = select(Stream).order_by(Stream.created_at, Stream.id)
        if ids is not None:
            q = q.where(Stream.id.in_(list(ids)))
        with self.session() as s:
            return list(s.scalars(q))

    def update_stream(self, stream_id: str, **values: Any) -> Stream | None:
        with self.session() as s:
            row = s.get(Stream, stream_id)
            if row is None:
                return None
            for k, v in values.items():
                setattr(row, k, v)
        return row

    def delete_stream(self, stream_id: str) -> bool:
        with self.session() as s:
            # children first: SQLite only cascades with the foreign_keys pragma, and other URLs may lack it
            for model in (Schedule, Run, TranscriptLine, CommentRecord, Checkpoint, WrittenBlockRecord):
                _dml(s, delete(model).where(model.stream_id == stream_id))
            return bool(_dml(s, delete(Stream).where(Stream.id == stream_id)).rowcount)

    # --- schedules ---------------------------------------------------------------------------------------------
    def add_schedule(self, stream_id: str, values: dict[str, Any]) -> Schedule:
        row = Schedule(stream_id=stream_id, **values)
        with self.session() as s:
            s.add(row)
        return row

    def get_schedule(self, schedule_id: int) -> Schedule | None:
        with self.session() as s:
            return s.get(Schedule, schedule_id)

    def list_schedules(self, stream_id: str | None = None, *, enabled_only: bool = False) -> list[Schedule]:
        q = select(Schedule).order_by(Schedule.id)
        if stream_id is not None:
            q = q.where(Schedule.stream_id == stream_id)
        if enabled_only:
            q = q.where(Schedule.enabled.is_(True))
        with self.session() as s:
            return list(s.scalars(q))

    def update_schedule(self, schedule_id: int, values: dict[str, Any]) -> Schedule | None:
        with self.session() as s:
            row = s.get(Schedule, schedule_id)
            if row is None:
                return None
            for k, v in values.items():
                setattr(row, k, v)
        return row

    def delete_schedule(self, schedule_id: int) -> bool:
        with self.session() as s:
            return bool(_dml(s, delete(Schedule).where(Schedule.id == schedule_id)).rowcount)

    # --- runs --------------------------------------------------------------------------------------------------
    def open_run(self, stream_id: str, reason: str, schedule_id: int | None = None) -> Run:
        row = Run(stream_id=stream_id, reason=reason, schedule_id=schedule_id)
        with self.session() as s:
            s.add(row)
        return row

    def update_run(self, run_id: int, **values: Any) -> None:
        with self.session() as s:
            _dml(s, update(Run).where(Run.id == run_id).values(**values))

    def note_restart(self, run_id: int, error: str) -> None:
        with self.session() as s:
            _dml(s, update(Run).where(Run.id == run_id).values(restarts=Run.restarts + 1, last_error=error))

    def close_run(self, run_id: int, end_reason: str, error: str | None = None) -> None:
        values: dict[str, Any] = {"ended_at": utcnow(), "end_reason": end_reason}
        if error:
            values["last_error"] = error
        with self.session() as s:
            _dml(s, update(Run).where(Run.id == run_id, Run.ended_at.is_(None)).values(**values))

    def close_dangling_runs(self, end_reason: str) -> int:
        """Runs a previous service process left open (it was killed): end them now."""
        with self.session() as s:
            return _dml(s, update(Run).where(Run.ended_at.is_(None))
                             .values(ended_at=utcnow(), end_reason=end_reason)).rowcount

    def list_runs(self, stream_id: str, limit: int = 50) -> list[Run]:
        with self.session() as s:
            return list(s.scalars(select(Run).where(Run.stream_id == stream_id)
                                  .order_by(Run.id.desc()).limit(limit)))

    def last_run(self, stream_id: str) -> Run | None:
        runs = self.list_runs(stream_id, 1)
        return runs[0] if runs else None

    # --- transcript, comments, checkpoints -----------------------------------------------------------------------
    def list_transcript(self, stream_id: str, limit: int = 100, after_id: int | None = None) -> list[TranscriptLine]:
        """Oldest first: the newest ``limit`` lines, or with ``after_id`` the ``limit`` lines right after that id (a
        cursor: paging forward from 0 reads every line once)."""
        with self.session() as s:
            query = select(TranscriptLine).where(TranscriptLine.stream_id == stream_id,
                                                 TranscriptLine.id > (after_id or 0))
            if after_id is not None:
                return list(s.scalars(query.order_by(TranscriptLine.id).limit(limit)))
            return list(reversed(list(s.scalars(query.order_by(TranscriptLine.id.desc()).limit(limit)))))

    def list_comments(self, stream_id: str, limit: int = 100) -> list[CommentRecord]:
        with self.session() as s:
            rows = s.scalars(select(CommentRecord).where(CommentRecord.stream_id == stream_id)
                             .order_by(CommentRecord.id.desc()).limit(limit))
            return list(reversed(list(rows)))

    def get_checkpoint(self, stream_id: str) -> Checkpoint | None:
        with self.session() as s:
            return s.get(Checkpoint, stream_id)

    def list_written_blocks(self, stream_id: str, limit: int = 200) -> list[WrittenBlockRecord]:
        """The newest blocks kept for a stream (every product, every facts hash), oldest first."""
        with self.session() as s:
            rows = s.scalars(select(WrittenBlockRecord).where(WrittenBlockRecord.stream_id == stream_id)
                             .order_by(WrittenBlockRecord.id.desc()).limit(limit))
            return list(reversed(list(rows)))

    def write_batch(self, ops: list[tuple[str, dict[str, Any]]], batch_id: str | None = None) -> bool:
        """Apply recorder operations in one transaction (one fsync for a burst of events).

        With a ``batch_id`` the batch is written at most once: the id is stored in the same transaction, and a batch
        whose id is already there is skipped (False). A retry after an unclear failure (the connection dropped
        during COMMIT) is then safe. Ids older than ``BATCH_IDS_KEPT_S`` are forgotten.
        """
        with self.session() as s:
            if batch_id is not None:
                if s.get(RecordedBatch, batch_id) is not None:
                    return False
                s.add(RecordedBatch(id=batch_id, rows=len(ops)))
                _dml(s, delete(RecordedBatch).where(
                    RecordedBatch.written_at < utcnow() - timedelta(seconds=BATCH_IDS_KEPT_S)))
            for kind, data in ops:
                self._apply(s, kind, data)
        return True

    def _apply(self, s: Session, kind: str, data: dict[str, Any]) -> None:
        if kind == "transcript":
            s.add(TranscriptLine(**data))
        elif kind == "comment":
            s.add(CommentRecord(**data))
        elif kind == "decision":
            values = {k: v for k, v in data.items() if k != "ref"}  # data stays whole: a failed batch is retried
            s.flush()  # the comment may have been added earlier in this same batch
            _dml(s, update(CommentRecord).where(CommentRecord.ref == data["ref"]).values(**values))
        elif kind == "checkpoint":
            self._checkpoint(s, **data)
        elif kind == "written_block":
            self._written_block(s, **data)
        elif kind == "first_frame":
            _dml(s, update(Run).where(Run.id == data["run_id"], Run.first_frame_at.is_(None))
                      .values(first_frame_at=data["at"]))
        elif kind == "restart":
            _dml(s, update(Run).where(Run.id == data["run_id"])
                      .values(restarts=Run.restarts + 1, last_error=data.get("error")))
        elif kind == "run_error":
            _dml(s, update(Run).where(Run.id == data["run_id"]).values(last_error=data["error"]))
        elif kind == "close_run":
            _dml(s, update(Run).where(Run.id == data["run_id"], Run.ended_at.is_(None))
                      .values(ended_at=data["at"], end_reason=data["reason"], last_error=data.get("error")))
        else:
            raise ValueError(f"unknown recorder operation {kind!r}")

    @staticmethod
    def _written_block(s: Session, stream_id: str, product_id: str, facts: str, segments: list[Any],
                       at: datetime | None = None) -> None:
        if s.get(Stream, stream_id) is None:
            return  # the stream was deleted while its last events were in flight
        s.add(WrittenBlockRecord(stream_id=stream_id, product_id=product_id, facts=facts, segments=segments,
                                 written_at=at or utcnow()))
        s.flush()
        same = (WrittenBlockRecord.stream_id == stream_id, WrittenBlockRecord.product_id == product_id,
                WrittenBlockRecord.facts == facts)
        keep = select(WrittenBlockRecord.id).where(*same).order_by(WrittenBlockRecord.id.desc()).limit(BLOCKS_KEPT)
        _dml(s, delete(WrittenBlockRecord).where(*same, WrittenBlockRecord.id.not_in(keep)))

    @staticmethod
    def _checkpoint(s: Session, stream_id: str, product_id: str | None = None, line: dict[str, Any] | None = None,
                    at: datetime | None = None) -> None:
        row = s.get(Checkpoint, stream_id)
        if row is None:
            if s.get(Stream, stream_id) is None:
                return  # the stream was deleted while its last events were in flight
            row = Checkpoint(stream_id=stream_id, recent=[], utterances=0)
            s.add(row)
        if product_id is not None:
            row.product_id = product_id
        if line is not None:
            row.recent = [*(row.recent or []), line][-RECENT_LINES:]
            row.utterances = (row.utterances or 0) + 1
        row.updated_at = at or utcnow()
