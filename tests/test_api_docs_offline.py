"""/docs (Swagger UI) and /redoc render in Chromium with every request off the server blocked: their assets are
served by the service, not a CDN."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_control_support import LiveServer

pytest.importorskip("playwright", reason="pip install playwright (the PyPI package; Debian's chromium is used)")
if not Path("/usr/bin/chromium").exists():
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Page, Route, expect, sync_playwright  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("docs")) as s:
        yield s


@pytest.fixture
def offline(server: LiveServer) -> Iterator[tuple[Page, list[str]]]:
    """A page that reaches only the server; every other request is aborted and listed."""
    blocked: list[str] = []

    def only_the_server(route: Route) -> None:
        if route.request.url.startswith(server.url + "/"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.route("**/*", only_the_server)
        yield context.new_page(), blocked
        browser.close()


def test_swagger_ui_renders_the_api_with_no_network(server: LiveServer, offline: tuple[Page, list[str]]) -> None:
    page, blocked = offline
    page.goto(f"{server.url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("streamer control plane", timeout=20_000)
    expect(page.locator(".opblock-summary-path", has_text="/api/streams/{stream_id}/commands").first).to_be_visible()
    assert blocked == []


def test_redoc_renders_the_api_with_no_network(server: LiveServer, offline: tuple[Page, list[str]]) -> None:
    page, blocked = offline
    page.goto(f"{server.url}/redoc")
    expect(page.locator("h1", has_text="streamer control plane")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("/api/streams/{stream_id}/commands").first).to_be_attached()
    assert blocked == []
