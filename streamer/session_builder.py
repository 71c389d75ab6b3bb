"""The one place a live session is assembled from its settings: `streamer run`, the served worker and `streamer reply`
all come through here, so they share defaults and the same responder.

    settings = SessionSettings(outputs=["out.mp4"], llm=LLMConfig.from_env())
    assembly = assemble(brief, settings, on_event=print)
    await assembly.run()                # the session, and the replies task answering comments
    assembly.replies.offer(ref, {...})  # viewer comments (API, /ws; comment sources plug in here)
    await assembly.update_brief(new)    # new prices, stock or promotions, said and shown from the next sentence

What is built: the script (planner), the voice (TTS), the scene renderer with its avatar, the outputs, the encoder
settings, the responder (offline, or an LLM responder with its circuit breaker when ``llm`` configures a backend:
`build_responder`), and the `CommentHandler` that takes comments to replies on air.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .brief import Brief
from .errors import ConfigError, StreamerError
from .llm import LLMConfig, create_chat
from .llm.breaker import CircuitBreaker
from .media.encoder import VideoSettings
from .media.outputs import open_output
from .planner import Show, script_lines
from .replies import CommentHandler
from .responder import Responder
from .responder.llm import LLMResponder
from .scene import SceneRenderer
from .session import Event, FrameTap, Session, SessionStats
from .tts import create_tts

__all__ = ["Assembly", "SessionSettings", "assemble", "build_responder", "default_bitrate"]

log = logging.getLogger(__name__)

BITRATE_720P = 2_500_000
BITRATE_1080P = 4_500_000


def default_bitrate(width: int, height: int) -> int:
    """2.5 Mbps at 720p and 4.5 Mbps at 1080p (what live platforms ask for), other sizes by pixel count from 720p."""
    if (width, height) == (1920, 1080):
        return BITRATE_1080P
    return int(BITRATE_720P * width * height / (1280 * 720))


class SessionSettings(BaseModel):
    """Everything a session is built from, besides the brief. Defaults are the product's defaults."""

    model_config = ConfigDict(extra="forbid")
    voice: str | None = Field(default=None, description="ENGINE:VOICE; None: the brief language's default")
    avatar: str | None = Field(default=None, description="avatar pack name or directory")
    width: int = Field(default=1280, ge=64, le=3840)
    height: int = Field(default=720, ge=64, le=2160)
    fps: int = Field(default=30, ge=1, le=60)
    bitrate: int | None = Field(default=None, gt=0, description="None: default_bitrate(width, height)")
    preset: str = "veryfast"
    encoder_threads: int = Field(default=1, ge=0, description="x264 threads; 1 packs the most sessions per machine")
    seed: int = Field(default=0, ge=0, description="script and wording variation seed")
    outputs: list[str] = Field(default_factory=list, description="RTMP URLs and/or file paths")
    realtime: bool = Field(default=False, description="pace to the wall clock (always, when an output is live)")
    duration_s: float | None = Field(default=None, gt=0)
    product_id: str | None = Field(default=None, description="start on this product (a checkpoint)")
    llm: LLMConfig = Field(default_factory=LLMConfig, description="the reply model; backend none: offline only")

    @model_validator(mode="after")
    def _even_size(self) -> SessionSettings:
        if self.width % 2 or self.height % 2:
            raise ValueError("width and height must be even")
        return self

    def video(self) -> VideoSettings:
        bitrate = self.bitrate or default_bitrate(self.width, self.height)
        return VideoSettings(self.width, self.height, self.fps, bitrate, self.preset, self.encoder_threads)


def build_responder(brief: Brief, llm: LLMConfig, *, seed: int = 0,
                    product_id: str | None = None) -> Responder | LLMResponder:
    """The offline responder, or an LLM responder over it (with its circuit breaker) when ``llm`` names a backend.

    A bad LLM setting is logged, not fatal: replies then come from the brief offline."""
    offline = Responder(brief, seed=seed, product_id=product_id)
    try:
        chat = create_chat(llm)
    except (StreamerError, ValueError) as e:
        log.error("LLM responder not available (%s); answering from the brief offline", e)
        return offline
    if chat is None:
        return offline
    breaker = CircuitBreaker(failures_to_open=llm.breaker_failures, cooldown_s=llm.breaker_cooldown_s)
    return LLMResponder(brief, chat, offline=offline, breaker=breaker, label=f"{llm.backend}:{llm.model}",
                        first_sentence_timeout_s=llm.first_sentence_timeout_s)


