"""The scene: frame format, AI label on every frame, captions while the sentence plays, card follows the product."""

from __future__ import annotations

import numpy as np
import pytest

from streamer.brief import load_brief
from streamer.errors import ConfigError
from streamer.scene import FrameState, SceneRenderer, Speaking
from streamer.scene import text as scene_text
from streamer.tts.base import SAMPLE_RATE, Mark

FPS = 30
SIZE = (640, 360)


@pytest.fixture(scope="module")
def brief():
    return load_brief("assets/briefs/demo_zh.yaml")


@pytest.fixture(scope="module")
def renderer(brief):
    return SceneRenderer(brief, SIZE, FPS)


def tone(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (0.3 * np.sin(2 * np.pi * 200 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)


def region(frame: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x, y, w, h = box
    return frame[y:y + h, x:x + w]


def caption_box(r: SceneRenderer) -> tuple[int, int, int, int]:
    return r._captions.box


def label_box(r: SceneRenderer) -> tuple[int, int, int, int]:
    sprite, x, y = r._label
    return x, y, sprite.w, sprite.h


def card_box(r: SceneRenderer) -> tuple[int, int, int, int]:
    c = r.layout.card
    return int(c.x * r.width), int(c.y * r.height), int(c.w * r.width), int(c.h * r.height)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_frames_are_rgb_uint8_of_the_requested_size(brief, size) -> None:
    f = SceneRenderer(brief, size, FPS).render(FrameState(0, 0.0, None, brief.products[0]))
    assert f.shape == (size[1], size[0], 3) and f.dtype == np.uint8 and f.flags["C_CONTIGUOUS"]


def test_ai_label_is_identical_on_every_frame_whatever_else_happens(brief, renderer) -> None:
    sp = Speaking("大家好，欢迎来到直播间", 0.2, tone(1.5), (), "present")
    frames = [renderer.render(FrameState(k, k / FPS, sp if 0.2 <= k / FPS < 1.7 else None,
                                         brief.products[k // 30 % 2])) for k in range(75)]
    box = label_box(renderer)
    first = region(frames[0], box)
    assert all(np.array_equal(region(f, box), first) for f in frames)
    bare = region(renderer._background, box)
    assert np.abs(first.astype(int) - bare).mean() > 20, "the label is not visible over the background"


def test_caption_shows_exactly_while_the_sentence_plays(brief, renderer) -> None:
    start, seconds = 0.5 + 100 / SAMPLE_RATE, 1.2
    sp = Speaking("这款保温杯今天特价", start, tone(seconds), ())
    box = caption_box(renderer)
    empty = region(renderer.render(FrameState(0, 0.0, None, brief.products[0])), box).copy()
    for k in range(60):
        t = k / FPS
        frame = renderer.render(FrameState(k, t, sp, brief.products[0]))
        shown = not np.array_equal(region(frame, box), empty)
        assert shown == (start <= t < start + seconds), f"caption wrong at t={t:.3f}"


def test_long_sentence_pages_at_the_word_that_starts_each_page(brief) -> None:
    r = SceneRenderer(brief, SIZE, FPS)
    words = ("This bottle keeps drinks cold for a whole day and hot for twelve hours so you can take it "
             "hiking camping to the office and on every long drive this summer without a refill").split()
    marks = tuple(Mark(0.25 * i, 0.25 * i + 0.2, w, "word") for i, w in enumerate(words))
    sp = Speaking(" ".join(words), 0.0, tone(0.25 * len(words)), marks)
    pages = r._captions.pages(sp)
    assert len(pages) >= 2
    first_word_of_page2 = pages[1].text.split()[0]
    assert pages[1].start_s == pytest.approx(0.25 * words.index(first_word_of_page2))
    assert r._captions.page_at(sp, pages[1].start_s - 0.01) is pages[0]
    assert r._captions.page_at(sp, pages[1].start_s + 0.01) is pages[1]


def test_product_card_follows_the_current_product(brief, renderer) -> None:
    box = card_box(renderer)
    cup = [region(renderer.render(FrameState(k, k / FPS, None, brief.products[0])), box).copy() for k in (0, 1)]
    towel = region(renderer.render(FrameState(2, 2 / FPS, None, brief.products[1])), box)
    # the host may reach over the card, so compare the card's right half, which the hand never reaches
    half = slice(box[2] // 2, None)
    assert np.array_equal(cup[0][:, half], cup[1][:, half])
    assert not np.array_equal(cup[0][:, half], towel[:, half])


def test_no_product_means_no_card(brief, renderer) -> None:
    f = renderer.render(FrameState(0, 0.0, None, None))
    box = card_box(renderer)
    assert np.array_equal(region(f, box)[:, box[2] // 2:], region(renderer._background, box)[:, box[2] // 2:])


def test_unknown_avatar_fails_at_construction_naming_it(brief) -> None:
    with pytest.raises(ConfigError, match="no-such-host"):
        SceneRenderer(brief, SIZE, FPS, avatar="no-such-host")


def test_odd_frame_size_is_refused(brief) -> None:
    with pytest.raises(ConfigError, match="even"):
        SceneRenderer(brief, (641, 360), FPS)


def test_missing_cjk_font_is_a_clear_error(brief, monkeypatch) -> None:
    monkeypatch.setattr(scene_text, "_CANDIDATES", ())
    monkeypatch.setattr(scene_text.glob, "glob", lambda *a, **k: [])
    monkeypatch.setattr(scene_text, "_fc_match", lambda: [])
    monkeypatch.delenv(scene_text.FONT_ENV, raising=False)
    scene_text.find_font.cache_clear()
    try:
        with pytest.raises(ConfigError, match="fonts-noto-cjk"):
            SceneRenderer(brief, SIZE, FPS)
    finally:
        scene_text.find_font.cache_clear()


def test_a_configured_font_that_does_not_exist_is_refused(brief, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(scene_text.FONT_ENV, str(tmp_path / "missing.ttf"))
    scene_text.find_font.cache_clear()
    try:
        with pytest.raises(ConfigError, match="does not exist"):
            SceneRenderer(brief, SIZE, FPS)
    finally:
        scene_text.find_font.cache_clear()


def test_portrait_frames_use_the_portrait_layout(brief) -> None:
    r = SceneRenderer(brief, (360, 640), FPS)
    assert r.layout is r.scene.layouts["portrait"]
    assert r.render(FrameState(0, 0.0, None, brief.products[0])).shape == (640, 360, 3)
