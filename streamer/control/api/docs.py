"""The API docs pages, /docs (Swagger UI) and /redoc, from assets served here (static/docs): no CDN, so they work
on a machine with no network. ReDoc's bundle shows its maker's logo from their CDN: the page's Content-Security-Policy
keeps images to this server, so the browser never reaches out (the docs do not need the logo)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

ASSETS_DIR = Path(__file__).resolve().parent.parent / "static" / "docs"
ASSETS_URL = "/static/docs"
TITLE = "streamer control plane"

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{TITLE} - API",
                               swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
                               swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
                               swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png")


@router.get("/redoc")
def redoc() -> HTMLResponse:
    page = get_redoc_html(openapi_url="/openapi.json", title=f"{TITLE} - API",
                          redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
                          redoc_favicon_url=f"{ASSETS_URL}/favicon-32x32.png", with_google_fonts=False)
    page.headers["Content-Security-Policy"] = "img-src 'self' data:"
    return page
