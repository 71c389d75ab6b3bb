"""Comment -> triage -> responder -> reply on air: the one place that wires viewer comments into a session.

``streamer.comments.Triage`` filters, rate-limits, de-duplicates and orders comments; the responder (offline
``Responder`` or ``LLMResponder``, from ``streamer.session_builder``) decides and words the answer. An LLM reply is
handed to the session sentence by sentence, each one as soon as it passed the guard, so the first sentence is being
voiced while the model still writes. At most one reply waits behind the one on air: the next comment is taken from
triage when the last reply's own first piece has started playing (or was dropped, or after ``REPLY_WAIT_S``; an
event of an earlier reply does not count, or replies would pile up in the speech queue in a flood), so triage's
ordering, not arrival order, still decides who is answered. The offline responder runs off the event loop.

The room also feeds the script: ``observe`` (the planner's) hears of every viewer who joins, every gift and every
question that got past the filters (``RoomPulse``), so the next product block welcomes, thanks and answers.

Every comment gets exactly one ``decision`` event, carrying the ``ref`` its ``comment`` event had; for a streamed
reply it comes when the reply is complete, with ``latency_ms`` measured to the first sentence handed to the voice.
A question triage's bound pushes out of the queue, or drops for its age, gets ``ignore`` with reason
``queue_full`` or ``expired``: nothing about a comment is kept once it has its decision, so a flood leaves no trace.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from .brief import Brief
from .comments import Comment, CommentKind, Intent, ThankYou, Triage, Triaged, Verdict, parse_payload
from .comments.triage import BUYING_INTENTS
from .planner.room import RoomPulse
from .responder import Decision, Responder
from .responder.llm import LLMResponder

__all__ = ["REPLY_WAIT_S", "CommentHandler"]

log = logging.getLogger(__name__)

REPLY_WAIT_S = 30.0  # a reply not on air by then (TTS down) no longer holds the next one back
ROOM_QUESTIONS = BUYING_INTENTS | {Intent.AFTER_SALES}  # what the script may bring an FAQ forward for


class CommentHandler:
    def __init__(self, brief: Brief, say: Callable[[str], object], emit: Callable[[dict[str, Any]], None],
                 responder: Responder | LLMResponder | None = None, *,
                 observe: Callable[[RoomPulse], None] | None = None) -> None:
        self.brief = brief
        self._observe = observe
        self.triage = Triage(brief)
        self.responder = responder or Responder(brief)
        self._say = say
        self._emit = emit
        self._wake = asyncio.Event()
        self._reply_done = asyncio.Event()
        self._awaited: str | None = None  # the text of the last reply's first piece (None: any reply's events)
        self._offered: dict[str, float] = {}  # ref -> when it arrived, for latency
        self._thanks_refs: list[str] = []
        self._interrupts = 0
        self.last_latency_ms: float | None = None

    @property
    def pending(self) -> int:
        return len(self.triage.queue)

    def offer(self, ref: str, payload: dict[str, Any]) -> None:
        """Take one comment command (text, user, platform, kind, gift, count), already validated by the API."""
        fields = ("text", "user", "platform", "kind", "gift", "count")
        comment = parse_payload({**{k: payload[k] for k in fields if k in payload}, "id": ref})
        self._emit({"type": "comment", "ref": ref, "user": comment.user, "text": comment.text,
                    "platform": comment.platform, "kind": str(comment.kind),
                    **({"gift": comment.gift, "count": comment.count} if comment.gift else {})})
        verdict = self.triage.offer(comment)
        if verdict.evicted is not None:
            self._gone(verdict.evicted, "queue_full")
        if self._observe is not None:
            pulse = room_pulse(comment, verdict)
            if pulse:
                self._observe(pulse)
        if verdict.outcome in ("blocked", "dropped"):
            self._decided(ref, str(verdict.intent), "block" if verdict.outcome == "blocked" else "ignore", "",
                          verdict.reason, time.monotonic())
            return
        self._offered[ref] = time.monotonic()
        if verdict.outcome == "thanks":
            self._thanks_refs.append(ref)
        self._wake.set()

    def update_brief(self, brief: Brief, responder: Responder | LLMResponder) -> None:
        """New facts (the same products): the next reply is decided and worded by ``responder``; comments waiting
        in triage stay there."""
        self.brief, self.responder = brief, responder

    def interrupt(self) -> None:
        """The operator silenced the host: a reply still streaming from the model stops (its call is cancelled)."""
        self._interrupts += 1

    def on_event(self, event: dict[str, Any]) -> None:
        """Session events: the product on screen (questions that name none are about it), replies said."""
        if event["type"] == "product":
            try:
                self.responder.set_current_product(event.get("product_id"))
            except KeyError:
                log.warning("responder does not know product %r", event.get("product_id"))
        elif (event["type"] in ("speech_start", "speech_end") and event.get("source") == "reply") \
                or event["type"] == "speech_dropped":
            # the awaited piece started or was flushed; its text alone (a speech_end of the same text belongs to
            # an earlier reply that said the same, e.g. a welcome)
            if self._awaited is None or (event.get("text") == self._awaited and event["type"] != "speech_end"):
                self._reply_done.set()  # on air, cut short or flushed by an interrupt: the next answer may come

    async def run(self) -> None:
        while True:
            item = self.triage.next()
            for old in self.triage.queue.take_expired():
                self._gone(old, "expired")
            if item is None:
                self._wake.clear()
                await self._wake.wait()
                continue
            refs = self._refs(item)
            t0 = min((self._offered.pop(r, time.monotonic()) for r in refs), default=time.monotonic())
            try:
                if isinstance(item, Triaged) and isinstance(self.responder, LLMResponder):
                    said = await self._stream_reply(item, refs, t0)
                else:
                    said = await self._whole_reply(item, refs, t0)
            except Exception as e:  # a responder bug must not end the stream; the comment is just not answered
                log.exception("responder failed")
                for ref in refs:
                    self._decided(ref, "other", "ignore", "", f"responder error: {type(e).__name__}", t0)
                continue
            if said:
                try:
                    await asyncio.wait_for(self._reply_done.wait(), REPLY_WAIT_S)
                except TimeoutError:
                    log.warning("reply not on air after %.0f s; going on", REPLY_WAIT_S)

    async def _whole_reply(self, item: Triaged | ThankYou, refs: list[str], t0: float) -> bool:
        if isinstance(self.responder, LLMResponder):
            decision = await self.responder.answer(item)
        else:
            decision = await asyncio.to_thread(self.responder.answer, item)
        action, text = str(decision.action), decision.text or ""
        for ref in refs:
            self._decided(ref, str(decision.intent), action, text, decision.reason, t0)
        if action != "reply" or not text:
            return False
        self._reply_done.clear()
        self._awaited = _first_piece(self._say(text))
        self._emit({"type": "reply", "ref": refs[0] if refs else None, "text": text})
        return True

    async def _stream_reply(self, item: Triaged, refs: list[str], t0: float) -> bool:
        assert isinstance(self.responder, LLMResponder)
        decision: Decision = self.responder.offline.respond(item)
        if decision.action != "reply" or not decision.text:
            for ref in refs:
                self._decided(ref, str(decision.intent), str(decision.action), "", decision.reason, t0)
            return False
        self._reply_done.clear()
        self._awaited = ""  # until its first sentence is handed over, no event is this reply's
        interrupts = self._interrupts
        said: list[str] = []
        first_ms: float | None = None
        async with contextlib.aclosing(self.responder.sentences(item, decision)) as replies:
            async for sentence in replies:
                if self._interrupts != interrupts:
                    break
                if first_ms is None:
                    first_ms = round((time.monotonic() - t0) * 1000, 1)
                piece = _first_piece(self._say(sentence))
                if not said:
                    self._awaited = piece
                said.append(sentence)
        text = ("" if self.brief.language == "zh" else " ").join(said)
        for ref in refs:
            self._decided(ref, str(decision.intent), "reply" if said else "ignore", text,
                          "" if said else "interrupted", t0, first_ms)
        if said:
            self._emit({"type": "reply", "ref": refs[0] if refs else None, "text": text})
        return bool(said)

    def _gone(self, item: Triaged, reason: str) -> None:
        """A queued question that will not be answered: pushed out by the queue's bound, or too old."""
        ref = item.comment.id
        self._decided(ref, str(item.intent), "ignore", "", reason, self._offered.pop(ref, time.monotonic()))

    def _refs(self, item: Triaged | ThankYou) -> list[str]:
        if isinstance(item, Triaged):
            return [item.comment.id]
        refs, self._thanks_refs = self._thanks_refs, []
        return refs

    def _decided(self, ref: str, intent: str, action: str, text: str, reason: str, t0: float,
                 latency_ms: float | None = None) -> None:
        if latency_ms is None:
            latency_ms = round((time.monotonic() - t0) * 1000, 1)
        self.last_latency_ms = latency_ms
        self._emit({"type": "decision", "ref": ref, "intent": intent, "action": action, "text": text,
                    "latency_ms": latency_ms, **({"reason": reason} if reason else {})})


def _first_piece(requests: object) -> str | None:
    """The text of the first piece ``say`` queued (a session's ``say`` returns its requests), None if unknown."""
    if isinstance(requests, list) and requests:
        text = getattr(requests[0], "text", None)
        return text if isinstance(text, str) else None
    return None


def room_pulse(comment: Comment, verdict: Verdict) -> RoomPulse:
    """What one comment tells the script about the room: a viewer joined, a gift (by whom), a question asked.
    Blocked and dropped comments tell it nothing."""
    if comment.kind is CommentKind.ENTER:
        return RoomPulse(joined=1)
    if comment.kind is CommentKind.GIFT:
        return RoomPulse(gifts=(comment.user,))
    if verdict.outcome == "queued" and verdict.intent in ROOM_QUESTIONS:
        return RoomPulse(questions=(comment.text,))
    return RoomPulse()
