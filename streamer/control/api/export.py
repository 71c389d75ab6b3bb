"""REST: search and export of a stream's transcript and comments (CSV, JSON lines), for compliance.

The filters are the same on the lists (``GET /api/streams/{id}/transcript|comments``, in streams.py) and on the
exports here: ``q`` (a substring, case-insensitive), ``from`` and ``to`` (ISO 8601 with a zone; ``from <= t <
to``), and ``source`` (transcript) or ``decision`` (comments). A bad one is a 422 problem naming it.

``GET .../transcript/export`` and ``.../comments/export`` stream the whole result as a download (the filename in
``Content-Disposition``), read in pages (storage/search.py), so memory stays flat for any number of rows:

- ``format=csv``: UTF-8 with a BOM (so Excel reads Chinese right), a header row, RFC 4180 quoting. Viewer text is
  untrusted: a cell that starts with ``= + - @`` (or a tab or CR) gets a leading ``'``, so a spreadsheet shows it
  as text instead of running it as a formula.
- ``format=jsonl``: one JSON object per line, the same fields as the lists.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime, BaseModel

from ..auth import Principal, require
from ..schemas import CommentOut, TranscriptOut
from ..services import Services
from ..storage import search
from ..storage.models import CommentRecord, TranscriptLine
from .deps import StreamId, services, visible_stream

router = APIRouter(prefix="/api/streams", tags=["streams"])

Svc = Annotated[Services, Depends(services)]
Reader = Annotated[Principal, Depends(require("read"))]  # the same role that reads the transcript

Source = Literal["script", "reply", "say", "override", "update"]
Format = Literal["csv", "jsonl"]
MEDIA_TYPES: dict[str, str] = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula (OWASP)
BOM = "\ufeff"

Q = Annotated[str | None, Query(max_length=200, pattern="^[^\x00]*$",  # PostgreSQL text holds no NUL
                                description="a substring of the text, case-insensitive")]
From = Annotated[AwareDatetime | None, Query(alias="from", description="ISO 8601 with a zone, inclusive: "
                                                                         "2026-12-01T20:00:00%2B08:00")]
To = Annotated[AwareDatetime | None, Query(alias="to", description="ISO 8601 with a zone, exclusive")]


def _invalid(field: str, kind: str, msg: str) -> HTTPException:
    return HTTPException(422, [{"loc": ["query", field], "field": field, "type": kind, "msg": msg}])


def _range(since: datetime | None, until: datetime | None) -> tuple[datetime | None, datetime | None]:
    """Both ends in UTC (year 1 at +14:00 is no time a database stores: a 422, not an overflow)."""
    ends = []
    for field, t in (("from", since), ("to", until)):
        try:
            ends.append(None if t is None else t.astimezone(UTC))
        except OverflowError:
            raise _invalid(field, "datetime_range", "out of range in UTC") from None
    if ends[0] is not None and ends[1] is not None and ends[1] <= ends[0]:
        raise _invalid("to", "time_range", "must be later than from")
    return ends[0], ends[1]


def transcript_match(q: Q = None, since: From = None, until: To = None,
                     source: Annotated[Source | None, Query(description="who the line came from")] = None
                     ) -> search.Match:
    """The transcript filters of a request (a FastAPI dependency)."""
    since, until = _range(since, until)
    return search.Match(q=(q or "").strip() or None, since=since, until=until, source=source)


def comment_match(q: Q = None, since: From = None, until: To = None,
                  decision: Annotated[search.Decision | None, Query(description="the action taken; pending: none "
                                                                                "yet")] = None) -> search.Match:
    """The comment filters of a request (a FastAPI dependency)."""
    since, until = _range(since, until)
    return search.Match(q=(q or "").strip() or None, since=since, until=until, decision=decision)


TranscriptFilters = Annotated[search.Match, Depends(transcript_match)]
CommentFilters = Annotated[search.Match, Depends(comment_match)]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_START) else value
    return str(value)


def _csv_chunk(rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerows([[_cell(v) for v in row] for row in rows])  # QUOTE_MINIMAL, \r\n: RFC 4180
    return buf.getvalue()


def encode(pages: Iterator[list[dict[str, Any]]], model: type[BaseModel], fmt: Format) -> Iterator[bytes]:
    """The rows of ``pages`` as the bytes of a CSV or JSON lines file, a page at a time. Each row goes through the
    list's response model, so both formats hold exactly what the list shows."""
    columns = list(model.model_fields)
    if fmt == "csv":
        yield (BOM + _csv_chunk([columns])).encode()
    for page in pages:
        rows = [model.model_validate(r).model_dump(mode="json") for r in page]
        if fmt == "csv":
            yield _csv_chunk([[r[c] for c in columns] for r in rows]).encode()
        else:
            yield "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def _stamp(t: datetime | None, default: str) -> str:
    return default if t is None else t.strftime("%Y%m%dT%H%M%SZ")  # already UTC (`_range`)


def filename(stream_id: str, what: str, m: search.Match, fmt: Format) -> str:
    """``s1a2b3-transcript-20261201T120000Z-20261201T140000Z.csv`` (``begin`` / ``now`` for an open end)."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", stream_id)
    return f"{safe}-{what}-{_stamp(m.since, 'begin')}-{_stamp(m.until, 'now')}.{fmt}"


def _download(svc: Services, model: search.Model, out: type[BaseModel],
              stream_id: str, what: str, m: search.Match, fmt: Format) -> StreamingResponse:
    columns = list(out.model_fields)
    upto = search.newest_id(svc.store, model, stream_id)  # here, so a database error is a problem, not a cut file
    pages = search.walk(svc.store, model, stream_id, m, columns, upto)
    disposition = f'attachment; filename="{filename(stream_id, what, m, fmt)}"'
    return StreamingResponse(encode(pages, out, fmt), media_type=MEDIA_TYPES[fmt],
                             headers={"Content-Disposition": disposition})


EXPORT_DOC: dict[int | str, dict[str, Any]] = {200: {
    "description": "the whole result as a file (streamed): CSV with a header, or one JSON object per line",
    "content": {"text/csv": {"schema": {"type": "string"}}, "application/x-ndjson": {"schema": {"type": "string"}}},
    "headers": {"Content-Disposition": {"description": "attachment; filename=\"...\"", "schema": {"type": "string"}}}}}


@router.get("/{stream_id}/transcript/export", response_class=StreamingResponse, responses=EXPORT_DOC)
def export_transcript(stream_id: StreamId, svc: Svc, principal: Reader,
                      m: TranscriptFilters,
                      format: Format = "csv") -> StreamingResponse:  # noqa: A002 - the query's name
    """Every transcript line that matches, oldest first, up to the newest line there is when the export begins."""
    visible_stream(svc, principal, stream_id)
    return _download(svc, TranscriptLine, TranscriptOut, stream_id, "transcript", m, format)


@router.get("/{stream_id}/comments/export", response_class=StreamingResponse, responses=EXPORT_DOC)
def export_comments(stream_id: StreamId, svc: Svc, principal: Reader,
                    m: CommentFilters,
                    format: Format = "csv") -> StreamingResponse:  # noqa: A002 - the query's name
    """Every comment that matches, with its decision, oldest first, up to the newest there is when it begins."""
    visible_stream(svc, principal, stream_id)
    return _download(svc, CommentRecord, CommentOut, stream_id, "comments", m, format)
