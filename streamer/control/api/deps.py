"""Shared API helpers: the services, visible-stream lookup and row -> payload conversion."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import HTTPException, Path, Request, status

from ..auth import Principal
from ..schemas import ProductInfo, StreamDetail, StreamOut, StreamSettings
from ..services import Services
from ..storage import Stream

# database ids fit a signed 64-bit column on every backend; anything bigger is a 422, not a driver error
RowId = Annotated[int, Path(ge=1, le=2**62)]
StreamId = Annotated[str, Path(min_length=1, max_length=40)]


def services(request: Request) -> Services:
    return request.app.state.services


def visible_stream(svc: Services, principal: Principal, stream_id: str) -> Stream:
    """The stream, or 404 (also when the token may not see it: no hint that it exists)."""
    stream = svc.store.get_stream(stream_id) if principal.sees(stream_id) else None
    if stream is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no stream {stream_id!r}")
    return stream


def stream_out(svc: Services, row: Stream, detail: bool = False) -> StreamOut:
    brief: dict[str, Any] = row.brief
    info = svc.backend.info(row.id)
    out = StreamOut(
        id=row.id, name=row.name, state=svc.backend.state(row.id), desired=row.desired,
        language=str(brief.get("language", "")),
        products=[ProductInfo(id=str(p.get("id")), name=str(p.get("name"))) for p in brief.get("products", [])],
        settings=StreamSettings.model_validate(row.settings), pid=info.get("pid"), created_at=row.created_at)
    return StreamDetail(**out.model_dump(), brief=brief) if detail else out
