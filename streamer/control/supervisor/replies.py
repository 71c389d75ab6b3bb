"""Comment -> triage -> responder -> reply, inside the worker: the one place that wires viewer comments into a
session.

``streamer.comments.Triage`` filters, rate-limits, de-duplicates and orders comments; ``streamer.responder.
Responder`` decides and words the answer (``Decision(intent, action, text)``). At most one reply waits behind the
one on air: the next comment is taken from triage when the last reply has started playing (or was dropped, or after
``REPLY_WAIT_S``), so its answer is synthesized while the previous one plays, and triage's ordering, not arrival
order, still decides who is answered. The responder runs off the event loop (it may call an LLM).
Every comment gets exactly one ``decision`` event, carrying the ``ref`` its ``comment`` event had.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Callable
from typing import Any

from ...brief import Brief
from ...comments import ThankYou, Triage, Triaged, parse_payload
from ...errors import StreamerError
from ...llm.config import LLMConfig, create_chat
from ...responder import Responder
from ...responder.llm import LLMResponder

log = logging.getLogger(__name__)

REPLY_WAIT_S = 30.0  # a reply not on air by then (TTS down) no longer holds the next one back


def build_responder(brief: Brief) -> Responder | LLMResponder:
    """The offline responder, or an LLM responder over it when STREAMER_LLM_* configures a backend (it falls back
    to the offline answer on timeouts, errors and rule breaks). A bad LLM configuration is logged, not fatal."""
    try:
        chat = create_chat(LLMConfig.from_env())
    except (StreamerError, ValueError) as e:
        log.error("LLM responder not available (%s); answering from the brief offline", e)
        return Responder(brief)
    return Responder(brief) if chat is None else LLMResponder(brief, chat)


class CommentHandler:
    def __init__(self, brief: Brief, say: Callable[[str], object], emit: Callable[[dict[str, Any]], None],
                 responder: Any | None = None) -> None:
        self.triage = Triage(brief)
        # Any: the offline Responder, or anything with answer()/respond() (an LLM responder may be async)
        self.responder: Any = responder or Responder(brief)
        self._say = say
        self._emit = emit
        self._wake = asyncio.Event()
        self._reply_done = asyncio.Event()
        self._offered: dict[str, float] = {}  # ref -> when it arrived, for latency
        self._thanks_refs: list[str] = []
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
        if verdict.outcome in ("blocked", "dropped"):
            self._decided(ref, str(verdict.intent), "block" if verdict.outcome == "blocked" else "ignore", "",
                          verdict.reason, time.monotonic())
            return
        self._offered[ref] = time.monotonic()
        if verdict.outcome == "thanks":
            self._thanks_refs.append(ref)
        self._wake.set()

    def on_event(self, event: dict[str, Any]) -> None:
        """Session events: the product on screen (questions that name none are about it), replies said."""
        if event["type"] == "product" and hasattr(self.responder, "set_current_product"):
            try:
                self.responder.set_current_product(event.get("product_id"))
            except KeyError:
                log.warning("responder does not know product %r", event.get("product_id"))
        elif (event["type"] in ("speech_start", "speech_end") and event.get("source") == "reply") \
                or event["type"] == "speech_dropped":
            self._reply_done.set()  # on air, cut short or flushed by an interrupt: the next answer may be prepared

    async def run(self) -> None:
        while True:
            item = self.triage.next()
            if item is None:
                self._wake.clear()
                await self._wake.wait()
                continue
            refs = self._refs(item)
            t0 = min((self._offered.pop(r, time.monotonic()) for r in refs), default=time.monotonic())
            try:
                decision = await self._decide(item)
            except Exception as e:  # a responder bug must not end the stream; the comment is just not answered
                log.exception("responder failed")
                for ref in refs:
                    self._decided(ref, "other", "ignore", "", f"responder error: {type(e).__name__}", t0)
                continue
            action, text = str(decision.action), decision.text or ""
            for ref in refs:
                self._decided(ref, str(decision.intent), action, text, getattr(decision, "reason", ""), t0)
            if action == "reply" and text:
                self._reply_done.clear()
                self._say(text)
                self._emit({"type": "reply", "ref": refs[0] if refs else None, "text": text})
                try:
                    await asyncio.wait_for(self._reply_done.wait(), REPLY_WAIT_S)
                except TimeoutError:
                    log.warning("reply not on air after %.0f s; going on", REPLY_WAIT_S)

    def _refs(self, item: Triaged | ThankYou) -> list[str]:
        if isinstance(item, Triaged):
            return [item.comment.id]
        refs, self._thanks_refs = self._thanks_refs, []
        return refs

    def _decided(self, ref: str, intent: str, action: str, text: str, reason: str, t0: float) -> None:
        latency_ms = round((time.monotonic() - t0) * 1000, 1)
        self.last_latency_ms = latency_ms
        self._emit({"type": "decision", "ref": ref, "intent": intent, "action": action, "text": text,
                    "latency_ms": latency_ms, **({"reason": reason} if reason else {})})

    async def _decide(self, item: Triaged | ThankYou) -> Any:
        answer = getattr(self.responder, "answer", None) or self.responder.respond
        if inspect.iscoroutinefunction(answer):
            return await answer(item)
        return await asyncio.to_thread(answer, item)
