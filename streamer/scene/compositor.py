"""The compositor: the scene's render stage. Ahead of air time it prepares the host for the audio about to play
(``prepare``, in batches: scene/window.py); then one FrameState in, one RGB video frame out (``render``).

Layers, back to front: studio background and desk, product card (both cached as one static frame per product),
host (blended into the frame, clipped at the desk), caption page (rendered once per page), AI label (every frame,
last, so nothing can cover it). Per frame the work is a copy of the cached static frame plus small blends.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ..avatar import Blinker, GesturePlayer, HostPose, idle, load_host, read_manifest, resolve
from ..avatar.blend import Sprite, from_premul, over, premultiply
from ..brief import Brief, Product
from ..errors import ConfigError
from ..tts.base import SAMPLE_RATE
from .background import paint_background
from .captions import Captions, duration_s, utterance_key
from .card import render_card
from .layout import load_scene
from .state import FrameState, Upcoming
from .text import draw_text, find_font, font
from .window import RenderWindow

STATIC_CACHE = 4  # products whose static frame is kept (one frame each: 2.7 MB at 720p, 6 MB at 1080p)


class SceneRenderer:
    """``render(state)`` returns an (H, W, 3) uint8 RGB frame, C-contiguous. Called from one worker thread,
    frame indices increasing by one; ``await prepare(upcoming)`` before each frame readies the host for the
    window ahead (a frame rendered without it is drawn as it falls due)."""

    def __init__(self, brief: Brief, size: tuple[int, int] = (1280, 720), fps: int = 30,
                 avatar: str | None = None, scene: str | Path | None = None, seed: int = 0,
                 live: bool = True) -> None:
        w, h = size
        if w < 64 or h < 64 or w % 2 or h % 2:
            raise ConfigError(f"frame size {w}x{h}: both sides must be even and at least 64 (H.264 needs even sizes)")
        self.brief = brief
        self.width, self.height = w, h
        self.fps = fps
        self.scene = load_scene(scene)
        self.layout = self.scene.layout(w, h)
        find_font(self.scene.font)  # fail now, with the install hint, not on the first caption
        lay = self.layout
        place = lay.host
        self._host_kind = read_manifest(resolve(avatar)).kind
        if lay.photo_host is not None and self._host_kind in ("photo", "neural"):  # a picture of a real person
            place = lay.photo_host
        self.host = load_host(avatar, int(round(place.height * h)), fps, live)  # live: frames go out on the clock
        self._host_xy = (int(round(place.x * w - self.host.anchor[0])),
                         int(round(place.bottom * h - self.host.anchor[1])))
        self._desk_top = int(round(lay.desk.top * h)) if lay.desk else None
        self._background = paint_background(self.scene, lay, w, h)
        self._static: dict[str, np.ndarray] = {}
        self._last_product: Product | None = None
        self._last_key = ""
        self._captions = Captions(self.scene, lay.captions, w, h)
        self._label = self._label_sprite()
        self._seed = seed
        self._blinker = Blinker(self.host.motion.blink_interval_s, seed)
        self._gestures = GesturePlayer(self.host.gestures)
        self._speaking: tuple[float, int] | None = None
        self._window = RenderWindow(self.host, fps, SAMPLE_RATE)
        for product in brief.products[:STATIC_CACHE]:  # card renders take tens of ms: not in the middle of a show
            self._static_for(product)

    # -- static layers ------------------------------------------------------------------------------------------
    def _static_for(self, product: Product | None) -> np.ndarray:
        if product is not None and product is self._last_product:
            key = self._last_key
        else:  # keyed by content, so an edited price or stock gets a fresh card
            key = "" if product is None else product.model_dump_json()
            self._last_product, self._last_key = product, key
        frame = self._static.get(key)
        if frame is None:
            frame = self._background.copy()
            self._draw_title(frame)
            if product is not None:
                b = self.layout.card
                x, y, cw, ch = int(b.x * self.width), int(b.y * self.height), int(b.w * self.width), int(b.h * self.height)
                card = render_card(product, self.scene, self.brief.language, cw, ch)
                over(frame, from_premul(premultiply(card)), x, y)
            if len(self._static) >= STATIC_CACHE:
                self._static.pop(next(iter(self._static)))
            self._static[key] = frame
        return frame

    def _draw_title(self, frame: np.ndarray) -> None:
        t = self.layout.title
        name = self.brief.room.host_name
        if t is None or not name:
            return
        text = f"{name}的直播间" if self.brief.language == "zh" else f"Live with {name}"
        f = font(int(t.size * self.height), True, self.scene.font)
        im = Image.new("RGBA", (int(f.getlength(text) + f.size * 2), int(f.size * 1.6)), (0, 0, 0, 0))
        ImageDraw.Draw(im).ellipse((f.size * 0.3, f.size * 0.55, f.size * 0.8, f.size * 1.05), fill=(255, 77, 94))
        draw_text(im, (f.size * 1.1, f.size * 0.18), text, f, self.scene.color("text", "#2B2326"))
        over(frame, from_premul(premultiply(np.asarray(im))), int(t.x * self.width), int(t.y * self.height))

    def _label_sprite(self) -> tuple[Sprite, int, int]:
        """The AI-content label (platform rules and China's labelling rules): a dark pill with white text."""
        lab = self.layout.label
        text = self.scene.labels.get(self.brief.language) or self.scene.labels.get("en") or "AI-generated"
        f = font(int(lab.size * self.height), True, self.scene.font)
        pw, ph = int(f.getlength(text) + f.size * 1.2), int(f.size * 1.6)
        im = Image.new("RGBA", (pw, ph), (0, 0, 0, 0))
        ImageDraw.Draw(im).rounded_rectangle((0, 0, pw - 1, ph - 1), ph // 2,
                                             fill=self.scene.color("label_bg", "#00000099"))
        draw_text(im, (f.size * 0.6, (ph - f.size) / 2 - f.size * 0.12), text, f,
                  self.scene.color("label_text", "#FFFFFF"))
        return from_premul(premultiply(np.asarray(im))), int(lab.x * self.width), int(lab.y * self.height)

    # -- per frame ----------------------------------------------------------------------------------------------
    def pose(self, state: FrameState) -> HostPose:
        """The host's pose for this frame: mouth from the utterance's lip track (prepared ahead by the window),
        blinks, breathing, gestures."""
        sp, t = state.speaking, state.t
        if sp is not None:
            key = utterance_key(sp)
            if key != self._speaking:
                self._speaking = key
                self._gestures.cue(sp.cue, sp.start_s, sp.start_s + duration_s(sp))
        else:
            self._speaking = None
        mouth, level = self._window.mouth(state)
        return HostPose(mouth, self._blinker.eyes(t), idle(self.host.motion, t, self._seed, level),
                        self._gestures.frame(t), state.index, t, sp)

    def mouth_box(self) -> tuple[int, int, int, int]:
        """(x, y, w, h) in frame pixels around the host's mouth, with room for head sway: where lip-sync checks look."""
        mx, my, mw, mh = self.host.mouth_rect
        pad = max(2, int(0.15 * max(mw, mh)))
        return self._host_xy[0] + mx - pad, self._host_xy[1] + my - pad, mw + 2 * pad, mh + 2 * pad

    async def prepare(self, upcoming: Upcoming) -> None:
        """Prepare the host for the window ahead of ``upcoming.frame``, in one batch in a worker thread, when it
        needs it (scene/window.py); most frames it needs nothing and this returns at once."""
        window = self._window.due(upcoming)
        if window is not None:
            await asyncio.to_thread(self._window.prepare, window)

    def render(self, state: FrameState) -> np.ndarray:
        frame = self._static_for(state.product).copy()
        x, y = self._host_xy
        self.host.draw(frame, x, y, self.pose(state), self._desk_top)
        page = self._captions.page_at(state.speaking, state.t)
        if page is not None:
            over(frame, page.sprite, page.x, page.y)
        label, lx, ly = self._label
        over(frame, label, lx, ly)
        return frame

    def health(self) -> dict[str, object]:
        """What paints the host: a neural host's own figures (model, device, starved frames, fallback), else its
        kind."""
        health = getattr(self.host, "health", None)
        return health() if callable(health) else {"renderer": self._host_kind}

    def close(self) -> None:
        self._static.clear()
        self._speaking = None
        close = getattr(self.host, "close", None)
        if callable(close):
            close()
