"""The one place a live session is assembled from its settings: `streamer run`, the served worker and `streamer reply`
all come through here, so they share defaults and the same responder.

    settings = SessionSettings(outputs=["out.mp4"], llm=LLMConfig.from_env())
    assembly = assemble(brief, settings, on_event=print)
    await assembly.run()                # the session, the replies task answering comments, the comment sources
    assembly.replies.offer(ref, {...})  # viewer comments from the API and /ws
    assembly.comment_sources_health()   # the platforms' chats (``comments``): connected, messages per minute...
    await assembly.update_brief(new)    # new prices, stock or promotions, said and shown from the next sentence

What is built: the script (planner), the voice (TTS), the scene renderer with its avatar, the outputs, the encoder
settings, the responder (offline, or an LLM responder with its circuit breaker when ``llm`` configures a backend:
`build_responder`), the `CommentHandler` that takes comments to replies on air, and the `CommentIntake` that runs
the platform chats ``comments`` names (task "session:comments"; a broken source never stops the stream).

The script knows the clock (``start``: lines for the time of day) and the room: the `CommentHandler` tells the
planner who joined, who sent gifts and what was asked (`RoomPulse`), and the next product block reacts. With a
remote model (``llm`` backend "openai") the planner is a `WriterPlanner`: a background task of the assembly
("session:writer") writes fresh blocks ahead, each validated and checked again when said, with templates whenever
none is ready, so the show never waits for the model. Each block written is an event (``block_written``) and
``blocks`` hands earlier ones back (a served stream keeps them in its database). A local model (transformers)
writes no blocks: it serves one request at a time, and replies must not queue behind a block.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .avatar.match import HostMatch, match_host
from .brief import Brief
from .comments.intake import CommentIntake
from .errors import ConfigError, StreamerError
from .llm import ChatModel, LLMConfig, create_chat
from .llm.breaker import CircuitBreaker
from .media.encoder import VideoSettings
from .media.outputs import open_output
from .planner import Show, TemplatePlanner, WriterPlanner
from .planner.writer import WrittenBlock
from .replies import CommentHandler
from .responder import Responder
from .responder.llm import LLMResponder
from .scene import SceneRenderer
from .session import Event, FrameTap, Session, SessionStats
from .tts import TTS, FallbackTTS, create_tts

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
    start: datetime | None = Field(default=None, description="the show's clock time at its start, for lines about "
                                   "the time of day; None: none (file renders stay the same every time)")
    on_air_at: float | None = Field(default=None, description="wall-clock time (epoch seconds) of the first frame: "
                                    "a live session gets ready, then holds until then; None: on air when ready")
    comments: list[str] = Field(default_factory=list, description="comment source URLs (irc://, twitch://, "
                                "youtube://, bridge+ws://, file://...: streamer/comments/intake.py)")

    @model_validator(mode="after")
    def _even_size(self) -> SessionSettings:
        if self.width % 2 or self.height % 2:
            raise ValueError("width and height must be even")
        return self

    def video(self) -> VideoSettings:
        bitrate = self.bitrate or default_bitrate(self.width, self.height)
        return VideoSettings(self.width, self.height, self.fps, bitrate, self.preset, self.encoder_threads)


def _chat(llm: LLMConfig) -> ChatModel | None:
    """The model ``llm`` names, or None. A bad LLM setting is logged, not fatal: the brief is enough to go on."""
    try:
        return create_chat(llm)
    except (StreamerError, ValueError) as e:
        log.error("LLM not available (%s); answering and planning from the brief offline", e)
        return None


def build_responder(brief: Brief, llm: LLMConfig, *, seed: int = 0,
                    product_id: str | None = None) -> Responder | LLMResponder:
    """The offline responder, or an LLM responder over it (with its circuit breaker) when ``llm`` names a backend.

    A bad LLM setting is logged, not fatal: replies then come from the brief offline."""
    return _responder(brief, llm, _chat(llm), seed, product_id)


def _responder(brief: Brief, llm: LLMConfig, chat: ChatModel | None, seed: int,
               product_id: str | None) -> Responder | LLMResponder:
    offline = Responder(brief, seed=seed, product_id=product_id)
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
    intake: CommentIntake | None = None
    host: HostMatch | None = None  # the host pack and the voice, and any mismatch between them (warnings)

    async def run(self) -> SessionStats:
        """Run the session to its end, answering comments meanwhile (and writing blocks ahead, with a model)."""
        tasks = [asyncio.create_task(self.replies.run(), name="session:replies")]
        if self.intake is not None and len(self.intake):
            tasks.append(asyncio.create_task(self.intake.run(), name="session:comments"))
        planner = self.script.planner
        if isinstance(planner, WriterPlanner):
            tasks.append(asyncio.create_task(planner.write_ahead(), name="session:writer"))
        try:
            return await self.session.run()
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def check_line(self, text: str) -> list[str]:
        """Why an operator line must not be said (the reply guard, for the product on screen); empty: it may."""
        offline = self.responder.offline if isinstance(self.responder, LLMResponder) else self.responder
        return offline.guard.problems(text, offline.current.id if offline.current else None)

    async def update_brief(self, brief: Brief) -> None:
        """Go on with ``brief``'s selling facts (prices, stock, promotions: the same products) from the next
        sentence: the sentence on air finishes; queued script sentences are dropped and the script goes on from
        the planner following the new brief, carrying on the loop at the product on screen (planned again from
        the new facts; unless it is now sold out and others are on sale: the planner then leaves it out); queued replies the new facts no longer
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
        # the show carries on the loop it was in, at the product on screen; only without one does it seek
        self.script = Show(self.script.planner, carry_on=on_screen.id if on_screen else None)
        seek = None if self.script.carried_on else seek
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

    def comment_sources_health(self) -> list[dict[str, object]]:
        """Per comment source: connected, messages per minute, totals, last error (`CommentIntake.health`)."""
        return self.intake.health() if self.intake is not None else []

    def host_health(self) -> dict[str, object]:
        """The host on screen, its voice, and warnings where they do not fit (`streamer.avatar.match`)."""
        return self.host.health() if self.host is not None else {}

    def llm_health(self) -> dict[str, object]:
        if isinstance(self.responder, LLMResponder):
            return self.responder.health()
        return {"backend": "none"}


