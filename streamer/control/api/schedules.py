"""REST: schedule windows per stream (daily / weekly / one-off, in a time zone, with product rotation)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from ...brief import parse_brief
from .. import pagination
from ..auth import Principal, require
from ..scheduler.windows import next_window
from ..schemas import ScheduleIn, ScheduleOut
from ..services import Services
from ..storage import Schedule, Stream
from .deps import RowId, services, visible_stream

router = APIRouter(tags=["schedules"])

Svc = Annotated[Services, Depends(services)]
Reader = Annotated[Principal, Depends(require("read"))]
Manager = Annotated[Principal, Depends(require("manage"))]


def schedule_out(row: Schedule, now: datetime | None = None) -> ScheduleOut:
    now = now or datetime.now(UTC)
    w = next_window(row, now)
    return ScheduleOut(id=row.id, stream_id=row.stream_id, kind=row.kind, tz=row.tz, start=row.start, end=row.end,  # type: ignore[arg-type]
                       days=row.days or [], products=row.products or [], rotate_every_s=row.rotate_every_s,
                       enabled=row.enabled, next_open=w.opens if w else None, next_close=w.closes if w else None,
                       open_now=bool(w and w.contains(now)))


def _check_products(stream: Stream, body: ScheduleIn) -> None:
    ids = {p.id for p in parse_brief(stream.brief).products}
    for i, pid in enumerate(body.products):
        if pid not in ids:
            raise HTTPException(422, [{"loc": ["body", "products", i], "field": f"products[{i}]", "type": "product",
                                       "msg": f"unknown product {pid!r}; the brief has {', '.join(sorted(ids))}"}])


@router.get("/api/streams/{stream_id}/schedules", response_model=list[ScheduleOut],
            responses=pagination.NEXT_LINK_DOC)
def list_schedules(stream_id: str, request: Request, response: Response, svc: Svc, principal: Reader,
                   limit: pagination.Limit = 100, cursor: pagination.Cursor = None) -> list[ScheduleOut]:
    """In the order they were added; the next page is in the ``Link`` header."""
    after = pagination.decode("schedules", cursor, (int,))
    visible_stream(svc, principal, stream_id)
    rows, more = pagination.page(svc.store.list_schedules(stream_id), limit, after, lambda r: [r.id])
    if more is not None:
        pagination.link_next(request, response, "schedules", more)
    return [schedule_out(r) for r in rows]


@router.post("/api/streams/{stream_id}/schedules", response_model=ScheduleOut, status_code=201)
def add_schedule(stream_id: str, body: ScheduleIn, svc: Svc, principal: Manager) -> ScheduleOut:
    stream = visible_stream(svc, principal, stream_id)
    _check_products(stream, body)
    return schedule_out(svc.store.add_schedule(stream_id, body.model_dump()))


def _own_schedule(svc: Services, principal: Principal, schedule_id: RowId) -> tuple[Schedule, Stream]:
    row = svc.store.get_schedule(schedule_id)
    if row is None or not principal.sees(row.stream_id):
        raise HTTPException(404, f"no schedule {schedule_id}")
    return row, visible_stream(svc, principal, row.stream_id)


@router.put("/api/schedules/{schedule_id}", response_model=ScheduleOut)
def replace_schedule(schedule_id: RowId, body: ScheduleIn, svc: Svc,
                     principal: Manager) -> ScheduleOut:
    _, stream = _own_schedule(svc, principal, schedule_id)
    _check_products(stream, body)
    row = svc.store.update_schedule(schedule_id, body.model_dump())
    if row is None:
        raise HTTPException(404, f"no schedule {schedule_id}")
    return schedule_out(row)


@router.delete("/api/schedules/{schedule_id}", status_code=204)
def delete_schedule(schedule_id: RowId, svc: Svc, principal: Manager) -> Response:
    _own_schedule(svc, principal, schedule_id)
    svc.store.delete_schedule(schedule_id)
    return Response(status_code=204)
