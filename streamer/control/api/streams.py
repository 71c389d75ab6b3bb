"""REST: streams (create from a brief, edit, delete), start/stop, commands, health and history."""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Any, TypeVar

import yaml
from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from ...brief import Brief, parse_brief
from ...errors import ConfigError
from ...tts import create_tts
from .. import pagination
from ..auth import Principal, require
from ..schemas import (
    Command,
    CommandResult,
    CommentOut,
    RunOut,
    StreamCreate,
    StreamDetail,
    StreamOut,
    StreamSecrets,
    StreamSettings,
    StreamUpdate,
    TranscriptOut,
    UpdateProduct,
)
from ..services import Services
from ..storage import Stream, search
from ..storage.models import CommentRecord, Run, TranscriptLine
from .deps import services, stream_out, visible_stream
from .export import CommentFilters, TranscriptFilters

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/streams", tags=["streams"])

Row = TypeVar("Row", Run, CommentRecord, TranscriptLine)

FORCE_ROLES = frozenset({"admin", "operator"})  # who may say a line the guard refused

Svc = Annotated[Services, Depends(services)]
Reader = Annotated[Principal, Depends(require("read"))]
Commander = Annotated[Principal, Depends(require("command"))]
Manager = Annotated[Principal, Depends(require("manage"))]
Admin = Annotated[Principal, Depends(require("secrets"))]


def _brief_data(brief: dict[str, Any] | None, brief_yaml: str | None) -> dict[str, Any]:
    if brief_yaml is None:
        return brief or {}
    try:
        data = yaml.safe_load(brief_yaml)
    except yaml.YAMLError as e:
        raise HTTPException(422, [{"loc": ["body", "brief_yaml"], "field": "brief_yaml", "type": "yaml",
                                   "msg": f"not valid YAML: {str(e).splitlines()[0]}"}]) from None
    if not isinstance(data, dict):
        raise HTTPException(422, [{"loc": ["body", "brief_yaml"], "field": "brief_yaml", "type": "model_type",
                                   "msg": "expected a mapping at the top level"}])
    return data


def _validated(data: dict[str, Any]) -> Brief:
    return parse_brief(data, "brief")  # BriefValidationError -> 422 naming the field (app.py)


class Forbidden(Exception):
    """The principal may send this command, but not with these options."""


def command_for(principal: Principal, command: Command) -> dict[str, Any]:
    """The command as the worker takes it: a forced ``say`` needs the operator or admin role and is signed with
    the token's name, so the override recorded in the transcript says who made it; ``update_product`` edits the
    brief, so it needs the roles that may edit streams, and is signed too. Raises `Forbidden`."""
    if isinstance(command, UpdateProduct):
        if not principal.can("manage"):
            raise Forbidden(f"the {principal.role} role may not change a product's facts (operator or admin only)")
        return {**command.wire(), "by": principal.name}
    body = command.model_dump()
    if body["type"] == "say" and body.get("force"):
        if principal.role not in FORCE_ROLES:
            raise Forbidden(f"the {principal.role} role may not force a line the guard refused "
                            "(operator or admin only)")
        body["by"] = principal.name
    return body


def _check_voice(settings: StreamSettings, brief: Brief) -> None:
    try:
        create_tts(settings.voice, brief.language)  # constructors only check names; nothing loads
    except ConfigError as e:
        raise HTTPException(422, [{"loc": ["body", "settings", "voice"], "field": "settings.voice",
                                   "type": "voice", "msg": str(e)}]) from None


LISTENING_SOURCES = ("webhook", "douyin-push")  # comment sources that open a listening port on this machine


def _check_listeners(settings: StreamSettings, principal: Principal, old: StreamSettings | None = None) -> None:
    """A comment source that listens (``webhook://``, ``douyin-push://``) opens a port on the server: admin only.
    Sources the stream already had stay as they are."""
    before = set(old.comments) if old is not None else set()
    new = [u for u in settings.comments if u not in before and u.split(":", 1)[0].lower() in LISTENING_SOURCES]
    if new and principal.role != "admin":
        raise HTTPException(403, f"comments: {new[0].split(':', 1)[0]}:// opens a port on the server; "
                                 "only an admin may add it")


def _stream_key(row: Stream) -> list[Any]:
    return [row.created_at.isoformat(timespec="microseconds"), row.id]


@router.get("", response_model=list[StreamOut], responses=pagination.NEXT_LINK_DOC)
def list_streams(request: Request, response: Response, svc: Svc, principal: Reader,
                 limit: pagination.Limit = 100, cursor: pagination.Cursor = None) -> list[StreamOut]:
    """Oldest first; more than ``limit``: the next page is in the ``Link`` header."""
    after = pagination.decode("streams", cursor, (str, str))
    rows = svc.store.list_streams(None if principal.streams is None else principal.streams)
    chosen, more = pagination.page(rows, limit, after, _stream_key)
    if more is not None:
        pagination.link_next(request, response, "streams", more)
    return [stream_out(svc, r) for r in chosen]