@dataclass(eq=False)
class Assembly:
    """A built session and what answers its viewers."""

    session: Session
    responder: Responder | LLMResponder
    replies: CommentHandler
    script: Show
    seed: int = 0

    async def run(self) -> SessionStats:
        """Run the session to its end, answering comments meanwhile."""
        task = asyncio.create_task(self.replies.run(), name="session:replies")
        try:
            return await self.session.run()
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def check_line(self, text: str) -> list[str]:
        """Why an operator line must not be said (the reply guard, for the product on screen); empty: it may."""
        offline = self.responder.offline if isinstance(self.responder, LLMResponder) else self.responder
        return offline.guard.problems(text, offline.current.id if offline.current else None)

    async def update_brief(self, brief: Brief) -> None:
        """Go on with ``brief``'s selling facts (prices, stock, promotions: the same products) from the next
        sentence: the sentence on air finishes; queued script sentences are dropped and the script goes on from
        the planner following the new brief, at the product on screen (unless it is now sold out and others are
        on sale: the planner then leaves it out, and so does the script); queued replies the new facts no longer
        back are dropped; the card shows the new facts from the next frame; replies come from a responder built
        from the new brief (an LLM responder keeps its model and breaker)."""
        if [p.id for p in brief.products] != [p.id for p in self.session.brief.products]:
            raise ConfigError("update_brief changes facts, not products: the product ids must stay the same")
        offline = await asyncio.to_thread(self._prepare, brief)
        on_screen = self.session.product  # after the wait: the product may have changed meanwhile
        offline.set_current_product(on_screen.id if on_screen else None)
        seek = None
        if on_screen is not None:
            now = brief.product(on_screen.id)
            seek = now.id if now.stock != 0 or all(p.stock == 0 for p in brief.products) else None
        self.script = Show(self.script.planner)
        self.session.update_brief(brief, self.script, seek_product=seek, keep=offline.guard.ok)
        if isinstance(self.responder, LLMResponder):
            self.responder.brief, self.responder.offline = brief, offline  # streamed replies check with it
        else:
            self.responder = offline
        self.replies.update_brief(brief, self.responder)

    def _prepare(self, brief: Brief) -> Responder:
        """The slow part, off the event loop: the new facts checked once for the planner and for the replies. The
        script now playing is replaced afterwards, so lines it makes meanwhile are never said."""
        self.script.planner.update(brief)
        return Responder(brief, seed=self.seed)

    def llm_health(self) -> dict[str, object]:
        if isinstance(self.responder, LLMResponder):
            return self.responder.health()
        return {"backend": "none"}


def assemble(brief: Brief, settings: SessionSettings, *, on_event: Callable[[Event], None] | None = None,
             taps: Sequence[FrameTap] = ()) -> Assembly:
    """Build the session ``settings`` describe. ``on_event`` gets every session, comment and reply event.

    Raises `StreamerError` (unknown voice or avatar, unopenable output, unknown product)."""
    if settings.product_id is not None and settings.product_id not in {p.id for p in brief.products}:
        raise ConfigError(f"unknown product {settings.product_id!r}; the brief has "
                          f"{', '.join(p.id for p in brief.products)}")
    tts = create_tts(settings.voice, brief.language)
    renderer = SceneRenderer(brief, (settings.width, settings.height), settings.fps, avatar=settings.avatar)
    outputs = [open_output(url) for url in settings.outputs]
    responder = build_responder(brief, settings.llm, seed=settings.seed, product_id=settings.product_id)
    replies: CommentHandler | None = None

    def event(e: Event) -> None:
        if replies is not None:
            replies.on_event(e)
        if on_event is not None:
            on_event(e)

    def emit(e: dict[str, Any]) -> None:
        if on_event is not None:
            on_event(e)

    script = script_lines(brief, seed=settings.seed)
    session = Session(brief, script, tts, renderer, outputs, settings.video(),
                      realtime=settings.realtime or any(o.live for o in outputs), duration_s=settings.duration_s,
                      on_event=event, taps=list(taps))
    replies = CommentHandler(brief, lambda text: session.say(text, source="reply"), emit, responder)
    if settings.product_id is not None:
        session.switch_product(settings.product_id)
    replies.on_event({"type": "product", "product_id": session.health()["product_id"]})
    return Assembly(session, responder, replies, script, settings.seed)
