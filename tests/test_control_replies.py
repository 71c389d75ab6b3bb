"""Which responder a served stream answers with: offline by default, an LLM one when STREAMER_LLM_* says so."""

from __future__ import annotations

import asyncio

import pytest

from streamer.brief import load_brief
from streamer.comments import Comment
from streamer.control.supervisor.replies import build_responder
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