@router.post("", response_model=StreamDetail, status_code=201)
def create_stream(body: StreamCreate, svc: Svc, principal: Manager) -> StreamDetail:
    if principal.streams is not None:
        raise HTTPException(403, "a token limited to some streams cannot create streams")
    data = _brief_data(body.brief, body.brief_yaml)
    brief = _validated(data)
    _check_voice(body.settings, brief)
    settings = body.settings.keep_secrets_of(StreamSettings())  # a mask sent back is no key
    _check_listeners(settings, principal)
    row = svc.store.create_stream("s" + uuid.uuid4().hex[:10], body.name, data, settings.stored())
    return stream_out(svc, row, detail=True)  # type: ignore[return-value]


@router.get("/{stream_id}", response_model=StreamDetail)
def get_stream(stream_id: str, svc: Svc, principal: Reader) -> StreamDetail:
    return stream_out(svc, visible_stream(svc, principal, stream_id), detail=True)  # type: ignore[return-value]


@router.patch("/{stream_id}", response_model=StreamDetail)
def update_stream(stream_id: str, body: StreamUpdate, svc: Svc, principal: Manager) -> StreamDetail:
    """Changes apply the next time the stream starts. ``settings`` replace the old ones whole, except the LLM API
    key: left out (or sent back as the mask) it is kept; an empty string clears it."""
    row = visible_stream(svc, principal, stream_id)
    values: dict[str, Any] = {}
    if body.name is not None:
        values["name"] = body.name
    if body.brief is not None or body.brief_yaml is not None:
        if body.brief is not None and body.brief_yaml is not None:
            raise HTTPException(422, "give brief or brief_yaml, not both")
        values["brief"] = _brief_data(body.brief, body.brief_yaml)
    brief = _validated(values.get("brief", row.brief))
    if body.settings is not None:
        _check_voice(body.settings, brief)
        old = StreamSettings.model_validate(row.settings)
        settings = body.settings.keep_secrets_of(old)
        _check_listeners(settings, principal, old)
        values["settings"] = settings.stored()
    row = svc.store.update_stream(stream_id, **values) or row
    return stream_out(svc, row, detail=True)  # type: ignore[return-value]


@router.delete("/{stream_id}", status_code=204)
async def delete_stream(stream_id: str, svc: Svc, principal: Manager) -> Response:
    await run_in_threadpool(visible_stream, svc, principal, stream_id)
    await svc.controller.stop(stream_id, "deleted")
    await run_in_threadpool(svc.store.delete_stream, stream_id)
    return Response(status_code=204)


@router.get("/{stream_id}/secrets", response_model=StreamSecrets)
def stream_secrets(stream_id: str, svc: Svc, principal: Admin) -> StreamSecrets:
    """The stream keys and source credentials as stored: admin only. Every other route, and every other role,
    reads them masked (``rtmp://host/live/****``)."""
    row = visible_stream(svc, principal, stream_id)
    settings = StreamSettings.model_validate(row.settings)
    log.info("%s read the stream keys of %s", principal.name, stream_id)
    return StreamSecrets(outputs=list(settings.outputs), comments=list(settings.comments),
                         llm_api_key=settings.llm.api_key.get_secret_value() if settings.llm.api_key else None)


@router.post("/{stream_id}/start", response_model=StreamOut, status_code=202,
             responses={429: {"description": "the server runs as many streams as it may"}})
async def start_stream(stream_id: str, svc: Svc, principal: Commander) -> StreamOut:
    """Start now (returns at once; the ``state`` event says when the first frame is out)."""
    await run_in_threadpool(visible_stream, svc, principal, stream_id)
    await svc.controller.start(stream_id, "manual", desired="manual")
    row = await run_in_threadpool(visible_stream, svc, principal, stream_id)
    return stream_out(svc, row)


@router.post("/{stream_id}/stop", response_model=StreamOut)
async def stop_stream(stream_id: str, svc: Svc, principal: Commander) -> StreamOut:
    """Stop and flush the outputs. Inside an open schedule window the scheduler leaves it off until it closes."""
    await run_in_threadpool(visible_stream, svc, principal, stream_id)
    await svc.controller.stop(stream_id, "manual")
    row = await run_in_threadpool(visible_stream, svc, principal, stream_id)
    return stream_out(svc, row)


