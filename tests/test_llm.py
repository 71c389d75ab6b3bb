"""LLM backends against a real local OpenAI-compatible HTTP server (streaming and not), and the optional local path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from llm_server import ChatServer

from streamer.errors import ConfigError, EngineError
from streamer.llm import LLMConfig, Message, create_chat
from streamer.llm.openai_compat import OpenAIChat


@pytest.fixture
def echo_server() -> Iterator[ChatServer]:
    with ChatServer(lambda body: "you said: " + body["messages"][-1]["content"]) as server:
        yield server


HELLO = [Message("system", "be brief"), Message("user", "hello")]


async def test_complete_returns_the_model_text_and_sends_the_conversation(echo_server: ChatServer) -> None:
    chat = OpenAIChat(echo_server.base_url, "tiny", "k")
    assert await chat.complete(HELLO, temperature=0.2, max_tokens=50) == "you said: hello"
    request = echo_server.requests[0]
    assert request["model"] == "tiny" and request["messages"][0] == {"role": "system", "content": "be brief"}
    assert request["temperature"] == 0.2 and request["max_tokens"] == 50 and not request.get("stream")


async def test_stream_yields_the_text_in_pieces(echo_server: ChatServer) -> None:
    pieces = [p async for p in OpenAIChat(echo_server.base_url, "tiny").stream(HELLO)]
    assert len(pieces) > 1 and "".join(pieces) == "you said: hello"
    assert echo_server.requests[0]["stream"] is True


async def test_unreachable_server_is_a_retryable_engine_error(refused_llm_url: str) -> None:
    chat = OpenAIChat(refused_llm_url, "tiny", retries=0, timeout_s=2)
    with pytest.raises(EngineError) as e:
        await chat.complete(HELLO)
    assert e.value.retryable and "unreachable" in str(e.value)


async def test_server_errors_are_retried_then_succeed() -> None:
    with ChatServer([500, "ok"]) as server:
        assert await OpenAIChat(server.base_url, "tiny", retries=1).complete(HELLO) == "ok"
        assert len(server.requests) == 2


async def test_a_refused_key_is_not_retried() -> None:
    with ChatServer([401, "never"]) as server:
        with pytest.raises(EngineError) as e:
            await OpenAIChat(server.base_url, "tiny", retries=3).complete(HELLO)
        assert not e.value.retryable and len(server.requests) == 1


async def test_stream_failure_before_any_text_is_retried() -> None:
    with ChatServer([503, "streamed"]) as server:
        pieces = [p async for p in OpenAIChat(server.base_url, "tiny", retries=1).stream(HELLO)]
        assert "".join(pieces) == "streamed"


def test_config_reads_the_environment() -> None:
    cfg = LLMConfig.from_env({"STREAMER_LLM_BACKEND": "openai", "STREAMER_LLM_MODEL": "qwen",
                              "STREAMER_LLM_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": "sk-x"})
    assert (cfg.backend, cfg.model, cfg.base_url, cfg.api_key) == ("openai", "qwen", "http://127.0.0.1:9/v1", "sk-x")
    assert "sk-x" not in repr(cfg)


def test_config_overrides_beat_the_environment() -> None:
    cfg = LLMConfig.from_env({"STREAMER_LLM_MODEL": "a"}, model="b", backend="openai")
    assert cfg.model == "b"


def test_no_backend_means_no_chat_model() -> None:
    assert create_chat(LLMConfig()) is None


def test_backend_without_model_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="needs a model"):
        create_chat(LLMConfig(backend="openai"))


def test_openai_backend_is_built_from_config(echo_server: ChatServer) -> None:
    chat = create_chat(LLMConfig(backend="openai", base_url=echo_server.base_url, model="tiny"))
    assert isinstance(chat, OpenAIChat) and chat.model == "tiny"


def test_missing_local_model_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        create_chat(LLMConfig(backend="transformers", model=str(tmp_path / "nope")))


def test_missing_torch_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_torch(name: str, *args: Any, **kw: Any) -> Any:
        if name in ("torch", "transformers"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    with pytest.raises(ConfigError, match=r"pip install 'streamer\[gpu\]'"):
        create_chat(LLMConfig(backend="transformers", model=str(tmp_path)))
