"""The web panel in Debian's Chromium (Playwright): log in, start a stream, watch it move, answer a viewer,
interrupt, stop. Set STREAMER_SCREENSHOTS=1 to refresh docs/images/panel*.png."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from irc_server import IrcServer
from test_control_support import ADMIN, LiveServer

pytest.importorskip("playwright", reason="pip install playwright (the PyPI package; Debian's chromium is used)")
if not Path("/usr/bin/chromium").exists():
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = ROOT / "docs" / "images"

# Hash of what the preview shows right now (video or MJPEG image drawn onto a canvas).
PREVIEW_HASH = """() => {
  const v = document.querySelector('#preview-video'), i = document.querySelector('#preview-img');
  const src = !v.hidden ? v : i;
  const w = 64, h = 36, c = document.createElement('canvas'); c.width = w; c.height = h;
  const g = c.getContext('2d'); g.drawImage(src, 0, 0, w, h);
  const d = g.getImageData(0, 0, w, h).data; let x = 0;
  for (let k = 0; k < d.length; k += 4) x = (x * 31 + d[k] + d[k + 1] * 3 + d[k + 2] * 7) >>> 0;
  return x;
}"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """A fresh service per test: each test starts from the rooms it creates, in any order."""
    with LiveServer(tmp_path) as s:
        yield s


@contextlib.contextmanager
def panel_page(**context: Any) -> Iterator[Page]:
    """A page in Debian's Chromium (``context``: Playwright's context options); no script error may happen on it."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        pg = browser.new_context(**{"viewport": {"width": 1360, "height": 900}, "locale": "en-US", **context}).new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        yield pg
        browser.close()
        assert not errors, errors


@pytest.fixture
def page(server: LiveServer) -> Iterator[Page]:  # closed before the server goes: a clean shutdown
    with panel_page() as pg:
        yield pg