@router.post("/{stream_id}/commands", response_model=CommandResult)
async def send_command(stream_id: str, command: Annotated[Command, Body()], svc: Svc,
                       principal: Commander) -> CommandResult:
    """A ``say`` the reply guard refuses is a 422 naming the reason; ``force`` (operator, admin) says it anyway.
    ``update_product`` (operator, admin) also works on a stream that is not on air: it then edits the stored brief;
    an unknown product is a 404, a change the brief rules refuse a 422 naming the field."""
    await run_in_threadpool(visible_stream, svc, principal, stream_id)
    try:
        body = command_for(principal, command)
    except Forbidden as e:
        raise HTTPException(403, str(e)) from None
    ref = await svc.controller.command(stream_id, body)
    return CommandResult(ref=ref)


@router.get("/{stream_id}/health")
def stream_health(stream_id: str, svc: Svc, principal: Reader) -> dict[str, Any]:
    visible_stream(svc, principal, stream_id)
    return {"state": svc.backend.state(stream_id), **svc.backend.info(stream_id),
            "health": svc.backend.health(stream_id)}


def _rows(svc: Services, model: type[Row], stream_id: str, limit: int, *, after: int | None = None,
          before: int | None = None) -> list[Row]:
    """Up to ``limit`` rows of ``model`` of a stream, by id: after ``after`` oldest first, else before
    ``before`` (or the newest) newest first."""
    query = select(model).where(model.stream_id == stream_id)
    if after is not None:
        query = query.where(model.id > after).order_by(model.id)
    else:
        if before is not None:
            query = query.where(model.id < before)
        query = query.order_by(model.id.desc())
    with svc.store.session() as session:
        return list(session.scalars(query.limit(limit)))


@router.get("/{stream_id}/runs", response_model=list[RunOut], responses=pagination.NEXT_LINK_DOC)
def stream_runs(stream_id: str, request: Request, response: Response, svc: Svc, principal: Reader,
                limit: Annotated[int, Query(ge=1, le=500)] = 50,
                cursor: pagination.Cursor = None) -> list[RunOut]:
    """Newest first; the ``Link`` header's next page goes on to older runs."""
    before = pagination.decode("runs", cursor, (int,))
    visible_stream(svc, principal, stream_id)
    rows = _rows(svc, Run, stream_id, limit + 1, before=None if before is None else before[0])
    if len(rows) > limit:
        rows = rows[:limit]
        pagination.link_next(request, response, "runs", [rows[-1].id])
    return [RunOut.model_validate(r, from_attributes=True) for r in rows]


def _feed(request: Request, response: Response, kind: str, rows: list[Row], after: int | None) -> list[Row]:
    """A feed's next page is the rows after the last one shown (there may be none yet: ask again later)."""
    last = rows[-1].id if rows else (after or 0)
    pagination.link_next(request, response, kind, [last])
    return rows


@router.get("/{stream_id}/transcript", response_model=list[TranscriptOut], responses=pagination.NEXT_LINK_DOC)
def stream_transcript(stream_id: str, request: Request, response: Response, svc: Svc, principal: Reader,
                      match: TranscriptFilters, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                      after_id: Annotated[int | None, Query(ge=0, le=2**62)] = None,
                      cursor: pagination.Cursor = None) -> list[TranscriptOut]:
    """Sentences said on air, oldest first: the newest ``limit``, or with ``after_id`` (a line's id; 0 for the very
    first) the ``limit`` lines after it. The ``Link`` header's next page is the lines after the last one shown, so
    following it reads every line once, including lines said meanwhile. ``q``, ``from``, ``to`` and ``source``
    search (only matching lines; the next page keeps them); ``.../transcript/export`` downloads them all."""
    key = pagination.decode("transcript", cursor, (int,))
    after = after_id if key is None else key[0]
    visible_stream(svc, principal, stream_id)
    found = search.find_transcript(svc.store, stream_id, match, limit, after)
    rows = _feed(request, response, "transcript", found, after)
    return [TranscriptOut.model_validate(r, from_attributes=True) for r in rows]


@router.get("/{stream_id}/comments", response_model=list[CommentOut], responses=pagination.NEXT_LINK_DOC)
def stream_comments(stream_id: str, request: Request, response: Response, svc: Svc, principal: Reader,
                    match: CommentFilters, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                    after_id: Annotated[int | None, Query(ge=0, le=2**62)] = None,
                    cursor: pagination.Cursor = None) -> list[CommentOut]:
    """Comments with their decisions, oldest first: the newest ``limit``, or the ``limit`` after ``after_id``; the
    ``Link`` header's next page is the comments after the last one shown. ``q``, ``from``, ``to`` and ``decision``
    search; ``.../comments/export`` downloads them all."""
    key = pagination.decode("comments", cursor, (int,))
    after = after_id if key is None else key[0]
    visible_stream(svc, principal, stream_id)
    found = search.find_comments(svc.store, stream_id, match, limit, after)
    rows = _feed(request, response, "comments", found, after)
    return [CommentOut.model_validate(r, from_attributes=True) for r in rows]
