"""Which responder a served stream answers with: offline by default, an LLM one when STREAMER_LLM_* says so."""

from __future__ import annotations

import asyncio

import pytest

from streamer.brief import load_brief
from streamer.comments import Comment
from streamer.control.supervisor.replies import CommentHandler, build_responder
from streamer.responder import Responder
from streamer.responder.llm import LLMResponder

BRIEF = load_brief("assets/briefs/demo_en.yaml")


def test_without_llm_settings_replies_come_from_the_brief_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STREAMER_LLM_BACKEND", raising=False)
    assert type(build_responder(BRIEF)) is Responder


def test_an_unreachable_llm_still_answers_with_the_brief_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMER_LLM_BACKEND", "openai")
    monkeypatch.setenv("STREAMER_LLM_MODEL", "any")
    monkeypatch.setenv("STREAMER_LLM_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens on the discard port
    responder = build_responder(BRIEF)
    assert isinstance(responder, LLMResponder)
    decision = asyncio.run(responder.answer(Comment("How much is the bottle?", user="kim")))
    assert decision.action == "reply" and "24.99" in decision.text
    assert responder.fallbacks == 1


def test_a_broken_llm_setting_falls_back_to_offline_instead_of_failing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMER_LLM_BACKEND", "openai")
    monkeypatch.delenv("STREAMER_LLM_MODEL", raising=False)
    assert type(build_responder(BRIEF)) is Responder


def test_gifts_injected_through_the_api_are_thanked_not_read_as_chat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STREAMER_LLM_BACKEND", raising=False)
    events: list[dict] = []
    said: list[str] = []

    async def scenario() -> None:
        handler = CommentHandler(BRIEF, said.append, events.append)
        task = asyncio.create_task(handler.run())
        handler.offer("g1", {"type": "comment", "user": "Amy", "kind": "gift", "gift": "rose", "count": 3})
        for _ in range(200):
            if any(e["type"] == "decision" for e in events):
                break
            await asyncio.sleep(0.01)
        task.cancel()

    asyncio.run(scenario())
    comment = next(e for e in events if e["type"] == "comment")
    assert comment["kind"] == "gift" and comment["gift"] == "rose" and comment["count"] == 3
    decision = next(e for e in events if e["type"] == "decision")
    assert decision["ref"] == "g1" and decision["action"] == "reply"
    assert said == [decision["text"]] and "rose" in decision["text"]  # thanked for the gift by name


def test_a_chat_comment_without_text_is_refused_by_the_api_schema() -> None:
    from pydantic import ValidationError

    from streamer.control.schemas import InjectComment
    with pytest.raises(ValidationError, match="needs text"):
        InjectComment(type="comment", text="  ")
    assert InjectComment(type="comment", kind="like", count=50).count == 50