def shot(page: Page, name: str, tmp: Path) -> None:
    out = tmp / name
    page.screenshot(path=str(out))
    if os.environ.get("STREAMER_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(out, SHOTS / name)


def assert_moving(page: Page) -> None:
    seen = set()
    for _ in range(12):
        seen.add(page.evaluate(PREVIEW_HASH))
        page.wait_for_timeout(250)
    assert len(seen) >= 3, "the preview does not move"


def log_in(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/panel/")
    page.fill("#token", ADMIN)
    page.click("#login-form button")
    expect(page.locator("#ws-state")).to_have_class("badge ok", timeout=10_000)


def test_operator_runs_a_stream_from_the_panel(page: Page, server: LiveServer, tmp_path: Path) -> None:
    server.create_stream("Lamp room")
    page.goto(f"{server.url}/panel/")
    page.fill("#token", "st_wrong")
    page.click("#login-form button")
    expect(page.locator("#login-error")).to_have_text("That token was not accepted.")
    log_in(page, server)
    expect(page.locator("#stream-list li")).to_have_count(1)

    page.click("#btn-start")
    expect(page.locator("#stream-state")).to_have_text("live", timeout=45_000)
    expect(page.locator(".preview")).to_have_attribute("data-mode", "WebRTC", timeout=15_000)
    assert_moving(page)
    expect(page.locator("#health-stats dd[data-key=fps_now]")).not_to_have_text("-", timeout=5_000)
    # the fallback for networks without UDP: MJPEG over the same HTTP connection
    page.goto(f"{server.url}/panel/?preview=mjpeg")
    expect(page.locator(".preview")).to_have_attribute("data-mode", "MJPEG", timeout=10_000)
    assert_moving(page)

    hostile = '<img src=x onerror="window.pwned=1">'
    page.fill("#comment-user", hostile)
    page.fill("#comment-text", "how much is the lamp?")
    page.click("#comment-form button")
    item = page.locator("#feed li").first
    expect(item.locator(".reply")).to_contain_text("24", timeout=15_000)
    expect(item).to_have_attribute("data-action", "reply")
    expect(item.locator(".user")).to_have_text(hostile)  # shown as text
    assert page.locator("#feed img").count() == 0 and not page.evaluate("window.pwned")
    expect(page.locator("#captions li.src-reply").first).to_contain_text("24", timeout=20_000)
    shot(page, "panel.png", tmp_path)

    long_line = "Here is a very long announcement that goes on and on about the lamp, " * 3
    page.fill("#say-text", long_line.strip())
    page.check("#say-urgent")
    page.click("#say-form button")
    expect(page.locator("#caption")).to_contain_text("very long announcement", timeout=15_000)
    page.click("#btn-interrupt")
    expect(page.locator("#caption")).not_to_contain_text("very long announcement", timeout=3_000)

    page.click("#btn-stop")
    expect(page.locator("#stream-state")).to_have_text("stopped", timeout=15_000)
    expect(page.locator("#preview-video")).to_be_hidden()
    expect(page.locator("#run-rows tr")).to_have_count(1)


def test_streams_and_schedules_are_edited_in_the_panel_in_chinese(page: Page, server: LiveServer,
                                                                  tmp_path: Path) -> None:
    server.create_stream("Lamp room")
    log_in(page, server)
    page.click("#lang")
    expect(page.locator("#btn-start")).to_have_text("开播")

    page.click("#new-stream summary")
    form = page.locator("#new-stream-form")
    form.locator("[name=name]").fill("茶室")
    form.locator("[name=brief_yaml]").fill("language: zh\nproducts:\n  - {id: tea-1, name: 龙井, price: -1}\n")
    form.locator("button").click()
    expect(form.locator(".error")).to_contain_text("brief.products[0].price")
    form.locator("[name=brief_yaml]").fill("language: zh\nproducts:\n  - {id: tea-1, name: 龙井, price: 128}\n")
    form.locator("button").click()
    expect(page.locator("#stream-name")).to_have_text("茶室")
    expect(page.locator("#stream-list li.selected")).to_contain_text("已停播")
    page.click("#stream-list li >> text=Lamp room")
    expect(page.locator("#stream-name")).to_have_text("Lamp room")
    form = page.locator("#schedule-form")
    form.locator("[name=start]").fill("20:00")
    form.locator("[name=end]").fill("23:30")
    form.locator("[name=products]").fill("lamp-2,mat-5")
    form.locator("button").click()
    row = page.locator("#schedule-rows tr").last
    expect(row).to_contain_text("20:00 – 23:30")
    expect(row).to_contain_text("每天")
    form.locator("[name=products]").fill("no-such-product")
    form.locator("button").click()
    expect(form.locator(".error")).to_contain_text("unknown product 'no-such-product'")
    shot(page, "panel-zh.png", tmp_path)


def test_a_stream_gets_its_reply_model_from_the_panel_form(page: Page, server: LiveServer) -> None:
    log_in(page, server)
    page.click("#new-stream summary")
    form = page.locator("#new-stream-form")
    form.locator("[name=name]").fill("LLM room")
    form.locator("[name=brief_yaml]").fill("language: en\nproducts:\n  - {id: p1, name: Mug, price: 9}\n")
    form.locator("[name=voice]").fill("espeak:en-us")
    form.locator("[name=llm_backend]").select_option("openai")
    form.locator("[name=llm_base_url]").fill("http://127.0.0.1:8000/v1")
    form.locator("[name=llm_model]").fill('<b onmouseover="x">qwen</b>')
    form.locator("[name=llm_api_key]").fill("sk-panel-secret")
    form.locator("[name=llm_first_s]").fill("1.2")
    form.locator("button[type=submit]").click()
    expect(page.locator("#stream-name")).to_have_text("LLM room", timeout=10_000)
    row = next(s for s in server.services.store.list_streams() if s.name == "LLM room")
    llm = row.settings["llm"]
    assert llm["backend"] == "openai" and llm["model"] == '<b onmouseover="x">qwen</b>'
    assert llm["api_key"] == "sk-panel-secret" and llm["first_sentence_timeout_s"] == 1.2
    assert "sk-panel-secret" not in page.content()


def test_a_chat_source_set_in_the_panel_connects_and_its_state_shows_in_the_health(page: Page, server: LiveServer,
                                                                                    tmp_path: Path) -> None:
    root = tmp_path / "ircd"
    root.mkdir()
    ircd = IrcServer(root, password="hunter22")
    ircd.start()
    try:
        log_in(page, server)
        page.click("#new-stream summary")
        form = page.locator("#new-stream-form")
        form.locator("[name=name]").fill("IRC room")
        form.locator("[name=brief_yaml]").fill("language: en\nproducts:\n  - {id: p1, name: Mug, price: 9}\n")
        form.locator("[name=voice]").fill("espeak:en-us")
        form.locator("[name=size]").fill("320x180")
        form.locator("[name=comments]").fill(f"irc://host:hunter22@127.0.0.1:{ircd.port}/#room")
        form.locator("button[type=submit]").click()
        expect(page.locator("#stream-name")).to_have_text("IRC room", timeout=10_000)
        page.click("#btn-start")
        expect(page.locator("#stream-state")).to_have_text("live", timeout=30_000)
        expect(page.locator("#health-stats dd[data-key=sources_state]")).to_contain_text("irc1: up", timeout=20_000)
        assert "hunter22" not in page.content()
    finally:
        ircd.stop()
