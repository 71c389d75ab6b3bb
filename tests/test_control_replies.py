"""Which responder a served stream answers with (offline by default, an LLM one when its settings or STREAMER_LLM_*
say so), and how its replies reach the session."""

from __future__ import annotations

import asyncio
import time

import pytest
from llm_server import ChatServer, Scripted

from streamer.brief import load_brief
from streamer.comments import Comment
from streamer.control.schemas import StreamSettings
from streamer.llm import LLMConfig
from streamer.replies import CommentHandler
from streamer.responder import Responder
from streamer.responder.llm import LLMResponder
from streamer.session_builder import build_responder

BRIEF = load_brief("assets/briefs/demo_en.yaml")


def test_without_llm_settings_replies_come_from_the_brief_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STREAMER_LLM_BACKEND", raising=False)
    assert type(build_responder(BRIEF, LLMConfig.from_env())) is Responder


def test_an_unreachable_llm_still_answers_with_the_brief_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMER_LLM_BACKEND", "openai")
    monkeypatch.setenv("STREAMER_LLM_MODEL", "any")
    monkeypatch.setenv("STREAMER_LLM_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens on the discard port
    responder = build_responder(BRIEF, StreamSettings().llm_config())
    assert isinstance(responder, LLMResponder)
    decision = asyncio.run(responder.answer(Comment("How much is the bottle?", user="kim")))
    assert decision.action == "reply" and "24.99" in decision.text
    assert responder.fallbacks == 1


def test_a_broken_llm_setting_falls_back_to_offline_instead_of_failing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMER_LLM_BACKEND", "openai")
    monkeypatch.delenv("STREAMER_LLM_MODEL", raising=False)
    assert type(build_responder(BRIEF, LLMConfig.from_env())) is Responder


def test_a_stream_setting_beats_the_environment_and_none_turns_the_model_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMER_LLM_BACKEND", "openai")
    monkeypatch.setenv("STREAMER_LLM_MODEL", "env-model")
    monkeypatch.setenv("STREAMER_LLM_API_KEY", "sk-server")
    own = StreamSettings(llm={"model": "own", "base_url": "http://10.0.0.9:8000/v1"}).llm_config()
    assert (own.backend, own.model, own.base_url) == ("openai", "own", "http://10.0.0.9:8000/v1")
    assert own.api_key is None  # the server's key never goes to a stream's own endpoint
    assert StreamSettings().llm_config().api_key == "sk-server"
    assert type(build_responder(BRIEF, StreamSettings(llm={"backend": "none"}).llm_config())) is Responder


def test_the_api_key_is_stored_but_never_shown() -> None:
    settings = StreamSettings(llm={"backend": "openai", "model": "m", "api_key": "sk-secret"})
    assert "sk-secret" not in settings.model_dump_json() and "sk-secret" not in repr(settings)
    assert settings.stored()["llm"]["api_key"] == "sk-secret"
    echoed = StreamSettings.model_validate_json(settings.model_dump_json())  # a client sends back what it read
    assert echoed.keep_secrets_of(settings).stored()["llm"]["api_key"] == "sk-secret"


def test_each_llm_sentence_is_said_as_soon_as_it_is_written() -> None:
    said: list[tuple[str, float]] = []
    events: list[dict] = []

    async def scenario(server: ChatServer) -> None:
        responder = build_responder(BRIEF, LLMConfig(backend="openai", base_url=server.base_url, model="m"))
        handler = CommentHandler(BRIEF, lambda text: said.append((text, time.monotonic())), events.append,
                                 responder)
        task = asyncio.create_task(handler.run())
        handler.offer("c1", {"type": "comment", "user": "kim", "text": "how much is the bottle?"})
        for _ in range(500):
            if any(e["type"] == "decision" for e in events):
                break
            await asyncio.sleep(0.01)
        task.cancel()

    with ChatServer([Scripted("It is 24.99 dollars today. Tap link 2 to get it.", last_delay_s=1.0)]) as server:
        asyncio.run(scenario(server))
        finished = server.finished_times[0]
    assert [s for s, _ in said] == ["It is 24.99 dollars today.", "Tap link 2 to get it."]
    assert said[0][1] < finished  # said before the model sent its last piece, held back for a second
    decision = next(e for e in events if e["type"] == "decision")
    assert decision["text"] == "It is 24.99 dollars today. Tap link 2 to get it."


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
