"""Any OpenAI-compatible chat endpoint (OpenAI, vLLM, llama.cpp server, Ollama, LM Studio...) via the official SDK."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Any

from ..errors import ConfigError, EngineError
from .base import ChatModel, Message


def _engine_error(e: Exception, base_url: str) -> EngineError:
    import openai

    if isinstance(e, openai.APITimeoutError):
        return EngineError(f"LLM at {base_url} timed out", retryable=True)
    if isinstance(e, openai.APIConnectionError):
        return EngineError(f"LLM at {base_url} is unreachable", retryable=True)
    if isinstance(e, openai.AuthenticationError | openai.PermissionDeniedError):
        return EngineError(f"LLM at {base_url} refused the API key", retryable=False)
    if isinstance(e, openai.NotFoundError):
        return EngineError(f"LLM at {base_url}: model or endpoint not found", retryable=False)
    if isinstance(e, openai.RateLimitError):
        return EngineError(f"LLM at {base_url} is rate limiting", retryable=True)
    if isinstance(e, openai.APIStatusError):
        return EngineError(f"LLM at {base_url} answered HTTP {e.status_code}", retryable=e.status_code >= 500)
    return EngineError(f"LLM at {base_url} failed: {e}", retryable=False)


class OpenAIChat(ChatModel):
    """Chat completions over HTTP; ``base_url`` ends in ``/v1``. Keys are optional for local servers."""

    name = "openai"

    def __init__(self, base_url: str, model: str, api_key: str | None = None, *, timeout_s: float = 30.0,
                 retries: int = 2) -> None:
        super().__init__(retries=retries)
        try:
            import openai
        except ImportError as e:  # pragma: no cover - openai is a core dependency
            raise ConfigError("the OpenAI-compatible LLM backend needs the `openai` package: pip install openai") from e
        self.base_url = base_url
        self.model = model
        # The SDK's own retries are off: ChatModel retries, and never after streamed text went out.
        self._client = openai.AsyncOpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout_s,
                                          max_retries=0)

    def _args(self, messages: Sequence[Message], temperature: float, max_tokens: int | None) -> dict[str, Any]:
        args: dict[str, Any] = {"model": self.model, "messages": [m.to_dict() for m in messages],
                                "temperature": temperature}
        if max_tokens:
            args["max_tokens"] = max_tokens
        return args

    async def _complete(self, messages: Sequence[Message], *, temperature: float, max_tokens: int | None) -> str:
        try:
            resp = await self._client.chat.completions.create(**self._args(messages, temperature, max_tokens))
        except Exception as e:
            raise _engine_error(e, self.base_url) from e
        if not resp.choices:
            raise EngineError(f"LLM at {self.base_url} returned no choices", retryable=True)
        return resp.choices[0].message.content or ""

    async def _stream(self, messages: Sequence[Message], *, temperature: float,
                      max_tokens: int | None) -> AsyncGenerator[str, None]:
        try:
            stream = await self._client.chat.completions.create(**self._args(messages, temperature, max_tokens),
                                                                stream=True)
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except EngineError:
            raise
        except Exception as e:
            raise _engine_error(e, self.base_url) from e

    async def aclose(self) -> None:
        await self._client.close()
