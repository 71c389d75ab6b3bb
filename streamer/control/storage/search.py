"""Searching one stream's transcript and comments, for compliance: what was said, what viewers wrote, when.

A `Match` is the filter (text, time range, the transcript's source or the comment's decision). The same SQL runs on
SQLite and PostgreSQL: text is a case-insensitive substring (``LIKE``/``ILIKE`` with the user's ``%`` and ``_``
escaped; Chinese has no case and matches as written; SQLite folds ASCII letters only). A time range is half-open,
``since <= t < until``, on the time the line ended (``said_at``) or the comment arrived (``received_at``).

`find_transcript` and `find_comments` give one page the way the feeds page today (keyset on the row id).
`walk` reads a whole result in pages of ``page_rows`` rows, each in its own short transaction, up to the newest
row there was when it began: an export of any length holds one page in memory, and rows said meanwhile do not
make it run forever.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

from sqlalchemy import ColumnElement, func, select

from .models import CommentRecord, TranscriptLine
from .store import Store

Decision = Literal["reply", "ignore", "block", "pending"]  # pending: no decision recorded yet
PAGE_ROWS = 1000  # rows read per query while walking a result: a few hundred kB, whatever the result's size

Row = TypeVar("Row", TranscriptLine, CommentRecord)
Model = type[TranscriptLine] | type[CommentRecord]


@dataclass(frozen=True, slots=True)
class Match:
    """Which rows of a stream: every field left None matches everything."""

    q: str | None = None  # a substring of the text: the sentence said, the comment a viewer wrote
    since: datetime | None = None  # inclusive, aware
    until: datetime | None = None  # exclusive, aware
    source: str | None = None  # transcript: script | reply | say | override | update
    decision: Decision | None = None  # comments: the action taken, or pending


def _transcript_where(stream_id: str, m: Match) -> list[ColumnElement[bool]]:
    where = [TranscriptLine.stream_id == stream_id]
    if m.q:
        where.append(TranscriptLine.text.icontains(m.q, autoescape=True))
    if m.since is not None:
        where.append(TranscriptLine.said_at >= m.since)
    if m.until is not None:
        where.append(TranscriptLine.said_at < m.until)
    if m.source is not None:
        where.append(TranscriptLine.source == m.source)
    return where


def _comments_where(stream_id: str, m: Match) -> list[ColumnElement[bool]]:
    where = [CommentRecord.stream_id == stream_id]
    if m.q:
        where.append(CommentRecord.text.icontains(m.q, autoescape=True))
    if m.since is not None:
        where.append(CommentRecord.received_at >= m.since)
    if m.until is not None:
        where.append(CommentRecord.received_at < m.until)
    if m.decision == "pending":
        where.append(CommentRecord.action.is_(None))
    elif m.decision is not None:
        where.append(CommentRecord.action == m.decision)
    return where


def _where(model: Model, stream_id: str, m: Match) -> list[ColumnElement[bool]]:
    return _transcript_where(stream_id, m) if model is TranscriptLine else _comments_where(stream_id, m)


def _find(store: Store, model: type[Row], stream_id: str, m: Match, limit: int, after_id: int | None) -> list[Row]:
    query = select(model).where(*_where(model, stream_id, m))
    with store.session() as s:
        if after_id is not None:
            return list(s.scalars(query.where(model.id > after_id).order_by(model.id).limit(limit)))
        return list(reversed(list(s.scalars(query.order_by(model.id.desc()).limit(limit)))))


def find_transcript(store: Store, stream_id: str, m: Match, limit: int = 100,
                    after_id: int | None = None) -> list[TranscriptLine]:
    """Oldest first: the newest ``limit`` matching lines, or with ``after_id`` the ``limit`` after that id."""
    return _find(store, TranscriptLine, stream_id, m, limit, after_id)


def find_comments(store: Store, stream_id: str, m: Match, limit: int = 100,
                  after_id: int | None = None) -> list[CommentRecord]:
    """Oldest first: the newest ``limit`` matching comments, or with ``after_id`` the ``limit`` after that id."""
    return _find(store, CommentRecord, stream_id, m, limit, after_id)


def newest_id(store: Store, model: Model, stream_id: str) -> int:
    """The id of the stream's newest row (0 for none): where a walk that starts now stops."""
    with store.session() as s:
        return int(s.scalar(select(func.max(model.id)).where(model.stream_id == stream_id)) or 0)


def walk(store: Store, model: Model, stream_id: str, m: Match, columns: Sequence[str], upto_id: int,
         page_rows: int = PAGE_ROWS) -> Iterator[list[dict[str, Any]]]:
    """Every matching row up to ``upto_id``, oldest first, as dicts of ``columns``, one page per item."""
    cols = [getattr(model, c) for c in columns]
    base = select(*cols).where(*_where(model, stream_id, m), model.id <= upto_id).order_by(model.id)
    id_at = list(columns).index("id")
    after = 0
    while True:
        with store.session() as s:
            rows = s.execute(base.where(model.id > after).limit(page_rows)).all()
        if not rows:
            return
        after = rows[-1][id_at]
        yield [dict(zip(columns, r, strict=True)) for r in rows]
        if len(rows) < page_rows:
            return