def assemble(brief: Brief, settings: SessionSettings, *, on_event: Callable[[Event], None] | None = None,
             taps: Sequence[FrameTap] = (), blocks: Sequence[WrittenBlock] = ()) -> Assembly:
    """Build the session ``settings`` describe. ``on_event`` gets every session, comment, reply and written block
    event; ``blocks``: blocks a model wrote for this stream before (said first, when they fit today's facts).

    Raises `StreamerError` (unknown voice or avatar, unopenable output, unknown product)."""
    if settings.product_id is not None and settings.product_id not in {p.id for p in brief.products}:
        raise ConfigError(f"unknown product {settings.product_id!r}; the brief has "
                          f"{', '.join(p.id for p in brief.products)}")
    replies: CommentHandler | None = None

    def offer(ref: str, payload: dict[str, Any]) -> None:
        assert replies is not None  # comments flow only once the assembly runs
        replies.offer(ref, payload)

    intake = CommentIntake.from_urls(settings.comments, offer)  # a bad URL fails here, before an output opens
    tts = create_tts(settings.voice, brief.language)
    outputs = [open_output(url) for url in settings.outputs]  # nothing connects before the session starts
    live = settings.realtime or any(o.live for o in outputs)
    if live:  # a recording beside a live stream never holds up a frame: on a slow disk it drops, with a gap
        for o in outputs:
            o.keep_pace()
    # a live host never waits for a neural face; a file render waits (it has no audience, and stays deterministic)
    renderer = SceneRenderer(brief, (settings.width, settings.height), settings.fps, avatar=settings.avatar,
                             live=live)
    host = _check_host(settings.avatar, settings.voice, tts, brief.language)
    chat = _chat(settings.llm)
    responder = _responder(brief, settings.llm, chat, settings.seed, settings.product_id)

    def event(e: Event) -> None:
        if replies is not None:
            replies.on_event(e)
        if on_event is not None:
            on_event(e)

    def emit(e: dict[str, Any]) -> None:
        if on_event is not None:
            on_event(e)

    planner: TemplatePlanner
    if chat is not None and settings.llm.backend == "openai":
        planner = WriterPlanner(brief, chat, settings.seed, start=settings.start,
                                temperature=settings.llm.temperature, max_tokens=settings.llm.max_tokens,
                                on_written=lambda b: emit({"type": "block_written", **b.model_dump(mode="json")}))
        if blocks:
            log.info("%d of %d stored block(s) fit today's facts", planner.preload(blocks), len(blocks))
    else:
        planner = TemplatePlanner(brief, settings.seed, start=settings.start)
    script = Show(planner)
    session = Session(brief, script, tts, renderer, outputs, settings.video(),
                      realtime=live, duration_s=settings.duration_s,
                      on_event=event, taps=list(taps), on_air_at=settings.on_air_at)
    replies = CommentHandler(brief, lambda text: session.say(text, source="reply"), emit, responder,
                             observe=planner.observe)
    if settings.product_id is not None:
        session.switch_product(settings.product_id)
    replies.on_event({"type": "product", "product_id": session.health()["product_id"]})
    return Assembly(session, responder, replies, script, settings.seed, intake, host)


def _check_host(avatar: str | None, voice: str | None, tts: TTS, language: str) -> HostMatch:
    """Warn (never fail) when the host's face and the voice that speaks first do not fit each other or the brief.
    Only a host or voice the user chose is judged: the defaults' pairing (English: a male voice, the female default
    host) is the project's to change, not a warning on every default run."""
    primary = tts.engines[0] if isinstance(tts, FallbackTTS) else tts
    host = match_host(avatar, primary.name, language)
    if avatar is None and voice is None:
        host = dataclasses.replace(host, warnings=[])
    for warning in host.warnings:
        log.warning("host and voice: %s", warning)
    return host
