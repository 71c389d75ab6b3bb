"""The panel's Chinese is complete: every string key the page and its scripts use exists in both languages, and in
Chromium with the browser in Chinese no view shows an English word outside the proper nouns and units below."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from test_control_support import ADMIN, LiveServer
from test_panel import panel_page

PANEL = Path(__file__).resolve().parent.parent / "streamer" / "control" / "panel"

# Names and units that stay as they are in a Chinese UI. Identifiers (ids, zones, URLs, env names) are removed
# before the check by shape: they hold a digit or one of _ : / . -
ALLOWED = {"fps", "ms", "RTMP", "WHEP", "WebRTC", "MJPEG", "LLM", "TTS", "CSV", "JSON", "JSONL", "Lines", "API",
           "YAML", "URL", "OpenAI", "English",
           "Leo"}  # a bundled host's name
IDENTIFIER = re.compile(r"\S+://\S+|[A-Za-z0-9*]*[0-9_:/.\-][A-Za-z0-9_:/.\-*]*")

BRIEF_ZH = {"language": "zh", "room": {"host_name": "小美"},
            "products": [{"id": "tea-1", "name": "龙井茶", "price": 128, "currency": "CNY", "stock": 20, "link": 1,
                          "selling_points": ["明前采摘", "香气清高"]},
                         {"id": "cup-2", "name": "玻璃杯", "price": 39, "currency": "CNY", "stock": 50, "link": 2,
                          "selling_points": ["耐热"]}]}

# Every visible text of the page: text nodes, the options of visible selects, placeholders, hover titles.
VISIBLE_TEXT = """() => {
  const seen = (e) => e.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
  const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const text = n.textContent.trim();
    const parent = n.parentElement;
    if (!text || !parent || parent.closest('script, style, option, textarea') || !seen(parent)) continue;
    out.push(text);
  }
  for (const s of document.querySelectorAll('select')) if (seen(s)) for (const o of s.options) out.push(o.textContent);
  for (const i of document.querySelectorAll('[placeholder]')) if (seen(i) && !i.value) out.push(i.placeholder);
  for (const e of document.querySelectorAll('[title]')) if (seen(e)) out.push(e.title);
  return out;
}"""


def english_words(text: str, data: list[str]) -> list[str]:
    for value in data:  # what the test itself wrote (names), not the panel's strings
        text = text.replace(value, " ")
    return [w for w in re.findall(r"[A-Za-z]+", IDENTIFIER.sub(" ", text)) if w not in ALLOWED]


def untranslated(page: Page, data: list[str]) -> list[str]:
    return [text for text in page.evaluate(VISIBLE_TEXT) if english_words(text, data)]


def strings(lang: str) -> set[str]:
    source = (PANEL / "i18n.js").read_text()
    block = re.search(rf"^  {lang}: \{{\n(.*?)^  \}},", source, re.S | re.M)
    assert block, f"no {lang} block in i18n.js"
    return set(re.findall(r"(?:^|[\s,{])([a-z][a-z0-9_]*): [\"`]", block.group(1), re.M))


def used_keys() -> set[str]:
    html = (PANEL / "index.html").read_text()
    keys = set(re.findall(r'data-i18n(?:-ph|-title)?="([a-z0-9_]+)"', html))
    for js in PANEL.glob("*.js"):
        src = js.read_text()
        keys |= set(re.findall(r'\bt\("([a-z0-9_]+)"\)', src))
        keys |= set(re.findall(r'"data-i18n(?:-ph|-title)?": "([a-z0-9_]+)"', src))
    return keys


def test_the_english_word_check_finds_english_and_passes_names_units_and_ids() -> None:
    assert english_words("Delete", []) == ["Delete"]
    assert english_words("帧率 fps 30 · 导出 CSV · lamp-2 · 19:00 Asia/Shanghai · http://x.test/v1", []) == []
    assert english_words("茶室 · reply", ["茶室"]) == ["reply"]


def test_every_string_key_the_panel_uses_exists_in_english_and_in_chinese() -> None:
    en, zh = strings("en"), strings("zh")
    assert en == zh, {"only in en": sorted(en - zh), "only in zh": sorted(zh - en)}
    used = used_keys()
    assert len(used) > 50  # the scan reads the page and its scripts
    assert sorted(used - en) == []


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with LiveServer(tmp_path) as s:
        yield s


@pytest.fixture
def page(server: LiveServer) -> Iterator[Page]:
    with panel_page(viewport={"width": 1360, "height": 1400}, locale="zh-CN", timezone_id="Asia/Shanghai") as pg:
        yield pg


def test_the_whole_panel_in_chinese_shows_no_english_words(page: Page, server: LiveServer) -> None:
    sid = server.create_stream("茶室", brief=BRIEF_ZH, voice="espeak:cmn")
    assert server.client.post(f"/api/streams/{sid}/schedules", json={
        "kind": "weekly", "start": "20:00", "end": "23:00", "tz": "Asia/Shanghai", "days": [0, 4],
        "products": ["tea-1"]}).status_code == 201
    data = ["茶室", server.client.get("/api/me").json()["name"]]
    found: dict[str, list[str]] = {}

    page.goto(f"{server.url}/panel/")
    found["login"] = untranslated(page, data)
    page.fill("#token", "st_wrong")
    page.click("#login-form button")
    expect(page.locator("#login-error")).to_have_text("令牌无效。")
    found["login refused"] = untranslated(page, data)

    page.fill("#token", ADMIN)
    page.click("#login-form button")
    expect(page.locator("#ws-state")).to_have_class("badge ok", timeout=10_000)
    expect(page.locator("#schedule-rows tr")).to_have_count(1)
    page.click("#runs summary")
    page.click("#new-stream summary")
    found["stopped room, settings form, schedules"] = untranslated(page, data)
    page.click("#schedule-rows button.edit")
    found["schedule being edited"] = untranslated(page, data)
    page.click("#schedule-rows button.cancel")
    page.click("#new-stream summary")

    page.click("#btn-start")
    expect(page.locator("#stream-state")).to_have_text("直播中", timeout=60_000)
    page.fill("#comment-user", "小王")
    page.fill("#comment-text", "这个茶多少钱？")
    page.click("#comment-form button")
    expect(page.locator("#feed li").first).to_have_attribute("data-action", "reply", timeout=20_000)
    expect(page.locator("#captions li")).not_to_have_count(0, timeout=20_000)
    expect(page.locator("#health-stats dd[data-key=fps_now]")).not_to_have_text("-", timeout=10_000)
    page.wait_for_function("() => Number(document.querySelector('#health-chart').dataset.points) >= 2")
    found["live room: preview, captions, comments, health"] = untranslated(page, data + ["小王"])

    page.click("#btn-stop")
    expect(page.locator("#stream-state")).to_have_text("已停播", timeout=20_000)
    expect(page.locator("#run-rows tr")).to_have_count(1)
    found["stopped again, run history"] = untranslated(page, data + ["小王"])

    assert {view: texts for view, texts in found.items() if texts} == {}
