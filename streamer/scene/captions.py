"""Captions: the sentence being spoken, shown exactly while its audio plays, paged when it is too long.

A page is rendered to a sprite once; pages of a long sentence change at the word mark where the page starts (word
timings), or in proportion to its share of the characters when the engine gives no word timings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from ..avatar.blend import Sprite, from_premul, premultiply
from ..tts.base import SAMPLE_RATE
from .layout import CaptionPlace, Scene
from .state import Speaking
from .text import FontT, draw_text, font, wrap


@dataclass(frozen=True, slots=True)
class Page:
    text: str  # the lines of the page joined by newlines
    start_s: float  # relative to the utterance start
    sprite: Sprite
    x: int
    y: int


def utterance_key(sp: Speaking) -> tuple[float, int]:
    """Identifies an utterance even if the session wraps it in a new Speaking object every frame."""
    return sp.start_s, id(sp.pcm)


def duration_s(sp: Speaking) -> float:
    return int(np.asarray(sp.pcm).size) / SAMPLE_RATE


def visible(sp: Speaking | None, t: float) -> bool:
    """A caption is on screen from the utterance's first sample to its last."""
    return sp is not None and sp.start_s <= t < sp.start_s + duration_s(sp)


class Captions:
    """Pages for the current utterance, built when it first appears and kept while it plays."""

    def __init__(self, scene: Scene, place: CaptionPlace, width: int, height: int) -> None:
        self.scene = scene
        self.box = (int(place.x * width), int(place.y * height), int(place.w * width), int(place.h * height))
        self.px = max(10, int(place.size * height))
        self.lines = place.lines
        self._for: tuple[float, int] | None = None
        self._pages: list[Page] = []

    def pages(self, sp: Speaking) -> list[Page]:
        if utterance_key(sp) != self._for:
            self._for = utterance_key(sp)
            self._pages = self._build(sp)
        return self._pages

    def page_at(self, sp: Speaking | None, t: float) -> Page | None:
        if sp is None or not visible(sp, t):
            return None
        pages = self.pages(sp)
        rel = t - sp.start_s
        current = None
        for p in pages:
            if p.start_s <= rel:
                current = p
        return current

    def _build(self, sp: Speaking) -> list[Page]:
        x, y, w, h = self.box
        pad = int(self.px * 0.6)
        f = font(self.px, True, self.scene.font)
        lines = wrap(sp.text.strip(), f, w - 2 * pad) or [""]
        groups = [lines[i:i + self.lines] for i in range(0, len(lines), self.lines)]
        starts = _page_starts(sp, ["".join(g) for g in groups])
        return [self._render("\n".join(g), s, f, x, y, w, h, pad) for g, s in zip(groups, starts, strict=True)]

    def _render(self, text: str, start: float, f: FontT, x: int, y: int, w: int, h: int, pad: int) -> Page:
        lines = text.split("\n")
        line_h = int(f.size * 1.3)
        box_h = max(h, line_h * len(lines) + pad)
        widest = max(f.getlength(s) for s in lines)
        box_w = int(min(w, widest + 2 * pad))
        im = Image.new("RGBA", (box_w, box_h), (0, 0, 0, 0))
        ImageDraw.Draw(im).rounded_rectangle((0, 0, box_w - 1, box_h - 1), int(f.size * 0.5),
                                             fill=self.scene.color("caption_bg", "#1E1A1CC8"))
        ty = (box_h - line_h * len(lines)) / 2 + (line_h - f.size) * 0.2
        for s in lines:
            draw_text(im, ((box_w - f.getlength(s)) / 2, ty), s, f, self.scene.color("caption_text", "#FFFFFF"),
                      shadow=True)
            ty += line_h
        rgba = np.asarray(im, np.uint8)
        # centred in the caption band, growing upward if a page needs more lines than the band holds
        return Page(text, start, from_premul(premultiply(rgba)), x + (w - box_w) // 2, y + h - box_h)


def _page_starts(sp: Speaking, pages: list[str]) -> list[float]:
    """When each page takes over, in seconds from the utterance start."""
    if len(pages) == 1:
        return [0.0]
    dur = duration_s(sp)
    words = [m for m in sp.marks if m.kind == "word"]
    counts = np.cumsum([0] + [len(p.replace(" ", "")) for p in pages])
    total = max(int(counts[-1]), 1)
    if words:
        # walk the word marks along the text: the page whose first character a word covers starts with that word
        starts, seen = [0.0], 0
        page = 1
        for wd in sorted(words, key=lambda m: m.start_s):
            if page < len(pages) and seen >= counts[page]:
                starts.append(wd.start_s)
                page += 1
            seen += len(wd.symbol.replace(" ", ""))
        while len(starts) < len(pages):
            starts.append(dur * counts[len(starts)] / total)
        return starts
    return [dur * float(c) / total for c in counts[:-1]]
