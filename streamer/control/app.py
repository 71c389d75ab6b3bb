"""The FastAPI app: REST under /api, the /ws API, the panel under /panel, /healthz and /metrics.

    app = create_app(ServiceSettings(db_url="sqlite:///streamer.db"))   # what `streamer serve` runs

Errors map to status codes here, once, and every one is an RFC 9457 problem (control/problems.py): an invalid
brief is 422 with the field path, a stream that does not exist is 404, a command the stream cannot take is 409 (422
for an unknown product), capacity is 429; an `update_product` for a product the brief does not have is 404, one that
would break the brief's rules 422 naming the field. /docs and /redoc use assets served from here, not a CDN.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from .. import __version__
from ..brief import BriefValidationError
from ..errors import StreamerError
from . import idempotency, log_redaction, problems
from .api import alerts, docs, export, preview, schedules, streams, system, tokens, ws
from .backend import CommandError
from .config import ServiceSettings
from .controller import NotFound
from .product_update import InvalidUpdate, UnknownProduct
from .services import Services

PANEL_DIR = Path(__file__).with_name("panel")
OPEN_PATHS = ("/healthz", "/metrics")  # no token, no input: no problem responses to document


def _brief_problem(request: Request, e: BriefValidationError) -> JSONResponse:
    errors = []
    for p in e.problems:
        loc: list[str | int] = ["body", "brief"]
        for part in p.path.replace("]", "").replace("[", ".").split("."):
            if part and part != "(brief)":
                loc.append(int(part) if part.isdigit() else part)
        field = "brief" if p.path == "(brief)" else f"brief.{p.path}"
        errors.append({"loc": loc, "field": field, "type": p.kind, "msg": p.message})
    return problems.problem_response(request, 422, problems.summary(errors), errors=errors)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or ServiceSettings()
    log_redaction.install()  # before uvicorn logs the first /ws?token=... handshake

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc = await Services.start(settings)
        app.state.services = svc
        try:
            yield
        finally:
            await svc.close()

    app = FastAPI(title="streamer control plane", version=__version__, lifespan=lifespan, docs_url=None,
                  redoc_url=None,
                  description="Streams, schedules, commands and history of the digital-human livestream host. "
                              "Every /api route needs `Authorization: Bearer <token>`; see also /ws "
                              "(docs/websocket-api.md). Every error is an RFC 9457 problem "
                              "(`application/problem+json`).")

    @app.middleware("http")
    async def _metrics(request: Request, call_next):  # noqa: ANN001, ANN202
        svc = getattr(request.app.state, "services", None)
        if svc is None:
            return await call_next(request)
        return await svc.metrics.middleware(request, call_next)

    app.add_middleware(idempotency.IdempotencyMiddleware)

    @app.exception_handler(BriefValidationError)
    async def _brief(request: Request, e: BriefValidationError) -> JSONResponse:
        return _brief_problem(request, e)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, e: NotFound) -> JSONResponse:
        return problems.problem_response(request, 404, str(e))

    @app.exception_handler(UnknownProduct)
    async def _unknown_product(request: Request, e: UnknownProduct) -> JSONResponse:
        return problems.problem_response(request, 404, e.args[0])

    @app.exception_handler(InvalidUpdate)
    async def _invalid_update(request: Request, e: InvalidUpdate) -> JSONResponse:
        return problems.problem_response(request, 422, str(e), errors=e.problems)

    @app.exception_handler(CommandError)
    async def _command(request: Request, e: CommandError) -> JSONResponse:
        return problems.problem_response(request, e.status, str(e))

    @app.exception_handler(StreamerError)
    async def _streamer(request: Request, e: StreamerError) -> JSONResponse:
        return problems.problem_response(request, 422, str(e))

    app.add_exception_handler(HTTPException, problems.http_exception)
    app.add_exception_handler(RequestValidationError, problems.validation_error)
    app.add_exception_handler(Exception, problems.server_error)

    for module in (system, tokens, streams, export, schedules, preview, ws, docs, alerts):
        app.include_router(module.router)
    app.mount("/panel", StaticFiles(directory=PANEL_DIR, html=True), name="panel")
    app.mount(docs.ASSETS_URL, StaticFiles(directory=docs.ASSETS_DIR), name="docs-assets")

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            app.openapi_schema = idempotency.document(problems.document_problems(schema, open_paths=OPEN_PATHS))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
