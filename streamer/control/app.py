"""The FastAPI app: REST under /api, the /ws API, the panel under /panel, /healthz and /metrics.

    app = create_app(ServiceSettings(db_url="sqlite:///streamer.db"))   # what `streamer serve` runs

Errors map to status codes here, once: an invalid brief is 422 with the field path, a stream that does not exist
is 404, a command the stream cannot take is 409 (422 for an unknown product), capacity is 429; an `update_product`
for a product the brief does not have is 404, one that would break the brief's rules 422 naming the field.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..brief import BriefValidationError
from ..errors import StreamerError
from .api import preview, schedules, streams, system, tokens, ws
from .backend import CommandError
from .config import ServiceSettings
from .controller import NotFound
from .product_update import InvalidUpdate, UnknownProduct
from .services import Services

PANEL_DIR = Path(__file__).with_name("panel")


def _brief_problem(e: BriefValidationError) -> JSONResponse:
    detail = []
    for p in e.problems:
        loc: list[str | int] = ["body", "brief"]
        for part in p.path.replace("]", "").replace("[", ".").split("."):
            if part and part != "(brief)":
                loc.append(int(part) if part.isdigit() else part)
        field = "brief" if p.path == "(brief)" else f"brief.{p.path}"
        detail.append({"loc": loc, "field": field, "type": p.kind, "msg": p.message})
    return JSONResponse({"detail": detail}, status_code=422)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or ServiceSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc = await Services.start(settings)
        app.state.services = svc
        try:
            yield
        finally:
            await svc.close()

    app = FastAPI(title="streamer control plane", version=__version__, lifespan=lifespan,
                  description="Streams, schedules, commands and history of the digital-human livestream host. "
                              "Every /api route needs `Authorization: Bearer <token>`; see also /ws "
                              "(docs/websocket-api.md).")

    @app.middleware("http")
    async def _metrics(request: Request, call_next):  # noqa: ANN001, ANN202
        svc = getattr(request.app.state, "services", None)
        if svc is None:
            return await call_next(request)
        return await svc.metrics.middleware(request, call_next)

    @app.exception_handler(BriefValidationError)
    async def _brief(_: Request, e: BriefValidationError) -> JSONResponse:
        return _brief_problem(e)

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, e: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(e)}, status_code=404)

    @app.exception_handler(UnknownProduct)
    async def _unknown_product(_: Request, e: UnknownProduct) -> JSONResponse:
        return JSONResponse({"detail": e.args[0]}, status_code=404)

    @app.exception_handler(InvalidUpdate)
    async def _invalid_update(_: Request, e: InvalidUpdate) -> JSONResponse:
        return JSONResponse({"detail": e.problems}, status_code=422)

    @app.exception_handler(CommandError)
    async def _command(_: Request, e: CommandError) -> JSONResponse:
        return JSONResponse({"detail": str(e)}, status_code=e.status)

    @app.exception_handler(StreamerError)
    async def _streamer(_: Request, e: StreamerError) -> JSONResponse:
        return JSONResponse({"detail": str(e)}, status_code=422)

    for module in (system, tokens, streams, schedules, preview, ws):
        app.include_router(module.router)
    app.mount("/panel", StaticFiles(directory=PANEL_DIR, html=True), name="panel")
    return app
