"""REST: the alerts the service's rules raised (control/alerts.py), the active ones first asked for by the panel."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from .. import pagination
from ..alerts import Alert, AlertKind
from ..auth import Principal, require
from ..services import Services
from .deps import services

router = APIRouter(prefix="/api/alerts", tags=["alerts"])


class AlertOut(BaseModel):
    id: str = Field(description="this occurrence; its raised and resolved events on /ws and the webhooks repeat it")
    key: str = Field(description="the condition: stream/kind[/subject]")
    kind: AlertKind
    state: Literal["raised", "resolved"]
    stream: str
    run: int | None
    subject: str | None
    message: str
    since: float = Field(description="Unix seconds: raised")
    resolved_at: float | None


def _out(a: Alert) -> AlertOut:
    return AlertOut.model_validate(a.event())


@router.get("", response_model=list[AlertOut], responses=pagination.NEXT_LINK_DOC)
def list_alerts(request: Request, response: Response, svc: Annotated[Services, Depends(services)],
                principal: Annotated[Principal, Depends(require("read"))],
                state: Annotated[Literal["raised", "resolved"] | None, Query(
                    description="raised: the active ones; resolved: those over; none: both")] = None,
                stream: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
                limit: pagination.Limit = 100, cursor: pagination.Cursor = None) -> list[AlertOut]:
    """The alerts of the streams this token sees, in the order they were raised (kept since the service started);
    more than ``limit``: the next page is in the ``Link`` header."""
    after = pagination.decode("alerts", cursor, (int,))
    rows = svc.alerts.book.listed(principal.streams, state, stream)
    chosen, more = pagination.page(rows, limit, after, lambda a: [a.seq])
    if more is not None:
        pagination.link_next(request, response, "alerts", more)
    return [_out(a) for a in chosen]
