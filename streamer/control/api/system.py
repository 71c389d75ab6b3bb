"""Open routes: /healthz for load balancers, /metrics for Prometheus, the panel; and the brief schema."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ... import __version__
from ...brief import brief_json_schema
from ..auth import Principal, require

router = APIRouter()


@router.get("/healthz", tags=["system"])
def healthz(request: Request) -> dict[str, Any]:
    svc = request.app.state.services
    # a database outage does not make the service unhealthy (streams go on, rows wait): it is reported, not failed;
    # this route is open, so it says how much waits, not the database's error text
    backlog = svc.recorder.backlog()
    return {"ok": True, "version": __version__, "streams_running": len(svc.backend.running()),
            "database": {k: backlog[k] for k in ("failing", "failing_s", "rows_waiting")}}


@router.get("/metrics", tags=["system"], response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.services.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/api/brief-schema", tags=["streams"])
def brief_schema(_: Annotated[Principal, Depends(require("read"))]) -> dict[str, Any]:
    """The JSON Schema of a brief (the panel's editor and API clients validate against it)."""
    return brief_json_schema()


@router.get("/", include_in_schema=False)
def root() -> RedirectResponse:
    return RedirectResponse("/panel/")
